package controllers

import "k8s.io/apimachinery/pkg/runtime/schema"

// SetRestartGap makes w call gap between the stop of a reconciler
// restarted for its referenced kinds and the start of the next (nil: no
// call).
func SetRestartGap(w *KindWatcher, gap func(schema.GroupVersionKind)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.restartGap = gap
}
