package reports

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	reportsv1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ackguard/ackguard/api/v1alpha1"
	"github.com/ackguard/ackguard/internal/governance"
	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/view"
)

var (
	registry  = rules.Default()
	bucketGVK = schema.GroupVersionKind{Group: "s3.services.k8s.aws", Version: "v1alpha1", Kind: "Bucket"}
)

// fakeWriter records the reports applied.
type fakeWriter struct {
	client.Writer
	mu      sync.Mutex
	applied []*reportsv1alpha1.Report
	opts    []client.ApplyOptions
	err     error
	writes  int
}

func (f *fakeWriter) Apply(_ context.Context, obj runtime.ApplyConfiguration, opts ...client.ApplyOption) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	u, ok := obj.(interface{ UnstructuredContent() map[string]any })
	if !ok {
		return fmt.Errorf("apply of %T", obj)
	}
	rep := &reportsv1alpha1.Report{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.UnstructuredContent(), rep); err != nil {
		return err
	}
	f.applied = append(f.applied, rep)
	f.opts = append(f.opts, *(&client.ApplyOptions{}).ApplyOptions(opts))
	// As the API server does, hand back the resourceVersion it stored.
	f.writes++
	if sv, ok := obj.(interface{ SetResourceVersion(string) }); ok {
		sv.SetResourceVersion(fmt.Sprint(f.writes))
	}
	return nil
}

func (f *fakeWriter) take() []*reportsv1alpha1.Report {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.applied
	f.applied = nil
	return out
}

// fakeReader knows which namespaces hold a report, and their
// resourceVersions.
type fakeReader struct {
	client.Reader
	existing map[string]bool
	rv       map[string]string
}

func (f *fakeReader) Get(_ context.Context, key client.ObjectKey, _ client.Object, _ ...client.GetOption) error {
	if f.existing[key.Namespace] {
		return nil
	}
	return apierrors.NewNotFound(schema.GroupResource{Group: "openreports.io", Resource: "reports"}, key.Name)
}

func (f *fakeReader) List(_ context.Context, list client.ObjectList, _ ...client.ListOption) error {
	l := list.(*metav1.PartialObjectMetadataList)
	for ns := range f.existing {
		l.Items = append(l.Items, metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Name: DefaultName, Namespace: ns, ResourceVersion: f.rv[ns]}})
	}
	return nil
}

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newStore(t *testing.T, opts Options) (*Store, *fakeWriter, *fakeReader, *fakeClock) {
	t.Helper()
	w, r := &fakeWriter{}, &fakeReader{existing: map[string]bool{}, rv: map[string]string{}}
	clk := &fakeClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	if opts.Now == nil {
		opts.Now = clk.Now
	}
	if opts.Log.GetSink() == nil {
		opts.Log = logr.Discard()
	}
	return New(w, r, opts), w, r, clk
}

func bucket(ns, name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(bucketGVK)
	u.SetNamespace(ns)
	u.SetName(name)
	u.SetUID(types.UID("uid-" + ns + "-" + name))
	return u
}

func finding(id string, sev rules.Severity, path ...string) rules.Finding {
	return rules.Finding{RuleID: id, Severity: sev, Path: view.NewPath(path...), Message: id + " is violated", Remedy: "fix " + id}
}

func denied(f rules.Finding, policy string) governance.Result {
	return governance.Result{Finding: f, Category: "S3", Action: v1alpha1.Enforce, Admission: governance.DenyAdmission, AdmissionPolicy: policy, Fix: true, FixPolicy: policy}
}

func warned(f rules.Finding, policy string) governance.Result {
	return governance.Result{Finding: f, Category: "S3", Action: v1alpha1.Audit, Admission: governance.AdmitWithWarning, AdmissionPolicy: policy}
}

func exempted(r governance.Result, name string) governance.Result {
	r.Exception = &governance.ExceptionRef{Namespace: "team", Name: name, Reason: "JIRA-1", ExpiresAt: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)}
	r.Fix = false
	return r
}

func passed(id, policy string) governance.RuleRef {
	return governance.RuleRef{Rule: registry.Rule(id), Policy: policy}
}

func byRule(results []reportsv1alpha1.ReportResult) map[string]reportsv1alpha1.ReportResult {
	out := map[string]reportsv1alpha1.ReportResult{}
	for _, r := range results {
		out[r.Rule] = r
	}
	return out
}

