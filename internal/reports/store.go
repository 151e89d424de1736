// Package reports keeps what the drift reconcilers judge and publishes it
// as openreports.io Reports: one Report per namespace, named "ackguard",
// bounded in size, written in batches by a leader-only flush loop. It also
// counts, per GuardrailPolicy, the resources the policy selects, fails and
// remediated, for the policies' status.
package reports

import (
	"container/heap"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	reportsv1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/ackguard/ackguard/api/v1alpha1"
	"github.com/ackguard/ackguard/internal/governance"
)

// Names and labels of the reports.
const (
	// Source is the source of every report and result.
	Source = "ackguard"
	// DefaultName names the Report of each namespace.
	DefaultName = "ackguard"
	// FieldOwner is the server-side apply field manager of the reports.
	FieldOwner = "ackguard"
	// LabelManagedBy marks the reports ackguard writes.
	LabelManagedBy = "app.kubernetes.io/managed-by"
	// ManagedBy is LabelManagedBy's value.
	ManagedBy = "ackguard"
	// AnnotationOmitted says how many results the report leaves out to stay
	// within its bounds (its summary counts them all).
	AnnotationOmitted = "ackguard.dev/omitted-results"
)

// Defaults of Options.
const (
	DefaultFlushInterval = 10 * time.Second
	DefaultMaxResults    = 500
	DefaultSweepAfter    = 2 * time.Minute
	DefaultVerifyEvery   = 5 * time.Minute
	// maxResultBytes bounds the serialized results of one report, well
	// under the API server's 1.5 MiB request limit and etcd's object size.
	maxResultBytes = 900 << 10
)

// ReportGVK is the kind of the reports.
var ReportGVK = schema.GroupVersionKind{Group: reportsv1alpha1.GroupName, Version: "v1alpha1", Kind: "Report"}

// PolicyCounts are the counts of one policy's status.
type PolicyCounts = v1alpha1.ResourceCounts

// Options configure a Store.
type Options struct {
	// FlushInterval is how often dirty namespaces are written (default 10s).
	FlushInterval time.Duration
	// MaxResults bounds the results of one report (default 500); the
	// summary counts every result.
	MaxResults int
	// Name of the Report in each namespace (default "ackguard").
	Name string
	// SweepAfter is how long after the flush loop starts the reports this
	// store's predecessors wrote, in namespaces nothing was observed in
	// since, are emptied (default 2m; negative disables the sweep).
	SweepAfter time.Duration
	// VerifyEvery is how often the reports this store wrote are checked to
	// be still there, as written (default 5m; negative disables): one
	// that was deleted, or changed by another writer, is written again at
	// that flush. Without it a report deleted in a namespace whose results
	// do not change stayed away.
	VerifyEvery time.Duration
	// Now returns the time results are stamped with (default time.Now).
	Now func() time.Time
	// Log defaults to the controller-runtime logger named "reports".
	Log logr.Logger
}

// +kubebuilder:rbac:groups=openreports.io,resources=reports,verbs=get;list;create;patch

// Store keeps the latest judgement of every object, per namespace, and
// writes each namespace's Report when it changed. Observe, Forget and
// Remediated only touch memory; Start writes. It is safe for concurrent use.
type Store struct {
	writer client.Writer
	reader client.Reader
	opts   Options
	log    logr.Logger

	mu         sync.Mutex
	namespaces map[string]map[objKey]*objState
	dirty      map[string]bool
	remediated map[string]map[fullKey]bool // policy → objects
	suspended  map[fullKey]suspension      // objects whose remediation is suspended
	passLists  passLists                   // the objects' pass lists, shared
	gen        uint64                      // bumped on every change of what PolicyCounts reads
	countsGen  uint64
	counts     map[string]PolicyCounts

	flushMu    sync.Mutex        // one flush at a time; guards the fields below
	written    map[string]string // namespace → fingerprint of the report last written
	writtenRV  map[string]string // namespace → resourceVersion the API server gave that report
	crdMissing bool
	started    time.Time
	swept      bool
	verified   time.Time // when the written reports were last checked
}

type objKey struct {
	gk   schema.GroupKind
	name string
}

type fullKey struct {
	namespace string
	objKey
}

