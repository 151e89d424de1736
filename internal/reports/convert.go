package reports

import (
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	reportsv1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ackguard/ackguard/internal/governance"
	"github.com/ackguard/ackguard/internal/rules"
)

// Result values (the openreports.io API defines no constants).
const (
	ResultPass  reportsv1alpha1.Result = "pass"
	ResultFail  reportsv1alpha1.Result = "fail"
	ResultWarn  reportsv1alpha1.Result = "warn"
	ResultError reportsv1alpha1.Result = "error"
	ResultSkip  reportsv1alpha1.Result = "skip"
)

// Severity values.
const (
	SeverityCritical reportsv1alpha1.ResultSeverity = "critical"
	SeverityHigh     reportsv1alpha1.ResultSeverity = "high"
	SeverityMedium   reportsv1alpha1.ResultSeverity = "medium"
	SeverityLow      reportsv1alpha1.ResultSeverity = "low"
	SeverityInfo     reportsv1alpha1.ResultSeverity = "info"
)

// Properties of a result.
const (
	PropertyPath      = "path"
	PropertyAction    = "action"
	PropertyFindings  = "findings"
	PropertyException = "exception"
	PropertyReason    = "reason"
	PropertyExpiresAt = "expiresAt"
	// PropertyRemediation says remediation of the rule on the object is
	// suspended.
	PropertyRemediation = "remediation"
	// PropertyRemediated is when the reconciler last fixed the rule on
	// the object (RFC 3339).
	PropertyRemediated = "remediated"
)

// Bounds on the text of one result, so that MaxResults results stay well
// under the API server's object size limit.
const (
	maxDescription = 1024
	maxProperty    = 512
)

// Severity maps a rule severity to the openreports.io one.
func Severity(s rules.Severity) reportsv1alpha1.ResultSeverity {
	switch s {
	case rules.Critical:
		return SeverityCritical
	case rules.High:
		return SeverityHigh
	case rules.Medium:
		return SeverityMedium
	case rules.Low:
		return SeverityLow
	default:
		return SeverityInfo
	}
}

func severityRank(s reportsv1alpha1.ResultSeverity) int {
	switch s {
	case SeverityCritical:
		return 0
	case SeverityHigh:
		return 1
	case SeverityMedium:
		return 2
	case SeverityLow:
		return 3
	default:
		return 4
	}
}

// resultRank orders results in a report: failures first, passes last.
func resultRank(r reportsv1alpha1.Result) int {
	switch r {
	case ResultFail:
		return 0
	case ResultWarn:
		return 1
	case ResultError:
		return 2
	case ResultSkip:
		return 3
	default:
		return 4
	}
}

// convertFindings returns the results of the rules with findings.
func convertFindings(subjects []corev1.ObjectReference, j *governance.Judgement, ts metav1.Timestamp) []reportsv1alpha1.ReportResult {
	// Results come in registry order, one per finding: group by rule.
	var order []string
	byRule := map[string][]governance.Result{}
	for _, r := range j.Results {
		if _, ok := byRule[r.RuleID]; !ok {
			order = append(order, r.RuleID)
		}
		byRule[r.RuleID] = append(byRule[r.RuleID], r)
	}
	// Sized exactly: the store keeps these for every object it has seen.
	out := make([]reportsv1alpha1.ReportResult, 0, len(order))
	for _, id := range order {
		out = append(out, ruleResult(subjects, byRule[id], ts))
	}
	return out
}

// pass is a rule checked without a finding, kept compactly (a policy name
// and the registry's rule: no copy of the rule's text) and rendered as a
// result only when a report is built.
type pass struct {
	policy string
	rule   *rules.Rule
}

// compactPasses returns the passes of a judgement.
func compactPasses(j *governance.Judgement) []pass {
	out := make([]pass, 0, len(j.Passed))
	for _, p := range j.Passed {
		if p.Rule != nil {
			out = append(out, pass{policy: p.Policy, rule: p.Rule})
		}
	}
	return out
}

