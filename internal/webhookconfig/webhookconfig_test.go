package webhookconfig

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/ackguard/ackguard/internal/rules"
)

func TestPlural(t *testing.T) {
	for kind, want := range map[string]string{
		"Bucket": "buckets", "Policy": "policies", "DBInstance": "dbinstances", "Alias": "aliases",
		"SecurityGroup": "securitygroups", "FunctionURLConfig": "functionurlconfigs", "Key": "keys",
	} {
		if got := Plural(kind); got != want {
			t.Errorf("Plural(%s) = %s, want %s", kind, got, want)
		}
	}
}

func TestValidatingDefaults(t *testing.T) {
	cfg := Validating(rules.Default(), Options{ExcludedNamespaces: []string{"ackguard-system"}})
	w := cfg.Webhooks[0]
	if *w.FailurePolicy != admissionregistrationv1.Fail || *w.TimeoutSeconds != 3 || *w.SideEffects != admissionregistrationv1.SideEffectClassNone {
		t.Errorf("defaults: %v %v %v", *w.FailurePolicy, *w.TimeoutSeconds, *w.SideEffects)
	}
	if !slices.Equal(w.AdmissionReviewVersions, []string{"v1"}) {
		t.Errorf("review versions %v", w.AdmissionReviewVersions)
	}
	excluded := w.NamespaceSelector.MatchExpressions[0].Values
	if !slices.Contains(excluded, "kube-system") || !slices.Contains(excluded, "ackguard-system") {
		t.Errorf("excluded namespaces %v", excluded)
	}
	// The reconciler applies exceptions in the namespaces the ACK webhook
	// skips: the governance webhook (failing open) validates them there.
	if gov := cfg.Webhooks[1]; gov.Name != GovernanceWebhookName || gov.NamespaceSelector != nil || *gov.FailurePolicy != admissionregistrationv1.Ignore {
		t.Errorf("governance webhook %s: namespace selector %v, failure policy %v; want none, Ignore", gov.Name, gov.NamespaceSelector, *gov.FailurePolicy)
	}
	for _, r := range w.Rules {
		if slices.Contains(r.Operations, admissionregistrationv1.Delete) {
			t.Error("DELETE must not be sent to the webhook")
		}
		for _, res := range r.Resources {
			if strings.Contains(res, "/") || strings.Contains(res, "*") {
				t.Errorf("rule names %q: subresources and wildcards are never judged", res)
			}
		}
	}
}

// The shipped configuration must send exactly the guarded kinds to the
// webhook, and the manager's ClusterRole must let it watch and patch them —
// and nothing more.
func TestConfigMatchesRegistry(t *testing.T) {
	reg := rules.Default()
	var want []schema.GroupResource
	for _, gk := range reg.Kinds() {
		want = append(want, schema.GroupResource{Group: gk.Group, Resource: Plural(gk.Kind)})
	}
	guarded := slices.Clone(want)
	for _, r := range GovernanceResources {
		want = append(want, schema.GroupResource{Group: GovernanceGroup, Resource: r})
	}

	data, err := os.ReadFile(filepath.Join("..", "..", "config", "webhook", "manifests.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	shipped := &admissionregistrationv1.ValidatingWebhookConfiguration{}
	if err := yaml.UnmarshalStrict(stripDocSeparator(data), shipped); err != nil {
		t.Fatal(err)
	}
	byName := func(a, b schema.GroupResource) int { return strings.Compare(a.String(), b.String()) }
	slices.SortFunc(want, byName)
	got := GroupKinds(shipped)
	slices.SortFunc(got, byName)
	if !slices.Equal(got, want) {
		t.Errorf("config/webhook/manifests.yaml sends %v, registry guards %v (run make manifests)", got, want)
	}

	data, err = os.ReadFile(filepath.Join("..", "..", "config", "rbac", "role.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	role := &rbacv1.ClusterRole{}
	if err := yaml.UnmarshalStrict(data, role); err != nil {
		t.Fatal(err)
	}
	granted := map[schema.GroupResource][]string{}
	for _, r := range role.Rules {
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				if g == "*" || res == "*" || slices.Contains(r.Verbs, "*") {
					t.Errorf("wildcard in rule %+v", r)
				}
				if res == "secrets" {
					t.Errorf("the manager must not read Secrets: %+v", r)
				}
				for _, v := range []string{"escalate", "bind", "impersonate", "delete", "deletecollection"} {
					if slices.Contains(r.Verbs, v) {
						t.Errorf("verb %s granted on %s/%s", v, g, res)
					}
				}
				granted[schema.GroupResource{Group: g, Resource: res}] = r.Verbs
			}
		}
	}
	for _, gr := range guarded {
		verbs := granted[gr]
		slices.Sort(verbs)
		if !slices.Equal(verbs, []string{"get", "list", "patch", "watch"}) {
			t.Errorf("%s: verbs %v, want exactly get, list, watch, patch", gr, verbs)
		}
	}
}

func stripDocSeparator(b []byte) []byte {
	s := string(b)
	if i := strings.Index(s, "\n---\n"); i >= 0 {
		s = s[i+5:]
	}
	return []byte(s)
}
