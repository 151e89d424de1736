package controllers

import (
	"context"
	"errors"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
)

// TestARestartCountsAfreshAndStopsAgain: a manager that starts again (or a
// new leader: here a reconciler with a memory of its own) takes neither
// the count nor the suspension from the annotation, which anyone who may
// update the object could write; as docs/flags.md says, it fixes the
// object its predecessor stopped fighting and stops again after as many
// reverts, and the previous values survive the restart.
func TestARestartCountsAfreshAndStopsAgain(t *testing.T) {
	h := newPartialHarness(t, map[string]any{"a": "bad"}, specRule("X-001", "a", nil))
	h.r.MaxAttempts = 2
	// fight has the source of truth revert every fix a minute later and
	// returns how many fixes were made.
	fight := func() int {
		t.Helper()
		fixes := 0
		for range 2 * h.r.MaxAttempts {
			h.reconcile()
			if h.spec()["a"] == "ok" {
				fixes++
				h.set(map[string]any{"a": "bad"})
			}
			h.clock.Step(time.Minute)
		}
		return fixes
	}
	if n := fight(); n != h.r.MaxAttempts || !h.results.suspended {
		t.Fatalf("first run: %d fixes, suspended %v; want %d, then suspended", n, h.results.suspended, h.r.MaxAttempts)
	}
	if s := readState(h.object().GetAnnotations()); s.Suspended == nil {
		t.Fatalf("the annotation does not record the suspension: %+v", s)
	}

	h.restart(h.client)
	if n := fight(); n != h.r.MaxAttempts || !h.results.suspended {
		t.Fatalf("after the restart: %d fixes, suspended %v; want %d afresh, then suspended", n, h.results.suspended, h.r.MaxAttempts)
	}
	s := readState(h.object().GetAnnotations())
	if s.Suspended == nil || len(s.Previous) != 1 || s.Previous[0].Path != "spec.a" || s.Previous[0].Value != "bad" {
		t.Errorf("state after the restart = %+v, want suspended with the previous value of spec.a", s)
	}
}

// TestARestartClearsASuspensionThatEnded: a suspension recorded by the
// manager before a restart (or by the previous leader) is removed from the
// annotation once the object has no fix due, as docs/reports.md says, and
// only once: an annotation written back with it is not answered again.
func TestARestartClearsASuspensionThatEnded(t *testing.T) {
	h, suspended := suspendedByReverts(t)

	h.restart(h.client)
	h.set(map[string]any{"a": "ok"}) // the source of truth is fixed
	h.reconcile()
	s := readState(h.object().GetAnnotations())
	if s.Suspended != nil {
		t.Fatalf("after the restart the annotation still says suspended once the object complies: %+v", s)
	}
	if len(s.Previous) != 1 || s.Previous[0].Path != "spec.a" || s.Previous[0].Value != "bad" {
		t.Errorf("previous values after clearing = %+v, want spec.a's kept", s.Previous)
	}

	wroteBackNotAnswered(t, h, suspended)
}

// TestARestartClearsASuspensionAfterARefusedFix: after a restart, the
// fix of an object whose annotation records a suspension is tried and
// refused by the API server (nothing written); once the object complies,
// the annotation stops saying suspended all the same, once.
func TestARestartClearsASuspensionAfterARefusedFix(t *testing.T) {
	h, suspended := suspendedByReverts(t)

	refusing := interceptor.NewClient(h.client.(client.WithWatch), interceptor.Funcs{
		Patch: func(context.Context, client.WithWatch, client.Object, client.Patch, ...client.PatchOption) error {
			return apierrors.NewForbidden(schema.GroupResource{Group: "s3.services.k8s.aws", Resource: "buckets"}, "b", errors.New("spec.a is owned by another team"))
		},
	})
	h.restart(refusing)
	if _, err := h.r.Reconcile(context.Background(), ctrl.Request{NamespacedName: types.NamespacedName{Namespace: "team", Name: "b"}}); err == nil {
		t.Fatal("a refused patch did not fail the reconcile")
	}
	h.r.Client, h.r.APIReader, h.r.Governance.Reader = h.client, h.client, h.client
	h.set(map[string]any{"a": "ok"}) // the source of truth is fixed
	h.reconcile()
	if s := readState(h.object().GetAnnotations()); s.Suspended != nil {
		t.Fatalf("the annotation still says suspended once the object complies: %+v", s)
	}

	wroteBackNotAnswered(t, h, suspended)
}

// suspendedByReverts returns a harness whose reconciler suspended the
// fix of spec.a after its source kept reverting it, and the annotation
// it wrote.
func suspendedByReverts(t *testing.T) (*partialHarness, string) {
	t.Helper()
	h := newPartialHarness(t, map[string]any{"a": "bad"}, specRule("X-001", "a", nil))
	h.r.MaxAttempts = 2
	for range 2 * h.r.MaxAttempts {
		h.reconcile()
		if h.spec()["a"] == "ok" {
			h.set(map[string]any{"a": "bad"})
		}
		h.clock.Step(time.Minute)
	}
	suspended := h.object().GetAnnotations()[AnnotationRemediation]
	if readState(map[string]string{AnnotationRemediation: suspended}).Suspended == nil {
		t.Fatalf("the first run did not suspend: %s", suspended)
	}
	return h, suspended
}

// restart replaces the harness's reconciler with a new one (a restart,
// or another leader: nothing remembered) reading and writing through c.
func (h *partialHarness) restart(c client.Client) {
	restarted := bucketReconciler(c, h.r.Registry, h.rec, h.clock)
	restarted.MaxAttempts, restarted.Window, restarted.Backoff, restarted.Metrics, restarted.Results = h.r.MaxAttempts, h.r.Window, h.r.Backoff, h.mets, h.results
	h.r = restarted
}

// wroteBackNotAnswered writes the annotation back as a tool would and
// checks that the reconciler does not rewrite it again.
func wroteBackNotAnswered(t *testing.T, h *partialHarness, annotation string) {
	t.Helper()
	u := h.object()
	ann := u.GetAnnotations()
	ann[AnnotationRemediation] = annotation
	u.SetAnnotations(ann)
	if err := h.client.Update(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	rv := h.object().GetResourceVersion()
	h.reconcile()
	if got := h.object(); got.GetResourceVersion() != rv {
		t.Errorf("the annotation written back was rewritten: %s", got.GetAnnotations()[AnnotationRemediation])
	}
}
