package controllers

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/view"
)

// A Violation Event names every rule with open findings, however many
// findings one rule has (a finding per attached policy, per rule of a
// security group), and stays within the Event's limit.
func TestSummarizeNamesEveryRule(t *testing.T) {
	var findings []rules.Finding
	for i := range 40 {
		findings = append(findings, rules.Finding{RuleID: "IAM-013", Path: view.NewPath("spec", "policies").Index(i),
			Message: fmt.Sprintf("the role has the AWS managed policy arn:aws:iam::aws:policy/Policy%d attached", i)})
	}
	findings = append(findings,
		rules.Finding{RuleID: "IAM-001", Path: view.NewPath("spec", "assumeRolePolicyDocument"), Message: "anyone may assume the role"},
		rules.Finding{RuleID: "IAM-013", Path: view.NewPath("spec", "policies").Index(40), Message: "one more"})

	const suffix = " (the fix changes nothing; change the spec)"
	got := summarize(findings, maxEventNoteLength-len(suffix)) + suffix
	if len(got) > maxEventNoteLength {
		t.Errorf("%d bytes, more than %d: %q", len(got), maxEventNoteLength, got)
	}
	for _, want := range []string{"42 findings (IAM-013 41, IAM-001 1): ", "IAM-001 spec.assumeRolePolicyDocument: anyone may assume the role", "IAM-013 spec.policies[0]: ", suffix} {
		if !strings.Contains(got, want) {
			t.Errorf("%q does not say %q", got, want)
		}
	}
	if strings.Index(got, "IAM-001 spec.") > strings.Index(got, "IAM-013 spec.policies[1]:") {
		t.Errorf("each rule's first finding does not come first: %q", got)
	}

	// What fits is said as before.
	few := findings[40:]
	if got, want := summarize(few, maxEventNoteLength), "IAM-001 spec.assumeRolePolicyDocument: anyone may assume the role; IAM-013 spec.policies[40]: one more"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
