package controllers

import (
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// NewFairQueue returns a controller's work queue that hands out the
// objects of each namespace in turn (first in, first out within a
// namespace), so a namespace with thousands of violations does not starve
// the others. It keeps the work queue's guarantees: an object is queued
// once however often it is added, and never handed to two workers at
// once; delays and rate limiting work as in the default queue.
func NewFairQueue(name string, rl workqueue.TypedRateLimiter[reconcile.Request]) workqueue.TypedRateLimitingInterface[reconcile.Request] {
	q := workqueue.NewTypedWithConfig(workqueue.TypedQueueConfig[reconcile.Request]{Name: name, Queue: &namespaceRoundRobin{}})
	dq := workqueue.NewTypedDelayingQueueWithConfig(workqueue.TypedDelayingQueueConfig[reconcile.Request]{Name: name, Queue: q})
	return workqueue.NewTypedRateLimitingQueueWithConfig(rl, workqueue.TypedRateLimitingQueueConfig[reconcile.Request]{Name: name, DelayingQueue: dq})
}

// namespaceRoundRobin is the order of a fair queue: one FIFO per
// namespace, popped in turn. The work queue calls it under its lock and
// pushes an item only when it is not queued already.
type namespaceRoundRobin struct {
	byNS map[string][]reconcile.Request
	ring []string // namespaces with items, in turn order
	next int      // index in ring of the namespace served next
	n    int
}

var _ workqueue.Queue[reconcile.Request] = &namespaceRoundRobin{}

func (q *namespaceRoundRobin) Touch(reconcile.Request) {}

func (q *namespaceRoundRobin) Push(item reconcile.Request) {
	if q.byNS == nil {
		q.byNS = map[string][]reconcile.Request{}
	}
	ns := item.Namespace
	if len(q.byNS[ns]) == 0 {
		// A namespace joining the ring is served before the one now
		// due comes round again.
		q.ring = append(q.ring, ns)
	}
	q.byNS[ns] = append(q.byNS[ns], item)
	q.n++
}

func (q *namespaceRoundRobin) Len() int { return q.n }

func (q *namespaceRoundRobin) Pop() reconcile.Request {
	if q.n == 0 {
		return reconcile.Request{}
	}
	ns := q.ring[q.next]
	items := q.byNS[ns]
	item := items[0]
	items[0] = reconcile.Request{}
	q.n--
	if len(items) == 1 {
		delete(q.byNS, ns)
		q.ring = append(q.ring[:q.next], q.ring[q.next+1:]...)
	} else {
		q.byNS[ns] = items[1:]
		q.next++
	}
	if len(q.ring) == 0 {
		q.next, q.ring = 0, nil
	} else {
		q.next %= len(q.ring)
	}
	return item
}
