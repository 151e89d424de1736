// Package install tests ackguard the way cluster admins install it: the Helm
// chart and config/default are rendered with the real helm and kustomize
// binaries ($HELM, $KUSTOMIZE; `make test` installs them into bin/) and
// applied to a real API server.
package install

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/webhookconfig"
)

const releaseNamespace = "ackguard-system"

var repoRoot = filepath.Join("..", "..")

// tool returns the path of a tool binary from the environment, falling
// back to bin/<name> in the repository.
func tool(t *testing.T, env, name string) string {
	t.Helper()
	if p := os.Getenv(env); p != "" {
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
		return p
	}
	p := filepath.Join(repoRoot, "bin", name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s not found: run `make %s` or set %s", name, name, env)
	}
	abs, _ := filepath.Abs(p)
	return abs
}

func run(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = repoRoot
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// helmTemplate renders the chart with a values file from charts/ackguard/ci.
func helmTemplate(t *testing.T, valuesFile string) []*unstructured.Unstructured {
	return helmTemplateAs(t, "ackguard", releaseNamespace, valuesFile)
}

// helmTemplateAs renders the chart as a release name in a namespace.
func helmTemplateAs(t *testing.T, release, namespace, valuesFile string) []*unstructured.Unstructured {
	args := []string{"template", release, "charts/ackguard", "--namespace", namespace}
	if valuesFile != "" {
		args = append(args, "-f", filepath.Join("charts", "ackguard", "ci", valuesFile))
	}
	return decodeAll(t, run(t, tool(t, "HELM", "helm"), args...))
}

func kustomizeBuild(t *testing.T) []*unstructured.Unstructured {
	return decodeAll(t, run(t, tool(t, "KUSTOMIZE", "kustomize"), "build", "config/default"))
}

func decodeAll(t *testing.T, data []byte) []*unstructured.Unstructured {
	t.Helper()
	r := utilyaml.NewYAMLReader(bufioReader(data))
	var out []*unstructured.Unstructured
	for {
		doc, err := r.Read()
		if err != nil {
			break
		}
		obj := map[string]any{}
		if err := yaml.Unmarshal(doc, &obj); err != nil {
			t.Fatalf("rendered YAML: %v", err)
		}
		if len(obj) == 0 {
			continue
		}
		out = append(out, &unstructured.Unstructured{Object: obj})
	}
	return out
}

func find(objs []*unstructured.Unstructured, kind string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == kind {
			out = append(out, o)
		}
	}
	return out
}

func ciValues(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot, "charts", "ackguard", "ci", "*-values.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no ci values files: %v", err)
	}
	var out []string
	for _, f := range files {
		out = append(out, filepath.Base(f))
	}
	return out
}

