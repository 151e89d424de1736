package govsource

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/ackguard/ackguard/api/v1alpha1"
	"github.com/ackguard/ackguard/internal/benchcpu"
	"github.com/ackguard/ackguard/internal/governance"
	"github.com/ackguard/ackguard/internal/rules/rulestest"
	"github.com/ackguard/ackguard/internal/view"
)

// The cluster of the scale benchmarks: the judged Bucket team-a/b (labels
// env=dev), the few policies and exceptions that apply to it, and the
// many that do not.

const (
	scaleNS       = "team-a"
	s3Controller  = "system:serviceaccount:ack-system:ack-s3-controller"
	scaleUser     = "alice"
	scaleDay      = 24 * time.Hour
	scaleExpiries = 7 * scaleDay
)

var (
	bucketGK = view.BucketGVK.GroupKind()
	sgGK     = view.SecurityGroupGVK.GroupKind()
	dbGK     = view.DBInstanceGVK.GroupKind()
	roleGK   = view.RoleGVK.GroupKind()
)

func kindRefs(gks ...schema.GroupKind) []v1alpha1.KindRef {
	refs := make([]v1alpha1.KindRef, 0, len(gks))
	for _, gk := range gks {
		refs = append(refs, v1alpha1.KindRef{APIGroup: gk.Group, Kind: gk.Kind})
	}
	return refs
}

func labelSelector(k, v string) *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchLabels: map[string]string{k: v}}
}

func scalePolicy(name string, match v1alpha1.Match, ruleActions ...v1alpha1.RuleAction) *v1alpha1.GuardrailPolicy {
	return &v1alpha1.GuardrailPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID("uid-" + name), Generation: 1},
		Spec:       v1alpha1.GuardrailPolicySpec{Match: match, Rules: ruleActions},
	}
}

// selectingPolicies are the four policies that select the judged Bucket:
// every guarded object, team a's namespaces (S3-001 audited, exceptions
// of 30 days at most), objects labelled env=dev (S3-006 enforced with an
// owner account: a second parameter set) and the Buckets of teams a and b.
func selectingPolicies() []*v1alpha1.GuardrailPolicy {
	teamA := scalePolicy("team-a", v1alpha1.Match{NamespaceSelector: labelSelector("team", "a")},
		v1alpha1.RuleAction{ID: "S3-001", Action: v1alpha1.Audit})
	teamA.Spec.Exceptions.MaxDuration = &metav1.Duration{Duration: 30 * scaleDay}
	dev := scalePolicy("dev", v1alpha1.Match{Selector: labelSelector("env", "dev")},
		v1alpha1.RuleAction{ID: "S3-006", Action: v1alpha1.Enforce})
	dev.Spec.Parameters.OwnerAccounts = []string{"111122223333"}
	return []*v1alpha1.GuardrailPolicy{
		scalePolicy("all", v1alpha1.Match{}),
		teamA,
		dev,
		scalePolicy("buckets-a-b", v1alpha1.Match{Kinds: kindRefs(bucketGK), NamespaceSelector: &metav1.LabelSelector{
			MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "team", Operator: metav1.LabelSelectorOpIn, Values: []string{"a", "b"}}},
		}}),
	}
}

// scalePolicies are the selecting policies among others that select the
// judged Bucket's kind elsewhere, other kinds, other namespaces or
// objects with other labels: n in all. With byLabelsAlone, one in ten of
// them selects Buckets by their labels alone, in every namespace: those
// are candidates for the judged Bucket until its labels are matched.
func scalePolicies(n int, byLabelsAlone bool) []*v1alpha1.GuardrailPolicy {
	pols := selectingPolicies()
	for i := len(pols); i < n; i++ {
		name := fmt.Sprintf("p-%04d", i)
		team := fmt.Sprintf("t-%d", i%300)
		var p *v1alpha1.GuardrailPolicy
		switch i % 5 {
		case 0: // another kind, every namespace
			p = scalePolicy(name, v1alpha1.Match{Kinds: kindRefs(sgGK)}, v1alpha1.RuleAction{ID: "EC2-004", Action: v1alpha1.Enforce})
		case 1: // other kinds in another team's namespaces
			p = scalePolicy(name, v1alpha1.Match{Kinds: kindRefs(dbGK, roleGK), NamespaceSelector: labelSelector("team", team)})
		case 2: // Buckets in another team's namespaces
			p = scalePolicy(name, v1alpha1.Match{Kinds: kindRefs(bucketGK), NamespaceSelector: labelSelector("team", team)},
				v1alpha1.RuleAction{ID: "S3-001", Action: v1alpha1.Deny})
			p.Spec.Exceptions.MaxDuration = &metav1.Duration{Duration: 10 * scaleDay}
		case 3: // any kind in one other namespace
			p = scalePolicy(name, v1alpha1.Match{NamespaceSelector: labelSelector("kubernetes.io/metadata.name", fmt.Sprintf("ns-%04d", i))})
			p.Spec.Parameters.OwnerAccounts = []string{fmt.Sprintf("%012d", i)}
		default: // Buckets with other labels in another team's namespaces (or in any)
			nsSel := labelSelector("team", team)
			if byLabelsAlone && i%10 == 9 {
				nsSel = nil
			}
			p = scalePolicy(name, v1alpha1.Match{Kinds: kindRefs(bucketGK), NamespaceSelector: nsSel,
				Selector: labelSelector("app", fmt.Sprintf("app-%d", i))}, v1alpha1.RuleAction{ID: "S3-006", Action: v1alpha1.Audit})
		}
		pols = append(pols, p)
	}
	return pols
}

