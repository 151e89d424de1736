package govsource

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/ackguard/ackguard/internal/governance"
	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/rules/rulestest"
	"github.com/ackguard/ackguard/internal/view"
)

func TestMemoServesOnlyAnUnchangedObjectOnce(t *testing.T) {
	reg := rules.Default()
	eng := governance.New(reg, governance.Defaults{}, nil, nil)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ns := governance.Namespace{Name: "ns", Labels: map[string]string{"team": "a"}}
	clean := func() map[string]any {
		b := rulestest.CleanBucket()
		b["metadata"] = map[string]any{"name": "b", "namespace": "ns"}
		return b
	}
	judge := func(obj map[string]any) *governance.Judgement { return eng.Judge(obj, ns, now, nil) }
	if fixes := judge(clean()).FixRules(); len(fixes) > 0 {
		t.Fatalf("the clean bucket has fixes %v", fixes)
	}

	m := &Memo{}
	m.put(clean(), ns, eng, judge(clean()))
	if m.take(clean(), ns, eng, now) == nil {
		t.Fatal("an unchanged object missed")
	}
	if m.take(clean(), ns, eng, now) != nil {
		t.Fatal("an entry served twice")
	}

	changed := clean()
	changed["spec"].(map[string]any)["acl"] = "public-read"
	other := governance.New(reg, governance.Defaults{}, nil, nil)
	relabelled := governance.Namespace{Name: "ns", Labels: map[string]string{"team": "b"}}
	// ACK's status write or its finalizer, coalesced into the event after
	// the create the webhook judged: the bucket ARN's partition (S3-006,
	// S3-013), the owner account and adoption are read from them.
	synced := clean()
	synced["status"] = map[string]any{"ackResourceMetadata": map[string]any{"partition": "aws-cn", "ownerAccountID": "111122223333"}}
	finalized := clean()
	finalized["metadata"].(map[string]any)["finalizers"] = []any{"finalizers.s3.services.k8s.aws/Bucket"}
	for name, take := range map[string]func() *governance.Judgement{
		"a changed spec":       func() *governance.Judgement { return m.take(changed, ns, eng, now) },
		"another engine":       func() *governance.Judgement { return m.take(clean(), ns, other, now) },
		"relabelled namespace": func() *governance.Judgement { return m.take(clean(), relabelled, eng, now) },
		"synced by ACK":        func() *governance.Judgement { return m.take(synced, ns, eng, now) },
		"ACK's finalizer":      func() *governance.Judgement { return m.take(finalized, ns, eng, now) },
	} {
		m.put(clean(), ns, eng, judge(clean()))
		if take() != nil {
			t.Errorf("%s: served a stale judgement", name)
		}
	}

	insecure := clean()
	delete(insecure["spec"].(map[string]any), "publicAccessBlock")
	m.put(insecure, ns, eng, judge(insecure))
	if m.take(insecure, ns, eng, now) != nil {
		t.Error("a judgement with fixes to make was kept")
	}
	if hits, misses := m.Stats(); hits != 1 || misses < 6 {
		t.Errorf("stats %d hits, %d misses", hits, misses)
	}
}

