package govsource_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ackguard/ackguard/api/v1alpha1"
	"github.com/ackguard/ackguard/internal/governance"
	"github.com/ackguard/ackguard/internal/govsource"
	"github.com/ackguard/ackguard/internal/localcluster"
	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/testenv"
)

// The snapshot suite runs a real API server with ackguard's CRDs and a
// controller-runtime cache, as the manager does: changes written through
// the API reach the next judgement. The control plane, the cache and the
// snapshot start with the first test that calls suite.Start (every test
// that talks to the API server does, first); the package's unit tests run
// without them, and every test under -short.
var (
	suite = testenv.New(testenv.Options{Name: "snapshot suite", Setup: setupSuite})
	// cluster, ctx, reader, snap and source are set once the control
	// plane runs.
	cluster *localcluster.Cluster
	ctx     context.Context
	reader  cache.Cache
	snap    *govsource.Snapshot
	source  *govsource.Source
)

func TestMain(m *testing.M) { os.Exit(suite.Run(m)) }

// setupSuite starts a cache with the snapshot watching it and waits until
// the snapshot has synced.
func setupSuite(sctx context.Context, c *localcluster.Cluster) error {
	cluster, ctx = c, sctx
	var err error
	if reader, err = cache.New(cluster.Config, cache.Options{Scheme: localcluster.Scheme()}); err != nil {
		return err
	}
	registry := rules.Default()
	snap = govsource.NewSnapshot(registry, governance.Defaults{})
	// Registered before the cache starts, as in the manager.
	if err := snap.Watch(ctx, reader, true); err != nil {
		return err
	}
	go func() { _ = reader.Start(ctx) }()
	if !reader.WaitForCacheSync(ctx) {
		return errors.New("the cache did not sync")
	}
	if err := wait.PollUntilContextTimeout(ctx, 10*time.Millisecond, time.Minute, true, func(context.Context) (bool, error) {
		return snap.HasSynced(), nil
	}); err != nil {
		return fmt.Errorf("the snapshot did not sync: %w", err)
	}
	source = &govsource.Source{Reader: reader, APIReader: cluster.Client, Registry: registry, Snapshot: snap}
	return nil
}

func newNamespace(t *testing.T, labels map[string]string) *corev1.Namespace {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "snap-", Labels: labels}}
	if err := cluster.Client.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cluster.Client.Delete(context.Background(), ns) })
	return ns
}

func bucket(ns, name string) map[string]any {
	return map[string]any{
		"apiVersion": "s3.services.k8s.aws/v1alpha1", "kind": "Bucket",
		"metadata": map[string]any{"namespace": ns, "name": name},
		"spec":     map[string]any{"name": name},
	}
}

// s3001 judges the insecure bucket and returns its S3-001 result with the
// policies that selected it.
func s3001(t *testing.T, ns, name string) (governance.Result, []string) {
	t.Helper()
	d, err := source.Admit(ctx, governance.Request{Operation: governance.Existing, Object: bucket(ns, name)})
	if err != nil {
		t.Fatal(err)
	}
	j := d.Judgement
	for _, r := range j.Results {
		if r.RuleID == "S3-001" {
			return r, j.Policies
		}
	}
	return governance.Result{}, j.Policies
}

// eventually polls the judgement until cond holds: the informer delivers
// a change shortly after the API server accepted it, and from then on
// the next judgement sees it.
func eventually(t *testing.T, what string, ns, name string, cond func(governance.Result, []string) bool) {
	t.Helper()
	var r governance.Result
	var pols []string
	err := wait.PollUntilContextTimeout(ctx, 20*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		r, pols = s3001(t, ns, name)
		return cond(r, pols), nil
	})
	if err != nil {
		t.Fatalf("%s: not seen; last S3-001 %+v under policies %v", what, r, pols)
	}
}

func create(t *testing.T, obj client.Object) {
	t.Helper()
	if err := cluster.Client.Create(ctx, obj); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cluster.Client.Delete(context.Background(), obj) })
}

