package govsource

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ackguard/ackguard/api/v1alpha1"
	"github.com/ackguard/ackguard/internal/governance"
	"github.com/ackguard/ackguard/internal/owners"
	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/view"
)

// Snapshot is the compiled governance of the cluster, kept current from
// the cache's informers on GuardrailPolicies, GuardrailExceptions and
// Namespaces: a judgement reads it instead of listing and compiling.
//
// The snapshot learns of a change from an index function on each
// informer, which the informer calls while it stores the change, before
// it notifies any event handler. So a reconciler triggered by the change
// (its handler runs after) always judges with it: the snapshot cannot
// lag behind the cache. The index function only marks the object's key;
// the next read takes the marked objects from the cache, recompiles the
// policies that changed and the exception sets of the namespaces that
// changed (each namespace's set on its own), and swaps in the new engine
// atomically. A burst of changes costs one rebuild, adding exceptions to
// one namespace never recompiles another's, and a status update (same
// generation) recompiles nothing. The expiry of exceptions is judged at
// judgement time, never compiled in.
type Snapshot struct {
	registry *rules.Registry
	defaults governance.Defaults
	reader   client.Reader

	// pending are the keys changed since the last read; pendMu is never
	// held while reading the cache (the index functions run under the
	// cache's lock).
	pendMu         sync.Mutex
	pendPolicies   map[string]struct{}
	pendExceptions map[types.NamespacedName]struct{}
	pendNamespaces map[string]struct{}
	// marks count the changes marked, applied those a read has taken in
	// (policies and exceptions; namespaces): a reader rebuilds, or waits
	// for the rebuild under way, while they differ.
	marks, applied     atomic.Uint64
	nsMarks, nsApplied atomic.Uint64

	mu sync.Mutex // one rebuild at a time
	// policies by name; exceptions by namespace and name.
	policies   map[string]*policyEntry
	exceptions map[string]map[string]*v1alpha1.GuardrailException
	// base judges with the policies and no exception; sets are the
	// compiled exceptions of each namespace in the engine served.
	base   *governance.Engine
	sets   map[string]*governance.Exceptions
	engine atomic.Pointer[governance.Engine]

	nsMu       sync.RWMutex
	namespaces map[string]governance.Namespace

	infMu     sync.Mutex
	informers []cache.Informer
	synced    atomic.Bool
	rebuilt   atomic.Int64

	// owners are the owner accounts learned from the flag, namespace
	// annotations, ACK's cross-account role map and synced resources'
	// status; ownersApplied is the version the served engine was compiled
	// with (the defaults' OwnerAccounts are their union).
	owners        *owners.Set
	ownersApplied atomic.Uint64
	ownersLogged  atomic.Uint64 // version+1 of the owners last logged
}

type policyEntry struct {
	obj      *v1alpha1.GuardrailPolicy
	compiled *governance.CompiledPolicy
}

// snapshotIndex names the snapshot's index on the cache's informers.
const snapshotIndex = "ackguard.dev/governance-snapshot"

// NewSnapshot returns an empty snapshot (the baseline, no exception, no
// namespace) reading changed objects through reader; Watch connects it to
// a cache (and makes the cache its reader).
func NewSnapshot(reg *rules.Registry, d governance.Defaults) *Snapshot {
	s := &Snapshot{
		registry:       reg,
		defaults:       d,
		pendPolicies:   map[string]struct{}{},
		pendExceptions: map[types.NamespacedName]struct{}{},
		pendNamespaces: map[string]struct{}{},
		policies:       map[string]*policyEntry{},
		exceptions:     map[string]map[string]*v1alpha1.GuardrailException{},
		sets:           map[string]*governance.Exceptions{},
		namespaces:     map[string]governance.Namespace{},
		owners:         owners.New(d.Config.OwnerAccounts),
	}
	s.defaults.Config.OwnerAccounts = s.owners.IDs()
	s.ownersApplied.Store(s.owners.Version())
	s.base = governance.Assemble(reg, s.defaults, nil, nil)
	s.engine.Store(s.base)
	return s
}

