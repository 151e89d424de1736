package controllers_test

import (
	"context"
	"io"
	"net"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	reportsv1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ackguard/ackguard/internal/reports"
)

// cutProxy forwards TCP connections to the API server until it is cut:
// then it drops every connection and refuses new ones until restored.
type cutProxy struct {
	ln       net.Listener
	upstream string
	mu       sync.Mutex
	cut      bool
	conns    map[net.Conn]bool
}

func startCutProxy(t *testing.T, upstream string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, upstream: upstream, conns: map[net.Conn]bool{}}
	t.Cleanup(func() { _ = ln.Close(); p.setCut(true) })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
	return p
}

func (p *cutProxy) track(conns ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut {
		return false
	}
	for _, c := range conns {
		p.conns[c] = true
	}
	return true
}

func (p *cutProxy) serve(c net.Conn) {
	up, err := net.Dial("tcp", p.upstream)
	if err != nil {
		_ = c.Close()
		return
	}
	if !p.track(c, up) {
		_, _ = c.Close(), up.Close()
		return
	}
	go func() { _, _ = io.Copy(up, c); _, _ = up.Close(), c.Close() }()
	_, _ = io.Copy(c, up)
	_, _ = up.Close(), c.Close()
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, up)
	p.mu.Unlock()
}

func (p *cutProxy) setCut(cut bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = cut
	if cut {
		for c := range p.conns {
			_ = c.Close()
		}
		clear(p.conns)
	}
}

// A CRD deleted while the leader's watch of its kind is down (an API
// server restarting, a network partition) takes its objects with it
// without the reconciler ever seeing them deleted: the informer's list
// and watch of a kind no longer served only fail. Once the kind is no
// longer served, its objects' results leave the namespace's Report, and
// the owner accounts only their status named are forgotten (a Role
// trusting that account is judged external again).
func TestDeletedKindLeavesNoResultsNorOwnerAccounts(t *testing.T) {
	c := ownControlPlane(t)
	bg := context.Background()

	api, err := url.Parse(c.Config.Host)
	if err != nil {
		t.Fatal(err)
	}
	proxy := startCutProxy(t, api.Host)
	cfg := rest.CopyConfig(c.Config)
	cfg.Host = "https://" + proxy.ln.Addr().String()
	o := c.ManagerOptions()
	o.EnableWebhook = false
	o.ResyncPeriod = 2 * time.Second // the Role is judged again with the accounts known then
	o.SkipControllerNameValidation = true
	mctx, stop := context.WithCancel(bg)
	defer stop()
	m, _, err := c.StartAckguardAs(mctx, cfg, o)
	if err != nil {
		t.Fatal(err)
	}

	const ns, account = "default", "444455556666"
	role := ackObject("iam.services.k8s.aws", "Role", ns, "trusting", map[string]any{
		"name": "trusting",
		"assumeRolePolicyDocument": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` +
			account + `:root"},"Action":"sts:AssumeRole"}]}`,
	})
	if err := c.Client.Create(bg, role); err != nil {
		t.Fatal(err)
	}
	db := unprotectedCluster(ns, "db")
	gvk := db.GroupVersionKind()
	err = wait.PollUntilContextTimeout(bg, 100*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		return slices.Contains(m.Kinds.Started(), gvk), nil
	})
	if err != nil {
		t.Fatalf("%s not watched", gvk.Kind)
	}
	if err := c.Client.Create(bg, db); err != nil {
		t.Fatal(err)
	}
	// ACK records the account it created the cluster in.
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur := db.DeepCopy()
		if err := c.Client.Get(bg, client.ObjectKeyFromObject(db), cur); err != nil {
			return err
		}
		_ = unstructured.SetNestedField(cur.Object, map[string]any{
			"arn": "arn:aws:rds:eu-west-1:" + account + ":cluster:db", "ownerAccountID": account, "region": "eu-west-1",
		}, "status", "ackResourceMetadata")
		return c.Client.Status().Update(bg, cur)
	})
	if err != nil {
		t.Fatal(err)
	}
	// trusted reports whether the Role's IAM-011 passes, and dbResults
	// how many results the DBCluster has.
	report := func() (trusted bool, dbResults int, ok bool) {
		rep := &reportsv1alpha1.Report{}
		if err := c.Client.Get(bg, client.ObjectKey{Namespace: ns, Name: reports.DefaultName}, rep); err != nil {
			return false, 0, false
		}
		for _, r := range rep.Results {
			if len(r.Subjects) == 0 {
				continue
			}
			switch s := r.Subjects[0]; {
			case s.Kind == "Role" && r.Rule == "IAM-011":
				trusted = r.Result == reports.ResultPass
			case s.Kind == gvk.Kind:
				dbResults++
			}
		}
		return trusted, dbResults, true
	}
	err = wait.PollUntilContextTimeout(bg, 200*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		trusted, n, ok := report()
		return ok && trusted && n > 0, nil
	})
	if err != nil {
		t.Fatalf("the report never listed the %s nor trusted the account its status names", gvk.Kind)
	}

	// The CRD goes, with the cluster, while ackguard cannot reach the API
	// server.
	proxy.setCut(true)
	if _, err := c.UninstallCRD(bg, lateCRDName); err != nil {
		t.Fatal(err)
	}
	proxy.setCut(false)
	err = wait.PollUntilContextTimeout(bg, 100*time.Millisecond, 60*time.Second, true, func(context.Context) (bool, error) {
		return !slices.Contains(m.Kinds.Started(), gvk), nil
	})
	if err != nil {
		t.Fatalf("%s still watched after its CRD was deleted", gvk.Kind)
	}
	var trusted bool
	var n int
	err = wait.PollUntilContextTimeout(bg, 200*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		var ok bool
		trusted, n, ok = report()
		return ok && !trusted && n == 0, nil
	})
	if err != nil {
		t.Errorf("after its CRD was deleted: the report lists %d results of the gone %s; the account only its status named is still an owner: %v", n, gvk.Kind, trusted)
	}
}
