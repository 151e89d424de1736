// Package govsource hands the pure governance engine the cluster's
// GuardrailPolicies, GuardrailExceptions and namespace labels. In the
// manager a Snapshot keeps them compiled, current from informer events;
// without one (or until it has synced) they are read through a
// client.Reader (the manager's cache) and compiled per call. The webhook
// and the reconcilers share it.
package govsource

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ackguard/ackguard/api/v1alpha1"
	"github.com/ackguard/ackguard/internal/governance"
	"github.com/ackguard/ackguard/internal/resolve"
	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/view"
)

// Source builds governance engines from the cluster.
type Source struct {
	Reader client.Reader
	// APIReader, when set, reads a namespace the cache has not seen yet
	// (a GitOps sync creating a namespace and its resources together), so
	// its labels select policies from the first request.
	APIReader client.Reader
	Registry  *rules.Registry
	Defaults  governance.Defaults
	// Memo, when set, hands the webhook's judgements to the reconciler.
	Memo *Memo
	// Now returns the time exceptions are judged at; nil means time.Now.
	Now func() time.Time
	// Snapshot, when set, serves the engine and namespace labels once it
	// has synced (Reader serves them until then). It must have been built
	// with the same Registry and Defaults.
	Snapshot *Snapshot
	// Served, when set, tells which kinds the API server serves now (in
	// the manager: kinds.Served.Served, from discovery): related objects
	// of a kind not served are not read, as of a kind never installed.
	// Reader may be a cache whose RESTMapper keeps a kind after its CRD
	// is deleted; a read of it would wait for an informer that never
	// syncs.
	Served func(schema.GroupVersionKind) bool
}

// snapshot returns the snapshot when it serves, else nil.
func (s *Source) snapshot() *Snapshot {
	if s.Snapshot != nil && s.Snapshot.HasSynced() {
		return s.Snapshot
	}
	return nil
}

// Time returns the current time.
func (s *Source) Time() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Engine returns an engine over every GuardrailPolicy and at least the
// GuardrailExceptions of the namespace (of every namespace when namespace
// is "", or when the snapshot serves: it holds them all, indexed). When
// ackguard's CRDs are not installed, there are no policies and the
// baseline applies.
func (s *Source) Engine(ctx context.Context, namespace string) (*governance.Engine, error) {
	if snap := s.snapshot(); snap != nil {
		return snap.Engine(), nil // every namespace's exceptions, indexed
	}
	var pols v1alpha1.GuardrailPolicyList
	if err := s.Reader.List(ctx, &pols); err != nil && !meta.IsNoMatchError(err) {
		return nil, fmt.Errorf("listing GuardrailPolicies: %w", err)
	}
	var exs v1alpha1.GuardrailExceptionList
	var opts []client.ListOption
	if namespace != "" {
		opts = append(opts, client.InNamespace(namespace))
	}
	if err := s.Reader.List(ctx, &exs, opts...); err != nil && !meta.IsNoMatchError(err) {
		return nil, fmt.Errorf("listing GuardrailExceptions: %w", err)
	}
	return governance.New(s.Registry, s.Defaults, pols.Items, exs.Items), nil
}

// Namespace returns a namespace's name, labels and default region (""
// for cluster-scoped objects). A namespace that cannot be found has only its name.
func (s *Source) Namespace(ctx context.Context, name string) (governance.Namespace, error) {
	ns := governance.Namespace{Name: name}
	if name == "" {
		return ns, nil
	}
	snap := s.snapshot()
	if snap != nil {
		if known, ok := snap.Namespace(name); ok {
			return known, nil
		}
	}
	return s.readNamespace(ctx, ns, snap == nil)
}

// readNamespace is Namespace for a namespace the snapshot does not know
// (or with no snapshot: fromCache), read from the cache and then from the
// API server. It is apart so that the object read escapes to the heap
// only on this path, not on every admission the snapshot answers.
func (s *Source) readNamespace(ctx context.Context, ns governance.Namespace, fromCache bool) (governance.Namespace, error) {
	var obj corev1.Namespace
	var err error
	if fromCache {
		err = s.Reader.Get(ctx, client.ObjectKey{Name: ns.Name}, &obj)
	} else {
		err = apierrors.NewNotFound(corev1.Resource("namespaces"), ns.Name)
	}
	if apierrors.IsNotFound(err) && s.APIReader != nil {
		err = s.APIReader.Get(ctx, client.ObjectKey{Name: ns.Name}, &obj)
	}
	switch {
	case apierrors.IsNotFound(err):
		return ns, nil
	case err != nil:
		return ns, fmt.Errorf("reading namespace %s: %w", ns.Name, err)
	}
	ns.Labels = obj.Labels
	ns.DefaultRegion = view.NamespaceDefaultRegion(obj.Annotations)
	return ns, nil
}

// For returns the engine over the policies and the namespace's exceptions,
// and the namespace: what judging anything in that namespace needs.
func (s *Source) For(ctx context.Context, namespace string) (*governance.Engine, governance.Namespace, error) {
	eng, err := s.Engine(ctx, namespace)
	if err != nil {
		return nil, governance.Namespace{}, err
	}
	ns, err := s.Namespace(ctx, namespace)
	if err != nil {
		return nil, governance.Namespace{}, err
	}
	return eng, ns, nil
}

// Admit decides req in its namespace (req.Namespace.Name, else the
// object's) under the cluster's policies and exceptions, at the source's
// time, resolving related objects through the reader. A judgement the webhook made of an admitted object
// is kept in Memo (when set) for the reconciler, whose Existing request
// for the same unchanged object reuses it instead of judging again.
func (s *Source) Admit(ctx context.Context, req governance.Request) (*governance.Decision, error) {
	name := req.Namespace.Name
	if name == "" {
		name = namespaceOf(req.Object)
	}
	eng, ns, err := s.For(ctx, name)
	if err != nil {
		return nil, err
	}
	req.Namespace = ns
	if req.Now.IsZero() {
		req.Now = s.Time()
	}
	if req.Operation == governance.Existing {
		if j := s.Memo.take(req.Object, ns, eng, req.Now); j != nil {
			return eng.Decide(req, j), nil
		}
	}
	tr := &trackingResolver{Resolver: s.Resolver(ctx)}
	req.Resolver = tr
	d := eng.Admit(req)
	if req.Operation != governance.Existing && !req.DryRun && d.Allowed() && !tr.used {
		s.Memo.put(req.Object, ns, eng, d.Judgement)
	}
	return d, nil
}

// Resolver returns what rules read related objects through: the Reader,
// for the kinds the rules guard, of those the kinds served now. ctx
// bounds every lookup.
func (s *Source) Resolver(ctx context.Context) rules.Resolver {
	r := resolve.Client(ctx, s.Reader)
	if s.Served != nil {
		r = resolve.Installed(r, s.Served)
	}
	return resolve.Restrict(r, s.Registry.Guards)
}

func namespaceOf(obj map[string]any) string { return view.ReadIdentity(obj).Namespace }
