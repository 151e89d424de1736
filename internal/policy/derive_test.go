package policy

import (
	"sync"
	"sync/atomic"
	"testing"
)

type keyA string
type keyB string

func TestDerive(t *testing.T) {
	const raw = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}`
	parse := func() *Document {
		d, problems := Parse(raw, ResourcePolicy, Options{})
		if d == nil || len(problems) > 0 {
			t.Fatalf("parse: %v", problems)
		}
		return d
	}
	d, other := parse(), parse()

	var calls atomic.Int32
	count := func(asked *Document, v string) func(*Document) *string {
		return func(got *Document) *string {
			if got != asked {
				t.Errorf("compute got another document than Derive was asked about")
			}
			calls.Add(1)
			return &v
		}
	}
	first := Derive(d, keyA("x"), count(d, "one"))
	if again := Derive(d, keyA("x"), count(d, "two")); again != first || *again != "one" {
		t.Errorf("a second ask computed again: got %q", *again)
	}
	if calls.Load() != 1 {
		t.Errorf("computed %d times for one key, want 1", calls.Load())
	}
	// Another key, another key type with the same value, another document:
	// each its own value.
	if v := Derive(d, keyA("y"), count(d, "y")); *v != "y" {
		t.Errorf("key y: got %q", *v)
	}
	if v := Derive(d, keyB("x"), count(d, "B")); *v != "B" {
		t.Errorf("key of another type with the same value: got %q", *v)
	}
	if v := Derive(other, keyA("x"), count(other, "other")); *v != "other" {
		t.Errorf("another document: got %q", *v)
	}
	if v := Derive(d, keyA("x"), count(d, "late")); v != first {
		t.Errorf("key x after others were added: got %q", *v)
	}

	// Goroutines asking for new keys at once all get the one value kept.
	for k := range 50 {
		key := keyA(rune('a' + k%26))
		doc := parse()
		var wg sync.WaitGroup
		got := make([]*string, 8)
		for g := range got {
			wg.Go(func() {
				got[g] = Derive(doc, key, count(doc, string(rune('0'+g))))
				// and another key meanwhile, so the swaps race
				Derive(doc, keyB(rune('0'+g)), count(doc, "b"))
			})
		}
		wg.Wait()
		for g := range got {
			if got[g] != got[0] {
				t.Fatalf("round %d: goroutine %d got %q, goroutine 0 got %q", k, g, *got[g], *got[0])
			}
		}
		if v := Derive(doc, key, count(doc, "after")); v != got[0] {
			t.Fatalf("round %d: after the race Derive gave %q, the goroutines %q", k, *v, *got[0])
		}
	}
}
