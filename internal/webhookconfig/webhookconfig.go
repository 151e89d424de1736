// Package webhookconfig builds ackguard's ValidatingWebhookConfiguration
// from the rule registry, so the kinds the webhook is called for are exactly
// the kinds the engine guards. The demo and the integration tests register
// it by URL; config/ and the chart carry the same rules (checked by tests).
package webhookconfig

import (
	"sort"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/view"
)

// Name of the configuration and of its webhook.
const (
	Name        = "ackguard-validating-webhook-configuration"
	WebhookName = "validate.ack.ackguard.dev"
	// GovernanceWebhookName validates ackguard's own GuardrailPolicy and
	// GuardrailException objects.
	GovernanceWebhookName = "validate.policy.ackguard.dev"
)

// GovernanceGroup and GovernanceResources are what the governance webhook
// is called for.
var (
	GovernanceGroup     = "policy.ackguard.dev"
	GovernanceResources = []string{"guardrailexceptions", "guardrailpolicies"}
)

// Options shape the configuration.
type Options struct {
	// ClientConfig reaches the ACK webhook; GovernanceClientConfig the
	// governance webhook (the same server, another path).
	ClientConfig           admissionregistrationv1.WebhookClientConfig
	GovernanceClientConfig admissionregistrationv1.WebhookClientConfig
	FailurePolicy          admissionregistrationv1.FailurePolicyType // default Fail
	// TimeoutSeconds defaults to 3.
	TimeoutSeconds int32
	// ExcludedNamespaces are never sent to the ACK webhook; kube-system
	// is always excluded. The governance webhook sees every namespace:
	// the reconciler applies the exceptions of these namespaces too, and
	// the governance webhook fails open, so it cannot lock them.
	ExcludedNamespaces []string
}

// Plural returns the resource name of an ACK kind (Bucket → buckets,
// Policy → policies).
func Plural(kind string) string {
	k := strings.ToLower(kind)
	switch {
	case strings.HasSuffix(k, "y") && !strings.HasSuffix(k, "ey"):
		return k[:len(k)-1] + "ies"
	case strings.HasSuffix(k, "s"):
		return k + "es"
	}
	return k + "s"
}

// Rules returns one admission rule per API group, listing the guarded
// resources at v1alpha1 for CREATE and UPDATE (never DELETE, and no
// subresources such as status).
func Rules(r *rules.Registry) []admissionregistrationv1.RuleWithOperations {
	byGroup := map[string][]string{}
	var groups []string
	for _, gk := range r.Kinds() {
		if _, seen := byGroup[gk.Group]; !seen {
			groups = append(groups, gk.Group)
		}
		byGroup[gk.Group] = append(byGroup[gk.Group], Plural(gk.Kind))
	}
	// Sorted, so the generated manifests do not change with registry order.
	sort.Strings(groups)
	scope := admissionregistrationv1.NamespacedScope
	out := make([]admissionregistrationv1.RuleWithOperations, 0, len(groups))
	for _, g := range groups {
		sort.Strings(byGroup[g])
		out = append(out, admissionregistrationv1.RuleWithOperations{
			Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
			Rule: admissionregistrationv1.Rule{
				APIGroups: []string{g}, APIVersions: []string{"v1alpha1"}, Resources: byGroup[g], Scope: &scope,
			},
		})
	}
	return out
}

// JudgedChange is the match condition that skips UPDATEs leaving the
// spec and the adoption policy as they were (labels, other annotations,
// finalizers, ACK's own bookkeeping): they introduce nothing to judge, and
// skipping them keeps the webhook off the path of the cluster healing
// itself. An UPDATE that changes services.k8s.aws/adoption-policy alone
// is sent: lifting "adopt" asks ACK to create the resource from a spec
// admitted only as a placeholder, and the engine judges it as a creation.
const JudgedChange = "request.operation != 'UPDATE' || !has(object.spec) || !has(oldObject.spec) || object.spec != oldObject.spec || " +
	"(has(object.metadata.annotations) && '" + view.AnnotationAdoptionPolicy + "' in object.metadata.annotations ? object.metadata.annotations['" + view.AnnotationAdoptionPolicy + "'] : '') != " +
	"(has(oldObject.metadata.annotations) && '" + view.AnnotationAdoptionPolicy + "' in oldObject.metadata.annotations ? oldObject.metadata.annotations['" + view.AnnotationAdoptionPolicy + "'] : '')"

