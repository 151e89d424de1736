package webhooks

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/prometheus/client_golang/prometheus"
	admissionv1 "k8s.io/api/admission/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/ackguard/ackguard/internal/governance"
	"github.com/ackguard/ackguard/internal/govsource"
	"github.com/ackguard/ackguard/internal/metrics"
	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/unstructuredjson"
	"github.com/ackguard/ackguard/internal/view"
)

// Path is where the webhook is served.
const Path = "/validate-ack"

// GovernancePath serves the validation of GuardrailPolicy and
// GuardrailException objects.
const GovernancePath = "/validate-governance"

// Options are the webhook's dependencies.
type Options struct {
	Registry *rules.Registry
	// Config is the rule configuration the manager's flags give; a
	// GuardrailPolicy's parameters override it for the objects it selects.
	Config rules.Config
	// ACKControllers are the usernames of the ACK controllers
	// ("system:serviceaccount:ack-system:ack-s3-controller"); policies may
	// add more.
	ACKControllers []string
	// Reader, when set, reads GuardrailPolicies, GuardrailExceptions and
	// Namespaces, and lets rules read related objects (a Role's referenced
	// Policies), from the manager's cache. Without it the baseline applies.
	Reader client.Reader
	// APIReader, when set, reads namespaces the cache has not seen yet.
	APIReader client.Reader
	// Served, when set with Reader, tells which kinds the API server
	// serves now: related objects of other kinds are not read
	// (govsource.Source.Served).
	Served func(schema.GroupVersionKind) bool
	// Metrics, when set, records decisions and latency.
	Metrics *metrics.Metrics
	// Now returns the time exceptions are judged at; nil means time.Now.
	Now func() time.Time
	// Snapshot, when set with Reader, serves the compiled governance.
	Snapshot *govsource.Snapshot
	// Memo, when set with Reader, hands the judgements of admitted objects
	// to the reconciler sharing it.
	Memo *govsource.Memo
	// Subtrees, when set, is the informers' table of spec subtrees
	// (unstructuredjson.Informers.Subtrees): the objects of admission
	// reviews share their small spec subtrees through it with the cached
	// objects, as the cache's objects do with each other.
	Subtrees *unstructuredjson.Subtrees
}

// Validator is the admission handler for every guarded ACK kind.
type Validator struct {
	opts   Options
	source *govsource.Source
	// baseline judges every request when there is no Reader; it is built
	// once, as the snapshot's engine is.
	baseline *governance.Engine
	// reviewOpts read a review's objects (ServeHTTP).
	reviewOpts jsonv2.Options
	// panicCounter, when set, counts the recovered panics instead of
	// controller-runtime's counter (tests).
	panicCounter prometheus.Counter
}

var _ admission.Handler = &Validator{}

// NewValidator returns a Validator, refusing missing dependencies.
func NewValidator(opts Options) (*Validator, error) {
	if opts.Registry == nil {
		return nil, fmt.Errorf("webhooks: a rule registry is required")
	}
	v := &Validator{opts: opts, reviewOpts: reviewOptions(opts.Subtrees)}
	if opts.Reader == nil {
		v.baseline = governance.New(opts.Registry, governance.Defaults{Config: opts.Config, ACKControllers: opts.ACKControllers}, nil, nil)
	} else {
		v.source = &govsource.Source{
			Reader: opts.Reader, APIReader: opts.APIReader, Registry: opts.Registry, Now: opts.Now, Snapshot: opts.Snapshot, Memo: opts.Memo,
			Served: opts.Served, Defaults: governance.Defaults{Config: opts.Config, ACKControllers: opts.ACKControllers},
		}
	}
	return v, nil
}

// Webhook wraps the validator for registration on a webhook server, with
// panic recovery on.
func (v *Validator) Webhook() *admission.Webhook {
	recoverPanic := true
	return &admission.Webhook{Handler: v, RecoverPanic: &recoverPanic}
}

// Handle judges one admission request.
func (v *Validator) Handle(ctx context.Context, req admission.Request) admission.Response {
	return v.handle(ctx, req, nil)
}

// objects are a request's object and old object, decoded; err is why the
// object could not be (an unreadable old object judges an update as a
// creation).
type objects struct {
	obj, old map[string]any
	err      error
}

var errNoObject = errors.New("the request has no object")

// decodeObjects decodes the raw objects of a request Handle was given.
func decodeObjects(req admission.Request) *objects {
	o := &objects{}
	o.obj, o.err = decode(req.Object.Raw)
	if req.Operation == admissionv1.Update {
		o.old, _ = decode(req.OldObject.Raw)
	}
	return o
}

// handle is Handle, with the objects already decoded when objs is set.
func (v *Validator) handle(ctx context.Context, req admission.Request, objs *objects) admission.Response {
	if req.Operation != admissionv1.Create && req.Operation != admissionv1.Update {
		return admission.Allowed("")
	}
	if req.SubResource != "" {
		return admission.Allowed("") // status and other subresources carry no spec change
	}
	gk := schema.GroupKind{Group: req.Kind.Group, Kind: req.Kind.Kind}
	if !v.opts.Registry.Guards(gk) {
		return admission.Allowed("")
	}
	start := time.Now()
	if objs == nil {
		objs = decodeObjects(req)
	}
	resp, d := v.judge(ctx, req, gk, objs)
	v.observe(gk.Kind, resp.Allowed, d, time.Since(start))
	return resp
}

