// Package kinds tells which API kinds the API server serves now, from
// discovery. The manager's RESTMapper keeps a kind it once found after its
// CRD is deleted, and a cached read of such a kind waits for an informer
// that can never sync: discovery, asked again every poll, is what knows a
// kind is gone.
package kinds

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
)

// Discovery is the part of a discovery client Served asks
// (discovery.DiscoveryClient has it).
type Discovery interface {
	ServerResourcesForGroupVersion(groupVersion string) (*metav1.APIResourceList, error)
}

// Served knows which of a fixed set of kinds the API server served at the
// last check. It is safe for concurrent use.
type Served struct {
	discovery Discovery
	kinds     []schema.GroupVersionKind

	// checking serializes Check: an answer is never replaced by an
	// older one.
	checking sync.Mutex
	mu       sync.RWMutex
	state    map[schema.GroupVersionKind]bool // absent: never answered
}

// New returns a Served for the kinds (duplicates are ignored), asking d.
// Until its first Check it knows none of them.
func New(d Discovery, kinds []schema.GroupVersionKind) *Served {
	var own []schema.GroupVersionKind
	for _, k := range kinds {
		if !slices.Contains(own, k) {
			own = append(own, k)
		}
	}
	return &Served{discovery: d, kinds: own}
}

// Check asks discovery which of the kinds are served now, one request per
// group version, remembers the answer and returns it. A group version
// discovery cannot answer for keeps its kinds' last known state (a kind
// never answered for stays absent from the map).
func (s *Served) Check(ctx context.Context) map[schema.GroupVersionKind]bool {
	s.checking.Lock()
	defer s.checking.Unlock()
	log := logf.FromContext(ctx).WithName("kinds")
	byGV := map[schema.GroupVersion][]schema.GroupVersionKind{}
	var gvs []schema.GroupVersion
	for _, k := range s.kinds {
		if _, ok := byGV[k.GroupVersion()]; !ok {
			gvs = append(gvs, k.GroupVersion())
		}
		byGV[k.GroupVersion()] = append(byGV[k.GroupVersion()], k)
	}
	s.mu.RLock()
	last := s.state
	s.mu.RUnlock()
	out := make(map[schema.GroupVersionKind]bool, len(s.kinds))
	for _, gv := range gvs {
		gvks := byGV[gv]
		list, err := s.discovery.ServerResourcesForGroupVersion(gv.String())
		if err != nil && !apierrors.IsNotFound(err) {
			log.Error(err, "cannot look up kinds; keeping their state", "groupVersion", gv.String())
			for _, k := range gvks {
				if v, ok := last[k]; ok {
					out[k] = v
				}
			}
			continue
		}
		for _, k := range gvks {
			out[k] = false
			if list == nil {
				continue
			}
			for _, r := range list.APIResources {
				if r.Kind == k.Kind && !isSubresource(r.Name) {
					out[k] = true
				}
			}
		}
	}
	s.mu.Lock()
	s.state = out
	s.mu.Unlock()
	return out
}

func isSubresource(name string) bool { return strings.Contains(name, "/") }

// Served reports whether a kind may be read: false only for a kind it
// checks that was not served at the last check. A kind it does not check,
// or has no answer for yet, is left to the caller's reader (the manager's
// RESTMapper, which finds only served kinds until it has found one).
func (s *Served) Served(gvk schema.GroupVersionKind) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	v, ok := s.state[gvk]
	return v || !ok
}

// whileNotServed runs fn if the kind was not served at the last check,
// holding off any other Check until fn returns: a KindWatcher sharing s
// that finds the kind served again starts its reconciler (and so the
// kind's informer) only after its Check, so fn cannot remove that
// informer.
func (s *Served) whileNotServed(gvk schema.GroupVersionKind, fn func()) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if v, ok := s.state[gvk]; ok && !v {
		fn()
	}
}

// InformerRemover is the part of the manager's cache the Poller uses.
type InformerRemover interface {
	RemoveInformer(ctx context.Context, obj client.Object) error
}

// Poller checks Served every Interval and removes the informers of the
// kinds not served from the cache, so that nothing keeps retrying the list
// and watch of a kind whose CRD was deleted. It runs on every replica:
// every replica's webhook reads related objects through the cache. Its
// first check runs when it starts, before Checker reports ready.
type Poller struct {
	Served   *Served
	Cache    InformerRemover
	Interval time.Duration

	checked atomic.Bool
}

// NeedLeaderElection: every replica reads through its own cache.
func (p *Poller) NeedLeaderElection() bool { return false }

// Checker is a readiness check: ready once the first check is done.
func (p *Poller) Checker(_ *http.Request) error {
	if !p.checked.Load() {
		return errors.New("the served kinds have not been looked up yet")
	}
	return nil
}

// Start checks at once, then every Interval until the context ends.
func (p *Poller) Start(ctx context.Context) error {
	interval := p.Interval
	if interval <= 0 {
		interval = time.Minute
	}
	last := p.poll(ctx, nil)
	p.checked.Store(true)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		last = p.poll(ctx, last)
	}
}

// poll checks the kinds and removes the informer of every kind not served.
// It removes them at every check, not only when a kind goes: a read that
// began just before the kind was found gone may have started another.
func (p *Poller) poll(ctx context.Context, last map[schema.GroupVersionKind]bool) map[schema.GroupVersionKind]bool {
	log := logf.FromContext(ctx).WithName("kinds")
	served := p.Served.Check(ctx)
	for k, ok := range served {
		if ok {
			if was, known := last[k]; known && !was {
				log.Info("kind served again: related objects of this kind are read again", "kind", k.String())
			}
			continue
		}
		if last[k] {
			log.Info("kind no longer served (its CRD was deleted): related objects of this kind are not read until it is installed again", "kind", k.String())
		}
		p.Served.whileNotServed(k, func() {
			u := &unstructured.Unstructured{}
			u.SetGroupVersionKind(k)
			if err := p.Cache.RemoveInformer(ctx, u); err != nil {
				log.Error(err, "cannot stop the informer of a kind not served", "kind", k.String())
			}
		})
	}
	return served
}
