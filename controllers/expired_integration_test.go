package controllers_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ackguard/ackguard/internal/ackcrds"
	"github.com/ackguard/ackguard/internal/localcluster"
	"github.com/ackguard/ackguard/internal/view"
)

// watchCutter sits in the manager's HTTP transport. While cut, the watches
// of Buckets end (their streams close, as an API server ends a watch at
// its timeout) and new ones fail to connect, as when the API server is
// out of reach; every other request passes. It counts the Bucket watches
// the API server answered with 410 Expired. Everything else, the 410
// included, is the real API server's and client-go's reflector's.
type watchCutter struct {
	next http.RoundTripper

	mu      sync.Mutex
	cut     bool
	open    map[*cutBody]bool
	expired int
}

func isBucketWatch(r *http.Request) bool {
	return strings.HasSuffix(r.URL.Path, "/buckets") && r.URL.Query().Get("watch") == "true"
}

func (c *watchCutter) RoundTrip(r *http.Request) (*http.Response, error) {
	if !isBucketWatch(r) {
		return c.next.RoundTrip(r)
	}
	c.mu.Lock()
	cut := c.cut
	c.mu.Unlock()
	if cut {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	}
	resp, err := c.next.RoundTrip(r)
	if err != nil {
		return resp, err
	}
	if resp.StatusCode == http.StatusGone {
		c.mu.Lock()
		c.expired++
		c.mu.Unlock()
		return resp, nil
	}
	b := &cutBody{ReadCloser: resp.Body, cutter: c}
	c.mu.Lock()
	if c.open == nil {
		c.open = map[*cutBody]bool{}
	}
	c.open[b] = true
	c.mu.Unlock()
	resp.Body = b
	return resp, nil
}

// Cut ends the open Bucket watches and refuses new ones until Restore.
func (c *watchCutter) Cut() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cut = true
	for b := range c.open {
		b.end()
	}
}

func (c *watchCutter) Restore() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cut = false
}

// Expired returns how many Bucket watches were answered 410 Expired.
func (c *watchCutter) Expired() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.expired
}

// cutBody is a watch stream that Cut ends, and that spots an ERROR event
// carrying a 410 Expired status.
type cutBody struct {
	io.ReadCloser
	cutter *watchCutter

	mu    sync.Mutex
	ended bool
	seen  []byte // the stream so far (the test's watches are short)
	gone  bool
}

func (b *cutBody) end() {
	b.mu.Lock()
	b.ended = true
	b.mu.Unlock()
	_ = b.ReadCloser.Close()
}

func (b *cutBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ended {
		return 0, io.EOF // a clean end of the stream
	}
	if !b.gone && n > 0 {
		b.seen = append(b.seen, p[:n]...)
		if bytes.Contains(b.seen, []byte(`"reason":"Expired"`)) && bytes.Contains(b.seen, []byte(`"code":410`)) {
			b.gone, b.seen = true, nil
			b.cutter.mu.Lock()
			b.cutter.expired++
			b.cutter.mu.Unlock()
		}
	}
	return n, err
}

func (b *cutBody) Close() error {
	b.cutter.mu.Lock()
	delete(b.cutter.open, b)
	b.cutter.mu.Unlock()
	return b.ReadCloser.Close()
}

