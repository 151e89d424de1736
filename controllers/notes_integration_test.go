package controllers_test

import (
	"context"
	"strings"
	"testing"
	"time"

	reportsv1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ackguard/ackguard/controllers"
	"github.com/ackguard/ackguard/internal/reports"
	"github.com/ackguard/ackguard/internal/view"
)

// skippedEvents lists the RemediationSkipped Events of one object.
func skippedEvents(t *testing.T, ns, name string) []eventsv1.Event {
	t.Helper()
	list := &eventsv1.EventList{}
	if err := cluster.Client.List(ctx, list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	var out []eventsv1.Event
	for _, e := range list.Items {
		if e.Regarding.Name == name && e.Reason == controllers.ReasonRemediationSkipped {
			out = append(out, e)
		}
	}
	return out
}

// TestStateEventsAreRecordedOnceForOneState: judged again with nothing
// changed about what it says (a change the Event does not name, as a
// resync would), an object gets no second RemediationSkipped Event; a
// change of what is skipped gets one.
func TestStateEventsAreRecordedOnceForOneState(t *testing.T) {
	suite.Start(t)
	ns := newNamespace(t)
	b := drifted(ns, "quiet")
	b.SetAnnotations(map[string]string{view.AnnotationReadOnly: "True"})
	create(t, b)
	waitEvent(t, ns, "quiet", controllers.ReasonRemediationSkipped)
	update := func(change func(spec map[string]any)) {
		t.Helper()
		err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			cur := get(t, ns, "quiet")
			change(cur.Object["spec"].(map[string]any))
			return cluster.Client.Update(ctx, cur)
		})
		if err != nil {
			t.Fatal(err)
		}
	}

	// Server access logging clears S3-011, which is only reported: the
	// object is judged again (its S3-011 result in the namespace's Report
	// turns to pass), and what is skipped is the same. (A result of its
	// own: a cluster-wide violation count would move with every other
	// test's objects.)
	waitReportResult(t, ns, "quiet", "S3-011", func(r reportsv1alpha1.ReportResult) bool { return r.Result != reports.ResultPass })
	update(func(spec map[string]any) {
		spec["logging"] = map[string]any{"loggingEnabled": map[string]any{"targetBucket": "ackguard-drift-logs", "targetPrefix": "quiet/"}}
	})
	waitReportResult(t, ns, "quiet", "S3-011", func(r reportsv1alpha1.ReportResult) bool { return r.Result == reports.ResultPass })
	// The recorder writes asynchronously: give a repeat the time to land.
	time.Sleep(time.Second)
	evs := skippedEvents(t, ns, "quiet")
	if len(evs) != 1 || evs[0].Series != nil {
		var counts []int32
		for _, e := range evs {
			if e.Series != nil {
				counts = append(counts, e.Series.Count)
			}
		}
		t.Fatalf("%d RemediationSkipped Events (series counts %v) after the object was judged again in the same state, want one recorded once", len(evs), counts)
	}

	// A public ACL set private: S3-004 is no longer skipped, and that is
	// news.
	update(func(spec map[string]any) { spec["acl"] = "private"; delete(spec, "grantRead") })
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 20*time.Second, true, func(context.Context) (bool, error) {
		return len(skippedEvents(t, ns, "quiet")) == 2, nil
	})
	if err != nil {
		t.Fatalf("no Event for the changed state: %d Events", len(skippedEvents(t, ns, "quiet")))
	}
	for _, e := range skippedEvents(t, ns, "quiet") {
		if e.Note != evs[0].Note && strings.Contains(e.Note, "S3-004") {
			t.Errorf("the new Event still names S3-004: %q", e.Note)
		}
	}
}
