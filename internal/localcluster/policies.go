package localcluster

import (
	"context"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ackguard/ackguard/api/v1alpha1"
	"github.com/ackguard/ackguard/internal/governance"
	"github.com/ackguard/ackguard/internal/rules"
)

// TestScopeLabel marks namespaces whose objects tests judge with their own
// policies; ScopedBaseline leaves them out.
const TestScopeLabel = "ackguard.dev/governance-test"

// ScopedBaseline returns the baseline policy under another name, selecting
// every namespace without TestScopeLabel: a test that installs policies
// installs it too, so the other tests' objects are judged as before.
func ScopedBaseline(name string) *v1alpha1.GuardrailPolicy {
	base := governance.Baseline(rules.Default())
	base.Name = name
	base.Spec.Match.NamespaceSelector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{
		Key: TestScopeLabel, Operator: metav1.LabelSelectorOpDoesNotExist,
	}}}
	return &base
}

// Policy returns a policy selecting the namespaces with the labels, with
// the rules' actions and the catalog's defaults for the others.
func Policy(name string, nsLabels map[string]string, actions map[string]v1alpha1.Action) *v1alpha1.GuardrailPolicy {
	p := &v1alpha1.GuardrailPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1alpha1.GuardrailPolicySpec{
			DefaultAction: v1alpha1.CatalogDefault,
			Match:         v1alpha1.Match{NamespaceSelector: &metav1.LabelSelector{MatchLabels: nsLabels}},
		},
	}
	for id, a := range actions {
		p.Spec.Rules = append(p.Spec.Rules, v1alpha1.RuleAction{ID: id, Action: a})
	}
	return p
}

// TB is the part of testing.TB the helpers below use.
type TB interface {
	Helper()
	Name() string
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// WithPolicies creates the policies, and a ScopedBaseline so the other
// tests' objects keep being judged as before, and deletes them when the
// test ends.
func (c *Cluster) WithPolicies(ctx context.Context, t TB, policies ...*v1alpha1.GuardrailPolicy) {
	t.Helper()
	base := ScopedBaseline("scoped-baseline-" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-")))
	all := append([]*v1alpha1.GuardrailPolicy{base}, policies...)
	for _, p := range all {
		if err := c.Client.Create(ctx, p); err != nil {
			t.Fatalf("creating policy %s: %v", p.Name, err)
		}
	}
	t.Cleanup(func() {
		for i := len(all) - 1; i >= 0; i-- {
			_ = c.Client.Delete(context.Background(), all[i])
		}
	})
}

// ScopedNamespace creates a namespace, labelled TestScopeLabel and with the
// labels, that only the test's own policies select.
func (c *Cluster) ScopedNamespace(ctx context.Context, t TB, labels map[string]string) string {
	t.Helper()
	l := map[string]string{TestScopeLabel: "true"}
	for k, v := range labels {
		l[k] = v
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "gov-", Labels: l}}
	if err := c.Client.Create(ctx, ns); err != nil {
		t.Fatalf("creating a namespace: %v", err)
	}
	return ns.Name
}