// Watch connects the snapshot to the cache's informers of Namespaces and,
// when governed (ackguard's CRDs are served), of GuardrailPolicies and
// GuardrailExceptions. Call it before the cache starts; without the CRDs
// the baseline applies until WatchGovernance is called.
func (s *Snapshot) Watch(ctx context.Context, c cache.Cache, governed bool) error {
	s.reader = c
	if err := s.watch(ctx, c, &corev1.Namespace{}); err != nil {
		return err
	}
	if !governed {
		return nil
	}
	return s.WatchGovernance(ctx, c)
}

// WatchGovernance adds the informers of GuardrailPolicies and
// GuardrailExceptions, once their CRDs are served. Called while the cache
// runs, it returns once they hold every object (the informers index them
// as they start, so the snapshot sees them all).
func (s *Snapshot) WatchGovernance(ctx context.Context, c cache.Cache) error {
	for _, obj := range []client.Object{&v1alpha1.GuardrailPolicy{}, &v1alpha1.GuardrailException{}} {
		if err := s.watch(ctx, c, obj); err != nil {
			return err
		}
	}
	return nil
}

func (s *Snapshot) watch(ctx context.Context, c cache.Cache, obj client.Object) error {
	if err := c.IndexField(ctx, obj, snapshotIndex, func(o client.Object) []string {
		s.mark(o)
		return nil
	}); err != nil {
		return fmt.Errorf("watching %T for the governance snapshot: %w", obj, err)
	}
	inf, err := c.GetInformer(ctx, obj, cache.BlockUntilSynced(false))
	if err != nil {
		return fmt.Errorf("watching %T for the governance snapshot: %w", obj, err)
	}
	s.infMu.Lock()
	s.informers = append(s.informers, inf)
	s.infMu.Unlock()
	return nil
}

// HasSynced reports whether the informers have stored every object that
// existed when they started: from then on the snapshot is the cluster's
// governance.
func (s *Snapshot) HasSynced() bool {
	if s.synced.Load() {
		return true
	}
	s.infMu.Lock()
	infs := slices.Clone(s.informers)
	s.infMu.Unlock()
	if len(infs) == 0 {
		return false
	}
	for _, inf := range infs {
		if !inf.HasSynced() {
			return false
		}
	}
	if !s.synced.Swap(true) {
		// Read everything stored so far, then say which owner accounts
		// judgements start with.
		s.Engine()
		s.logOwners()
	}
	return true
}

// Engine returns the current engine, rebuilding it first when something
// changed since the last read.
func (s *Snapshot) Engine() *governance.Engine {
	if s.nsMarks.Load() != s.nsApplied.Load() {
		// A namespace's owner-account annotation may have changed.
		s.refreshNamespaces()
	}
	if s.marks.Load() != s.applied.Load() || s.owners.Version() != s.ownersApplied.Load() {
		s.rebuild()
	}
	return s.engine.Load()
}

// Owners returns the owner accounts the snapshot judges with and where
// each was learned. Adapters add what they learn through ObserveOwners.
func (s *Snapshot) Owners() *owners.Set { return s.owners }

// ObserveOwners records the accounts an origin names (none forgets it);
// the next judgement uses the new owner accounts when they changed.
func (s *Snapshot) ObserveOwners(o owners.Origin, accounts []string) {
	s.owners.Set(o, accounts)
}

// Namespace returns a namespace's labels and default region as the
// snapshot knows them, and whether it knows the namespace.
func (s *Snapshot) Namespace(name string) (governance.Namespace, bool) {
	if s.nsMarks.Load() != s.nsApplied.Load() {
		s.refreshNamespaces()
	}
	s.nsMu.RLock()
	ns, ok := s.namespaces[name]
	s.nsMu.RUnlock()
	if !ok {
		return governance.Namespace{Name: name}, false
	}
	return ns, true
}

// Rebuilds returns how many times the engine was rebuilt (for tests and
// benchmarks).
func (s *Snapshot) Rebuilds() int64 { return s.rebuilt.Load() }

// mark records that an object changed; the cache calls it while storing
// the change (and with the old object on an update or a deletion).
func (s *Snapshot) mark(o client.Object) {
	s.pendMu.Lock()
	defer s.pendMu.Unlock()
	switch o.(type) {
	case *corev1.Namespace:
		s.pendNamespaces[o.GetName()] = struct{}{}
		s.nsMarks.Add(1)
	case *v1alpha1.GuardrailPolicy:
		s.pendPolicies[o.GetName()] = struct{}{}
		s.marks.Add(1)
	case *v1alpha1.GuardrailException:
		s.pendExceptions[types.NamespacedName{Namespace: o.GetNamespace(), Name: o.GetName()}] = struct{}{}
		s.marks.Add(1)
	}
}