func flush(t *testing.T, s *Store) {
	t.Helper()
	if err := s.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestResultsOfAJudgement(t *testing.T) {
	s, w, _, _ := newStore(t, Options{})
	j := &governance.Judgement{
		Policies: []string{"baseline", "strict"},
		Results: []governance.Result{
			denied(finding("S3-001", rules.Critical, "spec", "publicAccessBlock"), "strict"),
			warned(finding("S3-004", rules.Medium, "spec", "policy"), "baseline"),
			exempted(denied(finding("S3-002", rules.High, "spec", "acl"), "baseline"), "legacy-acl"),
		},
		Passed: []governance.RuleRef{passed("S3-005", "baseline")},
	}
	s.Observe(bucket("team", "b1"), j, nil)
	flush(t, s)
	applied := w.take()
	if len(applied) != 1 {
		t.Fatalf("%d reports applied, want 1", len(applied))
	}
	rep := applied[0]
	if rep.Name != DefaultName || rep.Namespace != "team" || rep.Labels[LabelManagedBy] != ManagedBy || rep.Source != Source {
		t.Errorf("report meta = %s/%s labels %v source %q", rep.Namespace, rep.Name, rep.Labels, rep.Source)
	}
	if rep.Configuration == nil || rep.Configuration.Limits.MaxResults != DefaultMaxResults {
		t.Errorf("configuration = %+v", rep.Configuration)
	}
	if want := (reportsv1alpha1.ReportSummary{Pass: 1, Fail: 1, Warn: 1, Skip: 1}); rep.Summary != want {
		t.Errorf("summary = %+v, want %+v", rep.Summary, want)
	}
	got := byRule(rep.Results)
	fail := got["S3-001"]
	if fail.Result != ResultFail || fail.Severity != SeverityCritical || fail.Policy != "strict" || fail.Category != "S3" || fail.Source != Source {
		t.Errorf("S3-001 = %+v", fail)
	}
	if fail.Description != "S3-001 is violated; fix S3-001" {
		t.Errorf("description = %q", fail.Description)
	}
	if fail.Properties[PropertyPath] != "spec.publicAccessBlock" || fail.Properties[PropertyAction] != "Enforce" {
		t.Errorf("properties = %v", fail.Properties)
	}
	if len(fail.Subjects) != 1 || fail.Subjects[0].Kind != "Bucket" || fail.Subjects[0].APIVersion != "s3.services.k8s.aws/v1alpha1" ||
		fail.Subjects[0].Namespace != "team" || fail.Subjects[0].Name != "b1" || fail.Subjects[0].UID != "uid-team-b1" {
		t.Errorf("subjects = %+v", fail.Subjects)
	}
	if fail.Timestamp.Seconds != time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC).Unix() {
		t.Errorf("timestamp = %v", fail.Timestamp)
	}
	if warn := got["S3-004"]; warn.Result != ResultWarn || warn.Severity != SeverityMedium || warn.Properties[PropertyAction] != "Audit" {
		t.Errorf("S3-004 = %+v", warn)
	}
	skip := got["S3-002"]
	if skip.Result != ResultSkip || skip.Properties[PropertyException] != "team/legacy-acl" ||
		skip.Properties[PropertyReason] != "JIRA-1" || skip.Properties[PropertyExpiresAt] != "2026-04-01T00:00:00Z" {
		t.Errorf("S3-002 = %+v", skip)
	}
	pass := got["S3-005"]
	if pass.Result != ResultPass || pass.Policy != "baseline" || pass.Category != "S3" ||
		pass.Severity != Severity(registry.Rule("S3-005").Severity) || pass.Description != registry.Rule("S3-005").Title {
		t.Errorf("S3-005 = %+v", pass)
	}
	if opts := w.opts[0]; opts.FieldManager != FieldOwner || opts.Force == nil || !*opts.Force {
		t.Errorf("apply options = %+v", opts)
	}
	if c := s.ExceptionCounts("team"); c["legacy-acl"] != 1 || len(c) != 1 {
		t.Errorf("exception counts = %v", c)
	}
}

func TestFindingsOfOneRuleFoldIntoOneResult(t *testing.T) {
	s, _, _, _ := newStore(t, Options{})
	w1 := warned(finding("S3-006", rules.Medium, "spec", "policy"), "baseline")
	d2 := denied(finding("S3-006", rules.High, "spec", "policy", "Statement"), "strict")
	d2.Message = "another statement"
	s.Observe(bucket("team", "b"), &governance.Judgement{Policies: []string{"baseline", "strict"}, Results: []governance.Result{w1, d2}}, nil)
	rep := buildReport("team", DefaultName, 10, snapshot(s, "team"))
	if len(rep.Results) != 1 {
		t.Fatalf("results = %+v", rep.Results)
	}
	r := rep.Results[0]
	if r.Result != ResultFail || r.Policy != "strict" || r.Severity != SeverityHigh || r.Properties[PropertyFindings] != "2" {
		t.Errorf("folded result = %+v", r)
	}
	if r.Properties[PropertyPath] != "spec.policy, spec.policy.Statement" {
		t.Errorf("path = %q", r.Properties[PropertyPath])
	}
	if !strings.Contains(r.Description, "S3-006 is violated") || !strings.Contains(r.Description, "another statement") {
		t.Errorf("description = %q", r.Description)
	}
}

func snapshot(s *Store, ns string) []*objState {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*objState
	for _, st := range s.namespaces[ns] {
		out = append(out, st)
	}
	return out
}

