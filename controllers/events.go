package controllers

import (
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"
)

// BoundedRecorder records Events at most at a rate and drops, counting
// them, those beyond it, as the kubelet bounds its own (--event-qps,
// --event-burst). Events are best effort; a mass remediation or a resync
// of many violating objects would otherwise write one Event per object
// beside each patch. Recording never blocks the caller.
type BoundedRecorder struct {
	events.EventRecorder
	limiter *rate.Limiter
	dropped *prometheus.CounterVec // by reason; may be nil
}

// NewBoundedRecorder bounds rec to qps Events a second with the burst
// (qps 0: unbounded, rec itself is returned). dropped, when set, counts
// the Events dropped, by reason.
func NewBoundedRecorder(rec events.EventRecorder, qps float64, burst int, dropped *prometheus.CounterVec) events.EventRecorder {
	if qps <= 0 {
		return rec
	}
	return &BoundedRecorder{EventRecorder: rec, limiter: rate.NewLimiter(rate.Limit(qps), max(burst, 1)), dropped: dropped}
}

// Eventf records the Event when the bound allows it now.
func (r *BoundedRecorder) Eventf(regarding, related runtime.Object, eventtype, reason, action, note string, args ...any) {
	r.tryEventf(regarding, related, eventtype, reason, action, note, args...)
}

// tryEventf records the Event when the bound allows it now, and reports
// whether it did.
func (r *BoundedRecorder) tryEventf(regarding, related runtime.Object, eventtype, reason, action, note string, args ...any) bool {
	if !r.limiter.Allow() {
		if r.dropped != nil {
			r.dropped.WithLabelValues(reason).Inc()
		}
		return false
	}
	r.EventRecorder.Eventf(regarding, related, eventtype, reason, action, note, args...)
	return true
}

// tryEvent records an Event through rec and reports whether it was
// recorded (false: a BoundedRecorder dropped it).
func tryEvent(rec events.EventRecorder, regarding runtime.Object, eventtype, reason, action, note string) bool {
	if b, ok := rec.(*BoundedRecorder); ok {
		return b.tryEventf(regarding, nil, eventtype, reason, action, "%s", note)
	}
	rec.Eventf(regarding, nil, eventtype, reason, action, "%s", note)
	return true
}
