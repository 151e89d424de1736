package controllers

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/event"

	"github.com/ackguard/ackguard/internal/view"
)

// A namespace's default region, whose partition is that of its resources
// that tell none, re-judges them when it changes, as its labels do; other
// annotations do not.
func TestDefaultRegionChanged(t *testing.T) {
	ns := func(annotations map[string]string) *corev1.Namespace {
		return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "a", Annotations: annotations}}
	}
	for _, tc := range []struct {
		name     string
		old, new map[string]string
		want     bool
	}{
		{"set", nil, map[string]string{view.AnnotationDefaultRegion: "cn-north-1"}, true},
		{"changed", map[string]string{view.AnnotationDefaultRegion: "cn-north-1"}, map[string]string{view.AnnotationDefaultRegion: "us-east-1"}, true},
		{"removed", map[string]string{view.AnnotationDefaultRegion: "cn-north-1"}, nil, true},
		{"unchanged", map[string]string{view.AnnotationDefaultRegion: "cn-north-1"}, map[string]string{view.AnnotationDefaultRegion: "cn-north-1", "note": "x"}, false},
		{"another annotation", nil, map[string]string{"note": "x"}, false},
	} {
		if got := DefaultRegionChanged.Update(event.UpdateEvent{ObjectOld: ns(tc.old), ObjectNew: ns(tc.new)}); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
