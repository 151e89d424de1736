// Package install tests ackguard the way cluster admins install it: the Helm
// chart and config/default are rendered with the real helm and kustomize
// binaries ($HELM, $KUSTOMIZE; `make test` installs them into bin/) and
// applied to a real API server.
package install

import (
	"bytes"
	"maps"
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
	// --include-crds: crds/ too, as `helm install` creates them.
	args := []string{"template", release, "charts/ackguard", "--namespace", namespace, "--include-crds"}
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
	}
	sort.Strings(out)
	return out
}

// webhooksByName returns each webhook of a configuration without what
// differs by design between the chart and config/ (the Service's name and
// namespace, a CA bundle), as JSON.
func webhooksByName(t *testing.T, cfg *unstructured.Unstructured) map[string]string {
	t.Helper()
	hooks, _, _ := unstructured.NestedSlice(cfg.Object, "webhooks")
	out := map[string]string{}
	for _, h := range hooks {
		hm := h.(map[string]any)
		unstructured.RemoveNestedField(hm, "clientConfig", "service", "name")
		unstructured.RemoveNestedField(hm, "clientConfig", "service", "namespace")
		unstructured.RemoveNestedField(hm, "clientConfig", "caBundle")
		name, _, _ := unstructured.NestedString(hm, "name")
		out[name] = string(mustJSON(t, hm))
	}
	return out
}

// byName indexes objects by name.
func byName(objs []*unstructured.Unstructured) map[string]*unstructured.Unstructured {
	out := map[string]*unstructured.Unstructured{}
	for _, o := range objs {
		out[o.GetName()] = o
	}
	return out
}

// aggregationLabels returns a role's rbac.authorization.k8s.io/aggregate-to-* labels.
func aggregationLabels(role *unstructured.Unstructured) []string {
	var out []string
	for k, v := range role.GetLabels() {
		if strings.HasPrefix(k, "rbac.authorization.k8s.io/aggregate-to-") && v == "true" {
			out = append(out, strings.TrimPrefix(k, "rbac.authorization.k8s.io/aggregate-to-"))
		}
	}
	sort.Strings(out)
	return out
}

// The ClusterRoles both the chart (release "ackguard") and config/ ship.
var (
	managerRole        = "ackguard-manager-role"
	viewerRole         = "ackguard-viewer"
	exceptionAdminRole = "ackguard-exception-admin"
	policyAdminRole    = "ackguard-policy-admin"
)