// ruleSet flattens RBAC rules to "group/resource:verb" strings.
func ruleSet(t *testing.T, role *unstructured.Unstructured) []string {
	t.Helper()
	rs, _, _ := unstructured.NestedSlice(role.Object, "rules")
	var out []string
	for _, r := range rs {
		m := r.(map[string]any)
		groups, _, _ := unstructured.NestedStringSlice(m, "apiGroups")
		res, _, _ := unstructured.NestedStringSlice(m, "resources")
		verbs, _, _ := unstructured.NestedStringSlice(m, "verbs")
		names, _, _ := unstructured.NestedStringSlice(m, "resourceNames")
		for _, g := range groups {
			for _, rr := range res {
				for _, v := range verbs {
					s := g + "/" + rr + ":" + v
					if len(names) > 0 {
						s += "@" + strings.Join(names, ",")
					}
					out = append(out, s)
				}
			}
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// webhookRules flattens a ValidatingWebhookConfiguration's rules.
func webhookRules(t *testing.T, cfg *unstructured.Unstructured) []string {
	t.Helper()
	hooks, _, _ := unstructured.NestedSlice(cfg.Object, "webhooks")
	var out []string
	for _, h := range hooks {
		hm := h.(map[string]any)
		rs, _, _ := unstructured.NestedSlice(hm, "rules")
		for _, r := range rs {
			m := r.(map[string]any)
			groups, _, _ := unstructured.NestedStringSlice(m, "apiGroups")
			vers, _, _ := unstructured.NestedStringSlice(m, "apiVersions")
			res, _, _ := unstructured.NestedStringSlice(m, "resources")
			ops, _, _ := unstructured.NestedStringSlice(m, "operations")
			for _, g := range groups {
				for _, v := range vers {
					for _, rr := range res {
						out = append(out, g+"/"+v+"/"+rr+":"+strings.Join(ops, ","))
					}
				}
			}
		}
		for _, k := range []string{"sideEffects", "failurePolicy", "matchPolicy"} {
			v, _, _ := unstructured.NestedString(hm, k)
			out = append(out, k+"="+v)
		}
		rv, _, _ := unstructured.NestedStringSlice(hm, "admissionReviewVersions")
		out = append(out, "admissionReviewVersions="+strings.Join(rv, ","))
		mcs, _, _ := unstructured.NestedSlice(hm, "matchConditions")
		for _, mc := range mcs {
			m := mc.(map[string]any)
			out = append(out, fmt.Sprintf("matchCondition %v=%v", m["name"], m["expression"]))
		}
	}
	sort.Strings(out)
	return out
}

// TestChartAndConfigAgree: the chart and config/default ship the same RBAC
// for the manager and send the same requests to the webhook, and both
// match the rule registry.
func TestChartAndConfigAgree(t *testing.T) {
	// config/default uses cert-manager; compare with the chart's
	// cert-manager flavour (self-managed certificates add their own rules).
	chart := helmTemplate(t, "cert-manager-values.yaml")
	kust := kustomizeBuild(t)
	chartRoles, kustRoles := find(chart, "ClusterRole"), find(kust, "ClusterRole")
	if len(chartRoles) != 1 || len(kustRoles) != 1 {
		t.Fatalf("cluster roles: chart %d, config %d", len(chartRoles), len(kustRoles))
	}
	if c, k := ruleSet(t, chartRoles[0]), ruleSet(t, kustRoles[0]); !slices.Equal(c, k) {
		t.Errorf("ClusterRole differs:\nchart:  %v\nconfig: %v", c, k)
	}
	chartHooks, kustHooks := find(chart, "ValidatingWebhookConfiguration"), find(kust, "ValidatingWebhookConfiguration")
	if len(chartHooks) != 1 || len(kustHooks) != 1 {
		t.Fatalf("webhook configurations: chart %d, config %d", len(chartHooks), len(kustHooks))
	}
	c, k := webhookRules(t, chartHooks[0]), webhookRules(t, kustHooks[0])
	if !slices.Equal(c, k) {
		t.Errorf("webhook rules differ:\nchart:  %v\nconfig: %v", c, k)
	}
	var want []string
	for _, gk := range rules.Default().Kinds() {
		want = append(want, gk.Group+"/"+webhookconfig.Plural(gk.Kind))
	}
	for _, w := range want {
		found := false
		for _, r := range c {
			if strings.HasPrefix(r, strings.Replace(w, "/", "/v1alpha1/", 1)+":") {
				found = true
			}
		}
		if !found {
			t.Errorf("the webhook is not called for %s, which the registry guards", w)
		}
	}
	if !slices.Contains(c, "matchCondition spec-changed="+webhookconfig.SpecChanged) {
		t.Errorf("the chart's webhook lacks the spec-changed match condition: %v", c)
	}
	if len(c)-5 != len(want) {
		t.Errorf("webhook rules %v, registry guards %v", c, want)
	}
	// Both exclude kube-system and ackguard's own namespace.
	for name, cfg := range map[string]*unstructured.Unstructured{"chart": chartHooks[0], "config": kustHooks[0]} {
		text := string(mustJSON(t, cfg.Object))
		for _, ns := range []string{`"kube-system"`, `"` + releaseNamespace + `"`} {
			if !strings.Contains(text, ns) {
				t.Errorf("%s webhook does not exclude %s", name, ns)
			}
		}
	}
}

// TestRenderedRBACIsMinimal lists every rule the chart grants (for every ci
// values file) and fails on wildcards, Secrets or privilege-granting verbs.
func TestRenderedRBACIsMinimal(t *testing.T) {
	for _, vf := range ciValues(t) {
		for _, role := range append(find(helmTemplate(t, vf), "ClusterRole"), find(helmTemplate(t, vf), "Role")...) {
			for _, r := range ruleSet(t, role) {
				groupRes, verb, _ := strings.Cut(r, ":")
				if strings.Contains(r, "*") {
					t.Errorf("%s %s: wildcard %s", vf, role.GetName(), r)
				}
				if strings.HasSuffix(groupRes, "/secrets") && !(role.GetKind() == "Role" && strings.HasSuffix(role.GetName(), "-cert-rotation-role") && (slices.Contains([]string{"get", "list", "watch"}, verb) || strings.Contains(r, "@"))) {
					// The only Secret access: self-managed certificates, in
					// the release namespace, writing only their own Secret.
					t.Errorf("%s %s: Secret access %s", vf, role.GetName(), r)
				}
				if slices.Contains([]string{"escalate", "bind", "impersonate"}, verb) {
					t.Errorf("%s %s: verb %s", vf, role.GetName(), r)
				}
				if role.GetKind() == "ClusterRole" && slices.Contains([]string{"create", "update", "delete", "deletecollection"}, verb) && !strings.HasPrefix(groupRes, "events.k8s.io/") && !strings.Contains(r, "@") {
					t.Errorf("%s %s: %s — the manager only patches what it guards", vf, role.GetName(), r)
				}
			}
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	j, err := yaml.YAMLToJSON(b)
	if err != nil {
		t.Fatal(err)
	}
	return j
}
