package controllers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/ackguard/ackguard/controllers"
	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/view"
)

// ScaleEnv sets how many objects the restart test drifts (default 1000).
const ScaleEnv = "ACKGUARD_TEST_SCALE"

// fixedFields are the spec fields the fixes of drifted() own.
var fixedFields = map[string]bool{"publicAccessBlock": true, "acl": true, "grantRead": true, "policy": true}

// appliedFixes reads ackguard_remediations_total for one rule's applied
// fixes of Buckets (the suite's manager runs in this process).
func appliedFixes(t *testing.T, rule string) float64 { return fixes(t, rule, "applied") }

// fixes reads ackguard_remediations_total for one rule and outcome of
// Buckets.
func fixes(t *testing.T, rule, outcome string) float64 {
	return metricValue(t, "ackguard_remediations_total", map[string]string{"kind": "Bucket", "rule": rule, "outcome": outcome})
}

// metricValue reads the counter or gauge of the suite's manager (it runs
// in this process) with the labels given; 0 when there is none.
func metricValue(t *testing.T, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := crmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metrics:
		for _, m := range f.GetMetric() {
			for k, v := range labels {
				if labelValue(m, k) != v {
					continue metrics
				}
			}
			if c := m.GetCounter(); c != nil {
				return c.GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	return 0
}

// Many drifted Buckets converge although a second writer changes their
// unrelated fields meanwhile and the API server stops and starts during
// the run: every object fixed exactly once, every unrelated field and
// every change of the other writer kept.
func TestManyObjectsConvergeThroughAnAPIServerRestartAndASecondWriter(t *testing.T) {
	suite.Start(t)
	n := 1000
	if v := os.Getenv(ScaleEnv); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			t.Fatalf("%s=%q: want a positive number", ScaleEnv, v)
		}
	}
	ns := newNamespace(t)
	removeBucketsAfter(t, ns)
	fixesBefore, failedBefore := appliedFixes(t, "S3-004"), fixes(t, "S3-004", "failed")
	objs := make([]*unstructured.Unstructured, n)
	for i := range objs {
		objs[i] = drifted(ns, fmt.Sprintf("many-%04d", i))
	}
	createConcurrently(t, objs) // Create fills each with the object as stored
	orig := map[string]*unstructured.Unstructured{}
	for _, o := range objs {
		orig[o.GetName()] = o.DeepCopy()
	}

	// The second writer: for a few seconds, retags random Buckets and
	// labels them (spec changes: each one races the reconciler's patch).
	var mu sync.Mutex
	written := map[string]int{} // last value the writer stored, by name
	writeCtx, stopWriting := context.WithTimeout(ctx, 5*time.Second)
	defer stopWriting()
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for v := 1; writeCtx.Err() == nil; v++ {
				// Each writer has its half of the Buckets: the last value
				// written to one is known.
				i := rng.IntN(n)
				if i%2 != w {
					continue
				}
				name := objs[i].GetName()
				err := writeUnrelated(ns, name, v)
				if err == nil {
					mu.Lock()
					written[name] = v
					mu.Unlock()
				}
				if err != nil {
					t.Errorf("second writer: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()

	// The API server crashes, and starts again on the same etcd.
	apiBefore, etcdBefore, err := cluster.ControlPlanePIDs()
	if err != nil {
		t.Fatal(err)
	}
	killErr := cluster.KillAPIServer()
	time.Sleep(3 * time.Second)
	if err := cluster.StartAPIServer(); err != nil {
		t.Fatalf("restarting kube-apiserver: %v (killing it: %v)", err, killErr)
	}
	if killErr != nil {
		t.Fatal(killErr)
	}
	apiAfter, etcdAfter, err := cluster.ControlPlanePIDs()
	switch {
	case err != nil:
		t.Fatal(err)
	case apiAfter == apiBefore || etcdAfter != etcdBefore:
		t.Fatalf("kube-apiserver pid %d → %d, etcd pid %d → %d: want a new kube-apiserver on the same etcd", apiBefore, apiAfter, etcdBefore, etcdAfter)
	}

	list := &unstructured.UnstructuredList{}
	err = wait.PollUntilContextTimeout(ctx, time.Second, 3*time.Minute, true, func(context.Context) (bool, error) {
		list = &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(view.BucketGVK.GroupVersion().WithKind("BucketList"))
		if err := cluster.Client.List(ctx, list, client.InNamespace(ns)); err != nil {
			return false, nil
		}
		for i := range list.Items {
			if _, ok := list.Items[i].GetAnnotations()[controllers.AnnotationRemediation]; !ok {
				return false, nil
			}
		}
		return len(list.Items) == n, nil
	})
	if err != nil {
		t.Fatalf("not every Bucket was fixed: %d of %d listed", len(list.Items), n)
	}
	time.Sleep(resyncPeriod) // a resync pass too: it must not fix anything again
	// A fix in flight when the API server died may have landed without
	// its answer: counted failed, then found done (never applied twice).
	applied, failed := appliedFixes(t, "S3-004")-fixesBefore, fixes(t, "S3-004", "failed")-failedBefore
	if applied > float64(n) || applied+failed < float64(n) {
		t.Errorf("%g S3-004 fixes applied and %g failed for %d Buckets", applied, failed, n)
	}

	bad := 0
	for i := range list.Items {
		got := &list.Items[i]
		if msg := checkConverged(got, orig[got.GetName()], written[got.GetName()]); msg != "" {
			if bad++; bad <= 5 {
				t.Errorf("%s: %s", got.GetName(), msg)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d Buckets wrong", bad, n)
	}
	t.Logf("%d Buckets, %d retagged by the second writer; %g fixes applied, %g lost their answer to the crash", n, len(written), applied, failed)
}

// writeUnrelated sets a tag and a label the reconciler does not own, as
// another controller would: read, change, update, again on a conflict.
func writeUnrelated(ns, name string, v int) error {
	for {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(view.BucketGVK)
		if err := cluster.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, u); err != nil {
			return err
		}
		_ = unstructured.SetNestedSlice(u.Object, []any{map[string]any{"key": "writer", "value": strconv.Itoa(v)}}, "spec", "tagging", "tagSet")
		labels := u.GetLabels()
		labels["writer"] = strconv.Itoa(v)
		u.SetLabels(labels)
		err := cluster.Client.Update(ctx, u)
		if !apierrors.IsConflict(err) {
			return err
		}
	}
}

// checkConverged compares a Bucket with the one created: the fixed fields
// secure, the previous values recorded, one attempt, everything else as
// created or as the second writer left it.
func checkConverged(got, orig *unstructured.Unstructured, written int) string {
	for _, f := range rules.Default().Evaluate(got.Object, rules.Config{}) {
		if f.Fixable && rules.Default().Rule(f.RuleID).Remediation == rules.Fix {
			return "fixable finding left: " + f.Text()
		}
	}
	var s controllers.RemediationState
	if raw := got.GetAnnotations()[controllers.AnnotationRemediation]; raw == "" || json.Unmarshal([]byte(raw), &s) != nil {
		return "no remediation state"
	}
	if s.Attempts != 1 {
		return fmt.Sprintf("%d attempts: fixed more than once", s.Attempts)
	}
	prevACL := false
	for _, p := range s.Previous {
		prevACL = prevACL || (p.Path == "spec.acl" && p.Value == "public-read")
	}
	if !prevACL {
		return fmt.Sprintf("previous acl not recorded: %+v", s.Previous)
	}
	wantSpec := orig.Object["spec"].(map[string]any)
	gotSpec := got.Object["spec"].(map[string]any)
	wantLabels := orig.GetLabels()
	if written != 0 {
		wantSpec = maps.Clone(wantSpec)
		wantSpec["tagging"] = map[string]any{"tagSet": []any{map[string]any{"key": "writer", "value": strconv.Itoa(written)}}}
		wantLabels = map[string]string{"app": "reports", "writer": strconv.Itoa(written)}
	}
	for k := range mergeKeys(wantSpec, gotSpec) {
		if fixedFields[k] {
			continue
		}
		if !reflect.DeepEqual(wantSpec[k], gotSpec[k]) {
			return fmt.Sprintf("spec.%s = %v, want %v", k, gotSpec[k], wantSpec[k])
		}
	}
	if !reflect.DeepEqual(got.GetLabels(), wantLabels) {
		return fmt.Sprintf("labels = %v, want %v", got.GetLabels(), wantLabels)
	}
	if got.GetDeletionTimestamp() != nil || got.Object["status"] != nil && orig.Object["status"] == nil {
		return "deleted or status written"
	}
	return ""
}

func mergeKeys(a, b map[string]any) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}