// A policy's creation, change and deletion, an exception's creation and
// deletion, and a namespace's new labels each reach the next judgement.
func TestSnapshotFollowsTheCluster(t *testing.T) {
	suite.Start(t)
	ns := newNamespace(t, map[string]string{"team": "a"})
	eventually(t, "the baseline", ns.Name, "b", func(r governance.Result, pols []string) bool {
		return len(pols) == 1 && pols[0] == governance.BaselineName && r.Action == v1alpha1.Enforce
	})

	// A policy for team a's namespaces audits S3-001.
	pol := &v1alpha1.GuardrailPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "snap-team-a"},
		Spec: v1alpha1.GuardrailPolicySpec{
			Match: v1alpha1.Match{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "a"}}},
			Rules: []v1alpha1.RuleAction{{ID: "S3-001", Action: v1alpha1.Audit}},
		},
	}
	create(t, pol)
	eventually(t, "the new policy", ns.Name, "b", func(r governance.Result, pols []string) bool {
		return r.Action == v1alpha1.Audit && r.AdmissionPolicy == pol.Name
	})

	// Its rule changes to Deny.
	pol.Spec.Rules[0].Action = v1alpha1.Deny
	if err := cluster.Client.Update(ctx, pol); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the policy's change", ns.Name, "b", func(r governance.Result, _ []string) bool {
		return r.Action == v1alpha1.Deny && r.AdmissionPolicy == pol.Name
	})

	// An exception for the bucket.
	ex := &v1alpha1.GuardrailException{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "legacy"},
		Spec: v1alpha1.GuardrailExceptionSpec{
			Rules:     []string{"S3-001"},
			Resources: []v1alpha1.ResourceRef{{APIGroup: "s3.services.k8s.aws", Kind: "Bucket", Name: "b"}},
			Reason:    "TICKET-7",
			ExpiresAt: metav1.NewTime(time.Now().Add(24 * time.Hour)),
		},
	}
	create(t, ex)
	eventually(t, "the new exception", ns.Name, "b", func(r governance.Result, _ []string) bool {
		return r.Exception != nil && r.Exception.Name == "legacy"
	})
	if r, _ := s3001(t, ns.Name, "other"); r.Exception != nil {
		t.Errorf("the exception exempts another bucket: %+v", r.Exception)
	}

	// The namespace moves to team b: the policy no longer selects it.
	ns.Labels["team"] = "b"
	if err := cluster.Client.Update(ctx, ns); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the namespace's new labels", ns.Name, "other", func(r governance.Result, pols []string) bool {
		return len(pols) == 0
	})
	got, err := source.Namespace(ctx, ns.Name)
	if err != nil || got.Labels["team"] != "b" {
		t.Errorf("namespace %+v, %v: want team=b", got, err)
	}

	// The exception goes, then the policy: the baseline applies again.
	if err := cluster.Client.Delete(ctx, ex); err != nil {
		t.Fatal(err)
	}
	ns.Labels["team"] = "a"
	if err := cluster.Client.Update(ctx, ns); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the exception's deletion", ns.Name, "b", func(r governance.Result, _ []string) bool {
		return r.Exception == nil && r.AdmissionPolicy == pol.Name
	})
	if err := cluster.Client.Delete(ctx, pol); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the policy's deletion", ns.Name, "b", func(r governance.Result, pols []string) bool {
		return len(pols) == 1 && pols[0] == governance.BaselineName
	})
}

// A cluster's first policy, its kinds all misspelt, selects nothing: the
// snapshot the webhook and the reconciler judge with keeps the baseline
// in force instead of guarding nothing; fixed, the policy takes over.
func TestPolicySelectingNoKindKeepsTheBaseline(t *testing.T) {
	suite.Start(t)
	ns := newNamespace(t, map[string]string{"team": "typo"})
	pol := &v1alpha1.GuardrailPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "snap-typo"},
		Spec: v1alpha1.GuardrailPolicySpec{
			Match: v1alpha1.Match{
				Kinds:             []v1alpha1.KindRef{{APIGroup: "s3.services.k8s.aws", Kind: "Buckets"}},
				NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "typo"}},
			},
			Rules: []v1alpha1.RuleAction{{ID: "S3-001", Action: v1alpha1.Audit}},
		},
	}
	create(t, pol)
	if err := wait.PollUntilContextTimeout(ctx, 20*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		return len(snap.Engine().Problems(pol.Name)) > 0, nil
	}); err != nil {
		t.Fatal("the snapshot never saw the policy")
	}
	if r, pols := s3001(t, ns.Name, "b"); !slices.Equal(pols, []string{governance.BaselineName}) || r.Action != v1alpha1.Enforce {
		t.Errorf("S3-001 %+v under policies %v: want the baseline enforcing it", r, pols)
	}
	pol.Spec.Match.Kinds[0].Kind = "Bucket"
	if err := cluster.Client.Update(ctx, pol); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the fixed policy", ns.Name, "b", func(r governance.Result, pols []string) bool {
		return slices.Equal(pols, []string{pol.Name}) && r.Action == v1alpha1.Audit
	})
}

// A status update (the status controllers write one every resync) leaves
// the compiled snapshot as it is.
func TestStatusUpdatesDoNotRebuild(t *testing.T) {
	suite.Start(t)
	pol := &v1alpha1.GuardrailPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "snap-status"},
		Spec:       v1alpha1.GuardrailPolicySpec{Rules: []v1alpha1.RuleAction{{ID: "S3-001", Action: v1alpha1.Audit}}},
	}
	create(t, pol)
	ns := newNamespace(t, nil)
	eventually(t, "the new policy", ns.Name, "b", func(r governance.Result, _ []string) bool {
		return r.AdmissionPolicy == pol.Name
	})
	before := snap.Rebuilds()
	pol.Status.ObservedGeneration = pol.Generation
	if err := cluster.Client.Status().Update(ctx, pol); err != nil {
		t.Fatal(err)
	}
	// Wait until the cache holds the status update, then judge.
	if err := wait.PollUntilContextTimeout(ctx, 20*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		var cur v1alpha1.GuardrailPolicy
		if err := reader.Get(ctx, client.ObjectKeyFromObject(pol), &cur); err != nil {
			return false, err
		}
		return cur.ResourceVersion == pol.ResourceVersion, nil
	}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // let the snapshot's handler run too
	s3001(t, ns.Name, "b")
	if snap.Rebuilds() != before {
		t.Errorf("a status update rebuilt the snapshot (%d rebuilds)", snap.Rebuilds()-before)
	}
}