func TestReportIsOrderedBoundedAndSummarisesEveryResult(t *testing.T) {
	const maxResults = 25
	s, w, _, _ := newStore(t, Options{MaxResults: maxResults})
	var want reportsv1alpha1.ReportSummary
	for i := range 40 {
		j := &governance.Judgement{Policies: []string{"baseline"}}
		switch i % 4 {
		case 0:
			j.Results = append(j.Results, denied(finding("S3-001", rules.Critical, "spec", "publicAccessBlock"), "baseline"),
				denied(finding("S3-002", rules.High, "spec", "acl"), "baseline"))
			want.Fail += 2
		case 1:
			j.Results = append(j.Results, warned(finding("S3-004", rules.Medium, "spec", "policy"), "baseline"))
			want.Warn++
		case 2:
			j.Results = append(j.Results, exempted(denied(finding("S3-001", rules.Critical, "spec", "publicAccessBlock"), "baseline"), "ex"))
			want.Skip++
		}
		j.Passed = []governance.RuleRef{passed("S3-005", "baseline"), passed("S3-013", "baseline")}
		want.Pass += 2
		s.Observe(bucket("team", fmt.Sprintf("b%02d", 39-i)), j, nil)
	}
	flush(t, s)
	rep := w.take()[0]
	if rep.Summary != want {
		t.Errorf("summary = %+v, want %+v", rep.Summary, want)
	}
	total := want.Pass + want.Fail + want.Warn + want.Skip
	if len(rep.Results) != maxResults {
		t.Fatalf("%d results, want %d", len(rep.Results), maxResults)
	}
	if rep.Annotations[AnnotationOmitted] != fmt.Sprint(total-maxResults) {
		t.Errorf("omitted annotation = %q, want %d", rep.Annotations[AnnotationOmitted], total-maxResults)
	}
	if rep.Configuration.Limits.MaxResults != maxResults {
		t.Errorf("limits = %+v", rep.Configuration.Limits)
	}
	// Fail, warn, skip, pass; then severity, then resource name.
	for i := 1; i < len(rep.Results); i++ {
		a, b := rep.Results[i-1], rep.Results[i]
		ka := fmt.Sprintf("%d %d %s", resultRank(a.Result), severityRank(a.Severity), a.Subjects[0].Name)
		kb := fmt.Sprintf("%d %d %s", resultRank(b.Result), severityRank(b.Severity), b.Subjects[0].Name)
		if ka > kb {
			t.Errorf("result %d (%s) before %d (%s)", i-1, ka, i, kb)
		}
	}
	// 20 failures fill the first places: critical ones first.
	if rep.Results[0].Result != ResultFail || rep.Results[0].Severity != SeverityCritical || rep.Results[0].Subjects[0].Name != "b03" {
		t.Errorf("first result = %s %s %s", rep.Results[0].Result, rep.Results[0].Severity, rep.Results[0].Subjects[0].Name)
	}
	if r := rep.Results[10]; r.Result != ResultFail || r.Severity != SeverityHigh {
		t.Errorf("11th result = %s %s", r.Result, r.Severity)
	}
	if r := rep.Results[20]; r.Result != ResultWarn {
		t.Errorf("21st result = %s", r.Result)
	}
}

func TestReportStaysUnderItsSizeBudget(t *testing.T) {
	s, w, _, _ := newStore(t, Options{MaxResults: 5000})
	long := strings.Repeat("x", 5000)
	for i := range 1000 {
		f := finding("S3-001", rules.Critical, "spec", long)
		f.Message, f.Remedy = long, long
		s.Observe(bucket("team", fmt.Sprintf("b%04d", i)), &governance.Judgement{Policies: []string{"baseline"}, Results: []governance.Result{denied(f, "baseline")}}, nil)
	}
	flush(t, s)
	rep := w.take()[0]
	data, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > 1<<20 {
		t.Errorf("report is %d bytes", len(data))
	}
	if len(rep.Results) == 0 || len(rep.Results) >= 1000 || rep.Summary.Fail != 1000 {
		t.Errorf("%d results kept, summary %+v", len(rep.Results), rep.Summary)
	}
	if rep.Annotations[AnnotationOmitted] != fmt.Sprint(1000-len(rep.Results)) {
		t.Errorf("omitted = %s with %d kept", rep.Annotations[AnnotationOmitted], len(rep.Results))
	}
	if d := rep.Results[0].Description; len(d) > maxDescription || !strings.HasSuffix(d, "…") {
		t.Errorf("description not bounded: %d bytes", len(d))
	}
}

func TestOnlyChangedNamespacesAreWritten(t *testing.T) {
	s, w, _, clk := newStore(t, Options{})
	judge := func(ids ...string) *governance.Judgement {
		j := &governance.Judgement{Policies: []string{"baseline"}}
		for _, id := range ids {
			j.Results = append(j.Results, denied(finding(id, rules.High, "spec", "x"), "baseline"))
		}
		return j
	}
	s.Observe(bucket("a", "b1"), judge("S3-001"), nil)
	s.Observe(bucket("b", "b1"), judge("S3-001"), nil)
	if len(w.take()) != 0 {
		t.Fatal("Observe wrote")
	}
	flush(t, s)
	if got := w.take(); len(got) != 2 {
		t.Fatalf("first flush wrote %d reports, want 2", len(got))
	}
	flush(t, s)
	if got := w.take(); len(got) != 0 {
		t.Fatalf("flush with nothing dirty wrote %d reports", len(got))
	}

	// Judged again, unchanged, later: nothing is dirty, nothing written,
	// and the results keep their first timestamp.
	clk.Add(time.Minute)
	s.Observe(bucket("a", "b1"), judge("S3-001"), nil)
	if len(s.dirty) != 0 {
		t.Errorf("unchanged judgement made %v dirty", s.dirty)
	}
	// Dirty with identical content (another object judged, then
	// forgotten): the report is not rewritten.
	s.Observe(bucket("a", "b2"), judge("S3-002"), nil)
	s.Forget(bucketGVK, types.NamespacedName{Namespace: "a", Name: "b2"})
	flush(t, s)
	if got := w.take(); len(got) != 0 {
		t.Fatalf("unchanged report rewritten %d times", len(got))
	}

	// A change in one namespace writes that namespace only; unchanged
	// results keep their timestamp, new ones get the current time.
	s.Observe(bucket("a", "b1"), judge("S3-001", "S3-002"), nil)
	if !s.dirty["a"] || s.dirty["b"] {
		t.Errorf("dirty = %v, want only a", s.dirty)
	}
	flush(t, s)
	got := w.take()
	if len(got) != 1 || got[0].Namespace != "a" || len(got[0].Results) != 2 {
		t.Fatalf("wrote %+v", got)
	}
	res := byRule(got[0].Results)
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC).Unix()
	if res["S3-001"].Timestamp.Seconds != start || res["S3-002"].Timestamp.Seconds != start+60 {
		t.Errorf("timestamps = %v, %v", res["S3-001"].Timestamp, res["S3-002"].Timestamp)
	}
}

