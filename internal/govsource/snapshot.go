package govsource

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ackguard/ackguard/api/v1alpha1"
	"github.com/ackguard/ackguard/internal/governance"
	"github.com/ackguard/ackguard/internal/rules"
)

// Snapshot is the compiled governance of the cluster, kept current from
// informer events on GuardrailPolicies, GuardrailExceptions and
// Namespaces: a judgement reads it instead of listing and compiling.
//
// Events only record what changed and mark the snapshot dirty; the next
// read recompiles the policies that changed and the exception sets of the
// namespaces that changed (each namespace's set on its own), then swaps
// in the new engine atomically. A burst of events costs one rebuild, and
// adding exceptions to one namespace never recompiles another's. The
// expiry of exceptions is judged at judgement time, never compiled in.
//
// Objects delivered by the informers are kept as they are (not copied):
// like every reader of a shared cache, the snapshot never modifies them.
type Snapshot struct {
	registry *rules.Registry
	defaults governance.Defaults

	mu sync.Mutex
	// policies by name; compiled is nil until the next rebuild.
	policies      map[string]*policyEntry
	policiesDirty bool
	// exceptions by namespace and name; the sets of dirtyNS are
	// recompiled at the next rebuild.
	exceptions map[string]map[string]*v1alpha1.GuardrailException
	dirtyNS    map[string]struct{}
	// base judges with the policies and no exception; sets are the
	// compiled exceptions of each namespace in the engine served.
	base *governance.Engine
	sets map[string]*governance.Exceptions

	dirty  atomic.Bool
	engine atomic.Pointer[governance.Engine]

	nsMu       sync.RWMutex
	namespaces map[string]map[string]string

	synced  atomic.Bool
	regs    []toolscache.ResourceEventHandlerRegistration
	rebuilt atomic.Int64
}

type policyEntry struct {
	obj      *v1alpha1.GuardrailPolicy
	compiled *governance.CompiledPolicy
}

// NewSnapshot returns an empty snapshot (the baseline, no exception, no
// namespace); Watch fills it.
func NewSnapshot(reg *rules.Registry, d governance.Defaults) *Snapshot {
	s := &Snapshot{
		registry:   reg,
		defaults:   d,
		policies:   map[string]*policyEntry{},
		exceptions: map[string]map[string]*v1alpha1.GuardrailException{},
		dirtyNS:    map[string]struct{}{},
		sets:       map[string]*governance.Exceptions{},
		namespaces: map[string]map[string]string{},
	}
	s.base = governance.Assemble(reg, d, nil, nil)
	s.engine.Store(s.base)
	return s
}

// Watch registers the snapshot's event handlers on the informers of
// Namespaces and, when governed (ackguard's CRDs are served), of
// GuardrailPolicies and GuardrailExceptions. Call it before the cache
// starts, or at any time after; without the CRDs the baseline applies.
func (s *Snapshot) Watch(ctx context.Context, informers cache.Informers, governed bool) error {
	objs := []client.Object{&corev1.Namespace{}}
	if governed {
		objs = append(objs, &v1alpha1.GuardrailPolicy{}, &v1alpha1.GuardrailException{})
	}
	for _, obj := range objs {
		inf, err := informers.GetInformer(ctx, obj, cache.BlockUntilSynced(false))
		if err != nil {
			return fmt.Errorf("watching %T for the governance snapshot: %w", obj, err)
		}
		reg, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
			AddFunc:    func(o any) { s.upsert(o) },
			UpdateFunc: func(_, o any) { s.upsert(o) },
			DeleteFunc: func(o any) { s.remove(o) },
		})
		if err != nil {
			return fmt.Errorf("watching %T for the governance snapshot: %w", obj, err)
		}
		s.regs = append(s.regs, reg)
	}
	return nil
}