// objState is the latest judgement of one object. It is never modified
// once stored: Observe replaces it, so a flush can read it unlocked.
// Passes, most of what a compliant object has, are kept compactly and
// rendered only when a report is built.
type objState struct {
	results  []reportsv1alpha1.ReportResult // rules with findings
	passes   []pass
	subjects []corev1.ObjectReference // shared by every result
	passedAt metav1.Timestamp         // since when the passes are unchanged
	policies []string
	failing  []string       // policies deciding a non-exempted result
	exempted map[string]int // exception name → results it skips
	fixed    fixes          // when the reconciler last fixed each rule
}

var _ manager.LeaderElectionRunnable = (*Store)(nil)

// New returns a store writing through writer (the manager's client) and
// reading existing reports through reader (the manager's API reader: the
// store never caches Reports). reader may be nil: then empty reports are
// written even where none existed, and there is no sweep.
func New(writer client.Writer, reader client.Reader, opts Options) *Store {
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = DefaultFlushInterval
	}
	if opts.MaxResults <= 0 {
		opts.MaxResults = DefaultMaxResults
	}
	if opts.Name == "" {
		opts.Name = DefaultName
	}
	if opts.SweepAfter == 0 {
		opts.SweepAfter = DefaultSweepAfter
	}
	if opts.VerifyEvery == 0 {
		opts.VerifyEvery = DefaultVerifyEvery
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Log
	if log.GetSink() == nil {
		log = logf.Log.WithName("reports")
	}
	return &Store{
		writer: writer, reader: reader, opts: opts, log: log,
		namespaces: map[string]map[objKey]*objState{},
		dirty:      map[string]bool{},
		remediated: map[string]map[fullKey]bool{},
		suspended:  map[fullKey]suspension{},
		written:    map[string]string{},
		writtenRV:  map[string]string{},
	}
}

// NeedLeaderElection makes the flush loop run on the leader only (the
// reconcilers that feed the store do too).
func (s *Store) NeedLeaderElection() bool { return true }

// Observe replaces the results of one object with a judgement; fixed
// says when the reconciler last fixed each rule of it (nil: never), which
// the rules' results say (PropertyRemediated).
func (s *Store) Observe(obj *unstructured.Unstructured, j *governance.Judgement, fixed map[string]time.Time) {
	if obj == nil {
		return
	}
	gvk := obj.GroupVersionKind()
	if j == nil || (len(j.Policies) == 0 && len(j.Results) == 0 && len(j.Passed) == 0) {
		s.Forget(gvk, types.NamespacedName{Namespace: obj.GetNamespace(), Name: obj.GetName()})
		return
	}
	ref := corev1.ObjectReference{
		APIVersion: obj.GetAPIVersion(), Kind: obj.GetKind(),
		Namespace: obj.GetNamespace(), Name: obj.GetName(), UID: obj.GetUID(),
	}
	ts := metav1.Timestamp{Seconds: s.opts.Now().Unix()}
	subjects := []corev1.ObjectReference{ref}
	st := &objState{
		results:  convertFindings(subjects, j, ts),
		passes:   compactPasses(j),
		subjects: subjects,
		passedAt: ts,
		policies: slices.Clone(j.Policies),
	}
	for _, r := range j.Results {
		if r.Exception == nil {
			if p := r.Policy(); p != "" && !slices.Contains(st.failing, p) {
				st.failing = append(st.failing, p)
			}
		}
	}
	for _, r := range st.results {
		if r.Result == ResultSkip {
			if name := exceptionName(r.Properties[PropertyException]); name != "" {
				if st.exempted == nil {
					st.exempted = map[string]int{}
				}
				st.exempted[name]++
			}
		}
	}
	slices.Sort(st.failing)

	ns, k := ref.Namespace, objKey{gk: gvk.GroupKind(), name: ref.Name}
	fk := fullKey{namespace: ns, objKey: k}
	s.mu.Lock()
	defer s.mu.Unlock()
	if sus, ok := s.suspended[fk]; ok {
		st.results = sus.mark(st.results)
	}
	objs := s.namespaces[ns]
	prev := objs[k]
	if len(fixed) > 0 {
		var before fixes
		if prev != nil {
			before = prev.fixed
		}
		st.fixed = newFixes(fixed, before)
		st.results = st.fixed.mark(st.results)
	}
	st.passes = s.passLists.share(st.passes)
	if objs == nil {
		objs = map[objKey]*objState{}
		s.namespaces[ns] = objs
	}
	if prev != nil {
		keepTimestamps(st.results, prev.results)
		if slices.Equal(st.passes, prev.passes) {
			st.passedAt = prev.passedAt
		}
		if reflect.DeepEqual(prev, st) {
			return
		}
	}
	objs[k] = st
	s.gen++
	s.markDirty(ns)
}

