package governance

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/ackguard/ackguard/api/v1alpha1"
	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/rules/rulestest"
	"github.com/ackguard/ackguard/internal/view"
)

// reg is the registry every test judges with.
var reg = rules.Default()

// t0 is the "now" of every test.
var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

// Kinds and groups used throughout.
var (
	bucketGK = view.BucketGVK.GroupKind()
	sgGK     = view.SecurityGroupGVK.GroupKind()
	dbGK     = view.DBInstanceGVK.GroupKind()
	roleGK   = view.RoleGVK.GroupKind()
)

// ---- objects ----

// ackObj builds an ACK object of the given kind.
func ackObj(gvk schema.GroupVersionKind, ns, name string, labels map[string]string, spec map[string]any) map[string]any {
	md := map[string]any{"name": name}
	if ns != "" {
		md["namespace"] = ns
	}
	if labels != nil {
		l := map[string]any{}
		for k, v := range labels {
			l[k] = v
		}
		md["labels"] = l
	}
	return map[string]any{
		"apiVersion": gvk.GroupVersion().String(),
		"kind":       gvk.Kind,
		"metadata":   md,
		"spec":       spec,
	}
}

// insecureBucket is a bucket with a name and the fields of the warn/audit
// hygiene rules (S3-008 … S3-011) alone: it fails S3-001 (deny/fix,
// Enforce) and S3-006 (warn/fix, Remediate) and nothing else on by
// default.
func insecureBucket(ns, name string, labels map[string]string) map[string]any {
	spec := rulestest.BucketHygiene()
	spec["name"] = name
	return ackObj(view.BucketGVK, ns, name, labels, spec)
}

// tlsOnly is the bucket policy S3-006 asks for.
func tlsOnly(bucket string, extra ...string) string {
	st := append([]string{`{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::` +
		bucket + `","arn:aws:s3:::` + bucket + `/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}`}, extra...)
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(st, ",") + `]}`
}

// secureBucketSpec is a spec every bucket rule on by default passes.
func secureBucketSpec(name string) map[string]any {
	spec := rulestest.BucketHygiene()
	spec["name"] = name
	spec["publicAccessBlock"] = map[string]any{
		"blockPublicACLs": true, "ignorePublicACLs": true, "blockPublicPolicy": true, "restrictPublicBuckets": true,
	}
	spec["policy"] = tlsOnly(name)
	spec["ownershipControls"] = map[string]any{"rules": []any{map[string]any{"objectOwnership": "BucketOwnerEnforced"}}}
	return spec
}

func secureBucket(ns, name string, labels map[string]string) map[string]any {
	return ackObj(view.BucketGVK, ns, name, labels, secureBucketSpec(name))
}

// bucketWith is a secure bucket with the given spec fields replaced (nil
// deletes).
func bucketWith(ns, name string, kv ...any) map[string]any {
	spec := secureBucketSpec(name)
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(spec, kv[i].(string))
			continue
		}
		spec[kv[i].(string)] = kv[i+1]
	}
	return ackObj(view.BucketGVK, ns, name, nil, spec)
}

// secureDBSpec is a standalone PostgreSQL DBInstance every RDS rule passes.
var secureDBSpec = rulestest.SecureDBInstanceSpec

// dbInstance is a secure DBInstance with the given spec fields replaced.
func dbInstance(ns, name string, kv ...any) map[string]any {
	spec := secureDBSpec()
	for i := 0; i < len(kv); i += 2 {
		spec[kv[i].(string)] = kv[i+1]
	}
	return ackObj(view.DBInstanceGVK, ns, name, nil, spec)
}

// securityGroup has one described ingress rule: tcp port from the CIDR.
func securityGroup(ns, name string, port int64, cidr string) map[string]any {
	return ackObj(view.SecurityGroupGVK, ns, name, nil, map[string]any{
		"name":        name,
		"description": "web servers",
		"vpcID":       "vpc-0abc",
		"ingressRules": []any{map[string]any{
			"ipProtocol": "tcp", "fromPort": port, "toPort": port,
			"ipRanges": []any{map[string]any{"cidrIP": cidr, "description": "range " + cidr}},
		}},
		"egressRules": []any{map[string]any{
			"ipProtocol": "tcp", "fromPort": int64(443), "toPort": int64(443),
			"ipRanges": []any{map[string]any{"cidrIP": "0.0.0.0/0", "description": "https out"}},
		}},
	})
}

// ---- namespaces ----

func nsOf(name string, kv ...string) Namespace {
	n := Namespace{Name: name}
	if len(kv) > 0 {
		n.Labels = map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			n.Labels[kv[i]] = kv[i+1]
		}
	}
	return n
}

// ---- policies ----

type policyOpt func(*v1alpha1.GuardrailPolicy)