// maxPassLists bounds the distinct pass lists a store shares.
const maxPassLists = 1024

// passLists shares equal pass lists among the objects of a store: objects
// of one kind under one policy mostly pass the same rules, and ten
// thousand of them would otherwise each hold a copy. Stored lists are
// never modified (objState is immutable). Callers hold the store's lock.
type passLists struct {
	byKey map[string][][]pass // by the lists' rule IDs and policies
	n     int
	// key is the room the key of a list is written in: looking a list up
	// allocates nothing, only storing a new one copies its key.
	key []byte
}

// share returns a list equal to ps: one shared earlier, or ps itself
// (then shared from now on, while fewer than maxPassLists are).
func (l *passLists) share(ps []pass) []pass {
	if len(ps) == 0 {
		return nil
	}
	key := l.key[:0]
	for _, p := range ps {
		key = append(key, p.policy...)
		key = append(key, 0)
		key = append(key, p.rule.ID...)
		key = append(key, 0)
	}
	l.key = key
	for _, have := range l.byKey[string(key)] {
		if slices.Equal(have, ps) {
			return have
		}
	}
	if l.n < maxPassLists {
		if l.byKey == nil {
			l.byKey = map[string][][]pass{}
		}
		k := string(key)
		l.byKey[k] = append(l.byKey[k], ps)
		l.n++
	}
	return ps
}

func (p pass) result(subjects []corev1.ObjectReference, ts metav1.Timestamp) reportsv1alpha1.ReportResult {
	return reportsv1alpha1.ReportResult{
		Source:      Source,
		Policy:      p.policy,
		Rule:        p.rule.ID,
		Category:    governance.Category(p.rule),
		Severity:    Severity(p.rule.Severity),
		Timestamp:   ts,
		Result:      ResultPass,
		Subjects:    subjects,
		Description: truncate(p.rule.Title, maxDescription),
	}
}

// ruleResult folds the findings of one rule on one object.
func ruleResult(subjects []corev1.ObjectReference, rs []governance.Result, ts metav1.Timestamp) reportsv1alpha1.ReportResult {
	decisive := -1
	status := ResultSkip
	for i, r := range rs {
		switch {
		case r.Exception != nil:
		case r.Denies():
			if status != ResultFail {
				status, decisive = ResultFail, i
			}
		case status == ResultSkip:
			status, decisive = ResultWarn, i
		}
	}
	if decisive < 0 {
		decisive = 0
	}
	d := rs[decisive]
	sev := Severity(d.Severity)
	var messages, remedies, paths []string
	for _, r := range rs {
		if s := Severity(r.Severity); severityRank(s) < severityRank(sev) {
			sev = s
		}
		messages = appendDistinct(messages, r.Message)
		remedies = appendDistinct(remedies, r.Remedy)
		paths = appendDistinct(paths, r.Path.String())
	}
	props := map[string]string{
		PropertyPath:   truncate(strings.Join(paths, ", "), maxProperty),
		PropertyAction: string(d.Action),
	}
	if len(rs) > 1 {
		props[PropertyFindings] = strconv.Itoa(len(rs))
	}
	if status == ResultSkip && d.Exception != nil {
		ex := d.Exception
		props[PropertyException] = ex.Namespace + "/" + ex.Name
		props[PropertyReason] = truncate(ex.Reason, maxProperty)
		props[PropertyExpiresAt] = ex.ExpiresAt.UTC().Format(time.RFC3339)
	}
	return reportsv1alpha1.ReportResult{
		Source:      Source,
		Policy:      d.Policy(),
		Rule:        d.RuleID,
		Category:    d.Category,
		Severity:    sev,
		Timestamp:   ts,
		Result:      status,
		Subjects:    subjects,
		Description: truncate(strings.Join(append(messages, remedies...), "; "), maxDescription),
		Properties:  props,
	}
}

func appendDistinct(list []string, s string) []string {
	if s == "" {
		return list
	}
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// truncate cuts s to at most n bytes, on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const mark = "…"
	cut := n - len(mark)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + mark
}