// Forget drops an object that no longer exists.
func (s *Store) Forget(gvk schema.GroupVersionKind, key types.NamespacedName) {
	k := objKey{gk: gvk.GroupKind(), name: key.Name}
	fk := fullKey{namespace: key.Namespace, objKey: k}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, objs := range s.remediated {
		if objs[fk] {
			delete(objs, fk)
			s.gen++
		}
	}
	delete(s.suspended, fk)
	objs := s.namespaces[key.Namespace]
	if _, ok := objs[k]; !ok {
		return
	}
	delete(objs, k)
	s.gen++
	s.markDirty(key.Namespace)
}

// ForgetKind drops every object of a kind no longer served (its CRD was
// deleted, and its objects with it): the reconciler may not have seen
// them deleted, as the list and watch of a kind that is gone only fail.
func (s *Store) ForgetKind(gk schema.GroupKind) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, objs := range s.remediated {
		for fk := range objs {
			if fk.gk == gk {
				delete(objs, fk)
				s.gen++
			}
		}
	}
	for fk := range s.suspended {
		if fk.gk == gk {
			delete(s.suspended, fk)
		}
	}
	for ns, objs := range s.namespaces {
		for k := range objs {
			if k.gk == gk {
				delete(objs, k)
				s.gen++
				s.markDirty(ns)
			}
		}
	}
}

// Objects returns the objects of a kind the store holds anything of
// (results, fixes, suspensions), in no order: those a reconciler of the
// kind started again asks about, as it is told only of the objects still
// there.
func (s *Store) Objects(gk schema.GroupKind) []types.NamespacedName {
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[fullKey]bool{}
	add := func(fk fullKey) {
		if fk.gk == gk {
			seen[fk] = true
		}
	}
	for ns, objs := range s.namespaces {
		for k := range objs {
			add(fullKey{namespace: ns, objKey: k})
		}
	}
	for _, objs := range s.remediated {
		for fk := range objs {
			add(fk)
		}
	}
	for fk := range s.suspended {
		add(fk)
	}
	out := make([]types.NamespacedName, 0, len(seen))
	for fk := range seen {
		out = append(out, types.NamespacedName{Namespace: fk.namespace, Name: fk.name})
	}
	return out
}

// Remediated records that the reconciler fixed rules of the object under
// the policies: the object counts for the policies until it is forgotten.
// (When the rules were fixed, the results say from the next Observe.)
func (s *Store) Remediated(obj *unstructured.Unstructured, policies []string) {
	if obj == nil {
		return
	}
	fk := fullKey{namespace: obj.GetNamespace(), objKey: objKey{gk: obj.GroupVersionKind().GroupKind(), name: obj.GetName()}}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range policies {
		if p == "" {
			continue
		}
		objs := s.remediated[p]
		if objs == nil {
			objs = map[fullKey]bool{}
			s.remediated[p] = objs
		}
		if !objs[fk] {
			objs[fk] = true
			s.gen++
		}
	}
}

// fixes are when the reconciler last fixed each rule of one object. A
// stored list is never modified: Observe replaces it. (A list, not a
// map: an object has one or two fixed rules, and the store keeps the fixes
// of every object it fixed, 10,000 and more.)
type fixes []ruleFix

// ruleFix is when the reconciler last fixed one rule (RFC 3339).
type ruleFix struct {
	rule, at string
}

// at returns when the rule was last fixed.
func (fx fixes) at(rule string) (string, bool) {
	for _, f := range fx {
		if f.rule == rule {
			return f.at, true
		}
	}
	return "", false
}

// newFixes returns the fixes of times (RFC 3339, in UTC), in the order of
// the rules, sharing the strings of before where a rule's time did not
// change: an object is observed at every reconcile, and its stored state
// holds them for as long as it exists.
func newFixes(times map[string]time.Time, before fixes) fixes {
	out := make(fixes, 0, len(times))
	for rule, t := range times {
		at := t.UTC().Format(time.RFC3339)
		if was, ok := before.at(rule); ok && was == at {
			at = was
		}
		out = append(out, ruleFix{rule: rule, at: at})
	}
	slices.SortFunc(out, func(a, b ruleFix) int { return strings.Compare(a.rule, b.rule) })
	return out
}