// take returns the pending keys, clearing them, and the marks they
// cover.
func (s *Snapshot) take() (map[string]struct{}, map[types.NamespacedName]struct{}, uint64) {
	s.pendMu.Lock()
	defer s.pendMu.Unlock()
	pols, exs := s.pendPolicies, s.pendExceptions
	s.pendPolicies, s.pendExceptions = map[string]struct{}{}, map[types.NamespacedName]struct{}{}
	return pols, exs, s.marks.Load()
}

// requeue marks keys again after a failed read.
func (s *Snapshot) requeue(pols []string, exs []types.NamespacedName) {
	s.pendMu.Lock()
	defer s.pendMu.Unlock()
	for _, p := range pols {
		s.pendPolicies[p] = struct{}{}
	}
	for _, e := range exs {
		s.pendExceptions[e] = struct{}{}
	}
	if len(pols)+len(exs) > 0 {
		s.marks.Add(1)
	}
}

func (s *Snapshot) rebuild() {
	s.mu.Lock()
	defer s.mu.Unlock()
	ownersVersion := s.owners.Version()
	ownersChanged := ownersVersion != s.ownersApplied.Load()
	if s.marks.Load() == s.applied.Load() && !ownersChanged {
		return // another reader rebuilt it
	}
	if ownersChanged {
		// Every policy inherits the owner accounts it does not set
		// itself: recompile them all.
		s.defaults.Config.OwnerAccounts = s.owners.IDs()
		for _, e := range s.policies {
			e.compiled = nil
		}
		defer s.ownersApplied.Store(ownersVersion)
		if s.synced.Load() {
			defer s.logOwners()
		}
	}
	ctx := context.Background()
	pendPols, pendExs, marks := s.take()
	// Readers arriving meanwhile wait for this rebuild (on mu).
	defer s.applied.Store(marks)
	var failedPols []string
	var failedExs []types.NamespacedName
	policiesChanged := false
	for name := range pendPols {
		p := &v1alpha1.GuardrailPolicy{}
		err := s.reader.Get(ctx, client.ObjectKey{Name: name}, p)
		switch {
		case apierrors.IsNotFound(err):
			if _, ok := s.policies[name]; ok {
				delete(s.policies, name)
				policiesChanged = true
			}
		case err != nil:
			failedPols = append(failedPols, name)
		default:
			if cur := s.policies[name]; cur != nil && sameSpec(cur.obj, p) {
				continue // a status update
			}
			s.policies[name] = &policyEntry{obj: p}
			policiesChanged = true
		}
	}
	changedNS := map[string]struct{}{}
	for key := range pendExs {
		ex := &v1alpha1.GuardrailException{}
		err := s.reader.Get(ctx, key, ex)
		byName := s.exceptions[key.Namespace]
		switch {
		case apierrors.IsNotFound(err):
			if byName[key.Name] != nil {
				delete(byName, key.Name)
				if len(byName) == 0 {
					delete(s.exceptions, key.Namespace)
				}
				changedNS[key.Namespace] = struct{}{}
			}
		case err != nil:
			failedExs = append(failedExs, key)
		default:
			if cur := byName[key.Name]; cur != nil && sameSpec(cur, ex) {
				continue
			}
			if byName == nil {
				byName = map[string]*v1alpha1.GuardrailException{}
				s.exceptions[key.Namespace] = byName
			}
			byName[key.Name] = ex
			changedNS[key.Namespace] = struct{}{}
		}
	}
	// Objects the cache could not give are read again next time.
	s.requeue(failedPols, failedExs)
	if !policiesChanged && !ownersChanged && len(changedNS) == 0 {
		return
	}
	if policiesChanged || ownersChanged {
		names := make([]string, 0, len(s.policies))
		for name := range s.policies {
			names = append(names, name)
		}
		slices.Sort(names)
		cps := make([]*governance.CompiledPolicy, 0, len(names))
		for _, name := range names {
			e := s.policies[name]
			if e.compiled == nil {
				e.compiled = governance.CompilePolicy(s.registry, s.defaults, e.obj)
			}
			cps = append(cps, e.compiled)
		}
		s.base = governance.Assemble(s.registry, s.defaults, cps, nil)
	}
	if len(changedNS) > 0 {
		// Engines share nothing mutable: the map is copied, the sets of
		// unchanged namespaces are reused.
		sets := make(map[string]*governance.Exceptions, len(s.sets)+len(changedNS))
		for ns, set := range s.sets {
			sets[ns] = set
		}
		for ns := range changedNS {
			byName := s.exceptions[ns]
			if len(byName) == 0 {
				delete(sets, ns)
				continue
			}
			exs := make([]*v1alpha1.GuardrailException, 0, len(byName))
			for _, ex := range byName {
				exs = append(exs, ex)
			}
			// Where several apply, the first by name exempts.
			slices.SortFunc(exs, func(a, b *v1alpha1.GuardrailException) int { return strings.Compare(a.Name, b.Name) })
			sets[ns] = governance.CompileExceptions(exs)
		}
		s.sets = sets
	}
	s.engine.Store(s.base.WithExceptions(s.sets))
	s.rebuilt.Add(1)
}

