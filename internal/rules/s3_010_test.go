package rules_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ackguard/ackguard/internal/rules"
)

func lifecycle(rs ...any) map[string]any { return map[string]any{"rules": rs} }

// abortRule is an enabled lifecycle rule on every object that aborts
// incomplete multipart uploads after 7 days.
func abortRule() map[string]any {
	return map[string]any{"id": "abort", "status": "Enabled", "filter": map[string]any{"prefix": ""},
		"abortIncompleteMultipartUpload": map[string]any{"daysAfterInitiation": int64(7)}}
}

func TestS3010(t *testing.T) {
	base := secureSpec()
	expire := map[string]any{"id": "logs", "status": "Enabled", "filter": map[string]any{"prefix": "logs/"}, "expiration": map[string]any{"days": int64(30)}}
	disabledAbort := abortRule()
	disabledAbort["status"] = "Disabled"
	prefixAbort := abortRule()
	prefixAbort["filter"] = map[string]any{"prefix": "tmp/"}
	tagAbort := abortRule()
	tagAbort["filter"] = map[string]any{"and": map[string]any{"tags": []any{map[string]any{"key": "k", "value": "v"}}}}
	noFilter := abortRule()
	delete(noFilter, "filter")
	runRuleCases(t, "S3-010", []ruleCase{
		{name: "secure: abort rule on every object", spec: with(base, "lifecycle", lifecycle(abortRule()))},
		{name: "secure: abort rule without a filter, with expirations", spec: with(base, "lifecycle", lifecycle(expire, noFilter))},
		{name: "insecure: no lifecycle", spec: with(base, "lifecycle", nil), action: rules.Warn, want: []want{
			{"spec.lifecycle.rules", "no lifecycle configuration"},
		}},
		{name: "insecure: expirations but no abort", spec: with(base, "lifecycle", lifecycle(expire)), want: []want{
			{"spec.lifecycle.rules", "no enabled lifecycle rule aborts incomplete multipart uploads"},
		}},
		{name: "tricky: the abort rule is disabled", spec: with(base, "lifecycle", lifecycle(expire, disabledAbort)), want: []want{
			{"spec.lifecycle.rules", "no enabled lifecycle rule aborts"},
		}},
		{name: "tricky: every rule disabled", spec: with(base, "lifecycle", lifecycle(disabledAbort)), want: []want{
			{"spec.lifecycle.rules", "every lifecycle rule is disabled"},
		}},
		{name: "tricky: abort only under a prefix", spec: with(base, "lifecycle", lifecycle(prefixAbort)), want: []want{
			{"spec.lifecycle.rules", `aborted only rule "abort" under the prefix "tmp/"`},
		}},
		{name: "tricky: abort only for tagged objects", spec: with(base, "lifecycle", lifecycle(tagAbort)), want: []want{
			{"spec.lifecycle.rules", "filter.and.tags"},
		}},
		{name: "tricky: an empty rule list", spec: with(base, "lifecycle", lifecycle()), want: []want{
			{"spec.lifecycle.rules", "no lifecycle configuration"},
		}},
		{name: "wrong type: rules a string", spec: with(base, "lifecycle", map[string]any{"rules": "abort"}), want: []want{
			{"spec.lifecycle.rules", "invalid input: must be an array"},
		}},
		{name: "wrong type: days a string", spec: with(base, "lifecycle", lifecycle(map[string]any{"status": "Enabled", "abortIncompleteMultipartUpload": map[string]any{"daysAfterInitiation": "7"}})), want: []want{
			{"spec.lifecycle.rules[0].abortIncompleteMultipartUpload.daysAfterInitiation", "invalid input"},
		}},
	})
}

// The Bucket views are kept by the registry between evaluations and read
// again: findings of one evaluation, and their paths, stay as they were
// while later evaluations read other Buckets.
func TestBucketFindingsOutliveTheirEvaluation(t *testing.T) {
	narrow := func(prefix string, n int) map[string]any {
		var rs []any
		for i := range n {
			r := abortRule()
			r["id"] = fmt.Sprintf("%s%d", prefix, i)
			r["filter"] = map[string]any{"prefix": prefix + "/"}
			rs = append(rs, r)
		}
		rs = append(rs, map[string]any{"status": "Enabled", "abortIncompleteMultipartUpload": map[string]any{"daysAfterInitiation": "7"}})
		return with(secureSpec(), "lifecycle", lifecycle(rs...))
	}
	all := func(rule *rules.Rule) bool { return strings.HasPrefix(rule.ID, "S3-") }
	public := with(narrow("first", 3), "grantRead", "uri=http://acs.amazonaws.com/groups/global/AllUsers")
	first := rules.Default().EvaluateOnly(bucket(public), rules.Config{}, all)
	var before []string
	for _, f := range first {
		before = append(before, f.Path.String()+" "+f.Text())
	}
	for _, path := range []string{"spec.lifecycle.rules[3].abortIncompleteMultipartUpload.daysAfterInitiation", "spec.grantRead"} {
		if !strings.Contains(strings.Join(before, "\n"), path) {
			t.Fatalf("the first Bucket's findings lack one at %s:\n%s", path, strings.Join(before, "\n"))
		}
	}
	for i := range 20 {
		rules.Default().EvaluateOnly(bucket(narrow("later", i%5)), rules.Config{}, all)
	}
	for i, f := range first {
		if got := f.Path.String() + " " + f.Text(); got != before[i] {
			t.Errorf("a finding changed after later evaluations:\n  was %s\n  now %s", before[i], got)
		}
	}
}

// Security Hub rates S3.10 (a versioned bucket without lifecycle rules)
// Medium and S3.13 Low: the finding's severity follows.
func TestS3010SeverityOfVersionedBuckets(t *testing.T) {
	for _, tt := range []struct {
		name       string
		versioning any
		want       rules.Severity
	}{
		{"versioned", map[string]any{"status": "Enabled"}, rules.Medium},
		{"versioning suspended", map[string]any{"status": "Suspended"}, rules.Low},
		{"never versioned", nil, rules.Low},
	} {
		spec := with(with(secureSpec(), "lifecycle", nil), "versioning", tt.versioning)
		fs := findingsOf(bucket(spec), rules.Config{}, "S3-010")
		if len(fs) != 1 || fs[0].Severity != tt.want {
			t.Errorf("%s: %+v, want one finding at %s", tt.name, fs, tt.want)
		}
	}
}