// TestChartAndConfigAgree: the chart and config/default ship the same RBAC
// (the manager's and the roles for people, with the same aggregation) and
// the same webhooks, and both match the rule registry.
func TestChartAndConfigAgree(t *testing.T) {
	// config/default uses cert-manager; compare with the chart's
	// cert-manager flavour (self-managed certificates add their own rules).
	// Helm hooks (the CRD upgrade Job's and helm test's objects) are the
	// chart's alone: kustomize users apply config/crd themselves.
	chart := withoutHooks(helmTemplate(t, "cert-manager-values.yaml"))
	kust := kustomizeBuild(t)
	for _, kind := range []string{"ClusterRole", "Role"} {
		chartRoles, kustRoles := byName(find(chart, kind)), byName(find(kust, kind))
		if c, k := slices.Sorted(maps.Keys(chartRoles)), slices.Sorted(maps.Keys(kustRoles)); !slices.Equal(c, k) {
			t.Errorf("%ss: chart %v, config %v", kind, c, k)
		}
		for name, cr := range chartRoles {
			kr := kustRoles[name]
			if kr == nil {
				continue
			}
			if c, k := ruleSet(t, cr), ruleSet(t, kr); !slices.Equal(c, k) {
				t.Errorf("%s %s differs:\nchart:  %v\nconfig: %v", kind, name, c, k)
			}
			if c, k := aggregationLabels(cr), aggregationLabels(kr); !slices.Equal(c, k) {
				t.Errorf("%s %s aggregates to %v in the chart, %v in config/", kind, name, c, k)
			}
		}
	}
	for _, name := range []string{managerRole, viewerRole, exceptionAdminRole, policyAdminRole} {
		if byName(find(chart, "ClusterRole"))[name] == nil {
			t.Errorf("the chart has no ClusterRole %s", name)
		}
	}

	chartHooks, kustHooks := find(chart, "ValidatingWebhookConfiguration"), find(kust, "ValidatingWebhookConfiguration")
	if len(chartHooks) != 1 || len(kustHooks) != 1 {
		t.Fatalf("webhook configurations: chart %d, config %d", len(chartHooks), len(kustHooks))
	}
	c, k := webhookRules(t, chartHooks[0]), webhookRules(t, kustHooks[0])
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
	for _, res := range webhookconfig.GovernanceResources {
		want = append(want, webhookconfig.GovernanceGroup+"/"+res)
	}
	if len(c) != len(want) || len(k) != len(want) {
		t.Errorf("webhook rules: chart %v, config %v; want %v", c, k, want)
	}
	// Every webhook, field by field: rules, paths, failure policy, timeout,
	// namespace selector, match conditions.
	ch, kh := webhooksByName(t, chartHooks[0].DeepCopy()), webhooksByName(t, kustHooks[0].DeepCopy())
	names := []string{webhookconfig.WebhookName, webhookconfig.GovernanceWebhookName}
	if cn, kn := slices.Sorted(maps.Keys(ch)), slices.Sorted(maps.Keys(kh)); !slices.Equal(cn, kn) || !slices.Equal(cn, slices.Sorted(slices.Values(names))) {
		t.Errorf("webhooks: chart %v, config %v, want %v", cn, kn, names)
	}
	for _, name := range names {
		if ch[name] != kh[name] {
			t.Errorf("webhook %s differs:\nchart:  %s\nconfig: %s", name, ch[name], kh[name])
		}
		if !strings.Contains(ch[name], string(mustJSON(t, webhookconfig.JudgedChange))) {
			t.Errorf("the chart's webhook %s lacks the judged-change match condition", name)
		}
	}
	// Both give a stopping replica the same grace period: the drain
	// (--shutdown-delay), then the manager's graceful stop.
	grace := func(objs []*unstructured.Unstructured) []int64 {
		var out []int64
		for _, d := range find(objs, "Deployment") {
			g, _, _ := unstructured.NestedFieldNoCopy(d.Object, "spec", "template", "spec", "terminationGracePeriodSeconds")
			n, _ := g.(int64)
			if f, ok := g.(float64); ok {
				n = int64(f)
			}
			out = append(out, n)
		}
		return out
	}
	if c, k := grace(chart), grace(kust); !slices.Equal(c, k) || len(c) != 1 || c[0] != 45 {
		t.Errorf("terminationGracePeriodSeconds: chart %v, config %v, want [45] in both", c, k)
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
// values file, and admission only) and fails on wildcards, Secrets,
// privilege-granting verbs, writes the manager does not need, and writes
// in a role aggregated into the built-in view/edit/admin roles (which
// would let every namespace admin exempt their own resources). Admission
// only (--enable-reconciler=false), the manager writes nothing but its own
// webhook configuration's CA bundle: no patches of ACK objects, no Events,
// no status, no Reports.
func TestRenderedRBACIsMinimal(t *testing.T) {
	guarded := map[string]bool{}
	for _, gk := range rules.Default().Kinds() {
		guarded[gk.Group+"/"+webhookconfig.Plural(gk.Kind)] = true
	}
	// What the manager may write, and how.
	managerWrites := map[string][]string{
		"events.k8s.io/events":                           {"create", "patch"},
		"openreports.io/reports":                         {"create", "update", "patch"},
		"policy.ackguard.dev/guardrailpolicies/status":   {"update", "patch"},
		"policy.ackguard.dev/guardrailexceptions/status": {"update", "patch"},
	}
	reads := []string{"get", "list", "watch"}
	renders := map[string][]*unstructured.Unstructured{}
	for _, vf := range ciValues(t) {
		renders[vf] = helmTemplate(t, vf)
	}
	renders["reconciler.enabled=false"] = helmTemplateSet(t, "", "reconciler.enabled=false")
	renders["cert-manager-values.yaml reconciler.enabled=false"] = helmTemplateSet(t, "cert-manager-values.yaml", "reconciler.enabled=false")
	admissionOnlyRenders := 0
	for _, vf := range slices.Sorted(maps.Keys(renders)) {
		objs := renders[vf]
		_, ctr, _ := managerPod(t, objs)
		admissionOnly := slices.Contains(stringsOf(ctr, "args"), "--enable-reconciler=false")
		if admissionOnly {
			admissionOnlyRenders++
		}
		for _, role := range append(find(objs, "ClusterRole"), find(objs, "Role")...) {
			name := role.GetName()
			// The hooks' roles grant exactly what their one command needs.
			switch hook := role.GetAnnotations()["helm.sh/hook"]; {
			case hook == "pre-install,pre-upgrade" && name == "ackguard-crd-upgrade":
				want := []string{"apiextensions.k8s.io/customresourcedefinitions:get@" + ownCRDs, "apiextensions.k8s.io/customresourcedefinitions:patch@" + ownCRDs}
				if got := ruleSet(t, role); !slices.Equal(got, want) {
					t.Errorf("%s %s grants %v, want %v", vf, name, got, want)
				}
				continue
			case hook == "pre-delete" && name == "ackguard-webhook-cleanup":
				want := []string{"admissionregistration.k8s.io/validatingwebhookconfigurations:delete@ackguard-validating-webhook-configuration"}
				if role.GetKind() == "Role" {
					want = []string{"/pods:delete@ackguard-test"} // the last helm test Pod
				}
				if got := ruleSet(t, role); !slices.Equal(got, want) {
					t.Errorf("%s %s grants %v, want %v", vf, name, got, want)
				}
				continue
			case hook == "test" && role.GetKind() == "Role" && name == "ackguard-test":
				if got, want := ruleSet(t, role), []string{"s3.services.k8s.aws/buckets:create"}; !slices.Equal(got, want) {
					t.Errorf("%s %s grants %v, want %v", vf, name, got, want)
				}
				continue
			case hook != "":
				t.Errorf("%s: unexpected hook role %s %s (%s)", vf, role.GetKind(), name, hook)
				continue
			}
			isManager := role.GetKind() == "ClusterRole" && name == managerRole
			aggregated := len(aggregationLabels(role)) > 0
			for _, r := range ruleSet(t, role) {
				groupRes, verb, _ := strings.Cut(r, ":")
				verb, _, qualified := strings.Cut(verb, "@")
				if strings.Contains(r, "*") {
					t.Errorf("%s %s: wildcard %s", vf, name, r)
				}
				// The only Secret access: self-managed certificates, in the
				// release namespace, writing only their own Secret.
				certRotation := role.GetKind() == "Role" && strings.HasSuffix(name, "-cert-rotation-role") && (slices.Contains(reads, verb) || qualified)
				if strings.HasSuffix(groupRes, "/secrets") && !certRotation {
					t.Errorf("%s %s: Secret access %s", vf, name, r)
				}
				if slices.Contains([]string{"escalate", "bind", "impersonate"}, verb) {
					t.Errorf("%s %s: verb %s", vf, name, r)
				}
				write := !slices.Contains(reads, verb)
				switch {
				case !write:
				case aggregated:
					t.Errorf("%s %s: %s — a role aggregated into the built-in roles grants only reads", vf, name, r)
				case isManager:
					allowed := managerWrites[groupRes]
					if guarded[groupRes] {
						allowed = []string{"patch"}
					}
					if admissionOnly {
						allowed = nil
					}
					if qualified && (verb == "update" || verb == "patch") {
						allowed = []string{verb} // its own webhook configuration only
					}
					if !slices.Contains(allowed, verb) {
						t.Errorf("%s %s: %s — the manager only patches what it guards, writes reports and Events, and the status of policies and exceptions (admission only: none of these)", vf, name, r)
					}
				case role.GetKind() == "ClusterRole":
					// Roles for people: writes to policies and exceptions only.
					if groupRes != "policy.ackguard.dev/guardrailexceptions" && groupRes != "policy.ackguard.dev/guardrailpolicies" {
						t.Errorf("%s %s: %s", vf, name, r)
					}
				}
			}
		}
		// Self-managed certificates: what the rotation library does — it
		// reads Secrets and webhook configurations from informers (list,
		// watch) and writes the certificate Secret and the CA bundle with
		// update — and nothing else (TestCertificateRotation runs it so).
		if slices.Contains(stringsOf(ctr, "args"), "--cert-rotation") {
			want := []string{"/secrets:list", "/secrets:update@ackguard-webhook-server-cert", "/secrets:watch"}
			if got := ruleSet(t, one(t, objs, "Role", "ackguard-cert-rotation-role")); !slices.Equal(got, want) {
				t.Errorf("%s ackguard-cert-rotation-role grants %v, want %v", vf, got, want)
			}
			var got []string
			for _, r := range ruleSet(t, one(t, objs, "ClusterRole", managerRole)) {
				if strings.HasPrefix(r, "admissionregistration.k8s.io/") {
					got = append(got, r)
				}
			}
			hooks := "admissionregistration.k8s.io/validatingwebhookconfigurations:"
			if want := []string{hooks + "list", hooks + "update@ackguard-validating-webhook-configuration", hooks + "watch"}; !slices.Equal(got, want) {
				t.Errorf("%s %s grants %v on webhook configurations, want %v", vf, managerRole, got, want)
			}
		}
		// What the webhook still reads admission only: the guarded
		// kinds (objects a spec refers to), policies, exceptions,
		// namespaces.
		if admissionOnly {
			got := ruleSet(t, one(t, objs, "ClusterRole", managerRole))
			for _, want := range []string{"s3.services.k8s.aws/buckets:watch", "policy.ackguard.dev/guardrailexceptions:watch", "policy.ackguard.dev/guardrailpolicies:list", "/namespaces:watch"} {
				if !slices.Contains(got, want) {
					t.Errorf("%s %s: admission only, the manager lacks %s (grants %v)", vf, managerRole, want, got)
				}
			}
		}
	}
	if admissionOnlyRenders < 3 {
		t.Errorf("only %d renders run admission only", admissionOnlyRenders)
	}
}

// ownCRDs are the names of ackguard's own CRDs (charts/ackguard/crds), as
// ruleSet qualifies a rule with its resourceNames.
const ownCRDs = "guardrailexceptions.policy.ackguard.dev,guardrailpolicies.policy.ackguard.dev"

// withoutHooks drops Helm hook objects (helm.sh/hook).
func withoutHooks(objs []*unstructured.Unstructured) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetAnnotations()["helm.sh/hook"] == "" {
			out = append(out, o)
		}
	}
	return out
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
