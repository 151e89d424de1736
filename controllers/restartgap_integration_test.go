package controllers_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	reportsv1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ackguard/ackguard/controllers"
	"github.com/ackguard/ackguard/internal/reports"
)

// objectResults counts the results of the named object in the namespace's
// report, whatever their rule and result.
func objectResults(t *testing.T, ns, name string) int {
	t.Helper()
	rep := &reportsv1alpha1.Report{}
	err := cluster.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: reports.DefaultName}, rep)
	if apierrors.IsNotFound(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range rep.Results {
		if len(r.Subjects) > 0 && r.Subjects[0].Name == name {
			n++
		}
	}
	return n
}

// A DBCluster deleted while its reconciler restarts (its parameter
// groups' CRD was deleted) is deleted where no handler hears it: the
// shared informer processed the deletion between the stop of one
// reconciler and the start of the next, which is told only of the objects
// still there. It leaves the report and the open-violations gauge
// nonetheless, once the next reconciler runs.
func TestObjectDeletedWhileItsKindRestartsLeavesNoResults(t *testing.T) {
	suite.Start(t)
	ns := newNamespace(t)
	if err := cluster.Client.Get(ctx, client.ObjectKey{Name: lateCRDName}, &apiextensionsv1.CustomResourceDefinition{}); apierrors.IsNotFound(err) {
		installCRD(t, lateCRD)
	} else if err != nil {
		t.Fatal(err)
	}
	u := unprotectedCluster(ns, "gap")
	gvk := u.GroupVersionKind()
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		return slices.Contains(ackguard.Kinds.Started(), gvk), nil
	})
	if err != nil {
		t.Fatalf("%s not watched", gvk.Kind)
	}
	// Unencrypted storage (RDS-003) has no fix: it stays open.
	open := map[string]string{"kind": gvk.Kind, "rule": "RDS-003"}
	before := metricValue(t, "ackguard_violations_open", open)
	if err := unstructured.SetNestedField(u.Object, false, "spec", "storageEncrypted"); err != nil {
		t.Fatal(err)
	}
	createWhenServed(t, u)
	waitResult(t, ns, "gap", "RDS-003", "reported", func(d string) bool { return d != "" })
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		return metricValue(t, "ackguard_violations_open", open) == before+1, nil
	})
	if err != nil {
		t.Fatalf("the open RDS-003 of %s/gap not counted", ns)
	}

	// The DBCluster goes while no reconciler of its kind runs: the test
	// waits, in the gap, until the manager's informer has dropped it.
	gap := make(chan error, 1)
	deleted := false // the watcher calls the seam with its lock held
	controllers.SetRestartGap(ackguard.Kinds, func(k schema.GroupVersionKind) {
		if k == gvk && !deleted {
			deleted = true
			gap <- deleteAndWaitUncached(u)
		}
	})
	t.Cleanup(func() { controllers.SetRestartGap(ackguard.Kinds, nil) })
	const groups = "dbclusterparametergroups.rds.services.k8s.aws"
	crd, err := uninstallCRD(ctx, groups)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { installCRD(t, crd) })
	select {
	case err := <-gap:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("%s not restarted once %s was deleted", gvk.Kind, groups)
	}
	controllers.SetRestartGap(ackguard.Kinds, nil)

	var results int
	var gauge float64
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		results, gauge = objectResults(t, ns, "gap"), metricValue(t, "ackguard_violations_open", open)
		return slices.Contains(ackguard.Kinds.Started(), gvk) && results == 0 && gauge == before, nil
	})
	if err != nil {
		t.Errorf("%s/gap deleted while its kind's reconciler restarted: the report keeps %d results of it, ackguard_violations_open %v (%v before it was created)",
			ns, results, gauge, before)
	}
}

// deleteAndWaitUncached deletes the object and waits until the suite's
// manager's cache no longer has it.
func deleteAndWaitUncached(u *unstructured.Unstructured) error {
	if err := cluster.Client.Delete(ctx, u.DeepCopy()); err != nil {
		return err
	}
	err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		got := &unstructured.Unstructured{}
		got.SetGroupVersionKind(u.GroupVersionKind())
		return apierrors.IsNotFound(ackguard.GetCache().Get(ctx, client.ObjectKeyFromObject(u), got)), nil
	})
	if err != nil {
		return fmt.Errorf("%s/%s still in the manager's cache after its deletion", u.GetNamespace(), u.GetName())
	}
	return nil
}