func TestForgottenObjectsLeaveAnEmptyReport(t *testing.T) {
	s, w, r, _ := newStore(t, Options{})
	j := &governance.Judgement{Policies: []string{"baseline"}, Results: []governance.Result{denied(finding("S3-001", rules.High, "spec"), "baseline")}}
	s.Observe(bucket("a", "b1"), j, nil)
	flush(t, s)
	w.take()
	s.Forget(bucketGVK, types.NamespacedName{Namespace: "a", Name: "b1"})
	s.Forget(bucketGVK, types.NamespacedName{Namespace: "a", Name: "never-seen"}) // no-op
	flush(t, s)
	got := w.take()
	if len(got) != 1 || len(got[0].Results) != 0 || got[0].Summary != (reportsv1alpha1.ReportSummary{}) {
		t.Fatalf("emptied namespace wrote %+v", got)
	}
	if got[0].Annotations[AnnotationOmitted] != "0" {
		t.Errorf("annotations = %v", got[0].Annotations)
	}
	if _, ok := s.namespaces["a"]; ok {
		t.Error("empty namespace kept in memory")
	}

	// A namespace emptied before its report was ever written, with no
	// report in the cluster: nothing to write.
	s.Observe(bucket("c", "b1"), j, nil)
	s.Forget(bucketGVK, types.NamespacedName{Namespace: "c", Name: "b1"})
	flush(t, s)
	if got := w.take(); len(got) != 0 {
		t.Errorf("created an empty report: %+v", got)
	}
	// ... but one that exists (written by a predecessor) is emptied.
	r.existing["d"] = true
	s.Observe(bucket("d", "b1"), j, nil)
	s.Forget(bucketGVK, types.NamespacedName{Namespace: "d", Name: "b1"})
	flush(t, s)
	if got := w.take(); len(got) != 1 || got[0].Namespace != "d" || len(got[0].Results) != 0 {
		t.Errorf("existing report not emptied: %+v", got)
	}
}

// A kind no longer served leaves the reports and the policies' counts;
// the other kinds' objects, in the same namespace, stay.
func TestForgottenKindLeavesTheReports(t *testing.T) {
	s, w, _, _ := newStore(t, Options{})
	j := &governance.Judgement{Policies: []string{"baseline"}, Results: []governance.Result{denied(finding("S3-001", rules.High, "spec"), "baseline")}}
	s.Observe(bucket("a", "b1"), j, nil)
	s.Remediated(bucket("a", "b1"), []string{"baseline"})
	s.Suspended(bucket("a", "b1"), []string{"S3-001"}, true)
	s.Observe(bucket("b", "b2"), j, nil)
	other := bucket("a", "c1")
	other.SetGroupVersionKind(schema.GroupVersionKind{Group: "rds.services.k8s.aws", Version: "v1alpha1", Kind: "DBCluster"})
	s.Observe(other, j, nil)
	flush(t, s)
	w.take()

	s.ForgetKind(bucketGVK.GroupKind())
	flush(t, s)
	got := map[string][]string{}
	for _, rep := range w.take() {
		got[rep.Namespace] = []string{}
		for _, r := range rep.Results {
			got[rep.Namespace] = append(got[rep.Namespace], r.Subjects[0].Kind+" "+r.Subjects[0].Name)
		}
	}
	if want := map[string][]string{"a": {"DBCluster c1"}, "b": {}}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("reports written = %v, want %v", got, want)
	}
	if got, want := s.PolicyCounts(), map[string]PolicyCounts{"baseline": {Matched: 1, Failing: 1}}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("counts = %v, want %v", got, want)
	}
	if len(s.suspended) != 0 {
		t.Errorf("suspensions kept: %v", s.suspended)
	}
}

func TestObservingNothingForgets(t *testing.T) {
	s, _, _, _ := newStore(t, Options{})
	s.Observe(bucket("a", "b1"), &governance.Judgement{Policies: []string{"baseline"}, Passed: []governance.RuleRef{passed("S3-005", "baseline")}}, nil)
	s.Observe(bucket("a", "b1"), &governance.Judgement{}, nil) // no policy selects it any more
	if len(s.namespaces["a"]) != 0 {
		t.Errorf("object kept: %v", s.namespaces["a"])
	}
	s.Observe(bucket("a", "b2"), nil, nil)
	s.Observe(nil, &governance.Judgement{}, nil)
}

// Objects lists each object of a kind the store holds anything of once:
// results, a fix, a suspension; those forgotten and other kinds' not.
func TestObjectsListsWhatTheStoreHoldsOfAKind(t *testing.T) {
	s, _, _, _ := newStore(t, Options{})
	j := &governance.Judgement{Policies: []string{"baseline"}, Passed: []governance.RuleRef{passed("S3-005", "baseline")}}
	s.Observe(bucket("a", "judged"), j, nil)
	s.Remediated(bucket("a", "judged"), []string{"baseline"})
	s.Remediated(bucket("b", "fixed"), []string{"baseline"})
	s.Suspended(bucket("b", "suspended"), []string{"S3-001"}, true)
	s.Observe(bucket("c", "gone"), j, nil)
	s.Forget(bucketGVK, types.NamespacedName{Namespace: "c", Name: "gone"})
	other := bucket("a", "other")
	other.SetGroupVersionKind(schema.GroupVersionKind{Group: "sqs.services.k8s.aws", Version: "v1alpha1", Kind: "Queue"})
	s.Observe(other, j, nil)

	got := s.Objects(bucketGVK.GroupKind())
	slices.SortFunc(got, func(x, y types.NamespacedName) int { return strings.Compare(x.String(), y.String()) })
	want := []types.NamespacedName{{Namespace: "a", Name: "judged"}, {Namespace: "b", Name: "fixed"}, {Namespace: "b", Name: "suspended"}}
	if !slices.Equal(got, want) {
		t.Errorf("Objects = %v, want %v", got, want)
	}
}