// The watch of Buckets breaks off and can be resumed only after the API
// server compacted etcd past the last resourceVersion the informer saw:
// the API server answers the resumed watch 410 Expired, the informer
// relists, and what drifted meanwhile (a Bucket changed, a Bucket
// created) is fixed, each Bucket once.
//
// The control plane is the test's own: its API server serves watches from
// etcd (--watch-cache=false; with the watch cache, an old resourceVersion
// expires only once it falls out of the cache's window) and compacts
// etcd every second (--etcd-compaction-interval).
func TestExpiredWatchRelistsAndFixesWhatDriftedMeanwhile(t *testing.T) {
	if testing.Short() {
		t.Skip("needs its own envtest control plane (skipped with -short)")
	}
	crds, _, err := ackcrds.Load()
	if err != nil {
		t.Fatal(err)
	}
	c, err := localcluster.Start(localcluster.Options{CRDs: crds, APIServerFlags: map[string]string{
		"watch-cache": "false", "etcd-compaction-interval": "1s",
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop() })
	bg := context.Background()

	cutter := &watchCutter{}
	cfg := rest.CopyConfig(c.Config)
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		cutter.next = rt
		return cutter
	})
	o := c.ManagerOptions()
	o.EnableWebhook = false
	o.SkipControllerNameValidation = true // the suite's ackguard runs in this process too
	mctx, stop := context.WithCancel(bg)
	m, done, err := c.StartAckguardAs(mctx, cfg, o)
	if err != nil {
		stop()
		t.Fatal(err)
	}
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("the manager stopped with %v", err)
		}
	}()
	err = wait.PollUntilContextTimeout(bg, 100*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		return slices.Contains(m.Kinds.Started(), view.BucketGVK), nil
	})
	if err != nil {
		t.Fatal("Buckets are not watched")
	}

	ns := "default"
	// Before the break: the watch delivers (it delivers in order: the
	// informer has "edited" once "steady" is fixed).
	if err := c.Client.Create(bg, compliantBucket(ns, "edited")); err != nil {
		t.Fatal(err)
	}
	if err := c.Client.Create(bg, openBucket(ns, "steady")); err != nil {
		t.Fatal(err)
	}
	waitIn(t, c, ns, "steady", hasBlockPublicAccess)

	cutter.Cut()
	// Meanwhile: one Bucket loses its Block Public Access, another is
	// created without it.
	edited := &unstructured.Unstructured{}
	edited.SetGroupVersionKind(view.BucketGVK)
	if err := c.Client.Get(bg, client.ObjectKey{Namespace: ns, Name: "edited"}, edited); err != nil {
		t.Fatal(err)
	}
	unstructured.RemoveNestedField(edited.Object, "spec", "publicAccessBlock")
	if err := c.Client.Update(bg, edited); err != nil {
		t.Fatal(err)
	}
	created := openBucket(ns, "created")
	if err := c.Client.Create(bg, created); err != nil {
		t.Fatal(err)
	}
	// The API server compacts etcd past the last write: every
	// resourceVersion the informer saw before the break has expired.
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(view.BucketGVK.GroupVersion().WithKind("BucketList"))
	exact := &client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: created.GetResourceVersion(), ResourceVersionMatch: metav1.ResourceVersionMatchExact}}
	var listErr error
	err = wait.PollUntilContextTimeout(bg, 200*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		listErr = c.Client.List(ctx, list, exact)
		return apierrors.IsResourceExpired(listErr) || apierrors.IsGone(listErr), nil
	})
	if err != nil {
		t.Fatalf("etcd not compacted past resourceVersion %s: %v", created.GetResourceVersion(), listErr)
	}
	if hasBlockPublicAccess(getIn(t, c, ns, "created")) || hasBlockPublicAccess(getIn(t, c, ns, "edited")) {
		t.Fatal("a Bucket was fixed while its watch was cut")
	}

	cutter.Restore()
	err = wait.PollUntilContextTimeout(bg, 100*time.Millisecond, 60*time.Second, true, func(context.Context) (bool, error) {
		return cutter.Expired() > 0, nil
	})
	if err != nil {
		t.Fatal("the resumed Bucket watch was never answered 410 Expired")
	}
	waitIn(t, c, ns, "edited", hasBlockPublicAccess)
	waitIn(t, c, ns, "created", hasBlockPublicAccess)
	for _, name := range []string{"steady", "edited", "created"} {
		u := getIn(t, c, ns, name)
		if s := remediationState(t, u); s.Attempts != 1 {
			t.Errorf("%s fixed %d times, want once: %+v", name, s.Attempts, s)
		}
	}
}

func getIn(t *testing.T, c *localcluster.Cluster, ns, name string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(view.BucketGVK)
	if err := c.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, u); err != nil {
		t.Fatal(err)
	}
	return u
}
