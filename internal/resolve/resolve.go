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
		return nil, false, fmt.Errorf("the %s kind is not installed", gvk.Kind)
	}
	return nil, false, err
}

// Restrict limits r to the kinds allowed accepts: a lookup of any other
// kind fails, naming it, without reaching r. In the cluster ackguard reads
// only the kinds it watches (and has RBAC for): a lookup of another kind
// through the cache would start an informer that can never sync.
func Restrict(r rules.Resolver, allowed func(schema.GroupKind) bool) rules.Resolver {
	return restricted{r: r, allowed: allowed}
}

type restricted struct {
	r       rules.Resolver
	allowed func(schema.GroupKind) bool
}

func (x restricted) Get(gvk schema.GroupVersionKind, namespace, name string) (map[string]any, bool, error) {
	if !x.allowed(gvk.GroupKind()) {
		return nil, false, fmt.Errorf("ackguard does not read %s objects in the cluster", gvk.Kind)
	}
	return x.r.Get(gvk, namespace, name)
}

// Objects resolves among a fixed set of objects, such as the documents of
// one scan.
func Objects(objs []map[string]any) rules.Resolver {
	idx := make(objectIndex, len(objs))
	for _, o := range objs {
		m := view.ReadMeta(o)
		idx[key{m.GVK.GroupKind(), m.Namespace, m.Name}] = o
	}
	return idx
}

type key struct {
	gk              schema.GroupKind
	namespace, name string
}

type objectIndex map[key]map[string]any

func (idx objectIndex) Get(gvk schema.GroupVersionKind, namespace, name string) (map[string]any, bool, error) {
	o, ok := idx[key{gvk.GroupKind(), namespace, name}]
	if !ok && namespace != "" {
		// Manifests often leave the namespace to the apply context.
		o, ok = idx[key{gvk.GroupKind(), "", name}]
	}
	return o, ok, nil
}
