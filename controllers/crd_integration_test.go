package controllers_test

import (
	"bytes"
	"context"
	"runtime/pprof"
	"slices"
	"strings"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// uninstallCRD deletes a CRD and waits until it is gone; it returns the
// CRD as it can be created again.
func uninstallCRD(ctx context.Context, name string) (*apiextensionsv1.CustomResourceDefinition, error) {
	return cluster.UninstallCRD(ctx, name)
}

// installCRD creates the CRD and waits until it is served.
func installCRD(t *testing.T, crd *apiextensionsv1.CustomResourceDefinition) {
	t.Helper()
	if err := cluster.InstallCRD(ctx, crd); err != nil {
		t.Fatal(err)
	}
}

func unprotectedCluster(ns, name string) *unstructured.Unstructured {
	return ackObject("rds.services.k8s.aws", "DBCluster", ns, name, map[string]any{
		"dbClusterIdentifier": name, "engine": "aurora-postgresql", "storageEncrypted": true,
		"deletionProtection": false, "port": int64(5433),
	})
}

// createWhenServed creates the object, retrying while the API server does
// not serve its kind yet (its discovery catches up with a new CRD).
func createWhenServed(t *testing.T, u *unstructured.Unstructured) {
	t.Helper()
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		return cluster.Client.Create(ctx, u.DeepCopy()) == nil, nil
	})
	if err != nil {
		t.Fatalf("cannot create %s %s", u.GetKind(), u.GetName())
	}
}

func waitProtected(t *testing.T, ns, name string) {
	t.Helper()
	var got *unstructured.Unstructured
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		got = getAs(t, unprotectedCluster(ns, name).GroupVersionKind(), ns, name)
		v, _, _ := unstructured.NestedBool(got.Object, "spec", "deletionProtection")
		return v, nil
	})
	if err != nil {
		t.Fatalf("deletionProtection not remediated: %v", got.Object["spec"])
	}
}

// An ACK CRD installed after ackguard started is guarded without a
// restart; deleted while watched, its reconciler and informer stop (no
// list and watch retried until it returns) and the manager runs on;
// installed again, it is guarded again, and no event handler is left
// behind on the informers the reconciler shared.
func TestKindInstalledDeletedAndReinstalledIsGuarded(t *testing.T) {
	suite.Start(t)
	ns := newNamespace(t)
	// ackguard runs, without the kind.
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		return len(ackguard.Kinds.Started()) > 0, nil
	})
	if err != nil {
		t.Fatal("no kind watched")
	}
	gvk := unprotectedCluster(ns, "").GroupVersionKind()
	if slices.Contains(ackguard.Kinds.Started(), gvk) {
		t.Fatalf("%s watched before its CRD was installed", gvk.Kind)
	}
	installCRD(t, lateCRD)
	createWhenServed(t, unprotectedCluster(ns, "late"))
	waitProtected(t, ns, "late")
	// The informer the reconciler reads from (BlockUntilSynced(false):
	// the running one is returned as it is).
	inf, err := ackguard.GetCache().GetInformer(ctx, unprotectedCluster(ns, ""), cache.BlockUntilSynced(false))
	if err != nil {
		t.Fatal(err)
	}
	listeners := handlerGoroutines()

	if _, err := uninstallCRD(ctx, lateCRDName); err != nil {
		t.Fatal(err)
	}
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		return !slices.Contains(ackguard.Kinds.Started(), gvk) && inf.IsStopped(), nil
	})
	if err != nil {
		t.Fatalf("%s still watched after its CRD was deleted (started %v, informer stopped %v)", gvk.Kind, ackguard.Kinds.Started(), inf.IsStopped())
	}
	select {
	case err := <-managerDone:
		t.Fatalf("the manager stopped when a watched CRD was deleted: %v", err)
	default:
	}

	installCRD(t, lateCRD)
	createWhenServed(t, unprotectedCluster(ns, "again"))
	waitProtected(t, ns, "again")
	if !slices.Contains(ackguard.Kinds.Started(), gvk) {
		t.Errorf("%s fixed but not listed as watched: %v", gvk.Kind, ackguard.Kinds.Started())
	}
	// The reconciler that stopped removed its handlers from the informers
	// it shared (policies, exceptions, namespaces, referenced kinds): as
	// many run as before the CRD was deleted.
	var now int
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		now = handlerGoroutines()
		return now == listeners, nil
	})
	if err != nil {
		t.Errorf("%d informer event handlers run, %d before the CRD was deleted and installed again", now, listeners)
	}
	// The suite's Buckets are still guarded.
	create(t, openBucket(ns, "after-crd"))
	waitFor(t, ns, "after-crd", 20*time.Second, hasBlockPublicAccess)
}

// handlerGoroutines counts the informer event handlers running in the
// process (each runs in a goroutine of its own).
func handlerGoroutines() int {
	var b bytes.Buffer
	_ = pprof.Lookup("goroutine").WriteTo(&b, 2)
	return strings.Count(b.String(), "(*processorListener).run(")
}

// kindSeries returns the series of the gauge that name a kind, by their
// labels.
func kindSeries(t *testing.T, metric, kind string) map[string]float64 {
	t.Helper()
	families, err := crmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		if f.GetName() != metric {
			continue
		}
		for _, m := range f.GetMetric() {
			if labelValue(m, "kind") == kind {
				out[m.String()] = m.GetGauge().GetValue()
			}
		}
	}
	return out
}

// Once an ACK CRD is deleted, the gauges of its kind's objects (open
// violations, suspensions) go with them: a kind no longer served has no
// series, as before it was installed, rather than the counts its objects
// had when the CRD went, kept until the manager restarts.
func TestDeletedKindLeavesNoGaugeSeries(t *testing.T) {
	suite.Start(t)
	ns := newNamespace(t)
	gvk := unprotectedCluster(ns, "").GroupVersionKind()
	if err := cluster.Client.Get(ctx, client.ObjectKey{Name: lateCRDName}, &apiextensionsv1.CustomResourceDefinition{}); apierrors.IsNotFound(err) {
		installCRD(t, lateCRD)
	} else if err != nil {
		t.Fatal(err)
	}
	// Unencrypted storage (RDS-002) has no fix: it stays open.
	u := unprotectedCluster(ns, "gauges")
	if err := unstructured.SetNestedField(u.Object, false, "spec", "storageEncrypted"); err != nil {
		t.Fatal(err)
	}
	createWhenServed(t, u)
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		for _, v := range kindSeries(t, "ackguard_violations_open", gvk.Kind) {
			if v > 0 {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("no open violation of %s exported", gvk.Kind)
	}

	if _, err := uninstallCRD(ctx, lateCRDName); err != nil {
		t.Fatal(err)
	}
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		return !slices.Contains(ackguard.Kinds.Started(), gvk), nil
	})
	if err != nil {
		t.Fatalf("%s still watched after its CRD was deleted", gvk.Kind)
	}
	for _, metric := range []string{"ackguard_violations_open", "ackguard_remediation_suspended"} {
		if got := kindSeries(t, metric, gvk.Kind); len(got) > 0 {
			t.Errorf("%s keeps series of the deleted kind %s: %v", metric, gvk.Kind, got)
		}
	}
}