// TestFingerprint: the digest sees every difference a judgement could
// depend on, and none that decoding introduces (key order, int64 from the
// cache against float64 from a request).
func TestFingerprint(t *testing.T) {
	obj := func(spec any, labels, annotations map[string]any) map[string]any {
		meta := map[string]any{"name": "b", "namespace": "ns"}
		if labels != nil {
			meta["labels"] = labels
		}
		if annotations != nil {
			meta["annotations"] = annotations
		}
		return map[string]any{"metadata": meta, "spec": spec}
	}
	ns := governance.Namespace{Name: "ns"}
	fp := func(o map[string]any, ns governance.Namespace) [32]byte {
		t.Helper()
		sum, ok := fingerprint(o, ns)
		if !ok {
			t.Fatalf("no fingerprint for %v", o)
		}
		return sum
	}
	base := fp(obj(map[string]any{"n": int64(7), "a": []any{"x", true, nil}}, nil, nil), ns)
	same := []map[string]any{
		obj(map[string]any{"a": []any{"x", true, nil}, "n": float64(7)}, nil, nil),
		obj(map[string]any{"n": 7, "a": []any{"x", true, nil}}, nil, nil),
		obj(map[string]any{"n": int64(7), "a": []any{"x", true, nil}}, nil, map[string]any{"ackguard.dev/remediated": "S3-001"}),
	}
	for i, o := range same {
		if fp(o, ns) != base {
			t.Errorf("same content #%d has another fingerprint", i)
		}
	}
	different := map[string]map[string]any{
		"number":           obj(map[string]any{"n": 7.5, "a": []any{"x", true, nil}}, nil, nil),
		"string split":     obj(map[string]any{"n": int64(7), "a": []any{"x", true, nil, ""}}, nil, nil),
		"bool":             obj(map[string]any{"n": int64(7), "a": []any{"x", false, nil}}, nil, nil),
		"null or absent":   obj(map[string]any{"n": int64(7), "a": []any{"x", true}}, nil, nil),
		"object or array":  obj(map[string]any{"n": int64(7), "a": map[string]any{}}, nil, nil),
		"string or number": obj(map[string]any{"n": "7", "a": []any{"x", true, nil}}, nil, nil),
		"label":            obj(map[string]any{"n": int64(7), "a": []any{"x", true, nil}}, map[string]any{"team": "a"}, nil),
		"annotation":       obj(map[string]any{"n": int64(7), "a": []any{"x", true, nil}}, nil, map[string]any{"services.k8s.aws/adoption-policy": "adopt"}),
	}
	for name, o := range different {
		if fp(o, ns) == base {
			t.Errorf("%s: a different object has the same fingerprint", name)
		}
	}
	if fp(obj(map[string]any{"n": int64(7), "a": []any{"x", true, nil}}, nil, nil), governance.Namespace{Name: "ns", Labels: map[string]string{"env": "prod"}}) == base {
		t.Error("namespace labels are not in the fingerprint")
	}
	if fp(obj(map[string]any{"n": int64(7), "a": []any{"x", true, nil}}, nil, nil), governance.Namespace{Name: "ns", DefaultRegion: "cn-north-1"}) == base {
		t.Error("the namespace's default region is not in the fingerprint")
	}
	// Keys and values cannot run into each other.
	if fp(obj(map[string]any{"ab": "c"}, nil, nil), ns) == fp(obj(map[string]any{"a": "bc"}, nil, nil), ns) {
		t.Error("key and value boundaries are ambiguous")
	}
	if _, ok := fingerprint(obj(map[string]any{"ch": make(chan int)}, nil, nil), ns); ok {
		t.Error("a value JSON cannot hold was fingerprinted")
	}
}

func BenchmarkFingerprintCleanBucket(b *testing.B) {
	obj := rulestest.CleanBucket()
	ns := governance.Namespace{Name: "team-a", Labels: map[string]string{"team": "a"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := fingerprint(obj, ns); !ok {
			b.Fatal("no fingerprint")
		}
	}
}

// The fingerprint reads labels and annotations in place as view.ReadMeta
// reads them: string values only, however many, ackguard's own
// annotations aside.
func TestFingerprintReadsMetadataAsReadMeta(t *testing.T) {
	labels, annotations := map[string]any{"count": int64(3), "nested": map[string]any{"a": "b"}}, map[string]any{"ackguard.dev/remediated": "S3-001", "flag": true}
	for i := range 40 {
		labels[fmt.Sprintf("l%02d", i)] = fmt.Sprint(i)
		annotations[fmt.Sprintf("a%02d", i)] = fmt.Sprint(i * i)
	}
	obj := map[string]any{"metadata": map[string]any{"name": "b", "labels": labels, "annotations": annotations}, "spec": map[string]any{"x": "y"}}
	meta := view.ReadMeta(obj)
	strs := func(s view.Strings) map[string]string {
		out := map[string]string{}
		for k := range s {
			if v, ok := s.Lookup(k); ok {
				out[k] = v
			}
		}
		return out
	}
	want := appendStringMap(appendStringMap(nil, strs(meta.Labels), ""), strs(meta.Annotations), "ackguard.dev/")
	got := appendStringFields(appendStringFields(nil, labels, ""), annotations, "ackguard.dev/")
	if !bytes.Equal(got, want) {
		t.Fatalf("read in place:\n%s\nread through ReadMeta:\n%s", got, want)
	}
}

// BenchmarkFingerprintLabelled is BenchmarkFingerprintCleanBucket for a
// Bucket with labels and annotations, as the webhook digests each admitted
// object and the reconciler each watch event the memo may answer.
func BenchmarkFingerprintLabelled(b *testing.B) {
	obj := rulestest.CleanBucket()
	obj["metadata"] = map[string]any{"name": "b", "namespace": "ns", "labels": map[string]any{"team": "a", "app": "shop", "env": "prod"},
		"annotations": map[string]any{"services.k8s.aws/region": "eu-west-1"}}
	ns := governance.Namespace{Name: "ns", Labels: map[string]string{"kubernetes.io/metadata.name": "ns"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := fingerprint(obj, ns); !ok {
			b.Fatal("no fingerprint")
		}
	}
}
