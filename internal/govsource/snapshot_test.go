package govsource

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ackguard/ackguard/api/v1alpha1"
	"github.com/ackguard/ackguard/internal/governance"
	"github.com/ackguard/ackguard/internal/rules"
)

// These tests drive the snapshot through its index function and an
// in-memory store; the envtest suite (snapshot_integration_test.go) drives
// it from a real API server and cache.

// memStore is the cache as the snapshot reads it.
type memStore map[memKey]client.Object

type memKey struct {
	t   reflect.Type
	key client.ObjectKey
}

func (m memStore) Get(_ context.Context, key client.ObjectKey, obj client.Object, _ ...client.GetOption) error {
	o, ok := m[memKey{reflect.TypeOf(obj), key}]
	if !ok {
		return apierrors.NewNotFound(schema.GroupResource{}, key.Name)
	}
	reflect.ValueOf(obj).Elem().Set(reflect.ValueOf(o.DeepCopyObject()).Elem())
	return nil
}

func (m memStore) List(context.Context, client.ObjectList, ...client.ListOption) error {
	return errors.New("the snapshot never lists")
}

// newTestSnapshot returns a snapshot reading from an empty store.
func newTestSnapshot() (*Snapshot, memStore) {
	s := NewSnapshot(registry, governance.Defaults{})
	m := memStore{}
	s.reader = m
	return s, m
}

// put stores an object and marks it, as the cache does.
func (m memStore) put(s *Snapshot, o client.Object) {
	m[memKey{reflect.TypeOf(o), client.ObjectKeyFromObject(o)}] = o
	s.mark(o)
}

// del deletes an object and marks it, as the cache does.
func (m memStore) del(s *Snapshot, o client.Object) {
	delete(m, memKey{reflect.TypeOf(o), client.ObjectKeyFromObject(o)})
	s.mark(o)
}

var (
	t0       = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	registry = rules.Default()
)

func testException(ns, name, bucket string, gen int64) *v1alpha1.GuardrailException {
	return &v1alpha1.GuardrailException{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID(ns + "/" + name), Generation: gen,
			CreationTimestamp: metav1.NewTime(t0.Add(-time.Hour))},
		Spec: v1alpha1.GuardrailExceptionSpec{
			Rules:     []string{"S3-001"},
			Resources: []v1alpha1.ResourceRef{{APIGroup: "s3.services.k8s.aws", Kind: "Bucket", Name: bucket}},
			Reason:    "TICKET-1",
			ExpiresAt: metav1.NewTime(t0.Add(24 * time.Hour)),
		},
	}
}

func testPolicy(name string, gen int64, action v1alpha1.Action) *v1alpha1.GuardrailPolicy {
	return &v1alpha1.GuardrailPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID(name), Generation: gen},
		Spec:       v1alpha1.GuardrailPolicySpec{Rules: []v1alpha1.RuleAction{{ID: "S3-001", Action: action}}},
	}
}

func bucket(ns, name string) map[string]any {
	return map[string]any{
		"apiVersion": "s3.services.k8s.aws/v1alpha1", "kind": "Bucket",
		"metadata": map[string]any{"namespace": ns, "name": name},
		"spec":     map[string]any{"name": name},
	}
}

func s3001(t *testing.T, e *governance.Engine, ns, name string, now time.Time) governance.Result {
	t.Helper()
	j := e.Judge(bucket(ns, name), governance.Namespace{Name: ns}, now, nil)
	for _, r := range j.Results {
		if r.RuleID == "S3-001" {
			return r
		}
	}
	t.Fatalf("%s/%s: no S3-001 finding (policies %v)", ns, name, j.Policies)
	return governance.Result{}
}