// mark returns results with PropertyRemediated set on the fixed rules'
// results (copies: stored results are never modified).
func (fx fixes) mark(results []reportsv1alpha1.ReportResult) []reportsv1alpha1.ReportResult {
	out := slices.Clone(results)
	for i := range out {
		at, ok := fx.at(out[i].Rule)
		if !ok || out[i].Properties[PropertyRemediated] == at {
			continue
		}
		setProperty(&out[i], PropertyRemediated, at)
	}
	return out
}

// suspension marks the results of the rules whose remediation is
// suspended on one object.
type suspension struct {
	rules []string
}

// mark returns results with PropertyRemediation set on the suspended
// rules' results (copies: stored results are never modified).
func (sus suspension) mark(results []reportsv1alpha1.ReportResult) []reportsv1alpha1.ReportResult {
	out := slices.Clone(results)
	const note = "suspended while the spec keeps the values the fix kept being reverted to"
	for i := range out {
		if !slices.Contains(sus.rules, out[i].Rule) || out[i].Result == ResultPass {
			continue
		}
		setProperty(&out[i], PropertyRemediation, note)
	}
	return out
}

// setProperty sets a property of a result copied from the store, on a
// copy of its properties (the stored result's map is shared).
func setProperty(r *reportsv1alpha1.ReportResult, key, value string) {
	props := maps.Clone(r.Properties)
	if props == nil {
		props = map[string]string{}
	}
	props[key] = value
	r.Properties = props
}

// Suspended records whether remediation of the rules on the object is
// suspended; the object's results say so (PropertyRemediation) until it
// resumes.
func (s *Store) Suspended(obj *unstructured.Unstructured, ruleIDs []string, suspended bool) {
	if obj == nil {
		return
	}
	ns, k := obj.GetNamespace(), objKey{gk: obj.GroupVersionKind().GroupKind(), name: obj.GetName()}
	fk := fullKey{namespace: ns, objKey: k}
	s.mu.Lock()
	defer s.mu.Unlock()
	prev, had := s.suspended[fk]
	if !suspended {
		if !had {
			return
		}
		delete(s.suspended, fk)
	} else {
		sus := suspension{rules: slices.Clone(ruleIDs)}
		if had && reflect.DeepEqual(prev, sus) {
			return
		}
		s.suspended[fk] = sus
	}
	// Re-render the stored results: drop the previous mark, add the new.
	st := s.namespaces[ns][k]
	if st == nil {
		return
	}
	next := *st
	next.results = slices.Clone(st.results)
	for i := range next.results {
		if _, ok := next.results[i].Properties[PropertyRemediation]; ok {
			props := maps.Clone(next.results[i].Properties)
			delete(props, PropertyRemediation)
			next.results[i].Properties = props
		}
	}
	if sus, ok := s.suspended[fk]; ok {
		next.results = sus.mark(next.results)
	}
	s.namespaces[ns][k] = &next
	s.markDirty(ns)
}

// markDirty marks a namespace's report for the next flush. Cluster-scoped
// objects count for policies but have no report. Callers hold mu.
func (s *Store) markDirty(ns string) {
	if ns != "" {
		s.dirty[ns] = true
	}
}

// PolicyCounts returns, per policy name, the objects it selects (matched),
// those with a non-exempted finding it decides (failing) and those the
// reconciler remediated under it (remediated).
func (s *Store) PolicyCounts() map[string]PolicyCounts {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.counts == nil || s.countsGen != s.gen {
		counts := map[string]PolicyCounts{}
		for _, objs := range s.namespaces {
			for _, st := range objs {
				for _, p := range st.policies {
					c := counts[p]
					c.Matched++
					counts[p] = c
				}
				for _, p := range st.failing {
					c := counts[p]
					c.Failing++
					counts[p] = c
				}
			}
		}
		for p, objs := range s.remediated {
			if len(objs) > 0 {
				c := counts[p]
				c.Remediated = int32(len(objs))
				counts[p] = c
			}
		}
		s.counts, s.countsGen = counts, s.gen
	}
	return maps.Clone(s.counts)
}

// ExceptionCounts returns, for the namespace, how many results each
// exception (by name) turns into skips.
func (s *Store) ExceptionCounts(namespace string) map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for _, st := range s.namespaces[namespace] {
		for name, n := range st.exempted {
			out[name] += n
		}
	}
	return out
}