// A namespace the cache has not seen is read from the API server, so its
// labels select policies from the first request.
func TestUnseenNamespaceReadFromTheAPIServer(t *testing.T) {
	suite.Start(t)
	ns := newNamespace(t, map[string]string{"team": "z"})
	// The snapshot knows the namespace already or falls back to the API
	// server: either way its labels are there at once.
	got, err := source.Namespace(ctx, ns.Name)
	if err != nil || got.Labels["team"] != "z" {
		t.Errorf("namespace %+v, %v: want team=z at once", got, err)
	}
}

// Without ackguard's CRDs only namespaces are watched and the baseline
// applies, whatever policies exist.
func TestUngovernedSnapshotAppliesTheBaseline(t *testing.T) {
	suite.Start(t)
	pol := &v1alpha1.GuardrailPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "snap-ignored"},
		Spec:       v1alpha1.GuardrailPolicySpec{Rules: []v1alpha1.RuleAction{{ID: "S3-001", Action: v1alpha1.Audit}}},
	}
	create(t, pol)
	c, err := cache.New(cluster.Config, cache.Options{Scheme: localcluster.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	s := govsource.NewSnapshot(rules.Default(), governance.Defaults{})
	if err := s.Watch(ctx, c, false); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { _ = c.Start(cctx) }()
	if err := wait.PollUntilContextTimeout(ctx, 10*time.Millisecond, time.Minute, true, func(context.Context) (bool, error) {
		return s.HasSynced(), nil
	}); err != nil {
		t.Fatal(err)
	}
	if e := s.Engine(); !e.Implicit() {
		t.Errorf("policies %v in force without the CRDs watched", e.Policies())
	}
}

// An event handler on the same informer (a reconciler's watch) that
// judges when a policy changes judges with the change: the snapshot
// learns of it before any handler runs.
func TestHandlersJudgeWithTheChange(t *testing.T) {
	suite.Start(t)
	ns := newNamespace(t, map[string]string{"team": "handlers"})
	inf, err := reader.GetInformer(ctx, &v1alpha1.GuardrailPolicy{})
	if err != nil {
		t.Fatal(err)
	}
	type seen struct{ want, got v1alpha1.Action }
	results := make(chan seen, 100)
	judge := func(o any) {
		p, ok := o.(*v1alpha1.GuardrailPolicy)
		if !ok || p.Name != "snap-handlers" {
			return
		}
		// Not s3001: t.Fatal must not be called from this goroutine.
		var got v1alpha1.Action
		if d, err := source.Admit(ctx, governance.Request{Operation: governance.Existing, Object: bucket(ns.Name, "b")}); err == nil {
			j := d.Judgement
			for _, r := range j.Results {
				if r.RuleID == "S3-001" {
					got = r.Action
				}
			}
		}
		results <- seen{want: p.Spec.Rules[0].Action, got: got}
	}
	reg, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    judge,
		UpdateFunc: func(_, o any) { judge(o) },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = inf.RemoveEventHandler(reg) }()

	pol := &v1alpha1.GuardrailPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "snap-handlers"},
		Spec: v1alpha1.GuardrailPolicySpec{
			Match: v1alpha1.Match{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "handlers"}}},
			Rules: []v1alpha1.RuleAction{{ID: "S3-001", Action: v1alpha1.Audit}},
		},
	}
	create(t, pol)
	actions := []v1alpha1.Action{v1alpha1.Deny, v1alpha1.Remediate, v1alpha1.Enforce, v1alpha1.Audit, v1alpha1.Deny}
	for _, a := range actions {
		pol.Spec.Rules[0].Action = a
		if err := cluster.Client.Update(ctx, pol); err != nil {
			t.Fatal(err)
		}
	}
	// Handlers run after the informer stored their change, but the
	// informer may already have stored later ones: a handler judges with
	// its change or a later one, never an earlier one.
	all := append([]v1alpha1.Action{v1alpha1.Audit}, actions...)
	for i := 0; i <= len(actions); i++ {
		select {
		case s := <-results:
			if s.want != all[i] {
				t.Fatalf("change %d reached the handler as %s, want %s", i, s.want, all[i])
			}
			if !slices.Contains(all[i:], s.got) {
				t.Errorf("a handler for the policy with %s judged %s, an earlier version", s.want, s.got)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("%d of %d changes reached the handler", i, len(actions)+1)
		}
	}
}
