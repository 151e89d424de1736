package controllers_test

import (
	"context"
	"testing"
	"time"

	reportsv1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ackguard/ackguard/internal/reports"
)

// TestFixIsReportedInTheReport: every fix is reported as a Report result
// (catalog §0, "Risk → default"), not only as an Event, which
// --event-qps may drop: once the fixed Bucket is judged again, the
// results of the rules fixed say when they were.
func TestFixIsReportedInTheReport(t *testing.T) {
	suite.Start(t)
	ns := newNamespace(t)
	create(t, openBucket(ns, "fixed"))
	waitFor(t, ns, "fixed", 20*time.Second, hasBlockPublicAccess)
	var last []reportsv1alpha1.ReportResult
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		rep := &reportsv1alpha1.Report{}
		if err := cluster.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: reports.DefaultName}, rep); err != nil {
			return false, client.IgnoreNotFound(err)
		}
		last = nil
		for _, r := range rep.Results {
			if len(r.Subjects) > 0 && r.Subjects[0].Name == "fixed" && r.Rule == "S3-001" {
				last = append(last, r)
			}
		}
		if len(last) != 1 || last[0].Result != reports.ResultPass {
			return false, nil
		}
		at, err := time.Parse(time.RFC3339, last[0].Properties[reports.PropertyRemediated])
		return err == nil && time.Since(at) < time.Minute, nil
	})
	if err != nil {
		t.Fatalf("the report never said S3-001 was fixed on %s/fixed: %+v", ns, last)
	}
}
