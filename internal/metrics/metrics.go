// Package metrics defines ackguard's Prometheus metrics, registered on the
// controller-runtime metrics registry and served on the manager's metrics
// endpoint. Every name starts with ackguard_.
package metrics

import (
	"errors"
	"slices"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/types"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Results of an admission decision for one rule.
const (
	ResultDenied = "denied"
	ResultWarned = "warned"
	ResultPassed = "passed"
)

// Exception states, the values of ackguard_exceptions' state label.
const (
	ExceptionActive  = "active"
	ExceptionExpired = "expired"
	ExceptionInvalid = "invalid"
)

// Outcomes of a drift remediation, the values of
// ackguard_remediations_total's outcome label.
const (
	OutcomeApplied         = "applied"
	OutcomeSkippedReadOnly = "skipped_read_only"
	OutcomeSkippedRefused  = "skipped_refused"
	OutcomeSuspended       = "suspended"
	OutcomeFailed          = "failed"
)

// RemediationOutcomes are the values of ackguard_remediations_total's
// outcome label.
var RemediationOutcomes = []string{OutcomeApplied, OutcomeSkippedReadOnly, OutcomeSkippedRefused, OutcomeSuspended, OutcomeFailed}

// ExceptionStates are the values of ackguard_exceptions' state label.
var ExceptionStates = []string{ExceptionActive, ExceptionExpired, ExceptionInvalid}

// Metrics holds the collectors. Create it once per process with New.
type Metrics struct {
	AdmissionDecisions *prometheus.CounterVec
	AdmissionDuration  *prometheus.HistogramVec
	Remediations       *prometheus.CounterVec
	OpenViolations     *prometheus.GaugeVec
	ReconcileErrors    *prometheus.CounterVec
	Exceptions         *prometheus.GaugeVec
	Suspended          *prometheus.GaugeVec
	EventsDropped      *prometheus.CounterVec

	mu         sync.Mutex
	open       map[string]map[types.NamespacedName][]string // kind → object → rules
	suspended  map[string]map[types.NamespacedName]bool     // kind → suspended objects
	exceptions map[types.NamespacedName]string              // exception → state label
}

// New creates the collectors and registers them with reg (the
// controller-runtime registry when reg is nil).
func New(reg prometheus.Registerer) (*Metrics, error) {
	if reg == nil {
		reg = crmetrics.Registry
	}
	m := &Metrics{
		AdmissionDecisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ackguard_admission_decisions_total",
			Help: "Admission verdicts by kind, rule and result (denied, warned), once per request and rule; a request with neither counts once with rule=\"\" and result=passed, one refused unjudged (its object or the policies unreadable) with rule=\"\" and result=denied; of GuardrailPolicies and GuardrailExceptions only those refused unjudged count.",
		}, []string{"kind", "rule", "result"}),
		AdmissionDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "ackguard_admission_duration_seconds",
			Help: "Time to judge one admission request, by kind and whether it was allowed.",
			// 50µs to ~1.6s: fine enough for sub-millisecond handlers.
			Buckets: prometheus.ExponentialBuckets(0.00005, 2, 16),
		}, []string{"kind", "allowed"}),
		Remediations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ackguard_remediations_total",
			Help: "Drift remediations by kind, rule and outcome (applied, skipped_read_only, skipped_refused, suspended, failed).",
		}, []string{"kind", "rule", "outcome"}),
		OpenViolations: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ackguard_violations_open",
			Help: "Objects currently violating a rule, as last seen by the drift reconciler, by kind and rule.",
		}, []string{"kind", "rule"}),
		ReconcileErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ackguard_reconcile_errors_total",
			Help: "Drift reconciliations that ended in an error, by kind.",
		}, []string{"kind"}),
		Exceptions: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ackguard_exceptions",
			Help: "GuardrailExceptions by state (active, expired, invalid), as last seen by the exception status reconciler.",
		}, []string{"state"}),
		Suspended: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ackguard_remediation_suspended",
			Help: "Objects whose remediation is suspended (their fix kept being reverted) while they keep the values the fix was reverted to, by kind.",
		}, []string{"kind"}),
		EventsDropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ackguard_events_dropped_total",
			Help: "Events not recorded because more were due than --event-qps and --event-burst allow, by reason.",
		}, []string{"reason"}),
		open:       map[string]map[types.NamespacedName][]string{},
		suspended:  map[string]map[types.NamespacedName]bool{},
		exceptions: map[types.NamespacedName]string{},
	}
	var err error
	if m.AdmissionDecisions, err = register(reg, m.AdmissionDecisions); err != nil {
		return nil, err
	}
	if m.AdmissionDuration, err = register(reg, m.AdmissionDuration); err != nil {
		return nil, err
	}
	if m.Remediations, err = register(reg, m.Remediations); err != nil {
		return nil, err
	}
	if m.OpenViolations, err = register(reg, m.OpenViolations); err != nil {
		return nil, err
	}
	if m.ReconcileErrors, err = register(reg, m.ReconcileErrors); err != nil {
		return nil, err
	}
	if m.Exceptions, err = register(reg, m.Exceptions); err != nil {
		return nil, err
	}
	if m.Suspended, err = register(reg, m.Suspended); err != nil {
		return nil, err
	}
	if m.EventsDropped, err = register(reg, m.EventsDropped); err != nil {
		return nil, err
	}
	return m, nil
}