// judge decides a request for a guarded kind; the decision is nil when
// the object could not be read or judged.
func (v *Validator) judge(ctx context.Context, req admission.Request, gk schema.GroupKind, objs *objects) (admission.Response, *governance.Decision) {
	obj := objs.obj
	if objs.err != nil || obj == nil {
		err := objs.err
		if err == nil {
			err = errNoObject
		}
		return admission.Errored(http.StatusBadRequest, fmt.Errorf("ackguard cannot read the %s: %w", req.Kind.Kind, err)), nil
	}
	ar := governance.Request{
		Operation: governance.Create,
		Object:    obj,
		User:      req.UserInfo.Username,
		DryRun:    req.DryRun != nil && *req.DryRun,
		Now:       v.now(),
	}
	ar.Namespace.Name = req.Namespace
	if req.Operation == admissionv1.Update {
		ar.Operation = governance.Update
		// An unreadable old object judges the update as a creation.
		ar.OldObject = objs.old
	}
	d, err := v.admit(ctx, ar)
	if err != nil {
		return admission.Errored(http.StatusInternalServerError, fmt.Errorf("ackguard cannot read its policies: %w", err)), nil
	}
	// The verdict's values are boxed for the logger only when it logs at
	// this level: it is called for every request (and is off by default).
	if log := logf.FromContext(ctx).V(1); log.Enabled() {
		log.Info("admission verdict", "kind", gk.String(), "namespace", req.Namespace, "name", req.Name,
			"operation", req.Operation, "policies", d.Judgement.Policies, "denied", len(d.Denials), "warnings", len(d.Warnings),
			"exempted", len(d.Exempted), "dryRun", d.DryRun)
	}
	if d.Allowed() {
		return admission.Allowed("").WithWarnings(d.Lines()...), d
	}
	name := req.Name
	if name == "" {
		name = view.ReadMeta(obj).Name
	}
	status := apierrors.NewInvalid(gk, name, d.FieldErrors()).ErrStatus
	return admission.Response{AdmissionResponse: admissionv1.AdmissionResponse{
		UID:      req.UID,
		Allowed:  false,
		Result:   &status,
		Warnings: d.Lines(),
	}}, d
}

// admit decides the request through the cluster's policies, or under the
// baseline alone without a reader.
func (v *Validator) admit(ctx context.Context, req governance.Request) (*governance.Decision, error) {
	if v.source != nil {
		return v.source.Admit(ctx, req)
	}
	eng, ns, err := v.engine(ctx, req.Namespace.Name)
	if err != nil {
		return nil, err
	}
	req.Namespace = ns
	return eng.Admit(req), nil
}

// engine returns the governance engine for a namespace and the
// namespace; without a reader, the baseline alone.
func (v *Validator) engine(ctx context.Context, namespace string) (*governance.Engine, governance.Namespace, error) {
	if v.source == nil {
		return v.baseline, governance.Namespace{Name: namespace}, nil
	}
	return v.source.For(ctx, namespace)
}

func (v *Validator) now() time.Time {
	if v.opts.Now != nil {
		return v.opts.Now()
	}
	return time.Now()
}

// observe records the verdict: one count per rule that denied and per rule
// that warned in the request (two public statements are one S3-002
// denial, as two warnings of one rule are one warning), or one "passed"
// count for a request without either.
func (v *Validator) observe(kind string, allowed bool, d *governance.Decision, took time.Duration) {
	m := v.opts.Metrics
	if m == nil {
		return
	}
	m.AdmissionDuration.WithLabelValues(kind, strconv.FormatBool(allowed)).Observe(took.Seconds())
	if d == nil {
		m.AdmissionDecisions.WithLabelValues(kind, "", metrics.ResultDenied).Inc()
		return
	}
	denied := make([]string, 0, len(d.Denials))
	for _, f := range d.Denials {
		denied = append(denied, f.RuleID)
	}
	warned := d.WarningRules()
	countOnce := func(ruleIDs []string, result string) {
		slices.Sort(ruleIDs)
		for _, id := range slices.Compact(ruleIDs) {
			m.AdmissionDecisions.WithLabelValues(kind, id, result).Inc()
		}
	}
	countOnce(denied, metrics.ResultDenied)
	countOnce(warned, metrics.ResultWarned)
	if len(denied)+len(warned) == 0 {
		m.AdmissionDecisions.WithLabelValues(kind, "", metrics.ResultPassed).Inc()
	}
}

// decode reads a raw object as ServeHTTP reads the review's (one
// jsontext pass, unstructuredjson's numbers, bookkeeping skipped). The
// decoder bounds nesting depth, so a hostile document fails here with an
// error instead of exhausting the stack, and it refuses duplicate member
// names, which would let two readers see two different objects.
func decode(raw []byte) (map[string]any, error) {
	if len(raw) == 0 {
		return nil, errNoObject
	}
	var obj object
	if err := jsonv2.Unmarshal(raw, &obj); err != nil {
		return nil, err
	}
	if obj.m == nil {
		return nil, fmt.Errorf("the object is null")
	}
	return obj.m, nil
}