// nsExceptions are five exceptions in ns: for another Bucket, for Buckets
// labelled with another env, for the Bucket b from another rule, for a
// Role named b, and one exempting the Bucket b from S3-006.
func nsExceptions(ns string) []*v1alpha1.GuardrailException {
	ex := func(name string, ruleIDs []string, ref v1alpha1.ResourceRef) *v1alpha1.GuardrailException {
		return &v1alpha1.GuardrailException{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID(ns + "/" + name), Generation: 1,
				CreationTimestamp: metav1.NewTime(t0.Add(-scaleDay))},
			Spec: v1alpha1.GuardrailExceptionSpec{
				Rules: ruleIDs, Resources: []v1alpha1.ResourceRef{ref},
				Reason: "TICKET-42: legacy bucket", ExpiresAt: metav1.NewTime(t0.Add(scaleExpiries)),
			},
		}
	}
	bucketRef := func(name string) v1alpha1.ResourceRef {
		return v1alpha1.ResourceRef{APIGroup: bucketGK.Group, Kind: bucketGK.Kind, Name: name}
	}
	return []*v1alpha1.GuardrailException{
		ex("other-bucket", []string{"S3-001", "S3-006"}, bucketRef("legacy")),
		ex("prod-buckets", []string{"S3-001"}, v1alpha1.ResourceRef{APIGroup: bucketGK.Group, Kind: bucketGK.Kind, Selector: labelSelector("env", "prod")}),
		ex("b-other-rule", []string{"S3-005"}, bucketRef("b")),
		ex("role-b", []string{"IAM-001"}, v1alpha1.ResourceRef{APIGroup: roleGK.Group, Kind: roleGK.Kind, Name: "b"}),
		ex("b-tls", []string{"S3-006"}, bucketRef("b")),
	}
}

// scaleCluster is a snapshot fed as the cache feeds it (stored, then
// marked, as the informers do), synced, and the Source the webhook
// judges through.
type scaleCluster struct {
	snap  *Snapshot
	store memStore
	src   *Source
}

// newScaleCluster feeds a snapshot with the policies and with n
// exceptions: five in the judged Bucket's namespace, the others five to
// a namespace in namespaces ns-0001, ns-0002, … (labelled with 300
// teams other than a).
func newScaleCluster(pols []*v1alpha1.GuardrailPolicy, n int) *scaleCluster {
	d := governance.Defaults{ACKControllers: []string{s3Controller}}
	c := &scaleCluster{snap: NewSnapshot(registry, d), store: memStore{}}
	c.snap.reader = c.store
	c.store.put(c.snap, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: scaleNS, Labels: map[string]string{"team": "a"}}})
	exs := nsExceptions(scaleNS)
	for i := 1; len(exs) < n; i++ {
		ns := fmt.Sprintf("ns-%04d", i)
		c.store.put(c.snap, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: map[string]string{"team": fmt.Sprintf("t-%d", i%300)}}})
		exs = append(exs, nsExceptions(ns)...)
	}
	for _, p := range pols {
		c.store.put(c.snap, p)
	}
	for _, ex := range exs {
		c.store.put(c.snap, ex)
	}
	c.snap.synced.Store(true)
	c.snap.Engine() // the first build, as the manager's before it serves
	c.src = &Source{Reader: c.store, Registry: registry, Defaults: d, Snapshot: c.snap, Memo: &Memo{}}
	return c
}

