package rules_test

import (
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/ackguard/ackguard/internal/policy"
	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/view"
)

var bucketGK = view.BucketGVK.GroupKind()

// unguardedGK is an ACK kind no rule judges.
var unguardedGK = schema.GroupKind{Group: "sqs.services.k8s.aws", Kind: "Queue"}

// testRule is a minimal valid rule.
func testRule(id string) *rules.Rule {
	return &rules.Rule{
		ID: id, Title: "test", Severity: rules.Low,
		Kinds:     []schema.GroupKind{bucketGK},
		Admission: rules.Warn, Remediation: rules.Audit,
		Check: func(*rules.Input) []rules.Finding { return nil },
	}
}

func TestNewRegistry(t *testing.T) {
	modify := func(id string, f func(r *rules.Rule)) *rules.Rule {
		r := testRule(id)
		f(r)
		return r
	}
	tests := []struct {
		name    string
		rules   []*rules.Rule
		wantErr string
	}{
		{name: "valid", rules: []*rules.Rule{testRule("TST-001"), testRule("TST-002"), testRule("S3-100")}},
		{name: "empty", rules: nil},
		{name: "duplicate ID", rules: []*rules.Rule{testRule("TST-001"), testRule("TST-001")}, wantErr: "rule TST-001 is registered twice"},
		{name: "lower-case ID", rules: []*rules.Rule{testRule("tst-001")}, wantErr: `rule ID "tst-001" is not of the form ABC-123`},
		{name: "two-digit ID", rules: []*rules.Rule{testRule("TST-01")}, wantErr: "is not of the form"},
		{name: "four-digit ID", rules: []*rules.Rule{testRule("TST-0001")}, wantErr: "is not of the form"},
		{name: "FSBP-style ID", rules: []*rules.Rule{testRule("S3.8")}, wantErr: "is not of the form"},
		{name: "empty ID", rules: []*rules.Rule{testRule("")}, wantErr: "is not of the form"},
		{name: "ID with spaces", rules: []*rules.Rule{testRule(" TST-001")}, wantErr: "is not of the form"},
		{name: "Fix without Fixer", rules: []*rules.Rule{modify("TST-001", func(r *rules.Rule) { r.Remediation = rules.Fix })}, wantErr: "rule TST-001 defaults to fix but has no fixer"},
		{name: "Fix with Fixer", rules: []*rules.Rule{modify("TST-001", func(r *rules.Rule) {
			r.Remediation = rules.Fix
			r.Fixer = func(*rules.Mutation) error { return nil }
		})}},
		{name: "no Check", rules: []*rules.Rule{modify("TST-001", func(r *rules.Rule) { r.Check = nil })}, wantErr: "has no check"},
		{name: "no kinds", rules: []*rules.Rule{modify("TST-001", func(r *rules.Rule) { r.Kinds = nil })}, wantErr: "applies to no kind"},
		{name: "bad admission", rules: []*rules.Rule{modify("TST-001", func(r *rules.Rule) { r.Admission = "block" })}, wantErr: `has admission action "block"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg, err := rules.NewRegistry(tt.rules...)
			if tt.wantErr == "" {
				if err != nil || reg == nil {
					t.Fatalf("NewRegistry: %v", err)
				}
				if len(reg.Rules()) != len(tt.rules) {
					t.Errorf("%d rules registered, want %d", len(reg.Rules()), len(tt.rules))
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("NewRegistry error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestDefault(t *testing.T) {
	reg := rules.Default()
	// Each family's rules, in catalog order; the families themselves may
	// interleave with others.
	wantIDs := []string{"POL-001", "S3-001", "S3-002", "S3-003", "S3-004", "S3-005", "S3-006", "S3-007", "S3-008", "S3-009",
		"S3-010", "S3-011", "S3-012", "S3-013", "S3-014", "S3-015",
		// iamRules: shared POL- rules, IAM- rules and LMB-012.
		"POL-002", "POL-003", "POL-004", "POL-005", "IAM-001", "IAM-002", "IAM-003", "IAM-004", "IAM-005", "IAM-006",
		"IAM-007", "IAM-008", "IAM-009", "IAM-010", "IAM-011", "IAM-012", "IAM-013", "IAM-014", "IAM-015", "IAM-016",
		"IAM-017", "IAM-018", "IAM-019", "LMB-012",
		"RDS-001", "RDS-002", "RDS-003", "RDS-004", "RDS-005", "RDS-006", "RDS-007", "RDS-008", "RDS-009", "RDS-010", "RDS-011", "RDS-012", "RDS-013",
		"EC2-001", "EC2-002", "EC2-003", "EC2-004", "EC2-005", "EC2-006", "EC2-007", "EC2-008",
		"LMB-003", "LMB-004", "LMB-005", "LMB-006", "LMB-007", "LMB-008", "LMB-009", "LMB-010", "LMB-011", "LMB-013"}
	var ids []string
	for _, r := range reg.Rules() {
		ids = append(ids, r.ID)
	}
	next := 0
	for _, id := range ids {
		if next < len(wantIDs) && id == wantIDs[next] {
			next++
		}
	}
	if next != len(wantIDs) {
		t.Errorf("Default() rules = %v, want %v among them in this order", ids, wantIDs)
	}
	// Rules without any public catalog reference, on purpose: POL-001 is an
	// ackguard grammar check (Access Analyzer and parliament checks are
	// not control IDs).
	noReferences := map[string]bool{"POL-001": true,
		// POL-002/004/005 map only to analyzer checks (Access Analyzer,
		// parliament); LMB-012 is an ackguard cross-object rule.
		"POL-002": true, "POL-004": true, "POL-005": true, "LMB-012": true,
		// IAM-017 is the delegated-admin pattern: no public control maps it.
		"IAM-017": true}
	severities := map[rules.Severity]bool{rules.Critical: true, rules.High: true, rules.Medium: true, rules.Low: true}
	for _, r := range reg.Rules() {
		t.Run(r.ID, func(t *testing.T) {
			if strings.TrimSpace(r.Title) == "" {
				t.Error("empty title")
			}
			if !severities[r.Severity] {
				t.Errorf("severity %q", r.Severity)
			}
			if r.Admission != rules.Deny && r.Admission != rules.Warn {
				t.Errorf("admission %q", r.Admission)
			}
			if r.Remediation != rules.Fix && r.Remediation != rules.Audit {
				t.Errorf("remediation %q", r.Remediation)
			}
			refs := len(r.References.FSBP) + len(r.References.Config) + len(r.References.Checkov) + len(r.References.CIS)
			if refs == 0 && !noReferences[r.ID] {
				t.Error("no References entry and not listed as having none")
			}
			if refs > 0 && noReferences[r.ID] {
				t.Error("listed as having no references but has some")
			}
			if strings.HasPrefix(r.ID, "S3-") && (!r.AppliesTo(bucketGK) || len(r.Kinds) != 1) {
				t.Error("kinds")
			}
			if reg.Rule(r.ID) != r {
				t.Error("Rule(ID) does not return the rule")
			}
		})
	}
	// Catalog defaults (RULES.md §3, §5a).
	defaults := map[string]string{
		"POL-001": "deny/audit", "S3-001": "deny/fix", "S3-002": "deny/audit", "S3-003": "deny/fix", "S3-004": "deny/fix",
		"S3-005": "warn/audit", "S3-006": "warn/fix", "S3-007": "deny/audit", "S3-008": "warn/audit", "S3-009": "warn/audit",
		"S3-010": "warn/audit", "S3-011": "warn/audit", "S3-012": "warn/audit", "S3-013": "deny/audit", "S3-014": "warn/audit",
		"S3-015": "warn/audit",
		// RULES.md §4, §6, §7. LMB-009 warns (issue 4: "as a warning").
		"RDS-001": "deny/fix", "RDS-002": "deny/audit", "RDS-003": "deny/audit", "RDS-004": "warn/fix", "RDS-005": "warn/fix",
		"RDS-006": "warn/fix", "RDS-007": "warn/fix", "RDS-008": "warn/audit", "RDS-009": "warn/audit", "RDS-010": "warn/audit",
		"RDS-011": "warn/fix", "RDS-012": "warn/audit", "RDS-013": "deny/audit",
		"EC2-001": "deny/fix", "EC2-002": "deny/fix", "EC2-003": "deny/fix", "EC2-004": "deny/audit", "EC2-005": "deny/fix",
		"EC2-006": "warn/audit", "EC2-007": "warn/audit", "EC2-008": "warn/audit",
		"LMB-003": "deny/audit", "LMB-004": "warn/audit", "LMB-005": "deny/audit", "LMB-006": "warn/audit",
		"LMB-007": "warn/audit", "LMB-008": "warn/audit", "LMB-009": "warn/audit", "LMB-010": "warn/audit", "LMB-011": "warn/audit",
		"LMB-013": "warn/audit",
		// RULES.md §5a, §5b, §7 (LMB-012).
		"POL-002": "deny/audit", "POL-003": "warn/audit", "POL-004": "warn/audit", "POL-005": "warn/audit",
		"IAM-001": "deny/audit", "IAM-002": "warn/audit", "IAM-003": "deny/audit", "IAM-004": "deny/audit",
		"IAM-005": "warn/audit", "IAM-006": "warn/audit", "IAM-007": "warn/audit", "IAM-008": "warn/audit",
		"IAM-009": "warn/audit", "IAM-010": "deny/audit", "IAM-011": "deny/audit", "IAM-012": "deny/audit",
		"IAM-013": "warn/audit", "IAM-014": "deny/audit", "IAM-015": "deny/audit", "IAM-016": "deny/audit",
		"IAM-017": "deny/audit", "IAM-018": "warn/audit", "IAM-019": "warn/audit", "LMB-012": "warn/audit",
		// The rules on the Alias, parameter group, DBProxy and NetworkACL kinds.
		"RDS-014": "warn/audit", "RDS-015": "warn/audit", "EC2-009": "warn/audit", "LMB-001": "deny/audit", "LMB-002": "deny/audit",
	}
	for id, d := range defaults {
		r := reg.Rule(id)
		if got := string(r.Admission) + "/" + string(r.Remediation); got != d {
			t.Errorf("%s defaults %s, want %s", id, got, d)
		}
	}
	// The catalog's opt-in rules (RULES.md *[opt-in]*), and no other, are
	// off by default.
	optIn := map[string]bool{"S3-012": true, "S3-014": true, "S3-015": true, "IAM-017": true, "IAM-018": true,
		"EC2-009": true, "LMB-007": true, "LMB-013": true}
	for _, r := range reg.Rules() {
		if r.OnByDefault() == optIn[r.ID] {
			t.Errorf("%s: OnByDefault() = %v, catalog opt-in: %v", r.ID, r.OnByDefault(), optIn[r.ID])
		}
	}
	if reg.Rule("S3-999") != nil {
		t.Error("Rule of an unknown ID")
	}
	for _, gvk := range []schema.GroupVersionKind{view.RoleGVK, view.PolicyGVK, view.UserGVK, view.GroupGVK, view.BucketGVK, view.DBInstanceGVK, view.DBClusterGVK, view.SecurityGroupGVK, view.FunctionGVK, view.FunctionURLConfigGVK,
		view.AliasGVK, view.DBParameterGroupGVK, view.DBClusterParameterGroupGVK, view.DBProxyGVK, view.NetworkACLGVK} {
		if !reg.Guards(gvk.GroupKind()) || !slices.Contains(reg.Kinds(), gvk.GroupKind()) {
			t.Errorf("%s is not guarded; Kinds() = %v", gvk.Kind, reg.Kinds())
		}
	}
	if reg.Guards(unguardedGK) {
		t.Error("Guards")
	}
}

func TestEvaluateOtherKinds(t *testing.T) {
	obj := map[string]any{
		"apiVersion": "sqs.services.k8s.aws/v1alpha1", "kind": "Queue",
		"metadata": map[string]any{"name": "q"},
		"spec":     map[string]any{"policy": `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`},
	}
	if got := rules.Default().Evaluate(obj, rules.Config{}); len(got) != 0 {
		t.Errorf("findings for a kind no rule guards: %s", texts(got))
	}
	if got := rules.Default().Evaluate(map[string]any{}, rules.Config{}); len(got) != 0 {
		t.Errorf("findings for an empty object: %s", texts(got))
	}
}

func TestEvaluateFillsRuleFields(t *testing.T) {
	got := rules.Default().Evaluate(bucket(map[string]any{}), rules.Config{})
	if len(got) == 0 {
		t.Fatal("no findings for an empty bucket")
	}
	for _, f := range got {
		r := rules.Default().Rule(f.RuleID)
		if r == nil || f.Severity != r.Severity || (f.Action != r.Admission && f.Action != rules.Warn) {
			t.Errorf("finding %+v does not carry its rule's defaults", f)
		}
		if !strings.HasPrefix(f.Text(), f.RuleID+": "+f.Message) {
			t.Errorf("Text() = %q", f.Text())
		}
	}
}

func TestEvaluatePanickingRule(t *testing.T) {
	boom := testRule("TST-001")
	boom.Check = func(in *rules.Input) []rules.Finding {
		var m map[string]any
		m["x"] = 1 //nolint:staticcheck // SA5000: the nil map write is the panic under test
		return nil
	}
	after := testRule("TST-002")
	after.Check = func(in *rules.Input) []rules.Finding {
		return []rules.Finding{{Message: "still evaluated"}}
	}
	reg, err := rules.NewRegistry(boom, after)
	if err != nil {
		t.Fatal(err)
	}
	var got []rules.Finding
	func() {
		defer func() {
			if p := recover(); p != nil {
				t.Fatalf("Evaluate panicked: %v", p)
			}
		}()
		got = reg.Evaluate(bucket(nil), rules.Config{})
	}()
	if len(got) != 2 {
		t.Fatalf("findings: %s", texts(got))
	}
	if got[0].RuleID != "TST-001" || got[0].Action != rules.Deny || !strings.Contains(got[0].Message, "internal error") {
		t.Errorf("panic finding = %+v, want a deny", got[0])
	}
	if got[1].RuleID != "TST-002" || got[1].Action != rules.Warn {
		t.Errorf("next rule's finding = %+v", got[1])
	}
}

func TestConfigIsOwnerAccount(t *testing.T) {
	c := rules.Config{OwnerAccounts: []string{"111122223333"}}
	if !c.IsOwnerAccount("111122223333") || c.IsOwnerAccount("444455556666") || c.IsOwnerAccount("") {
		t.Error("IsOwnerAccount")
	}
	if (rules.Config{}).IsOwnerAccount("111122223333") {
		t.Error("no owner accounts configured, yet one is an owner")
	}
}

// TestInputDocumentCache checks that a document parsed with other options
// is parsed again: the options change the verdict.
func TestInputDocumentCache(t *testing.T) {
	raw := pol(`{"Effect":"Allow","Principal":{"CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},"Action":"s3:GetObject","Resource":"*"}`)
	in := rules.NewInput(bucket(nil), rules.Config{})
	if _, problems := in.Document(raw, policy.ResourcePolicy, policy.Options{}); len(problems) == 0 {
		t.Fatal("CanonicalUser accepted without AllowCanonicalUser")
	}
	d1, problems := in.Document(raw, policy.ResourcePolicy, policy.Options{AllowCanonicalUser: true})
	if len(problems) != 0 {
		t.Fatalf("cached verdict of other options: %q", problems)
	}
	d2, _ := in.Document(raw, policy.ResourcePolicy, policy.Options{AllowCanonicalUser: true})
	if d1 != d2 {
		t.Error("the same document with the same options is parsed twice")
	}
}

// TestFixableMatchesFixes checks, for each rule with a fixer and a set of
// objects, that a finding is marked Fixable exactly when remediating that
// rule alone makes it go away.
func TestFixableMatchesFixes(t *testing.T) {
	specs := map[string]map[string]any{
		"empty":                 {},
		"insecure":              insecureBucket()["spec"].(map[string]any),
		"pab string":            with(secureSpec(), "publicAccessBlock", "on"),
		"pab flag string":       with(secureSpec(), "publicAccessBlock", map[string]any{"blockPublicACLs": "yes"}),
		"acl number":            with(secureSpec(), "acl", int64(1)),
		"grant number":          with(secureSpec(), "grantRead", int64(1)),
		"public write":          with(secureSpec(), "policy", pol(stmt("Allow", anyone, `"Action":"s3:PutObject"`, ""))),
		"public write and read": with(secureSpec(), "policy", pol(tlsDeny, stmt("Allow", anyone, `"Action":"s3:*"`, ""))),
		"invalid policy":        with(secureSpec(), "policy", "{"),
		"policy number":         with(secureSpec(), "policy", int64(1)),
		"object writer":         with(secureSpec(), "ownershipControls", map[string]any{"rules": []any{map[string]any{"objectOwnership": "ObjectWriter"}}}),
		"object writer and ACL": with(secureSpec(), "acl", "public-read", "ownershipControls", map[string]any{"rules": []any{map[string]any{"objectOwnership": "ObjectWriter"}}}),
		"create-time writer":    with(secureSpec(), "ownershipControls", nil, "objectOwnership", "ObjectWriter"),
		"rules not a list":      with(secureSpec(), "ownershipControls", map[string]any{"rules": "x"}),
		"rules element string":  with(secureSpec(), "ownershipControls", map[string]any{"rules": []any{"x"}}),
		"ownership boolean":     with(secureSpec(), "ownershipControls", map[string]any{"rules": []any{map[string]any{"objectOwnership": true}}}),
		"ownership string":      with(secureSpec(), "ownershipControls", "BucketOwnerEnforced"),
	}
	reg := rules.Default()
	objects := map[string]map[string]any{}
	for name, spec := range specs {
		objects[name] = bucket(spec)
	}
	for name, obj := range objects {
		for _, r := range reg.Rules() {
			if r.Fixer == nil {
				continue
			}
			found := findingsOf(obj, rules.Config{}, r.ID)
			if len(found) == 0 {
				continue
			}
			after := map[string]bool{}
			if plan, err := reg.Remediate(obj, rules.Config{}, []string{r.ID}); err != nil {
				for _, f := range found {
					after[f.Key()] = true // nothing was fixed
				}
			} else {
				for _, f := range findingsOf(plan.Object, rules.Config{}, r.ID) {
					after[f.Key()] = true
				}
			}
			for _, f := range found {
				if resolved := !after[f.Key()]; resolved != f.Fixable {
					t.Errorf("%s / %s: finding %q at %s has Fixable=%v, but the fix resolves it: %v", name, r.ID, f.Message, f.Path, f.Fixable, resolved)
				}
			}
		}
	}
}

func TestSecureBucketHasNoFindings(t *testing.T) {
	for _, cfg := range []rules.Config{{}, {OwnerAccounts: []string{"111122223333"}}} {
		if got := rules.Default().Evaluate(bucket(secureSpec()), cfg); len(got) != 0 {
			t.Errorf("findings for the secure bucket with %+v:\n%s", cfg, texts(got))
		}
	}
}

// documentedExamples are the first objects of every rule's insecure and
// secure examples: every kind the rules judge, with and without findings.
func documentedExamples(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, r := range rules.Default().Rules() {
		d, err := r.Docs()
		if err != nil {
			t.Fatalf("%s: %v", r.ID, err)
		}
		for _, stream := range []string{d.Insecure, d.Secure} {
			first, _, _ := strings.Cut(stream, "\n---")
			var obj map[string]any
			if err := yaml.Unmarshal([]byte(first), &obj); err != nil {
				t.Fatalf("%s: %v", r.ID, err)
			}
			out = append(out, obj)
		}
	}
	return out
}

// TestEvaluationsShareNothing: one registry keeps the Inputs of finished
// evaluations for the next ones, and a document cache keeps parsed
// documents with what rules derived from them; what one object left must
// never change the findings of the next. Every documented example is
// judged by a registry of its own, then by one registry in order, in
// reverse and from four goroutines at once, without and with a shared
// document cache, and the findings must be the same each time, even when a
// caller changes the findings it got.
func TestEvaluationsShareNothing(t *testing.T) {
	objs := documentedExamples(t)
	plain := rules.Config{OwnerAccounts: []string{"111122223333"}}
	cached := plain
	cached.Documents = policy.NewCache(1000, 1<<20)
	want := make([][]rules.Finding, len(objs))
	for i, obj := range objs {
		want[i] = rules.Default().EvaluateOnly(obj, plain, nil)
	}
	shared := rules.Default()
	for _, cfg := range []rules.Config{plain, cached} {
		how := func(s string) string {
			if cfg.Documents != nil {
				return s + ", documents cached"
			}
			return s
		}
		check := func(how string, i int) []rules.Finding {
			got := shared.EvaluateOnly(objs[i], cfg, nil)
			if !reflect.DeepEqual(got, want[i]) {
				t.Errorf("%s, example %d (%v): findings differ from a fresh registry's\n got: %s\nwant: %s", how, i, objs[i]["kind"], texts(got), texts(want[i]))
			}
			return got
		}
		first := make([][]rules.Finding, len(objs))
		for i := range objs {
			first[i] = check(how("in order"), i)
		}
		alone := 0 // rules judged alone
		for i := len(objs) - 1; i >= 0; i-- {
			// A caller may change what it got; the next caller must not
			// see it. Judged by one rule alone, the findings a caller gets
			// are that rule's own slice (nothing else reports to copy them
			// into), so a rule that handed out findings it keeps is caught
			// here.
			for _, id := range ruleIDs(check(how("in reverse"), i)) {
				alone++
				one := shared.EvaluateOnly(objs[i], cfg, func(r *rules.Rule) bool { return r.ID == id })
				if len(one) == 0 {
					t.Errorf("%s, example %d: rule %s alone reports nothing, all rules together do", how("in reverse"), i, id)
				}
				changeFindings(one)
				if again := shared.EvaluateOnly(objs[i], cfg, func(r *rules.Rule) bool { return r.ID == id }); !reflect.DeepEqual(again, withRule(want[i], id)) {
					t.Errorf("%s, example %d: rule %s's findings changed after the caller before changed its own\n got: %s\nwant: %s", how("in reverse"), i, id, texts(again), texts(withRule(want[i], id)))
				}
			}
			changeFindings(shared.EvaluateOnly(objs[i], cfg, nil))
		}
		if alone == 0 {
			t.Fatalf("%s: no example drew a finding: no rule was judged alone", how("in reverse"))
		}
		var wg sync.WaitGroup
		for g := range 4 {
			wg.Go(func() {
				for k := range objs {
					check(how("concurrently"), (k*7+g)%len(objs))
				}
			})
		}
		wg.Wait()
		// What the first pass returned is unchanged by every later evaluation.
		for i := range objs {
			if !reflect.DeepEqual(first[i], want[i]) {
				t.Errorf("%s, example %d (%v): findings returned earlier changed after later evaluations\n got: %s\nwant: %s", how("in order"), i, objs[i]["kind"], texts(first[i]), texts(want[i]))
			}
		}
	}
	if cached.Documents.Stats().Hits == 0 {
		t.Error("the document cache was never hit: the cached passes judged nothing twice")
	}
}

// changeFindings changes every finding as a careless caller might.
func changeFindings(fs []rules.Finding) {
	for j := range fs {
		fs[j].Message, fs[j].Remedy, fs[j].Subject, fs[j].Path, fs[j].Fixable = "changed", "changed", "changed", nil, !fs[j].Fixable
	}
}

// ruleIDs returns the rules that reported the findings, each once.
func ruleIDs(fs []rules.Finding) []string {
	var out []string
	for _, f := range fs {
		if !slices.Contains(out, f.RuleID) {
			out = append(out, f.RuleID)
		}
	}
	return out
}

// withRule returns the findings the rule reported.
func withRule(fs []rules.Finding, id string) []rules.Finding {
	var out []rules.Finding
	for _, f := range fs {
		if f.RuleID == id {
			out = append(out, f)
		}
	}
	return out
}

// Remediating never changes the object it is given, nor hands back a plan
// that shares an object or array with it: the reconciler plans on objects
// of the informer cache, whose small subtrees many cached objects share,
// and a plan written into later (a patch's answer decoded into it) must
// not reach them. Every documented example, with every fix of its kind.
func TestRemediateLeavesItsInputAlone(t *testing.T) {
	reg := rules.Default()
	cfg := rules.Config{OwnerAccounts: []string{"111122223333"}}
	planned := 0
	for i, obj := range documentedExamples(t) {
		var ids []string
		for _, r := range reg.RulesFor(rules.NewInput(obj, cfg).GroupKind()) {
			if r.Fixer != nil {
				ids = append(ids, r.ID)
			}
		}
		if len(ids) == 0 {
			continue
		}
		before := runtime.DeepCopyJSON(obj)
		plan, err := reg.Remediate(obj, cfg, ids)
		if err != nil {
			t.Fatalf("example %d (%v): %v", i, obj["kind"], err)
		}
		if !reflect.DeepEqual(obj, before) {
			t.Errorf("example %d (%v): remediating %v changed the object it was given", i, obj["kind"], ids)
		}
		if plan.Empty() {
			continue
		}
		planned++
		inInput := containers(obj, map[uintptr]bool{})
		inPlan := containers(plan.Object, map[uintptr]bool{})
		for _, c := range plan.Changes {
			containers(c.Old, inPlan)
			containers(c.New, inPlan)
		}
		for p := range inPlan {
			if inInput[p] {
				t.Errorf("example %d (%v): the plan (its object or a change's old or new value) shares an object or array with the object it was made from", i, obj["kind"])
				break
			}
		}
	}
	if planned == 0 {
		t.Error("no documented example drew a fix: the test judged nothing")
	}
}

// containers adds the addresses of the objects and non-empty arrays in v.
func containers(v any, into map[uintptr]bool) map[uintptr]bool {
	switch x := v.(type) {
	case map[string]any:
		into[reflect.ValueOf(x).Pointer()] = true
		for _, m := range x {
			containers(m, into)
		}
	case []any:
		if len(x) > 0 {
			into[reflect.ValueOf(x).Pointer()] = true
		}
		for _, m := range x {
			containers(m, into)
		}
	}
	return into
}