// Start writes dirty namespaces every FlushInterval until ctx ends.
func (s *Store) Start(ctx context.Context) error {
	s.flushMu.Lock()
	s.started = s.opts.Now()
	s.flushMu.Unlock()
	t := time.NewTicker(s.opts.FlushInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if err := s.Flush(ctx); err != nil && ctx.Err() == nil {
			s.log.Error(err, "writing policy reports; will retry")
		}
	}
}

// Flush writes the report of every dirty namespace whose content changed.
// A namespace that fails stays dirty.
func (s *Store) Flush(ctx context.Context) error {
	s.flushMu.Lock()
	defer s.flushMu.Unlock()
	if err := s.sweep(ctx); err != nil {
		s.log.V(1).Info("looking for stale reports; will retry", "error", err.Error())
	}
	if err := s.verify(ctx); err != nil {
		s.log.V(1).Info("checking the written reports; will retry", "error", err.Error())
	}
	s.mu.Lock()
	work := make(map[string][]*objState, len(s.dirty))
	for ns := range s.dirty {
		objs := make([]*objState, 0, len(s.namespaces[ns]))
		for _, st := range s.namespaces[ns] {
			objs = append(objs, st)
		}
		work[ns] = objs
	}
	s.dirty = map[string]bool{}
	s.mu.Unlock()

	names := slices.Sorted(maps.Keys(work))
	var errs []error
	for i, ns := range names {
		err := s.flushNamespace(ctx, ns, work[ns])
		if err == nil {
			continue
		}
		if meta.IsNoMatchError(err) {
			// Not installed: keep everything for a later flush.
			s.redirty(names[i:]...)
			if !s.crdMissing {
				s.crdMissing = true
				s.log.Info("the openreports.io Report CRD is not installed; policy reports are kept in memory and written once it is")
			}
			return nil
		}
		s.redirty(ns)
		errs = append(errs, fmt.Errorf("namespace %s: %w", ns, err))
	}
	if s.crdMissing && len(names) > 0 {
		s.crdMissing = false
		s.log.Info("the openreports.io Report CRD is installed; writing policy reports")
	}
	return errors.Join(errs...)
}

func (s *Store) redirty(namespaces ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ns := range namespaces {
		s.dirty[ns] = true
	}
}

// flushNamespace applies the namespace's report unless it is unchanged.
// An emptied namespace gets a report with no results, but only where one
// exists. Callers hold flushMu.
func (s *Store) flushNamespace(ctx context.Context, ns string, objs []*objState) error {
	u, fp, err := s.build(ns, objs)
	if err != nil {
		return err
	}
	if s.written[ns] == fp {
		if len(objs) == 0 {
			s.dropIfEmpty(ns)
		}
		return nil
	}
	if len(objs) == 0 && s.written[ns] == "" && s.reader != nil {
		exists, err := s.exists(ctx, ns)
		if err != nil {
			return err
		}
		if !exists {
			s.dropIfEmpty(ns)
			return nil
		}
	}
	err = s.writer.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(FieldOwner), client.ForceOwnership)
	switch {
	case err == nil:
	case apierrors.IsNotFound(err) || apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause):
		// The namespace is gone or going; its objects will be forgotten.
		delete(s.written, ns)
		delete(s.writtenRV, ns)
		if len(objs) == 0 {
			s.dropIfEmpty(ns)
		} else {
			s.redirty(ns)
		}
		return nil
	default:
		return err
	}
	s.written[ns], s.writtenRV[ns] = fp, u.GetResourceVersion()
	if len(objs) == 0 {
		delete(s.written, ns)
		delete(s.writtenRV, ns)
		s.dropIfEmpty(ns)
	}
	return nil
}

// exists reports whether the namespace has the report.
func (s *Store) exists(ctx context.Context, ns string) (bool, error) {
	m := &metav1.PartialObjectMetadata{}
	m.SetGroupVersionKind(ReportGVK)
	err := s.reader.Get(ctx, client.ObjectKey{Namespace: ns, Name: s.opts.Name}, m)
	switch {
	case err == nil:
		return true, nil
	case apierrors.IsNotFound(err):
		return false, nil
	default:
		return false, err
	}
}

// dropIfEmpty forgets a namespace that has no object and no pending change.
func (s *Store) dropIfEmpty(ns string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.namespaces[ns]) == 0 && !s.dirty[ns] {
		delete(s.namespaces, ns)
	}
}