func TestMissingReportCRDIsLoggedOnceAndRetried(t *testing.T) {
	var mu sync.Mutex
	var logs []string
	log := funcr.New(func(prefix, args string) {
		mu.Lock()
		defer mu.Unlock()
		logs = append(logs, args)
	}, funcr.Options{})
	s, w, _, _ := newStore(t, Options{Log: log})
	w.err = &meta.NoKindMatchError{GroupKind: ReportGVK.GroupKind(), SearchedVersions: []string{"v1alpha1"}}
	j := &governance.Judgement{Policies: []string{"baseline"}, Passed: []governance.RuleRef{passed("S3-005", "baseline")}}
	s.Observe(bucket("a", "b1"), j, nil)
	s.Observe(bucket("b", "b1"), j, nil)
	for range 3 {
		if err := s.Flush(context.Background()); err != nil {
			t.Fatalf("flush without the CRD: %v", err)
		}
	}
	if !s.dirty["a"] || !s.dirty["b"] {
		t.Errorf("namespaces not kept dirty: %v", s.dirty)
	}
	mu.Lock()
	if n := len(logs); n != 1 || !strings.Contains(logs[0], "not installed") {
		t.Errorf("logs = %q", logs)
	}
	mu.Unlock()
	w.err = nil // installed
	flush(t, s)
	if got := w.take(); len(got) != 2 {
		t.Errorf("wrote %d reports once installed", len(got))
	}
	if len(s.dirty) != 0 {
		t.Errorf("dirty = %v", s.dirty)
	}
}

func TestFailedWritesAreRetried(t *testing.T) {
	s, w, _, _ := newStore(t, Options{})
	w.err = apierrors.NewServiceUnavailable("etcd")
	s.Observe(bucket("a", "b1"), &governance.Judgement{Policies: []string{"baseline"}, Passed: []governance.RuleRef{passed("S3-005", "baseline")}}, nil)
	if err := s.Flush(context.Background()); err == nil {
		t.Fatal("no error")
	}
	w.err = nil
	flush(t, s)
	if got := w.take(); len(got) != 1 {
		t.Errorf("wrote %d reports after the failure", len(got))
	}
}