func policy(name string, opts ...policyOpt) v1alpha1.GuardrailPolicy {
	p := v1alpha1.GuardrailPolicy{ObjectMeta: metav1.ObjectMeta{Name: name}}
	for _, o := range opts {
		o(&p)
	}
	return p
}

// rule sets the action of one rule.
func rule(id string, a v1alpha1.Action) policyOpt {
	return func(p *v1alpha1.GuardrailPolicy) {
		p.Spec.Rules = append(p.Spec.Rules, v1alpha1.RuleAction{ID: id, Action: a})
	}
}

func defaultAction(a v1alpha1.DefaultAction) policyOpt {
	return func(p *v1alpha1.GuardrailPolicy) { p.Spec.DefaultAction = a }
}

func kinds(gks ...schema.GroupKind) policyOpt {
	return func(p *v1alpha1.GuardrailPolicy) {
		for _, gk := range gks {
			p.Spec.Match.Kinds = append(p.Spec.Match.Kinds, v1alpha1.KindRef{APIGroup: gk.Group, Kind: gk.Kind})
		}
	}
}

func nsLabels(kv ...string) policyOpt {
	return func(p *v1alpha1.GuardrailPolicy) { p.Spec.Match.NamespaceSelector = matchLabels(kv...) }
}

func objLabels(kv ...string) policyOpt {
	return func(p *v1alpha1.GuardrailPolicy) { p.Spec.Match.Selector = matchLabels(kv...) }
}

func nsSelector(s *metav1.LabelSelector) policyOpt {
	return func(p *v1alpha1.GuardrailPolicy) { p.Spec.Match.NamespaceSelector = s }
}

func objSelector(s *metav1.LabelSelector) policyOpt {
	return func(p *v1alpha1.GuardrailPolicy) { p.Spec.Match.Selector = s }
}

func maxDuration(d time.Duration) policyOpt {
	return func(p *v1alpha1.GuardrailPolicy) {
		p.Spec.Exceptions.MaxDuration = &metav1.Duration{Duration: d}
	}
}

func params(pr v1alpha1.Parameters) policyOpt {
	return func(p *v1alpha1.GuardrailPolicy) { p.Spec.Parameters = pr }
}

func matchLabels(kv ...string) *metav1.LabelSelector {
	s := &metav1.LabelSelector{MatchLabels: map[string]string{}}
	for i := 0; i < len(kv); i += 2 {
		s.MatchLabels[kv[i]] = kv[i+1]
	}
	return s
}

// badSelector is a label selector the API machinery refuses.
func badSelector() *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
		{Key: "env", Operator: "Sometimes", Values: []string{"x"}},
	}}
}

func policies(ps ...v1alpha1.GuardrailPolicy) []v1alpha1.GuardrailPolicy { return ps }

// ---- exceptions ----

type exceptionOpt func(*v1alpha1.GuardrailException)

// exception exempts the bucket named name in ns from the rules until
// expires; it was created a day before t0.
func exception(ns, name string, ruleIDs []string, expires time.Time, opts ...exceptionOpt) v1alpha1.GuardrailException {
	ex := v1alpha1.GuardrailException{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: ns, Name: "ex-" + name,
			CreationTimestamp: metav1.NewTime(t0.Add(-day)),
		},
		Spec: v1alpha1.GuardrailExceptionSpec{
			Rules:     ruleIDs,
			Resources: []v1alpha1.ResourceRef{{APIGroup: bucketGK.Group, Kind: bucketGK.Kind, Name: name}},
			Reason:    "TICKET-42: legacy bucket",
			ExpiresAt: metav1.NewTime(expires),
		},
	}
	for _, o := range opts {
		o(&ex)
	}
	return ex
}

func exName(n string) exceptionOpt {
	return func(ex *v1alpha1.GuardrailException) { ex.Name = n }
}

func created(at time.Time) exceptionOpt {
	return func(ex *v1alpha1.GuardrailException) { ex.CreationTimestamp = metav1.NewTime(at) }
}

func resources(rs ...v1alpha1.ResourceRef) exceptionOpt {
	return func(ex *v1alpha1.GuardrailException) { ex.Spec.Resources = rs }
}

func reason(r string) exceptionOpt {
	return func(ex *v1alpha1.GuardrailException) { ex.Spec.Reason = r }
}

func byName(gk schema.GroupKind, name string) v1alpha1.ResourceRef {
	return v1alpha1.ResourceRef{APIGroup: gk.Group, Kind: gk.Kind, Name: name}
}

func bySelector(gk schema.GroupKind, s *metav1.LabelSelector) v1alpha1.ResourceRef {
	return v1alpha1.ResourceRef{APIGroup: gk.Group, Kind: gk.Kind, Selector: s}
}

func exceptions(es ...v1alpha1.GuardrailException) []v1alpha1.GuardrailException { return es }