// sweep, once SweepAfter has passed since Start, marks dirty the
// namespaces that hold a report of this store's name but had nothing
// observed (their objects went away while no ackguard ran), so that their
// reports are emptied. Callers hold flushMu.
func (s *Store) sweep(ctx context.Context) error {
	if s.swept || s.reader == nil || s.opts.SweepAfter < 0 || s.started.IsZero() || s.opts.Now().Sub(s.started) < s.opts.SweepAfter {
		return nil
	}
	present, err := s.listReports(ctx)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for ns := range present {
		if _, ok := s.namespaces[ns]; !ok {
			s.namespaces[ns] = map[objKey]*objState{}
			s.markDirty(ns)
		}
	}
	s.swept = true
	return nil
}

// listReports returns the resourceVersion of each report of this store's
// name (and label), by namespace: metadata only.
func (s *Store) listReports(ctx context.Context) (map[string]string, error) {
	list := &metav1.PartialObjectMetadataList{}
	list.SetGroupVersionKind(ReportGVK.GroupVersion().WithKind("ReportList"))
	if err := s.reader.List(ctx, list, client.MatchingLabels{LabelManagedBy: ManagedBy}); err != nil {
		return nil, err
	}
	present := make(map[string]string, len(list.Items))
	for _, item := range list.Items {
		if item.Name == s.opts.Name {
			present[item.Namespace] = item.ResourceVersion
		}
	}
	return present, nil
}

// verify, every VerifyEvery, lists the reports of this store's name and
// marks dirty, to be written again at this flush, each namespace whose
// report this store wrote but is gone or was changed since (its
// resourceVersion is not the one the store's own write got back). Callers
// hold flushMu.
func (s *Store) verify(ctx context.Context) error {
	if s.reader == nil || s.opts.VerifyEvery < 0 {
		return nil
	}
	now := s.opts.Now()
	if s.verified.IsZero() {
		s.verified = now // the first flush starts the clock
	}
	if len(s.written) == 0 || now.Sub(s.verified) < s.opts.VerifyEvery {
		return nil
	}
	present, err := s.listReports(ctx)
	if err != nil {
		return err
	}
	s.verified = now
	var stale []string
	for ns := range s.written {
		if rv, ok := present[ns]; !ok || rv != s.writtenRV[ns] {
			stale = append(stale, ns)
		}
	}
	if len(stale) == 0 {
		return nil
	}
	slices.Sort(stale)
	s.log.Info("writing again the policy reports that were deleted or changed by another writer", "namespaces", stale)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ns := range stale {
		delete(s.written, ns)
		delete(s.writtenRV, ns)
		if _, ok := s.namespaces[ns]; ok {
			s.markDirty(ns)
		}
	}
	return nil
}

// build returns the namespace's report and a fingerprint of its content.
func (s *Store) build(ns string, objs []*objState) (*unstructured.Unstructured, string, error) {
	rep := buildReport(ns, s.opts.Name, s.opts.MaxResults, objs)
	content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(rep)
	if err != nil {
		return nil, "", err
	}
	unstructured.RemoveNestedField(content, "metadata", "creationTimestamp")
	data, err := json.Marshal(content) // map keys sorted: deterministic
	if err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256(data)
	return &unstructured.Unstructured{Object: content}, hex.EncodeToString(sum[:]), nil
}

