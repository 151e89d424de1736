package ruledoc

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/ackguard/ackguard/api/v1alpha1"
	"github.com/ackguard/ackguard/internal/rules"
)

// TestEveryRuleIsExplained fails for a registered rule whose
// documentation is missing or incomplete, or whose examples do not show
// the rule: the engine must find the rule in the insecure example and not
// in the secure one, and the rule's fix, when it has one, must clear the
// insecure example.
func TestEveryRuleIsExplained(t *testing.T) {
	reg := rules.Default()
	for _, r := range reg.Rules() {
		t.Run(r.ID, func(t *testing.T) {
			e, err := Explain(reg, r)
			if err != nil {
				t.Fatal(err)
			}
			var text, md bytes.Buffer
			if err := WriteText(&text, e); err != nil {
				t.Fatal(err)
			}
			if err := WriteMarkdown(&md, e); err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{r.ID + ": " + r.Title, "INSECURE EXAMPLE", "SECURE EXAMPLE", "HOW TO FIX", "WHAT THE RECONCILER DOES"} {
				if !strings.Contains(text.String(), want) {
					t.Errorf("text has no %q", want)
				}
			}
			// The secure example is one to copy: no rule denies it, neither
			// the rules on by default nor the rule itself, opt-in or not.
			docs, _ := r.Docs()
			params, err := parameters(docs.Parameters)
			if err != nil {
				t.Fatal(err)
			}
			obj, cfg, err := example(docs.Secure, params)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range reg.EvaluateOnly(obj, cfg, func(x *rules.Rule) bool { return x.OnByDefault() || x.ID == r.ID }) {
				if f.Action == rules.Deny && !f.Inconclusive {
					t.Errorf("the secure example is denied: %s", f.Text())
				}
			}
			if (len(docs.Parameters) > 0) != strings.Contains(text.String(), "PARAMETERS") {
				t.Errorf("parameters shown: %v, documentation has parameters: %v", len(docs.Parameters) == 0, len(docs.Parameters) > 0)
			}
			if (r.Fixer != nil) != strings.Contains(text.String(), "the fix writes") {
				t.Errorf("fix shown: %v, rule has a fixer: %v", r.Fixer == nil, r.Fixer != nil)
			}
		})
	}
}

// TestNoOrphanDocs fails for a documentation file no registered rule owns.
func TestNoOrphanDocs(t *testing.T) {
	reg := rules.Default()
	for _, id := range rules.DocumentedIDs() {
		if reg.Rule(id) == nil {
			t.Errorf("internal/rules/docs/%s.yaml documents no registered rule", id)
		}
	}
}

// TestExamplesShowTheRule checks Explain's own judgement: examples that
// do not show the rule are refused.
func TestExamplesShowTheRule(t *testing.T) {
	reg := rules.Default()
	r := reg.Rule("S3-001")
	docs, err := r.Docs()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := example(docs.Insecure, v1alpha1.Parameters{}); err != nil {
		t.Fatal(err)
	}
	swapped := *r
	// A rule whose check never finds anything cannot be explained by an
	// insecure example.
	swapped.Check = func(*rules.Input) []rules.Finding { return nil }
	reg2, err := rules.NewRegistry(&swapped)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Explain(reg2, &swapped); err == nil || !strings.Contains(err.Error(), "finds nothing in the insecure example") {
		t.Errorf("err = %v", err)
	}
	// One that always finds something fails on the secure example.
	swapped.Check = func(*rules.Input) []rules.Finding { return []rules.Finding{{Message: "always"}} }
	if _, err := Explain(reg2, &swapped); err == nil || !strings.Contains(err.Error(), "in the secure example") {
		t.Errorf("err = %v", err)
	}
	// A fix that does not fix is refused.
	swapped.Check = r.Check
	swapped.Fixer = func(*rules.Mutation) error { return nil }
	if _, err := Explain(reg2, &swapped); err == nil || !strings.Contains(err.Error(), "the fix changes nothing") {
		t.Errorf("err = %v", err)
	}
}

// TestExampleParameters checks that an example's parameters are a
// GuardrailPolicy's and reach the rules' configuration over the example
// owner account.
func TestExampleParameters(t *testing.T) {
	const bucket = "apiVersion: s3.services.k8s.aws/v1alpha1\nkind: Bucket\nmetadata:\n  name: b\nspec:\n  name: b\n"
	if _, err := parameters(map[string]any{"allowedBoundaries": []any{"x"}}); err == nil || !strings.Contains(err.Error(), "allowedBoundaries") {
		t.Errorf("an unknown parameter: err = %v", err)
	}
	p, err := parameters(map[string]any{"requiredObjectLockMode": "GOVERNANCE", "trustedAccounts": []any{"444455556666"}})
	if err != nil {
		t.Fatal(err)
	}
	_, cfg, err := example(bucket, p)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RequiredObjectLockMode != "GOVERNANCE" || !slices.Equal(cfg.TrustedAccounts, []string{"444455556666"}) ||
		!slices.Equal(cfg.OwnerAccounts, []string{ExampleOwnerAccount}) || cfg.Resolver == nil {
		t.Errorf("config = %+v", cfg)
	}
	p, _ = parameters(map[string]any{"ownerAccounts": []any{"444455556666"}})
	if _, cfg, _ := example(bucket, p); !slices.Equal(cfg.OwnerAccounts, []string{"444455556666"}) {
		t.Errorf("owner accounts = %v, want the parameters'", cfg.OwnerAccounts)
	}
}

func TestLookup(t *testing.T) {
	reg := rules.Default()
	for _, tt := range []struct {
		in, want, err string
	}{
		{in: "S3-001", want: "S3-001"},
		{in: "s3-001", want: "S3-001"},
		{in: " iam-3 ", want: "IAM-003"},
		{in: "Ec2-01", want: "EC2-001"},
		{in: "S3-099", err: "did you mean S3-009"},
		// Two digits swapped are one edit: IAM-002 is as near as IAM-010.
		{in: "IAM-020", err: "did you mean IAM-010, IAM-002, IAM-019"},
		{in: "S3001", err: "did you mean S3-001"},
		{in: "nothing-like-it", err: `no rule "nothing-like-it" (`},
		{in: "", err: `no rule ""`},
	} {
		r, err := Lookup(reg, tt.in)
		switch {
		case tt.err != "":
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Lookup(%q) = %v, %v; want error with %q", tt.in, r, err, tt.err)
			}
		case err != nil || r.ID != tt.want:
			t.Errorf("Lookup(%q) = %v, %v; want %s", tt.in, r, err, tt.want)
		}
	}
	// Among IDs as far from the text, the nearest numbers come first.
	if got := Suggest(reg, "S3-099"); !slices.Equal(got, []string{"S3-009", "S3-015", "S3-014"}) {
		t.Errorf("Suggest(S3-099) = %v", got)
	}
}

func TestWrap(t *testing.T) {
	got := wrap("one two three four\n\nfive", "  ", 12)
	if want := "  one two\n  three four\n\n  five\n"; got != want {
		t.Errorf("wrap = %q, want %q", got, want)
	}
}
