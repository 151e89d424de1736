package ruledoc

import (
	"bytes"
	"slices"
	"strings"
	"testing"

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
			// The secure example is one to copy: no rule denies it.
			docs, _ := r.Docs()
			obj, cfg, err := example(docs.Secure)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range reg.Evaluate(obj, cfg) {
				if f.Action == rules.Deny && !f.Inconclusive {
					t.Errorf("the secure example is denied: %s", f.Text())
				}
			}
			if (r.Fixer != nil) != strings.Contains(text.String(), "the fix writes") {
				t.Errorf("fix shown: %v, rule has a fixer: %v", !(r.Fixer != nil), r.Fixer != nil)
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
	if _, _, err := example(docs.Insecure); err != nil {
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

func TestLookup(t *testing.T) {
	reg := rules.Default()
	for _, tt := range []struct {
		in, want, err string
	}{
		{in: "S3-001", want: "S3-001"},
		{in: "s3-001", want: "S3-001"},
		{in: " iam-3 ", want: "IAM-003"},
		{in: "Ec2-01", want: "EC2-001"},
		{in: "S3-008", err: "did you mean S3-007"},
		{in: "IAM-020", err: "did you mean IAM-010, IAM-019"},
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
	if got := Suggest(reg, "S3-009"); !slices.Equal(got, []string{"S3-007", "S3-006", "S3-005"}) {
		t.Errorf("Suggest(S3-009) = %v", got)
	}
}

func TestWrap(t *testing.T) {
	got := wrap("one two three four\n\nfive", "  ", 12)
	if want := "  one two\n  three four\n\n  five\n"; got != want {
		t.Errorf("wrap = %q, want %q", got, want)
	}
}