// buildReport returns the report of a namespace: every result of the objects
// ordered fail, warn, skip, pass, then by severity, resource and rule; at
// most maxResults of them (fewer if they would not fit in the report's
// size budget), with a summary that counts them all.
func buildReport(ns, name string, maxResults int, objs []*objState) *reportsv1alpha1.Report {
	var sum reportsv1alpha1.ReportSummary
	total := 0
	// The maxResults first results in report order, kept in a max-heap
	// (its root is the last of them): O(n log maxResults), no copy of
	// results that are not kept.
	top := &resultHeap{}
	// wanted reports whether r would be among the results kept so far;
	// keep adds r (which then belongs to the heap).
	wanted := func(r *reportsv1alpha1.ReportResult) bool {
		return maxResults > 0 && (top.Len() < maxResults || less(r, (*top)[0]))
	}
	keep := func(r *reportsv1alpha1.ReportResult) {
		if top.Len() < maxResults {
			heap.Push(top, r)
			return
		}
		(*top)[0] = r
		heap.Fix(top, 0)
	}
	for _, st := range objs {
		total += len(st.passes)
		sum.Pass += len(st.passes)
		for i := range st.results {
			r := &st.results[i]
			total++
			switch r.Result {
			case ResultPass:
				sum.Pass++
			case ResultFail:
				sum.Fail++
			case ResultWarn:
				sum.Warn++
			case ResultError:
				sum.Error++
			case ResultSkip:
				sum.Skip++
			}
			if wanted(r) {
				keep(r)
			}
		}
	}
	// Passes come after every other result: rendered only while the
	// report has room for some, and copied to the heap only when kept (a
	// namespace of many clean objects offers far more than it keeps).
	if maxResults > 0 && (top.Len() < maxResults || (*top)[0].Result == ResultPass) {
		for _, st := range objs {
			for _, p := range st.passes {
				r := p.result(st.subjects, st.passedAt)
				if at, ok := st.fixed.at(r.Rule); ok {
					r.Properties = map[string]string{PropertyRemediated: at}
				}
				if wanted(&r) {
					kept := r
					keep(&kept)
				}
			}
		}
	}
	sorted := []*reportsv1alpha1.ReportResult(*top)
	sort.Slice(sorted, func(i, j int) bool { return less(sorted[i], sorted[j]) })
	kept := make([]reportsv1alpha1.ReportResult, 0, len(sorted))
	size := 0
	for _, r := range sorted {
		data, err := json.Marshal(r)
		if err != nil || size+len(data)+1 > maxResultBytes {
			break
		}
		size += len(data) + 1
		kept = append(kept, *r)
	}
	rep := &reportsv1alpha1.Report{
		TypeMeta: metav1.TypeMeta{APIVersion: ReportGVK.GroupVersion().String(), Kind: ReportGVK.Kind},
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: ns,
			Labels:      map[string]string{LabelManagedBy: ManagedBy},
			Annotations: map[string]string{AnnotationOmitted: strconv.Itoa(total - len(kept))},
		},
		// No scope: each result names its resource, so Policy Reporter
		// shows, filters and notifies per resource and kind (a scope would
		// stand for every result's resource).
		Source:        Source,
		Configuration: &reportsv1alpha1.ReportConfiguration{Limits: reportsv1alpha1.Limits{MaxResults: maxResults}},
		Summary:       sum,
	}
	if len(kept) > 0 {
		rep.Results = kept
	}
	return rep
}

// resultHeap is a max-heap of results in report order.
type resultHeap []*reportsv1alpha1.ReportResult

func (h resultHeap) Len() int           { return len(h) }
func (h resultHeap) Less(i, j int) bool { return less(h[j], h[i]) }
func (h resultHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *resultHeap) Push(x any)        { *h = append(*h, x.(*reportsv1alpha1.ReportResult)) }
func (h *resultHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func less(a, b *reportsv1alpha1.ReportResult) bool {
	if ra, rb := resultRank(a.Result), resultRank(b.Result); ra != rb {
		return ra < rb
	}
	if sa, sb := severityRank(a.Severity), severityRank(b.Severity); sa != sb {
		return sa < sb
	}
	oa, ob := subject(a), subject(b)
	if oa == nil || ob == nil {
		if (oa == nil) != (ob == nil) {
			return oa == nil
		}
		return a.Rule < b.Rule
	}
	if oa.Name != ob.Name {
		return oa.Name < ob.Name
	}
	if oa.Kind != ob.Kind {
		return oa.Kind < ob.Kind
	}
	if oa.APIVersion != ob.APIVersion {
		return oa.APIVersion < ob.APIVersion
	}
	return a.Rule < b.Rule
}

func subject(r *reportsv1alpha1.ReportResult) *corev1.ObjectReference {
	if len(r.Subjects) == 0 {
		return nil
	}
	return &r.Subjects[0]
}

// keepTimestamps gives the results that did not change since the previous
// judgement their first timestamp, so re-judging an unchanged object
// changes nothing.
func keepTimestamps(results, prev []reportsv1alpha1.ReportResult) {
	for i := range results {
		for j := range prev {
			if prev[j].Rule != results[i].Rule {
				continue
			}
			a, b := results[i], prev[j]
			a.Timestamp, b.Timestamp = metav1.Timestamp{}, metav1.Timestamp{}
			if reflect.DeepEqual(a, b) {
				results[i].Timestamp = prev[j].Timestamp
			}
			break
		}
	}
}

// exceptionName returns the name of a "namespace/name" exception.
func exceptionName(ref string) string {
	return ref[strings.LastIndex(ref, "/")+1:]
}