// ---- judgements ----

// result returns the judgement's result for the rule, or nil.
func result(j *Judgement, ruleID string) *Result {
	for i := range j.Results {
		if j.Results[i].RuleID == ruleID {
			return &j.Results[i]
		}
	}
	return nil
}

// resultIDs returns the rule IDs of the results, in order.
func resultIDs(j *Judgement) []string {
	var out []string
	for _, r := range j.Results {
		out = append(out, r.RuleID)
	}
	return out
}

// passedIDs returns the IDs of the passed rules, in order.
func passedIDs(j *Judgement) []string {
	var out []string
	for _, r := range j.Passed {
		out = append(out, r.Rule.ID)
	}
	return out
}

// passedBy returns the policy that enabled a passed rule, and whether it
// passed.
func passedBy(j *Judgement, ruleID string) (string, bool) {
	for _, r := range j.Passed {
		if r.Rule.ID == ruleID {
			return r.Policy, true
		}
	}
	return "", false
}

// expect is what one rule's result must be; zero fields are not checked
// except where noted.
type expect struct {
	rule      string
	absent    bool // the rule must have no result
	admission Admission
	fix       bool
	action    v1alpha1.Action
	admPolicy string
	fixPolicy string
	exception string // name of the exempting exception ("" = none)
}

func (e expect) String() string { return fmt.Sprintf("%+v", struct{ expect }{e}) }

// checkResult compares a judgement's result for one rule with want:
// Admission, Fix, Action, both policy names and the exception are all
// compared.
func checkResult(t *testing.T, j *Judgement, want expect) {
	t.Helper()
	got := result(j, want.rule)
	if want.absent {
		if got != nil {
			t.Errorf("%s: unexpected result %+v", want.rule, *got)
		}
		return
	}
	if got == nil {
		t.Errorf("%s: no result; results %v", want.rule, resultIDs(j))
		return
	}
	if got.Admission != want.admission || got.Fix != want.fix || got.Action != want.action ||
		got.AdmissionPolicy != want.admPolicy || got.FixPolicy != want.fixPolicy {
		t.Errorf("%s: got admission=%d fix=%v action=%s admPolicy=%q fixPolicy=%q\nwant admission=%d fix=%v action=%s admPolicy=%q fixPolicy=%q",
			want.rule, got.Admission, got.Fix, got.Action, got.AdmissionPolicy, got.FixPolicy,
			want.admission, want.fix, want.action, want.admPolicy, want.fixPolicy)
	}
	gotEx := ""
	if got.Exception != nil {
		gotEx = got.Exception.Name
	}
	if gotEx != want.exception {
		t.Errorf("%s: exception %q, want %q", want.rule, gotEx, want.exception)
	}
	wantDenies := want.exception == "" && want.admission == DenyAdmission
	if got.Denies() != wantDenies {
		t.Errorf("%s: Denies() = %v, want %v", want.rule, got.Denies(), wantDenies)
	}
}

// Shorthands for expected results.
func enforced(id, pol string) expect {
	return expect{rule: id, admission: DenyAdmission, fix: true, action: v1alpha1.Enforce, admPolicy: pol, fixPolicy: pol}
}

func denied(id, pol string) expect {
	return expect{rule: id, admission: DenyAdmission, action: v1alpha1.Deny, admPolicy: pol}
}

func remediated(id, pol string) expect {
	return expect{rule: id, admission: AdmitWithWarning, fix: true, action: v1alpha1.Remediate, admPolicy: pol, fixPolicy: pol}
}

func audited(id, pol string) expect {
	return expect{rule: id, admission: AdmitWithWarning, action: v1alpha1.Audit, admPolicy: pol}
}

func absent(id string) expect { return expect{rule: id, absent: true} }

// ruleIDsFor returns the IDs of the registry's rules on by default for a
// kind.
func ruleIDsFor(gk schema.GroupKind) []string {
	var out []string
	for _, r := range reg.RulesFor(gk) {
		if r.OnByDefault() {
			out = append(out, r.ID)
		}
	}
	return out
}

// without returns ids minus the given ones.
func without(ids []string, drop ...string) []string {
	var out []string
	for _, id := range ids {
		if !slices.Contains(drop, id) {
			out = append(out, id)
		}
	}
	return out
}

// hasProblem reports whether some problem contains every substring.
func hasProblem(problems []string, subs ...string) bool {
	for _, p := range problems {
		ok := true
		for _, s := range subs {
			if !strings.Contains(p, s) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// fixMinimums returns the RDS-005 minimums of the configurations the
// rule's fix runs under, in order.
func fixMinimums(j *Judgement, ruleID string) []int64 {
	var out []int64
	for _, c := range j.FixConfigs(ruleID) {
		out = append(out, c.MinBackupRetentionDays)
	}
	return out
}