// refreshNamespaces reads the namespaces marked since the last read.
func (s *Snapshot) refreshNamespaces() {
	// Readers arriving meanwhile wait for the refresh (on nsMu).
	s.nsMu.Lock()
	defer s.nsMu.Unlock()
	if s.nsMarks.Load() == s.nsApplied.Load() {
		return
	}
	s.pendMu.Lock()
	pend := s.pendNamespaces
	s.pendNamespaces = map[string]struct{}{}
	marks := s.nsMarks.Load()
	s.pendMu.Unlock()
	defer s.nsApplied.Store(marks)
	var failed []string
	ctx := context.Background()
	for name := range pend {
		ns := &corev1.Namespace{}
		err := s.reader.Get(ctx, client.ObjectKey{Name: name}, ns)
		switch {
		case apierrors.IsNotFound(err):
			delete(s.namespaces, name)
		case err != nil:
			failed = append(failed, name)
			continue
		default:
			s.namespaces[name] = governance.Namespace{Name: name, Labels: ns.Labels, DefaultRegion: view.NamespaceDefaultRegion(ns.Annotations)}
		}
		// ACK creates the namespace's resources in the account its
		// annotation names (none when deleted or unannotated).
		var accts []string
		if a := view.NamespaceOwnerAccount(ns.Annotations); a != "" {
			accts = []string{a}
			if bad := owners.Invalid(accts); len(bad) > 0 {
				log.Info("ignoring a namespace's owner-account annotation that is not an AWS account ID", "namespace", name, "annotation", view.AnnotationOwnerAccountID, "value", a)
			}
		}
		s.owners.Set(owners.Origin{Source: owners.FromNamespace, Name: name}, accts)
	}
	if len(failed) > 0 {
		s.pendMu.Lock()
		for _, name := range failed {
			s.pendNamespaces[name] = struct{}{}
		}
		s.nsMarks.Add(1)
		s.pendMu.Unlock()
	}
}

var log = ctrl.Log.WithName("governance")

// logOwners says which owner accounts ackguard now judges with, and where
// each came from, once per change.
func (s *Snapshot) logOwners() {
	v := s.owners.Version()
	if s.ownersLogged.Swap(v+1) == v+1 {
		return
	}
	accts := s.owners.Accounts()
	if len(accts) == 0 {
		log.Info("no owner account is known: every account principal counts as external (set --owner-account, or annotate namespaces with " + view.AnnotationOwnerAccountID + ")")
		return
	}
	desc := make([]string, 0, len(accts))
	for _, a := range accts {
		desc = append(desc, a.String())
	}
	log.Info("owner accounts", "accounts", desc)
}

// sameSpec reports whether two versions of an object carry the same spec:
// the same object (UID) at the same, known generation. The API server
// bumps the generation on every spec change, not on status updates.
func sameSpec(a, b interface {
	GetUID() types.UID
	GetGeneration() int64
}) bool {
	return a.GetUID() == b.GetUID() && a.GetGeneration() != 0 && a.GetGeneration() == b.GetGeneration()
}