// A change is seen by the next read; a burst of changes costs one
// rebuild; a status update (same generation) none.
func TestSnapshotFollowsEvents(t *testing.T) {
	s, m := newTestSnapshot()
	if !s.Engine().Implicit() {
		t.Fatal("an empty snapshot does not apply the baseline")
	}
	m.put(s, testPolicy("p", 1, v1alpha1.Audit))
	if r := s3001(t, s.Engine(), "a", "b", t0); r.Action != v1alpha1.Audit || r.AdmissionPolicy != "p" {
		t.Fatalf("S3-001 %s by %q, want Audit by p", r.Action, r.AdmissionPolicy)
	}
	before := s.Rebuilds()
	m.put(s, testPolicy("p", 1, v1alpha1.Enforce)) // same generation: a status update
	if s.Engine(); s.Rebuilds() != before {
		t.Error("a status update rebuilt the snapshot")
	}
	m.put(s, testPolicy("p", 2, v1alpha1.Deny))
	for i := range 100 {
		m.put(s, testException("a", fmt.Sprintf("ex-%d", i), fmt.Sprintf("other-%d", i), 1))
	}
	m.put(s, testException("a", "ex-b", "b", 1))
	r := s3001(t, s.Engine(), "a", "b", t0)
	if r.Action != v1alpha1.Deny || r.Exception == nil || r.Exception.Name != "ex-b" {
		t.Fatalf("S3-001 %s exempted by %+v, want Deny exempted by ex-b", r.Action, r.Exception)
	}
	if got := s.Rebuilds() - before; got != 1 {
		t.Errorf("%d rebuilds for one burst of changes, want 1", got)
	}
	// Expiry is judged at judgement time by the same engine.
	if r := s3001(t, s.Engine(), "a", "b", t0.Add(25*time.Hour)); r.Exception != nil {
		t.Error("an expired exception still exempts")
	}
	m.del(s, testException("a", "ex-b", "b", 1))
	if r := s3001(t, s.Engine(), "a", "b", t0); r.Exception != nil {
		t.Error("a deleted exception still exempts")
	}
	m.del(s, testPolicy("p", 2, v1alpha1.Deny))
	if !s.Engine().Implicit() {
		t.Error("with its last policy deleted the snapshot does not apply the baseline")
	}
	m.put(s, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "a", Labels: map[string]string{"team": "x"}}})
	if ns, ok := s.Namespace("a"); !ok || ns.Labels["team"] != "x" || ns.DefaultRegion != "" {
		t.Errorf("namespace a = %+v, %v", ns, ok)
	}
	// ACK's default region of the namespace's resources, where a
	// resource that tells none is created, decides its partition.
	m.put(s, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "a", Labels: map[string]string{"team": "x"},
		Annotations: map[string]string{"services.k8s.aws/default-region": "cn-north-1"}}})
	if ns, ok := s.Namespace("a"); !ok || ns.DefaultRegion != "cn-north-1" {
		t.Errorf("namespace a, annotated = %+v, %v; want default region cn-north-1", ns, ok)
	}
	if _, ok := s.Namespace("unknown"); ok {
		t.Error("an unknown namespace is known")
	}
}

// A change in one namespace recompiles that namespace's exceptions only:
// the others' compiled sets are reused as they are.
func TestSnapshotRebuildsOnlyChangedNamespaces(t *testing.T) {
	s, m := newTestSnapshot()
	for n := range 10 {
		m.put(s, testException(fmt.Sprintf("ns-%d", n), "ex", "b", 1))
	}
	s.Engine()
	before := map[string]*governance.Exceptions{}
	for ns, set := range s.sets {
		before[ns] = set
	}
	m.put(s, testException("ns-3", "ex-2", "c", 1))
	s.Engine()
	for ns, set := range s.sets {
		if changed := set != before[ns]; changed != (ns == "ns-3") {
			t.Errorf("namespace %s recompiled: %v", ns, changed)
		}
	}
	if s.sets["ns-3"].Len() != 2 {
		t.Errorf("ns-3 holds %d exceptions, want 2", s.sets["ns-3"].Len())
	}
}

// BenchmarkSnapshotExceptionAdds adds 1,000 then 10,000 exceptions spread
// over 500 namespaces, one at a time, each followed by a judgement (the
// worst case for a lazy rebuild): the cost per add (ns/add) stays about
// flat as the snapshot grows tenfold.
func BenchmarkSnapshotExceptionAdds(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			exs := make([]*v1alpha1.GuardrailException, 0, n)
			for i := range n {
				exs = append(exs, testException(fmt.Sprintf("ns-%d", i%500), fmt.Sprintf("ex-%d", i), fmt.Sprintf("b-%d", i), 1))
			}
			obj := bucket("ns-7", "b-7")
			ns := governance.Namespace{Name: "ns-7"}
			b.ReportAllocs()
			for b.Loop() {
				s, m := newTestSnapshot()
				for _, ex := range exs {
					m.put(s, ex)
					s.Engine().Judge(obj, ns, t0, nil)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/add")
		})
	}
}

// A Source with a synced snapshot answers a namespace the snapshot knows
// without allocating (it is read on every admission), and reads one it
// does not know from the API server.
func TestSourceNamespaceFromTheSnapshot(t *testing.T) {
	s, m := newTestSnapshot()
	s.synced.Store(true)
	m.put(s, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "a", Labels: map[string]string{"team": "x"}}})
	api := memStore{}
	api.put(NewSnapshot(registry, governance.Defaults{}), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "new", Labels: map[string]string{"team": "y"},
		Annotations: map[string]string{"services.k8s.aws/default-region": "us-gov-west-1"}}})
	src := &Source{Reader: m, APIReader: api, Registry: registry, Snapshot: s}
	ctx := context.Background()

	if ns, err := src.Namespace(ctx, "a"); err != nil || ns.Name != "a" || ns.Labels["team"] != "x" {
		t.Fatalf("Namespace(a) = %+v, %v", ns, err)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = src.Namespace(ctx, "a") }); n != 0 {
		t.Errorf("a namespace the snapshot knows costs %v allocations", n)
	}
	if ns, err := src.Namespace(ctx, "new"); err != nil || ns.Labels["team"] != "y" || ns.DefaultRegion != "us-gov-west-1" {
		t.Errorf("Namespace(new), unknown to the snapshot = %+v, %v; want it read from the API server", ns, err)
	}
	if ns, err := src.Namespace(ctx, "gone"); err != nil || ns.Name != "gone" || ns.Labels != nil {
		t.Errorf("Namespace(gone), found nowhere = %+v, %v; want its name alone", ns, err)
	}
}
