package unstructuredjson

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
)

// Informers makes the informers of a controller-runtime cache
// (cache.Options.NewInformer): those of unstructured objects list and
// watch through a REST client that decodes with this package; the others
// are client-go's. Set Config before the cache is built, Mapper and
// HTTPClient (the manager's) before it makes its first informer.
//
// It replaces the cache's own list and watch functions, so it suits a
// cache without label, field or namespace restrictions (ackguard's): those
// would have to be applied here.
type Informers struct {
	Config     *rest.Config
	HTTPClient *http.Client
	Mapper     meta.RESTMapper
	// OnFallback, when set, hears of a kind that could not be given the
	// fast decoding (it then uses client-go's).
	OnFallback func(gvk schema.GroupVersionKind, err error)
	// DropBookkeeping leaves metadata.managedFields and kubectl's
	// last-applied-configuration annotation out when decoding, for a cache
	// whose transform strips them anyway (StripBookkeeping): a list of
	// every object is then never held with them.
	DropBookkeeping bool
	// Subtrees, with DropBookkeeping, shares the small subtrees of the
	// cached objects' specs between them (see Subtrees); one table serves
	// every kind of the cache. Nil: none are shared.
	Subtrees *Subtrees
}

// New is a cache.Options.NewInformer.
func (i *Informers) New(lw toolscache.ListerWatcher, obj runtime.Object, resync time.Duration, indexers toolscache.Indexers) toolscache.SharedIndexInformer {
	if u, ok := obj.(*unstructured.Unstructured); ok {
		own, err := i.ListWatch(u.GroupVersionKind())
		switch {
		case err == nil:
			lw = own
		case i.OnFallback != nil:
			i.OnFallback(u.GroupVersionKind(), err)
		}
	}
	return toolscache.NewSharedIndexInformer(lw, obj, resync, indexers)
}

// ListWatch lists and watches every object of the kind, in every
// namespace, as the cache's own list-watch of an unstructured kind does
// (watch bookmarks on), decoding with this package.
func (i *Informers) ListWatch(gvk schema.GroupVersionKind) (*toolscache.ListWatch, error) {
	if i.Config == nil || i.HTTPClient == nil || i.Mapper == nil {
		return nil, fmt.Errorf("unstructuredjson: Informers needs Config, HTTPClient and Mapper")
	}
	mapping, err := i.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return nil, err
	}
	cfg := rest.CopyConfig(i.Config)
	cfg.NegotiatedSerializer = NegotiatedSerializer{DropBookkeeping: i.DropBookkeeping, Share: i.Subtrees}
	cfg.ContentType, cfg.AcceptContentTypes = "application/json", "application/json"
	cfg.GroupVersion, cfg.APIPath = nil, ""
	rc, err := rest.UnversionedRESTClientForConfigAndClient(cfg, i.HTTPClient)
	if err != nil {
		return nil, err
	}
	params := parameterCodec()
	path := resourcePath(mapping.Resource)
	v1 := schema.GroupVersion{Version: "v1"}
	return &toolscache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
			list := &unstructured.UnstructuredList{}
			if err := rc.Get().AbsPath(path...).SpecificallyVersionedParams(&opts, params, v1).Do(ctx).Into(list); err != nil {
				return nil, err
			}
			return list, nil
		},
		WatchFuncWithContext: func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
			opts.Watch, opts.AllowWatchBookmarks = true, true
			return rc.Get().AbsPath(path...).SpecificallyVersionedParams(&opts, params, v1).Watch(ctx)
		},
	}, nil
}

// parameterCodec encodes list options as the dynamic client does.
func parameterCodec() runtime.ParameterCodec {
	s := runtime.NewScheme()
	metav1.AddToGroupVersion(s, schema.GroupVersion{Version: "v1"})
	return runtime.NewParameterCodec(s)
}

// resourcePath is the URL path of a resource across namespaces.
func resourcePath(r schema.GroupVersionResource) []string {
	if r.Group == "" {
		return []string{"api", r.Version, r.Resource}
	}
	return []string{"apis", r.Group, r.Version, r.Resource}
}

// StripBookkeeping is the cache transform (cache.Options.DefaultTransform)
// that leaves out of every cached object what DropBookkeeping leaves out
// while decoding: metadata.managedFields and the LastAppliedAnnotation. It
// serves the objects decoded otherwise (typed kinds, and a kind that fell
// back to client-go's decoding), so that every cached object looks alike.
// Like the cache's own transforms it changes the object it is given, which
// the informer has just decoded and nothing else holds.
func StripBookkeeping(in any) (any, error) {
	if u, ok := in.(*unstructured.Unstructured); ok {
		md, _ := u.Object["metadata"].(map[string]any)
		delete(md, "managedFields")
		if a, ok := md["annotations"].(map[string]any); ok {
			delete(a, LastAppliedAnnotation)
		}
		return in, nil
	}
	obj, err := meta.Accessor(in)
	if err != nil {
		return in, nil // not an object (a tombstone): nothing to strip
	}
	if obj.GetManagedFields() != nil {
		obj.SetManagedFields(nil)
	}
	delete(obj.GetAnnotations(), LastAppliedAnnotation) // a typed object's own map
	return in, nil
}