// JudgedChangeName names the JudgedChange match condition.
const JudgedChangeName = "judged-change"

// JudgesUpdate reports whether JudgedChange sends the webhook an UPDATE
// from old to obj: one that changes the spec or the adoption policy (or
// where either object has no spec). ackguard scan uses it to judge a
// change as the cluster does: an UPDATE the webhook never sees is
// admitted without a word.
func JudgesUpdate(old, obj map[string]any) bool {
	oldSpec, hadSpec := old["spec"]
	spec, hasSpec := obj["spec"]
	if !hadSpec || !hasSpec || !equality.Semantic.DeepEqual(spec, oldSpec) {
		return true
	}
	return view.AdoptionPolicy(obj) != view.AdoptionPolicy(old)
}

// Validating returns the configuration.
func Validating(r *rules.Registry, opts Options) *admissionregistrationv1.ValidatingWebhookConfiguration {
	fp := opts.FailurePolicy
	if fp == "" {
		fp = admissionregistrationv1.Fail
	}
	timeout := opts.TimeoutSeconds
	if timeout == 0 {
		timeout = 3
	}
	sideEffects := admissionregistrationv1.SideEffectClassNone
	matchPolicy := admissionregistrationv1.Equivalent
	excluded := append([]string{"kube-system"}, opts.ExcludedNamespaces...)
	nsSel := &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{
		Key: "kubernetes.io/metadata.name", Operator: metav1.LabelSelectorOpNotIn, Values: excluded,
	}}}
	anyScope := admissionregistrationv1.AllScopes
	// The governance webhook fails open: with ackguard down, admins can
	// still change or remove policies and exceptions, and the engine
	// checks again at use what the webhook checks.
	ignore := admissionregistrationv1.Ignore
	return &admissionregistrationv1.ValidatingWebhookConfiguration{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingWebhookConfiguration"},
		ObjectMeta: metav1.ObjectMeta{Name: Name},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{
			Name:                    WebhookName,
			ClientConfig:            opts.ClientConfig,
			Rules:                   Rules(r),
			FailurePolicy:           &fp,
			MatchPolicy:             &matchPolicy,
			SideEffects:             &sideEffects,
			TimeoutSeconds:          &timeout,
			AdmissionReviewVersions: []string{"v1"},
			MatchConditions:         []admissionregistrationv1.MatchCondition{{Name: JudgedChangeName, Expression: JudgedChange}},
			NamespaceSelector:       nsSel,
		}, {
			// Policies and exceptions: rule IDs, kinds and selectors that
			// exist, a reason, an expiry within the policies' maximum.
			Name:         GovernanceWebhookName,
			ClientConfig: opts.GovernanceClientConfig,
			Rules: []admissionregistrationv1.RuleWithOperations{{
				Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
				Rule: admissionregistrationv1.Rule{
					APIGroups: []string{GovernanceGroup}, APIVersions: []string{"v1alpha1"},
					Resources: GovernanceResources, Scope: &anyScope,
				},
			}},
			FailurePolicy:           &ignore,
			MatchPolicy:             &matchPolicy,
			SideEffects:             &sideEffects,
			TimeoutSeconds:          &timeout,
			AdmissionReviewVersions: []string{"v1"},
			MatchConditions:         []admissionregistrationv1.MatchCondition{{Name: JudgedChangeName, Expression: JudgedChange}},
			// No namespace selector: exceptions in the namespaces the ACK
			// webhook skips still exempt what the reconciler judges there.
		}},
	}
}

// GroupKinds lists what a configuration's rules send to the webhook, for
// comparisons with the registry.
func GroupKinds(cfg *admissionregistrationv1.ValidatingWebhookConfiguration) []schema.GroupResource {
	var out []schema.GroupResource
	for _, w := range cfg.Webhooks {
		for _, rule := range w.Rules {
			for _, g := range rule.APIGroups {
				for _, res := range rule.Resources {
					out = append(out, schema.GroupResource{Group: g, Resource: res})
				}
			}
		}
	}
	return out
}