// register registers c, or returns the collector already registered under
// its name (several managers in one process, as in tests, share them).
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	var are prometheus.AlreadyRegisteredError
	switch {
	case err == nil:
		return c, nil
	case errors.As(err, &are):
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, err
}

// ExportRemediations exports ackguard_remediations_total at zero for
// every outcome of each of the kind's fixable rules. A counter series
// that first appears at 1 shows no increase to rate() or increase()
// (they need a sample before it), so without it the first remediation,
// suspension or failure of a rule would be invisible to an alert.
func (m *Metrics) ExportRemediations(kind string, ruleIDs []string) {
	if m == nil {
		return
	}
	for _, id := range ruleIDs {
		for _, outcome := range RemediationOutcomes {
			m.Remediations.WithLabelValues(kind, id, outcome).Add(0)
		}
	}
}

// SetViolations records the rules one object violates now (none when it is
// compliant or gone) and updates the open-violations gauge.
func (m *Metrics) SetViolations(kind string, obj types.NamespacedName, ruleIDs []string) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	byObj := m.open[kind]
	if byObj == nil {
		byObj = map[types.NamespacedName][]string{}
		m.open[kind] = byObj
	}
	for _, rule := range byObj[obj] {
		m.OpenViolations.WithLabelValues(kind, rule).Dec()
	}
	delete(byObj, obj)
	var now []string
	for _, r := range ruleIDs {
		if !slices.Contains(now, r) {
			now = append(now, r)
			m.OpenViolations.WithLabelValues(kind, r).Inc()
		}
	}
	if len(now) > 0 {
		byObj[obj] = now
	}
}

// SetSuspended records whether remediation of one object is suspended and
// updates the ackguard_remediation_suspended gauge.
func (m *Metrics) SetSuspended(kind string, obj types.NamespacedName, suspended bool) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	byObj := m.suspended[kind]
	if byObj == nil {
		byObj = map[types.NamespacedName]bool{}
		m.suspended[kind] = byObj
	}
	if byObj[obj] == suspended {
		if !suspended {
			m.Suspended.WithLabelValues(kind).Add(0) // exported at zero
		}
		return
	}
	if suspended {
		byObj[obj] = true
		m.Suspended.WithLabelValues(kind).Inc()
	} else {
		delete(byObj, obj)
		m.Suspended.WithLabelValues(kind).Dec()
	}
}

// Objects returns the objects of a kind the gauges count (an open
// violation, a suspension), in no order.
func (m *Metrics) Objects(kind string) []types.NamespacedName {
	if m == nil {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]types.NamespacedName, 0, len(m.open[kind])+len(m.suspended[kind]))
	for obj := range m.open[kind] {
		out = append(out, obj)
	}
	for obj := range m.suspended[kind] {
		if m.open[kind][obj] == nil {
			out = append(out, obj)
		}
	}
	return out
}

// ForgetKind drops the gauges' series of a kind no longer served (its CRD
// was deleted, and its objects with it): the kind has no series, as before
// it was installed, rather than the counts its objects had when it went.
// The counters keep theirs: they are totals, not the state of objects.
func (m *Metrics) ForgetKind(kind string) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.open, kind)
	delete(m.suspended, kind)
	m.OpenViolations.DeletePartialMatch(prometheus.Labels{"kind": kind})
	m.Suspended.DeleteLabelValues(kind)
}

// SetExceptionState records the state of one GuardrailException (one of
// ExceptionStates, any case; "" when it is gone) and updates the
// ackguard_exceptions gauge. Every state is exported, at zero when no
// exception has it.
func (m *Metrics) SetExceptionState(ex types.NamespacedName, state string) {
	if m == nil {
		return
	}
	state = strings.ToLower(state)
	if state != "" && !slices.Contains(ExceptionStates, state) {
		state = ExceptionInvalid
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if state == "" {
		delete(m.exceptions, ex)
	} else {
		m.exceptions[ex] = state
	}
	m.exportExceptions()
}

// ExportExceptionStates exports ackguard_exceptions for every state, at
// zero when no exception has it: from the start of the exception status
// reconciler, before any exception is judged (or when none exists).
func (m *Metrics) ExportExceptionStates() {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.exportExceptions()
}

// exportExceptions sets ackguard_exceptions from the states recorded.
// Callers hold mu.
func (m *Metrics) exportExceptions() {
	counts := map[string]int{}
	for _, s := range m.exceptions {
		counts[s]++
	}
	for _, s := range ExceptionStates {
		m.Exceptions.WithLabelValues(s).Set(float64(counts[s]))
	}
}
