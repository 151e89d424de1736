package govsource

import (
	"testing"
	"time"

	"github.com/ackguard/ackguard/internal/governance"
	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/rules/rulestest"
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
	for name, take := range map[string]func() *governance.Judgement{
		"a changed spec":       func() *governance.Judgement { return m.take(changed, ns, eng, now) },
		"another engine":       func() *governance.Judgement { return m.take(clean(), ns, other, now) },
		"relabelled namespace": func() *governance.Judgement { return m.take(clean(), relabelled, eng, now) },
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
	if hits, misses := m.Stats(); hits != 1 || misses < 4 {
		t.Errorf("stats %d hits, %d misses", hits, misses)
	}
}