// HasSynced reports whether the informers have delivered every object
// that existed when they started: from then on the snapshot is the
// cluster's governance.
func (s *Snapshot) HasSynced() bool {
	if s.synced.Load() {
		return true
	}
	if len(s.regs) == 0 {
		return false
	}
	for _, r := range s.regs {
		if !r.HasSynced() {
			return false
		}
	}
	s.synced.Store(true)
	return true
}

// Engine returns the current engine, rebuilding it first when something
// changed since the last read.
func (s *Snapshot) Engine() *governance.Engine {
	if s.dirty.Load() {
		s.rebuild()
	}
	return s.engine.Load()
}

// Namespace returns a namespace's labels as the snapshot knows them, and
// whether it knows the namespace.
func (s *Snapshot) Namespace(name string) (governance.Namespace, bool) {
	s.nsMu.RLock()
	l, ok := s.namespaces[name]
	s.nsMu.RUnlock()
	return governance.Namespace{Name: name, Labels: l}, ok
}

// Rebuilds returns how many times the engine was rebuilt (for tests and
// benchmarks).
func (s *Snapshot) Rebuilds() int64 { return s.rebuilt.Load() }

func (s *Snapshot) rebuild() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.dirty.Load() {
		return // another reader rebuilt it
	}
	s.dirty.Store(false)
	if s.policiesDirty {
		s.policiesDirty = false
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
	if len(s.dirtyNS) > 0 {
		// Engines share nothing mutable: the map is copied, the sets of
		// unchanged namespaces are reused.
		sets := make(map[string]*governance.Exceptions, len(s.sets)+len(s.dirtyNS))
		for ns, set := range s.sets {
			sets[ns] = set
		}
		for ns := range s.dirtyNS {
			delete(s.dirtyNS, ns)
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

func (s *Snapshot) upsert(o any) {
	switch obj := o.(type) {
	case *corev1.Namespace:
		s.nsMu.Lock()
		s.namespaces[obj.Name] = obj.Labels
		s.nsMu.Unlock()
	case *v1alpha1.GuardrailPolicy:
		s.mu.Lock()
		defer s.mu.Unlock()
		if cur := s.policies[obj.Name]; cur != nil && sameSpec(cur.obj, obj) {
			return // a status update
		}
		s.policies[obj.Name] = &policyEntry{obj: obj}
		s.policiesDirty = true
		s.dirty.Store(true)
	case *v1alpha1.GuardrailException:
		s.mu.Lock()
		defer s.mu.Unlock()
		byName := s.exceptions[obj.Namespace]
		if cur := byName[obj.Name]; cur != nil && sameSpec(cur, obj) {
			return
		}
		if byName == nil {
			byName = map[string]*v1alpha1.GuardrailException{}
			s.exceptions[obj.Namespace] = byName
		}
		byName[obj.Name] = obj
		s.dirtyNS[obj.Namespace] = struct{}{}
		s.dirty.Store(true)
	}
}

func (s *Snapshot) remove(o any) {
	if t, ok := o.(toolscache.DeletedFinalStateUnknown); ok {
		o = t.Obj
	}
	switch obj := o.(type) {
	case *corev1.Namespace:
		s.nsMu.Lock()
		delete(s.namespaces, obj.Name)
		s.nsMu.Unlock()
	case *v1alpha1.GuardrailPolicy:
		s.mu.Lock()
		defer s.mu.Unlock()
		if _, ok := s.policies[obj.Name]; ok {
			delete(s.policies, obj.Name)
			s.policiesDirty = true
			s.dirty.Store(true)
		}
	case *v1alpha1.GuardrailException:
		s.mu.Lock()
		defer s.mu.Unlock()
		if byName := s.exceptions[obj.Namespace]; byName[obj.Name] != nil {
			delete(byName, obj.Name)
			if len(byName) == 0 {
				delete(s.exceptions, obj.Namespace)
			}
			s.dirtyNS[obj.Namespace] = struct{}{}
			s.dirty.Store(true)
		}
	}
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