func TestSweepEmptiesReportsOfNamespacesNothingWasSeenIn(t *testing.T) {
	s, w, r, clk := newStore(t, Options{SweepAfter: time.Minute, FlushInterval: time.Hour})
	r.existing["stale"] = true
	r.existing["live"] = true
	s.Observe(bucket("live", "b1"), &governance.Judgement{Policies: []string{"baseline"}, Passed: []governance.RuleRef{passed("S3-005", "baseline")}}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Start(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s.flushMu.Lock()
		started := !s.started.IsZero()
		s.flushMu.Unlock()
		if started || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	flush(t, s) // too early to sweep
	if got := w.take(); len(got) != 1 || got[0].Namespace != "live" {
		t.Fatalf("wrote %+v", got)
	}
	clk.Add(2 * time.Minute)
	flush(t, s)
	got := w.take()
	if len(got) != 1 || got[0].Namespace != "stale" || len(got[0].Results) != 0 {
		t.Fatalf("sweep wrote %+v", got)
	}
	flush(t, s)
	if got := w.take(); len(got) != 0 {
		t.Errorf("swept again: %+v", got)
	}
}

// TestDeletedOrChangedReportsAreWrittenAgain: every VerifyEvery the store
// checks the reports it wrote; one deleted, or changed by another writer
// (a resourceVersion other than its own write got back), is written again
// though its results did not change; one left as written is not.
func TestDeletedOrChangedReportsAreWrittenAgain(t *testing.T) {
	s, w, r, clk := newStore(t, Options{SweepAfter: -1, VerifyEvery: time.Minute, FlushInterval: time.Hour})
	j := &governance.Judgement{Policies: []string{"baseline"}, Results: []governance.Result{denied(finding("S3-004", rules.High, "spec", "acl"), "baseline")}}
	for _, ns := range []string{"kept", "deleted", "edited"} {
		s.Observe(bucket(ns, "b"), j, nil)
	}
	flush(t, s) // the first flush starts the clock of the checks
	if got := w.take(); len(got) != 3 {
		t.Fatalf("wrote %d reports, want 3", len(got))
	}
	for i, ns := range []string{"deleted", "edited", "kept"} { // written in this order
		r.existing[ns], r.rv[ns] = true, fmt.Sprint(i+1)
	}
	clk.Add(2 * time.Minute)
	flush(t, s)
	if got := w.take(); len(got) != 0 {
		t.Fatalf("reports as written were written again: %d", len(got))
	}
	delete(r.existing, "deleted")
	r.rv["edited"] = "99"
	clk.Add(30 * time.Second)
	flush(t, s)
	if got := w.take(); len(got) != 0 {
		t.Fatalf("checked before VerifyEvery passed: %d written", len(got))
	}
	clk.Add(31 * time.Second)
	flush(t, s)
	var again []string
	for _, rep := range w.take() {
		again = append(again, rep.Namespace)
		if len(rep.Results) != 1 {
			t.Errorf("%s written again with %d results", rep.Namespace, len(rep.Results))
		}
	}
	slices.Sort(again)
	if !slices.Equal(again, []string{"deleted", "edited"}) {
		t.Errorf("written again: %v, want [deleted edited]", again)
	}
	r.existing["deleted"], r.rv["deleted"], r.rv["edited"] = true, "4", "5"
	clk.Add(2 * time.Minute)
	flush(t, s)
	if got := w.take(); len(got) != 0 {
		t.Errorf("written again a second time: %d", len(got))
	}
}

func TestPolicyCounts(t *testing.T) {
	s, _, _, _ := newStore(t, Options{})
	both := []string{"baseline", "strict"}
	s.Observe(bucket("a", "failing-strict"), &governance.Judgement{Policies: both,
		Results: []governance.Result{denied(finding("S3-001", rules.High, "spec"), "strict"), warned(finding("S3-004", rules.Low, "spec"), "strict")}}, nil)

	s.Observe(bucket("a", "failing-baseline"), &governance.Judgement{Policies: both,
		Results: []governance.Result{warned(finding("S3-004", rules.Low, "spec"), "baseline")}}, nil)

	s.Observe(bucket("b", "exempt"), &governance.Judgement{Policies: both,
		Results: []governance.Result{exempted(denied(finding("S3-001", rules.High, "spec"), "strict"), "ex")}}, nil)

	s.Observe(bucket("b", "clean"), &governance.Judgement{Policies: []string{"baseline"}, Passed: []governance.RuleRef{passed("S3-005", "baseline")}}, nil)
	s.Remediated(bucket("a", "failing-strict"), []string{"strict"})
	s.Remediated(bucket("a", "failing-strict"), []string{"strict"}) // one object counts once
	s.Remediated(bucket("b", "clean"), []string{"baseline", ""})

	want := map[string]PolicyCounts{
		"baseline": {Matched: 4, Failing: 1, Remediated: 1},
		"strict":   {Matched: 3, Failing: 1, Remediated: 1},
	}
	if got := s.PolicyCounts(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("counts = %v, want %v", got, want)
	}
	// The caller's copy is its own.
	s.PolicyCounts()["strict"] = PolicyCounts{}
	s.Forget(bucketGVK, types.NamespacedName{Namespace: "a", Name: "failing-strict"})
	want["strict"] = PolicyCounts{Matched: 2, Failing: 0, Remediated: 0}
	want["baseline"] = PolicyCounts{Matched: 3, Failing: 1, Remediated: 1}
	if got := s.PolicyCounts(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("after forget counts = %v, want %v", got, want)
	}
}

func TestRealJudgementsOfTheBaseline(t *testing.T) {
	s, w, _, _ := newStore(t, Options{})
	eng := governance.New(registry, governance.Defaults{}, nil, []v1alpha1.GuardrailException{{
		ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "open-bucket", CreationTimestamp: metav1.NewTime(time.Now())},
		Spec: v1alpha1.GuardrailExceptionSpec{
			Rules:     []string{"S3-001"},
			Resources: []v1alpha1.ResourceRef{{APIGroup: "s3.services.k8s.aws", Kind: "Bucket", Name: "open"}},
			Reason:    "website", ExpiresAt: metav1.NewTime(time.Now().Add(time.Hour)),
		},
	}})
	var want reportsv1alpha1.ReportSummary
	for _, name := range []string{"open", "closed"} {
		obj := bucket("team", name)
		obj.Object["spec"] = map[string]any{"name": name}
		j := eng.Judge(obj.Object, governance.Namespace{Name: "team"}, time.Now(), nil)
		seen := map[string]bool{}
		for _, r := range j.Results {
			if seen[r.RuleID] {
				continue
			}
			seen[r.RuleID] = true
			switch {
			case r.Exception != nil:
				want.Skip++
			case r.Denies():
				want.Fail++
			default:
				want.Warn++
			}
		}
		want.Pass += len(j.Passed)
		s.Observe(obj, j, nil)
	}
	flush(t, s)
	rep := w.take()[0]
	if rep.Summary != want || want.Skip == 0 || want.Fail == 0 || want.Pass == 0 {
		t.Errorf("summary = %+v, want %+v", rep.Summary, want)
	}
	for _, r := range rep.Results {
		if r.Policy != governance.BaselineName {
			t.Errorf("%s decided by %q", r.Rule, r.Policy)
		}
		if r.Rule == "S3-001" && r.Subjects[0].Name == "open" && r.Result != ResultSkip {
			t.Errorf("exempted S3-001 is %s", r.Result)
		}
	}
}

// TestConcurrentUse: observations, forgets, flushes and counts from many
// goroutines leave the store as the same calls made one after another do
// (each goroutine has objects of its own, so the end state does not depend
// on the interleaving). Run with -race, as make test does, an unguarded
// shared map or counter is reported; without it, lost updates show as a
// difference from the sequential run.
func TestConcurrentUse(t *testing.T) {
	const goroutines = 8
	work := func(s *Store, g int) {
		for i := range 200 {
			ns := fmt.Sprintf("ns%d", i%3)
			name := fmt.Sprintf("g%d-%d", g, i%20)
			s.Observe(bucket(ns, name), &governance.Judgement{Policies: []string{"baseline"},
				Results: []governance.Result{denied(finding("S3-001", rules.High, "spec"), "baseline")}}, nil)

			if i%7 == 0 {
				s.Forget(bucketGVK, types.NamespacedName{Namespace: ns, Name: name})
			}
			if i%50 == 0 {
				_ = s.Flush(context.Background())
				_ = s.PolicyCounts()
			}
		}
	}
	// state flushes the store and returns the latest report of each
	// namespace (summary and sorted results) and the policy counts.
	state := func(s *Store, w *fakeWriter) string {
		t.Helper()
		flush(t, s)
		latest := map[string]*reportsv1alpha1.Report{}
		for _, r := range w.take() {
			latest[r.Namespace] = r
		}
		var out []string
		for ns, r := range latest {
			var results []string
			for _, res := range r.Results {
				var subjects []string
				for _, sub := range res.Subjects {
					subjects = append(subjects, sub.Namespace+"/"+sub.Name)
				}
				results = append(results, fmt.Sprintf("%s %s %s %v", res.Policy, res.Rule, res.Result, subjects))
			}
			sort.Strings(results)
			out = append(out, fmt.Sprintf("%s: %+v %d results\n  %s", ns, r.Summary, len(r.Results), strings.Join(results, "\n  ")))
		}
		sort.Strings(out)
		return strings.Join(out, "\n") + fmt.Sprintf("\ncounts %v", s.PolicyCounts())
	}

	seq, seqW, _, _ := newStore(t, Options{})
	for g := range goroutines {
		work(seq, g)
	}
	want := state(seq, seqW)

	s, w, _, _ := newStore(t, Options{})
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() { work(s, g) })
	}
	wg.Wait()
	if got := state(s, w); got != want {
		t.Errorf("concurrent use left\n%s\nwant (sequential)\n%s", got, want)
	}
	if !strings.Contains(want, "Fail:") || strings.Contains(want, "Fail:0 ") {
		t.Errorf("the sequential run reports no failure, so the comparison proves little:\n%s", want)
	}
}