// scaleRequest is the webhook's request to create the judged Bucket: it
// fails S3-001 and S3-006 (no Block Public Access, no TLS-only policy).
func scaleRequest() governance.Request {
	spec := rulestest.BucketHygiene()
	spec["name"] = "b"
	obj := map[string]any{
		"apiVersion": view.BucketGVK.GroupVersion().String(), "kind": "Bucket",
		"metadata": map[string]any{"namespace": scaleNS, "name": "b", "labels": map[string]any{"env": "dev"}},
		"spec":     spec,
	}
	return governance.Request{Operation: governance.Create, Object: obj, User: scaleUser, Now: t0}
}

// decisionSummary is what a decision says, for comparing two clusters'.
func decisionSummary(d *governance.Decision) string {
	ids := func(rs []governance.Result) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.RuleID+":"+string(r.Action)+":"+r.AdmissionPolicy)
		}
		return out
	}
	var warned []string
	for _, w := range d.Warnings {
		warned = append(warned, w.Rules()...)
	}
	return fmt.Sprintf("policies %v denials %v warnings %v exempted %v", d.Judgement.Policies, ids(d.Denials), warned, ids(d.Exempted))
}

// BenchmarkSnapshotAdmitAtScale decides the webhook's CREATE of the
// Bucket team-a/b through Source.Admit and a synced Snapshot (the path
// of the manager's webhook, with its Memo), in a cluster with 1,000
// GuardrailPolicies and 10,000 GuardrailExceptions (the four policies
// that select the Bucket among others selecting other kinds, namespaces
// or object labels; five exceptions in the Bucket's namespace, the others
// five to each of 1,999 other namespaces), and in one with only the four
// policies and the Bucket namespace's five exceptions. Both must decide
// alike, and should cost about the same: what a decision costs follows
// the policies that select the object, not how many exist. A third
// cluster has 100 of its policies select Buckets by labels alone (other
// labels than the judged Bucket's), in every namespace: each is matched
// against the Bucket's labels.
func BenchmarkSnapshotAdmitAtScale(b *testing.B) {
	arms := []struct {
		name string
		c    *scaleCluster
	}{
		{"selecting-only", newScaleCluster(selectingPolicies(), 5)},
		{"policies=1000,exceptions=10000", newScaleCluster(scalePolicies(1000, false), 10000)},
		{"policies=1000,exceptions=10000,by-labels-alone=100", newScaleCluster(scalePolicies(1000, true), 10000)},
	}
	ctx := context.Background()
	var want string
	for _, arm := range arms {
		d, err := arm.c.src.Admit(ctx, scaleRequest())
		if err != nil {
			b.Fatal(err)
		}
		got := decisionSummary(d)
		if len(d.Judgement.Policies) != 4 || len(d.Exempted) != 1 || d.Exempted[0].RuleID != "S3-006" {
			b.Fatalf("%s: unexpected decision: %s", arm.name, got)
		}
		if want == "" {
			want = got
		} else if got != want {
			b.Fatalf("%s decides %s, the selecting policies alone %s", arm.name, got, want)
		}
	}
	for _, arm := range arms {
		b.Run(arm.name, func(b *testing.B) {
			req := scaleRequest()
			runtime.GC() // not the garbage of building the clusters
			b.ReportAllocs()
			benchcpu.Loop(b, func() {
				if _, err := arm.c.src.Admit(ctx, req); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// BenchmarkSnapshotPolicyChangeAtScale changes the spec of one of the
// 1,000 policies of BenchmarkSnapshotAdmitAtScale's cluster (its
// generation moves on) and times the next read of the engine: the
// snapshot reads the changed policy from the cache, recompiles it, and
// assembles the policies again with every namespace's compiled
// exceptions as they were.
func BenchmarkSnapshotPolicyChangeAtScale(b *testing.B) {
	pols := scalePolicies(1000, false)
	c := newScaleCluster(pols, 10000)
	p := pols[500] // p-0500, a policy of SecurityGroups
	actions := []v1alpha1.Action{v1alpha1.Audit, v1alpha1.Enforce}
	before, changes := c.snap.Rebuilds(), int64(0)
	b.ReportAllocs()
	benchcpu.Loop(b, func() {
		p = p.DeepCopy()
		p.Generation++
		p.Spec.Rules = []v1alpha1.RuleAction{{ID: "EC2-004", Action: actions[p.Generation%2]}}
		c.store.put(c.snap, p)
		c.snap.Engine()
		changes++
	})
	if got := c.snap.Rebuilds() - before; got != changes {
		b.Fatalf("%d rebuilds for %d changes", got, changes)
	}
	if e := c.snap.Engine(); len(e.Policies()) != 1000 || e.Problems("p-0500") != nil {
		b.Fatalf("%d policies in force, p-0500's problems %v", len(e.Policies()), e.Problems("p-0500"))
	}
}
