package scan

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/ackguard/ackguard/api/v1alpha1"
	"github.com/ackguard/ackguard/internal/governance"
	"github.com/ackguard/ackguard/internal/rules"
)

// Write renders the report in the given format: findings and the summary
// (text), or the JSON document (json), on stdout; errors on stderr as
// "error: SOURCE: MESSAGE" with either format.
func Write(rep Report, output string, stdout, stderr io.Writer) error {
	switch output {
	case OutputJSON:
		if err := WriteJSON(rep, stdout); err != nil {
			return err
		}
		return writeErrors(rep, stderr)
	case OutputText, "":
		return WriteText(rep, stdout, stderr)
	}
	return fmt.Errorf("unknown output format %q (want text or json)", output)
}

// WriteJSON writes the report as the published JSON document.
func WriteJSON(rep Report, w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(rep)
}

// WriteText writes one line per finding, one per exempted finding, one
// per exception not in force, the policies in force (unless only the
// built-in baseline is) and a summary line to stdout, and the errors to
// stderr.
func WriteText(rep Report, stdout, stderr io.Writer) error {
	var b strings.Builder
	explicit := explicitPolicies(rep)
	for i := 0; i < len(rep.Findings); {
		// Rules that could not judge the same field of the same resource
		// for the same reason (one invalid document) share one line.
		f := rep.Findings[i]
		n := 1
		for i+n < len(rep.Findings) && sameReason(f, rep.Findings[i+n]) {
			f.Rule += ", " + rep.Findings[i+n].Rule
			n++
		}
		b.WriteString(findingLine(f, explicit))
		b.WriteByte('\n')
		i += n
	}
	for _, e := range rep.Exempted {
		b.WriteString(ExemptedLine(e))
		b.WriteByte('\n')
	}
	for _, x := range rep.Exceptions {
		if x.State != v1alpha1.ExceptionActive {
			b.WriteString(ExceptionLine(x))
			b.WriteByte('\n')
		}
	}
	if len(explicit) > 0 {
		b.WriteString(governance.OneLine("policies: " + strings.Join(explicit, ", ")))
		b.WriteByte('\n')
	}
	if _, err := io.WriteString(stdout, b.String()); err != nil {
		return err
	}
	if err := writeErrors(rep, stderr); err != nil {
		return err
	}
	_, err := fmt.Fprintln(stdout, SummaryLine(rep))
	return err
}

// explicitPolicies returns "name (source)" for each policy read from the
// input; nil when only the built-in baseline is in force.
func explicitPolicies(rep Report) []string {
	var out []string
	for _, p := range rep.Policies {
		if !p.Builtin {
			out = append(out, p.Name+" ("+p.Source+")")
		}
	}
	return out
}

func writeErrors(rep Report, stderr io.Writer) error {
	var b strings.Builder
	for _, e := range rep.Errors {
		b.WriteString("error: ")
		if e.Source != "" {
			b.WriteString(governance.OneLine(e.Source))
			b.WriteString(": ")
		}
		b.WriteString(governance.OneLine(e.Message))
		b.WriteByte('\n')
	}
	_, err := io.WriteString(stderr, b.String())
	return err
}

// FindingLine renders a finding as one text line:
//
//	DENY  S3-002 Critical  Bucket default/public-bucket (all.yaml#0)  spec.policy: <message>; <remedy>
//
// WriteText adds the policy that decided the finding and its action when
// the input holds GuardrailPolicies:
//
//	WARN  S3-002 Critical  Bucket team-a/site (all.yaml#0)  [policy audit-team-a: Audit]  spec.policy: <message>; <remedy>
func FindingLine(f Finding) string {
	return findingLine(f, nil)
}

// sameReason reports whether two findings differ only by rule.
func sameReason(a, b Finding) bool {
	return a.Action == string(rules.Warn) && a.Resource == b.Resource && a.Path == b.Path && a.Message == b.Message &&
		a.Remedy == b.Remedy && a.Action == b.Action && a.Note == b.Note
}

func findingLine(f Finding, explicit []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-4s  %s %s  %s (%s)  ", strings.ToUpper(f.Action), f.Rule, f.Severity, resourceRef(f.Resource), f.Resource.Source)
	if len(explicit) > 0 && f.Policy != "" {
		fmt.Fprintf(&b, "[policy %s: %s]  ", f.Policy, f.PolicyAction)
	}
	if f.Path != "" {
		b.WriteString(f.Path)
		b.WriteString(": ")
	}
	b.WriteString(f.Message)
	if f.Remedy != "" {
		b.WriteString("; ")
		b.WriteString(f.Remedy)
	}
	if f.Note != "" {
		b.WriteString(" (" + f.Note + ")")
	}
	return governance.OneLine(b.String())
}

// ExemptedLine renders an exempted finding as one text line, with the
// exception and what admission would do without it:
//
//	EXEMPT  S3-001 High  Bucket team-a/site (all.yaml#0)  [exception team-a/site-public until 2026-03-01T00:00:00Z, else DENY by baseline: <reason>]  spec.publicAccessBlock: <message>
func ExemptedLine(e Exempted) string {
	var b strings.Builder
	x := e.Exception
	fmt.Fprintf(&b, "EXEMPT  %s %s  %s (%s)  [exception %s until %s, else %s by %s: %s]  ",
		e.Rule, e.Severity, resourceRef(e.Resource), e.Resource.Source,
		describeName(x.Namespace, x.Name, true), x.ExpiresAt, strings.ToUpper(e.Action), e.Policy, x.Reason)
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	return governance.OneLine(b.String())
}

// ExceptionLine renders an exception that is not in force:
//
//	exception team-a/site-public (policies.yaml#3): Expired: expired at 2026-03-01T00:00:00Z
func ExceptionLine(x Exception) string {
	return governance.OneLine(fmt.Sprintf("exception %s (%s): %s: %s", describeName(x.Namespace, x.Name, true), x.Source, x.State, x.Message))
}

// resourceRef is "Kind namespace/name", kubectl style.
func resourceRef(r Resource) string {
	ref := r.Kind
	switch {
	case r.Name == "":
		ref += " <unnamed>"
	case r.Namespace == "":
		ref += " " + r.Name
	default:
		ref += " " + r.Namespace + "/" + r.Name
	}
	return ref
}

// SummaryLine is "3 resources, 5 findings, 1 denied, 1 warned", with the
// number of exempted findings and of errors appended when there are any.
func SummaryLine(rep Report) string {
	s := fmt.Sprintf("%s, %s, %d denied, %d warned",
		plural(rep.Summary.Resources, "resource"), plural(len(rep.Findings), "finding"),
		rep.Summary.Denied, rep.Summary.Warned)
	if n := len(rep.Exempted); n > 0 {
		s += fmt.Sprintf(", %d exempted", n)
	}
	if n := len(rep.Errors); n > 0 {
		s += ", " + plural(n, "error")
	}
	return s
}

func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