// A namespace of 10,000 Buckets (baseline judgements) makes one Report,
// bounded in results and bytes, with no scope, every result naming its
// Bucket, failures kept before any pass.
func TestTenThousandBucketsMakeOneBoundedReport(t *testing.T) {
	n := 10000
	if testing.Short() {
		n = 2000
	}
	eng := governance.New(registry, governance.Defaults{}, nil, nil)
	s, w, _, _ := newStore(t, Options{})
	failing := 0
	for i := range n {
		o := bucket("team", fmt.Sprintf("bucket-%05d", i))
		spec := map[string]any{"name": o.GetName()}
		if i%10 == 0 { // a few violate more
			spec["acl"] = "public-read"
		}
		o.Object["spec"] = spec
		j := eng.Judge(o.Object, governance.Namespace{Name: "team"}, time.Now(), nil)
		if len(j.Results) > 0 {
			failing++
		}
		s.Observe(o, j, nil)
	}
	flush(t, s)
	reps := w.take()
	if len(reps) != 1 {
		t.Fatalf("%d reports, want 1", len(reps))
	}
	rep := reps[0]
	if rep.Scope != nil {
		t.Errorf("scope = %+v, want none (each result names its resource)", rep.Scope)
	}
	if len(rep.Results) != DefaultMaxResults {
		t.Errorf("%d results, want %d", len(rep.Results), DefaultMaxResults)
	}
	data, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > maxResultBytes+64<<10 {
		t.Errorf("report is %d bytes", len(data))
	}
	if rep.Summary.Pass == 0 || rep.Summary.Fail+rep.Summary.Warn == 0 {
		t.Errorf("summary = %+v", rep.Summary)
	}
	seenPass := false
	for i, r := range rep.Results {
		if len(r.Subjects) != 1 {
			t.Fatalf("result %d has %d resources", i, len(r.Subjects))
		}
		sub := r.Subjects[0]
		if sub.APIVersion != bucketGVK.GroupVersion().String() || sub.Kind != "Bucket" || sub.Namespace != "team" || sub.Name == "" || sub.UID == "" {
			t.Fatalf("result %d resource = %+v", i, sub)
		}
		if r.Result == ResultPass {
			seenPass = true
		} else if seenPass {
			t.Fatalf("result %d (%s) after a pass", i, r.Result)
		}
	}
	if failing*2 > DefaultMaxResults && seenPass {
		t.Errorf("a pass was kept while failures were left out")
	}
}

// TestObjectsJudgedAlikeSharePasses: objects passing the same rules under
// the same policies hold one list of passes; their reports are unchanged.
func TestObjectsJudgedAlikeSharePasses(t *testing.T) {
	s, w, _, _ := newStore(t, Options{})
	alike := func() *governance.Judgement {
		return &governance.Judgement{Policies: []string{"baseline"}, Passed: []governance.RuleRef{passed("S3-005", "baseline"), passed("S3-013", "baseline")}}
	}
	s.Observe(bucket("a", "b1"), alike(), nil)
	s.Observe(bucket("a", "b2"), alike(), nil)
	s.Observe(bucket("a", "other-policy"), &governance.Judgement{Policies: []string{"strict"}, Passed: []governance.RuleRef{passed("S3-005", "strict"), passed("S3-013", "strict")}}, nil)
	s.Observe(bucket("a", "fewer"), &governance.Judgement{Policies: []string{"baseline"}, Passed: []governance.RuleRef{passed("S3-005", "baseline")}}, nil)
	byName := map[string]*objState{}
	for _, st := range snapshot(s, "a") {
		byName[st.subjects[0].Name] = st
	}
	if p1, p2 := byName["b1"].passes, byName["b2"].passes; len(p1) != 2 || &p1[0] != &p2[0] {
		t.Errorf("objects judged alike hold separate passes: %v, %v", p1, p2)
	}
	for _, name := range []string{"other-policy", "fewer"} {
		if p := byName[name].passes; len(p) == 0 || &p[0] == &byName["b1"].passes[0] {
			t.Errorf("%s shares the passes of another judgement: %v", name, p)
		}
	}
	flush(t, s)
	reps := w.take()
	if len(reps) != 1 || reps[0].Summary.Pass != 7 || len(reps[0].Results) != 7 {
		t.Fatalf("reports %+v", reps)
	}
	for _, r := range reps[0].Results {
		if r.Subjects[0].Name == "other-policy" && r.Policy != "strict" || r.Subjects[0].Name == "b2" && r.Policy != "baseline" {
			t.Errorf("result %s of %s under policy %s", r.Rule, r.Subjects[0].Name, r.Policy)
		}
	}
}

