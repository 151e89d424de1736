package controllers

import (
	"context"
	"errors"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// scopedCache hands out the informers of a shared cache and records the
// event handlers added to them, so that a controller that stops before
// the cache does removes its handlers from the informers it shared with
// others (a handler left behind keeps two goroutines and a buffer, and
// its events go to a queue nobody reads).
type scopedCache struct {
	cache.Cache

	mu       sync.Mutex
	handlers []scopedHandler
	released bool
}

type scopedHandler struct {
	informer cache.Informer
	reg      toolscache.ResourceEventHandlerRegistration
}

// errReleased answers a handler added after the scope ended (a source
// still starting when its controller stopped).
var errReleased = errors.New("the controller has stopped")

func (c *scopedCache) GetInformer(ctx context.Context, obj client.Object, opts ...cache.InformerGetOption) (cache.Informer, error) {
	i, err := c.Cache.GetInformer(ctx, obj, opts...)
	if err != nil {
		return nil, err
	}
	return &scopedInformer{Informer: i, scope: c}, nil
}

func (c *scopedCache) GetInformerForKind(ctx context.Context, gvk schema.GroupVersionKind, opts ...cache.InformerGetOption) (cache.Informer, error) {
	i, err := c.Cache.GetInformerForKind(ctx, gvk, opts...)
	if err != nil {
		return nil, err
	}
	return &scopedInformer{Informer: i, scope: c}, nil
}

// add records a handler, or removes it at once when the scope has ended.
func (c *scopedCache) add(i cache.Informer, reg toolscache.ResourceEventHandlerRegistration, err error) (toolscache.ResourceEventHandlerRegistration, error) {
	if err != nil {
		return reg, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.released {
		_ = i.RemoveEventHandler(reg)
		return nil, errReleased
	}
	c.handlers = append(c.handlers, scopedHandler{informer: i, reg: reg})
	return reg, nil
}

// release removes every handler added through the scope; later ones are
// removed as they are added.
func (c *scopedCache) release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.released = true
	for _, h := range c.handlers {
		_ = h.informer.RemoveEventHandler(h.reg)
	}
	c.handlers = nil
}

// scopedInformer records the handlers added to an informer in its scope.
type scopedInformer struct {
	cache.Informer
	scope *scopedCache
}

func (i *scopedInformer) AddEventHandler(h toolscache.ResourceEventHandler) (toolscache.ResourceEventHandlerRegistration, error) {
	reg, err := i.Informer.AddEventHandler(h)
	return i.scope.add(i.Informer, reg, err)
}

func (i *scopedInformer) AddEventHandlerWithResyncPeriod(h toolscache.ResourceEventHandler, resync time.Duration) (toolscache.ResourceEventHandlerRegistration, error) {
	reg, err := i.Informer.AddEventHandlerWithResyncPeriod(h, resync)
	return i.scope.add(i.Informer, reg, err)
}

func (i *scopedInformer) AddEventHandlerWithOptions(h toolscache.ResourceEventHandler, opts toolscache.HandlerOptions) (toolscache.ResourceEventHandlerRegistration, error) {
	reg, err := i.Informer.AddEventHandlerWithOptions(h, opts)
	return i.scope.add(i.Informer, reg, err)
}
