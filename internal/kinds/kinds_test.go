package kinds

import (
	"context"
	"errors"
	"slices"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// resources answers discovery from a table: a group version absent is
// not found, one mapped to nil fails.
type resources map[string][]metav1.APIResource

func (r resources) ServerResourcesForGroupVersion(gv string) (*metav1.APIResourceList, error) {
	list, ok := r[gv]
	switch {
	case !ok:
		return nil, apierrors.NewNotFound(schema.GroupResource{}, gv)
	case list == nil:
		return nil, errors.New("discovery down")
	}
	return &metav1.APIResourceList{GroupVersion: gv, APIResources: list}, nil
}

var (
	role   = schema.GroupVersionKind{Group: "iam.services.k8s.aws", Version: "v1alpha1", Kind: "Role"}
	policy = schema.GroupVersionKind{Group: "iam.services.k8s.aws", Version: "v1alpha1", Kind: "Policy"}
	bucket = schema.GroupVersionKind{Group: "s3.services.k8s.aws", Version: "v1alpha1", Kind: "Bucket"}
)

func TestServedFollowsDiscovery(t *testing.T) {
	d := resources{
		"iam.services.k8s.aws/v1alpha1": {{Name: "roles", Kind: "Role"}, {Name: "roles/status", Kind: "Role"}, {Name: "policies/status", Kind: "Policy"}},
	}
	s := New(d, []schema.GroupVersionKind{role, policy, bucket, role})
	// Before any answer every kind is left to the reader.
	for _, k := range []schema.GroupVersionKind{role, policy, bucket} {
		if !s.Served(k) {
			t.Errorf("%s not served before any check", k.Kind)
		}
	}
	got := s.Check(context.Background())
	want := map[schema.GroupVersionKind]bool{role: true, policy: false, bucket: false}
	if len(got) != len(want) || got[role] != true || got[policy] || got[bucket] {
		t.Errorf("Check = %v, want %v (a subresource alone serves no kind)", got, want)
	}
	if !s.Served(role) || s.Served(policy) || s.Served(bucket) {
		t.Error("Served does not follow the check")
	}
	other := schema.GroupVersionKind{Group: "ec2.services.k8s.aws", Version: "v1alpha1", Kind: "VPC"}
	if !s.Served(other) {
		t.Error("a kind not checked is not left to the reader")
	}
	// A group version discovery cannot answer for keeps its last state; a
	// kind never answered for stays unknown.
	d["iam.services.k8s.aws/v1alpha1"] = nil
	d["s3.services.k8s.aws/v1alpha1"] = []metav1.APIResource{{Name: "buckets", Kind: "Bucket"}}
	got = s.Check(context.Background())
	if !got[role] || got[policy] || !got[bucket] {
		t.Errorf("Check with IAM's discovery failing = %v", got)
	}
	fresh := New(d, []schema.GroupVersionKind{role})
	if got := fresh.Check(context.Background()); len(got) != 0 || !fresh.Served(role) {
		t.Errorf("a kind never answered for: %v, served %v", got, fresh.Served(role))
	}
}

type remover struct{ removed []schema.GroupVersionKind }

func (r *remover) RemoveInformer(_ context.Context, obj client.Object) error {
	r.removed = append(r.removed, obj.GetObjectKind().GroupVersionKind())
	return nil
}

func TestPollerRemovesTheInformersOfKindsNotServed(t *testing.T) {
	d := resources{"iam.services.k8s.aws/v1alpha1": {{Name: "roles", Kind: "Role"}, {Name: "policies", Kind: "Policy"}}}
	rm := &remover{}
	p := &Poller{Served: New(d, []schema.GroupVersionKind{role, policy}), Cache: rm}
	if p.Checker(nil) == nil {
		t.Error("ready before the first check")
	}
	last := p.poll(context.Background(), nil)
	if len(rm.removed) != 0 {
		t.Errorf("removed %v while every kind is served", rm.removed)
	}
	d["iam.services.k8s.aws/v1alpha1"] = []metav1.APIResource{{Name: "roles", Kind: "Role"}}
	last = p.poll(context.Background(), last)
	if !slices.Equal(rm.removed, []schema.GroupVersionKind{policy}) {
		t.Errorf("removed %v, want the Policy informer", rm.removed)
	}
	// Removed again at every check while not served: a read that began
	// before the check may have started another.
	p.poll(context.Background(), last)
	if len(rm.removed) != 2 {
		t.Errorf("removed %v, want the Policy informer twice", rm.removed)
	}
}