// TestPassListsAreBounded: past maxPassLists distinct lists, new ones are
// kept by their objects but no longer shared; empty lists are nil.
func TestPassListsAreBounded(t *testing.T) {
	var l passLists
	rule := registry.Rule("S3-005")
	first := l.share([]pass{{policy: "p0", rule: rule}})
	for i := 1; i < maxPassLists+10; i++ {
		l.share([]pass{{policy: fmt.Sprintf("p%d", i), rule: rule}})
	}
	if l.n != maxPassLists {
		t.Errorf("%d lists shared, want %d", l.n, maxPassLists)
	}
	if got := l.share([]pass{{policy: "p0", rule: rule}}); &got[0] != &first[0] {
		t.Error("a list shared before the bound is no longer shared")
	}
	late := []pass{{policy: "late", rule: rule}}
	if got := l.share(late); &got[0] != &late[0] || l.n != maxPassLists {
		t.Error("a list past the bound was added")
	}
	if l.share(nil) != nil || l.share([]pass{}) != nil {
		t.Error("an empty list is not nil")
	}
	// Finding the shared list of a judgement allocates nothing: it is done
	// for every object judged.
	again := []pass{{policy: "p0", rule: rule}, {policy: "p0", rule: registry.Rule("S3-006")}}
	l2 := passLists{}
	kept := l2.share(slices.Clone(again))
	if n := testing.AllocsPerRun(100, func() {
		if got := l2.share(again); &got[0] != &kept[0] {
			t.Fatal("an equal list is not shared")
		}
	}); n != 0 {
		t.Errorf("finding a shared list costs %v allocations", n)
	}
}

// TestFixesAreReported: the results of the rules the reconciler fixed on
// an object say when they were last fixed, through the judgements that
// follow; a judgement unchanged with the same fixes writes nothing, and
// one without them drops the property.
func TestFixesAreReported(t *testing.T) {
	s, w, _, clk := newStore(t, Options{})
	b := bucket("team", "b1")
	s.Observe(b, &governance.Judgement{
		Policies: []string{"baseline"},
		Results:  []governance.Result{denied(finding("S3-001", rules.Critical, "spec", "publicAccessBlock"), "baseline")},
		Passed:   []governance.RuleRef{passed("S3-005", "baseline")},
	}, nil)
	flush(t, s)
	w.take()
	fixedAt := clk.Now()
	want := fixedAt.UTC().Format(time.RFC3339)
	s.Remediated(b, []string{"baseline"})
	// The fixed object passes.
	clk.Add(time.Minute)
	fixed := &governance.Judgement{Policies: []string{"baseline"}, Passed: []governance.RuleRef{passed("S3-001", "baseline"), passed("S3-005", "baseline")}}
	s.Observe(b, fixed, map[string]time.Time{"S3-001": fixedAt})
	flush(t, s)
	applied := w.take()
	if len(applied) != 1 {
		t.Fatalf("%d reports applied, want 1", len(applied))
	}
	got := byRule(applied[0].Results)
	if r := got["S3-001"]; r.Result != ResultPass || r.Properties[PropertyRemediated] != want {
		t.Errorf("S3-001 = %s %v, want a pass fixed at %s", r.Result, r.Properties, want)
	}
	if _, ok := got["S3-005"].Properties[PropertyRemediated]; ok {
		t.Errorf("S3-005, never fixed, says it was: %v", got["S3-005"].Properties)
	}
	// Judged again unchanged, the same fixes in another map: nothing to
	// write.
	clk.Add(time.Minute)
	s.Observe(b, fixed, map[string]time.Time{"S3-001": fixedAt.In(time.FixedZone("east", 3600))})
	flush(t, s)
	if n := len(w.take()); n != 0 {
		t.Errorf("%d reports applied for an unchanged judgement", n)
	}
	// A failing result of a rule fixed before says so too.
	s.Observe(b, &governance.Judgement{
		Policies: []string{"baseline"},
		Results:  []governance.Result{denied(finding("S3-001", rules.Critical, "spec", "publicAccessBlock"), "baseline")},
	}, map[string]time.Time{"S3-001": fixedAt})
	flush(t, s)
	if got := byRule(w.take()[0].Results)["S3-001"]; got.Properties[PropertyRemediated] != want {
		t.Errorf("failing result of a rule fixed before: %v, want remediated %s", got.Properties, want)
	}
	// Without fixes (another object of the name, or one never fixed), no
	// result says it was.
	s.Observe(b, fixed, nil)
	flush(t, s)
	for _, r := range w.take()[0].Results {
		if _, ok := r.Properties[PropertyRemediated]; ok {
			t.Errorf("a fix is reported without one: %s %v", r.Rule, r.Properties)
		}
	}
}
