package controllers

import (
	"fmt"
	"testing"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

func req(ns, name string) reconcile.Request {
	return reconcile.Request{NamespacedName: types.NamespacedName{Namespace: ns, Name: name}}
}

// Namespaces are served in turn; within one, in arrival order.
func TestNamespaceRoundRobinServesNamespacesInTurn(t *testing.T) {
	q := &namespaceRoundRobin{}
	for i := range 1000 {
		q.Push(req("big", fmt.Sprint(i)))
	}
	q.Push(req("small", "a"))
	q.Push(req("small", "b"))
	q.Push(req("other", "x"))
	var got []string
	for range 7 {
		r := q.Pop()
		got = append(got, r.Namespace+"/"+r.Name)
	}
	want := []string{"big/0", "small/a", "other/x", "big/1", "small/b", "big/2", "big/3"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("order = %v, want %v", got, want)
	}
	if q.Len() != 1000-4 {
		t.Errorf("len = %d", q.Len())
	}
	for i := 4; i < 1000; i++ {
		if r := q.Pop(); r.Name != fmt.Sprint(i) {
			t.Fatalf("pop %d = %v", i, r)
		}
	}
	if q.Len() != 0 || len(q.ring) != 0 || len(q.byNS) != 0 {
		t.Errorf("not empty: len %d ring %v", q.Len(), q.ring)
	}
	// Usable again once empty.
	q.Push(req("a", "1"))
	if r := q.Pop(); r != req("a", "1") {
		t.Errorf("pop = %v", r)
	}
}

// Through the work queue: an object added twice is queued once, and one
// being processed is not handed out again until it is done.
func TestFairQueueKeepsWorkQueueGuarantees(t *testing.T) {
	q := NewFairQueue("", nil)
	defer q.ShutDown()
	q.Add(req("big", "1"))
	q.Add(req("big", "1"))
	q.Add(req("big", "2"))
	q.Add(req("small", "1"))
	if q.Len() != 3 {
		t.Fatalf("len = %d, want 3", q.Len())
	}
	first, _ := q.Get()
	q.Add(first) // re-added while processing: queued again only when done
	second, _ := q.Get()
	if first != req("big", "1") || second != req("small", "1") {
		t.Errorf("got %v then %v", first, second)
	}
	third, _ := q.Get()
	if third != req("big", "2") || q.Len() != 0 {
		t.Errorf("third = %v, len %d", third, q.Len())
	}
	q.Done(first)
	if q.Len() != 1 {
		t.Errorf("after done: len = %d, want 1", q.Len())
	}
}
