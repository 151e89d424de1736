// Package resolve supplies the rule engine's Resolver: the adapters' way of
// letting rules read related objects (the ACK Policies a Role references,
// the Role a Function runs as) without the engine doing I/O itself.
package resolve

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/view"
)

// Client resolves through a controller-runtime reader (the manager's
// cache). ctx bounds every lookup of one evaluation.
func Client(ctx context.Context, r client.Reader) rules.Resolver {
	return clientResolver{ctx: ctx, r: r}
}

type clientResolver struct {
	ctx context.Context
	r   client.Reader
}

func (c clientResolver) Get(gvk schema.GroupVersionKind, namespace, name string) (map[string]any, bool, error) {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	err := c.r.Get(c.ctx, client.ObjectKey{Namespace: namespace, Name: name}, u)
	switch {
	case err == nil:
		return u.Object, true, nil
	case apierrors.IsNotFound(err):
		return nil, false, nil
	case meta.IsNoMatchError(err):
		return nil, false, notInstalled(gvk)
	}
	return nil, false, err
}

func (c clientResolver) List(gvk schema.GroupVersionKind) ([]map[string]any, error) {
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
	if err := c.r.List(c.ctx, list); err != nil {
		if meta.IsNoMatchError(err) {
			return nil, notInstalled(gvk)
		}
		return nil, err
	}
	out := make([]map[string]any, len(list.Items))
	for i := range list.Items {
		out[i] = list.Items[i].Object
	}
	return out, nil
}

func notInstalled(gvk schema.GroupVersionKind) error {
	return fmt.Errorf("the %s kind is not installed", gvk.Kind)
}

// Installed fails a lookup of a kind served says is not served now, as a
// lookup of a kind never installed fails, without reaching r. The
// manager's RESTMapper keeps a kind after its CRD is deleted: a lookup of
// it through the cache would wait for an informer that can never sync.
func Installed(r rules.Resolver, served func(schema.GroupVersionKind) bool) rules.Resolver {
	return gated{r: r, refuse: func(gvk schema.GroupVersionKind) error {
		if !served(gvk) {
			return notInstalled(gvk)
		}
		return nil
	}}
}

// Restrict limits r to the kinds allowed accepts: a lookup of any other
// kind fails, naming it, without reaching r. In the cluster ackguard reads
// only the kinds it watches (and has RBAC for): a lookup of another kind
// through the cache would start an informer that can never sync.
func Restrict(r rules.Resolver, allowed func(schema.GroupKind) bool) rules.Resolver {
	return gated{r: r, refuse: func(gvk schema.GroupVersionKind) error {
		if !allowed(gvk.GroupKind()) {
			return fmt.Errorf("ackguard does not read %s objects in the cluster", gvk.Kind)
		}
		return nil
	}}
}

// gated passes a lookup to r unless refuse gives an error for its kind,
// which the lookup then fails with.
type gated struct {
	r      rules.Resolver
	refuse func(schema.GroupVersionKind) error
}

func (x gated) Get(gvk schema.GroupVersionKind, namespace, name string) (map[string]any, bool, error) {
	if err := x.refuse(gvk); err != nil {
		return nil, false, err
	}
	return x.r.Get(gvk, namespace, name)
}

// List lists through r when it can list, for the kinds not refused only.
func (x gated) List(gvk schema.GroupVersionKind) ([]map[string]any, error) {
	if err := x.refuse(gvk); err != nil {
		return nil, err
	}
	l, ok := x.r.(rules.Lister)
	if !ok {
		return nil, fmt.Errorf("listing %s is not supported here", gvk.Kind)
	}
	return l.List(gvk)
}

// Objects resolves among a fixed set of objects, such as the documents of
// one scan.
func Objects(objs []map[string]any) rules.Lister {
	idx := objectIndex{byName: make(map[key]map[string]any, len(objs)), byKind: map[schema.GroupKind][]map[string]any{}}
	for _, o := range objs {
		m := view.ReadMeta(o)
		idx.byName[key{m.GVK.GroupKind(), m.Namespace, m.Name}] = o
		idx.byKind[m.GVK.GroupKind()] = append(idx.byKind[m.GVK.GroupKind()], o)
	}
	return idx
}

type key struct {
	gk              schema.GroupKind
	namespace, name string
}

type objectIndex struct {
	byName map[key]map[string]any
	byKind map[schema.GroupKind][]map[string]any // in input order
}

func (idx objectIndex) Get(gvk schema.GroupVersionKind, namespace, name string) (map[string]any, bool, error) {
	o, ok := idx.byName[key{gvk.GroupKind(), namespace, name}]
	if !ok && namespace != "" {
		// Manifests often leave the namespace to the apply context.
		o, ok = idx.byName[key{gvk.GroupKind(), "", name}]
	}
	return o, ok, nil
}

func (idx objectIndex) List(gvk schema.GroupVersionKind) ([]map[string]any, error) {
	return idx.byKind[gvk.GroupKind()], nil
}
