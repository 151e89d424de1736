package controllers_test

import (
	"context"
	"testing"
	"time"

	reportsv1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ackguard/ackguard/internal/ackcrds"
	"github.com/ackguard/ackguard/internal/localcluster"
	"github.com/ackguard/ackguard/internal/manager"
	"github.com/ackguard/ackguard/internal/reports"
)

// Two replicas with leader election against one API server (a control
// plane of its own, so the suite's ackguard does not patch): only the
// leader runs the reconcilers, while the webhook serves on every replica
// (the API server here calls the follower's, which denies an insecure
// Bucket while it is not elected); when the leader stops, the other takes
// over and fixes what drifts next.
func TestOnlyTheLeaderRemediatesAndTheOtherTakesOver(t *testing.T) {
	c := ownControlPlane(t)
	bg := context.Background()

	start := func(webhook bool) (*manager.Manager, context.CancelFunc, <-chan error) {
		t.Helper()
		o := c.ManagerOptions()
		o.EnableWebhook = webhook // one port: only the follower serves it here
		o.LeaderElection, o.LeaderElectionNamespace = true, "default"
		o.LeaseDuration, o.RenewDeadline, o.RetryPeriod = 3*time.Second, 2*time.Second, 200*time.Millisecond
		o.SkipControllerNameValidation = true // the suite's ackguard runs in this process too
		mctx, cancel := context.WithCancel(bg)
		m, done, err := c.StartAckguard(mctx, o)
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		return m, cancel, done
	}
	a, stopA, doneA := start(false)
	defer stopA()
	// The first to start leads; the second waits.
	select {
	case <-a.Elected():
	case <-time.After(30 * time.Second):
		t.Fatal("the first replica was not elected")
	}
	b, stopB, _ := start(true)
	defer stopB()

	ns := "default"
	if err := c.Client.Create(bg, openBucket(ns, "led")); err != nil {
		t.Fatal(err)
	}
	waitIn(t, c, ns, "led", hasBlockPublicAccess)
	select {
	case <-b.Elected():
		t.Fatal("both replicas lead")
	default:
	}
	if started := b.Kinds.Started(); len(started) != 0 {
		t.Errorf("the follower runs reconcilers for %v", started)
	}
	// The follower's webhook answers the API server: an insecure Bucket is
	// denied while the follower is not elected.
	if err := c.RegisterWebhook(bg, admissionregistrationv1.Fail); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitForAdmission(bg, ns); err != nil {
		t.Fatalf("the follower's webhook does not judge: %v", err)
	}
	select {
	case <-b.Elected():
		t.Fatal("the follower was elected while the leader runs")
	default:
	}
	cfg := c.WebhookConfiguration(admissionregistrationv1.Fail)
	if err := c.Client.Delete(bg, cfg); err != nil {
		t.Fatal(err)
	}

	lease := &coordinationv1.Lease{}
	if err := c.Client.Get(bg, client.ObjectKey{Namespace: ns, Name: manager.LeaderElectionID}, lease); err != nil {
		t.Fatal(err)
	}
	if lease.Spec.HolderIdentity == nil || *lease.Spec.HolderIdentity == "" {
		t.Errorf("the lease names no holder: %+v", lease.Spec)
	}

	// The leader stops (it releases the lease): the other takes over.
	stopA()
	if err := <-doneA; err != nil {
		t.Fatalf("the leader stopped with %v", err)
	}
	select {
	case <-b.Elected():
	case <-time.After(30 * time.Second):
		t.Fatal("the follower never took over")
	}
	// The API server stops calling the webhook once its informer has seen
	// the configuration deleted.
	err := wait.PollUntilContextTimeout(bg, 200*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		return c.Client.Create(ctx, openBucket(ns, "after-handover")) == nil, nil
	})
	if err != nil {
		t.Fatal("an insecure Bucket is still denied after the webhook configuration was deleted")
	}
	waitIn(t, c, ns, "after-handover", hasBlockPublicAccess)
	// The new leader's report says when the first fixed "led": it reads
	// the fix from the object, not from what the old leader remembered.
	err = wait.PollUntilContextTimeout(bg, 200*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		rep := &reportsv1alpha1.Report{}
		if err := c.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: reports.DefaultName}, rep); err != nil {
			return false, client.IgnoreNotFound(err)
		}
		// Only the new leader's report lists the Bucket created after the
		// old one stopped.
		newLeaders, fixed := false, false
		for _, r := range rep.Results {
			if len(r.Subjects) == 0 {
				continue
			}
			switch r.Subjects[0].Name {
			case "after-handover":
				newLeaders = true
			case "led":
				if r.Rule == "S3-001" {
					_, err := time.Parse(time.RFC3339, r.Properties[reports.PropertyRemediated])
					fixed = err == nil
				}
			}
		}
		return newLeaders && fixed, nil
	})
	if err != nil {
		t.Error("the new leader's report does not say when S3-001 was fixed on the Bucket the old leader fixed")
	}
}

func waitIn(t *testing.T, c *localcluster.Cluster, ns, name string, cond func(*unstructured.Unstructured) bool) {
	t.Helper()
	u := openBucket(ns, name)
	err := wait.PollUntilContextTimeout(context.Background(), 200*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		if err := c.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, u); err != nil {
			return false, nil
		}
		return cond(u), nil
	})
	if err != nil {
		t.Fatalf("%s/%s: condition not met; spec %v", ns, name, u.Object["spec"])
	}
}

// ownControlPlane starts a control plane of its own, with ACK's CRDs, for
// a test whose ackguard must not meet the suite's (it is skipped with
// -short); it stops when the test ends.
func ownControlPlane(t *testing.T) *localcluster.Cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("needs its own envtest control plane (skipped with -short)")
	}
	crds, _, err := ackcrds.Load()
	if err != nil {
		t.Fatal(err)
	}
	c, err := localcluster.Start(localcluster.Options{CRDs: crds})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop() })
	return c
}
