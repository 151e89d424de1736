package ruledoc

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"sigs.k8s.io/yaml"

	"github.com/ackguard/ackguard/internal/rules"
)

// Listing formats of `ackguard rules -o`.
const (
	FormatTable    = "table"
	FormatMarkdown = "markdown"
	FormatJSON     = "json"
	FormatText     = "text"
)

// WriteTable writes the rules as an aligned table.
func WriteTable(w io.Writer, reg *rules.Registry) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tDEFAULT\tSEVERITY\tADMISSION\tREMEDIATION\tBASELINE\tFSBP\tTITLE")
	for _, r := range reg.Rules() {
		s := Summarize(r)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, defaultState(s), s.Severity, s.Admission, s.Remediation, s.BaselineAction, orDash(strings.Join(s.References.FSBP, ",")), s.Title)
	}
	return tw.Flush()
}

// WriteMarkdownTable writes the rule table the README and docs/rules.md
// carry. With links, each ID links to its section of docs/rules.md.
func WriteMarkdownTable(w io.Writer, reg *rules.Registry, links bool) error {
	fmt.Fprintln(w, "| ID | Check | Kinds | Default | Sev | Admission | Remediation | Baseline action | Maps to |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|")
	for _, r := range reg.Rules() {
		s := Summarize(r)
		id := s.ID
		if links {
			id = "[" + id + "](#" + anchor(id) + ")"
		}
		var refs []string
		for _, group := range [][]string{s.References.FSBP, s.References.Checkov, s.References.Config} {
			if len(group) > 0 {
				refs = append(refs, strings.Join(group, ", "))
			}
		}
		_, err := fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", id, s.Title, kindNames(s.Kinds), defaultState(s), s.Severity, s.Admission,
			remediationCell(s), s.BaselineAction, strings.Join(refs, "; "))
		if err != nil {
			return err
		}
	}
	return nil
}

// WriteJSON writes the rules as a JSON array of Summary.
func WriteJSON(w io.Writer, reg *rules.Registry) error {
	out := []Summary{}
	for _, r := range reg.Rules() {
		out = append(out, Summarize(r))
	}
	return writeJSON(w, out)
}

// WriteExplanationJSON writes one explanation as JSON.
func WriteExplanationJSON(w io.Writer, e *Explanation) error { return writeJSON(w, e) }

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// WriteText writes an explanation for a terminal.
func WriteText(w io.Writer, e *Explanation) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s\n\n", e.ID, e.Title)
	for _, f := range facts(e) {
		fmt.Fprintf(&b, "%-14s %s\n", f[0]+":", f[1])
	}
	if refs := references(e.References); len(refs) > 0 {
		b.WriteString("Maps to:\n")
		for _, r := range refs {
			fmt.Fprintf(&b, "  %-20s %s\n", r[0]+":", r[1])
		}
	}
	section := func(title, text string) {
		fmt.Fprintf(&b, "\n%s\n%s", title, wrap(text, "  ", 78))
	}
	section("DESCRIPTION", e.Description)
	section("WHY IT MATTERS", e.Rationale)
	if p := parametersYAML(e); p != "" {
		fmt.Fprintf(&b, "\nPARAMETERS\n  The examples are judged under a GuardrailPolicy with:\n%s", indent(p, "  "))
	}
	// Without owner accounts every account counts as external (S3-007,
	// IAM-011): say under which one the examples are judged, so that
	// scanning them gives what this page shows.
	section("EXAMPLES", examplesNote(e))
	fmt.Fprintf(&b, "\nINSECURE EXAMPLE\n%s", indent(e.Insecure, "  "))
	b.WriteString("\n  ackguard finds:\n")
	for _, f := range e.Findings {
		b.WriteString(wrap(fmt.Sprintf("%s %s: %s", strings.ToUpper(string(f.Action)), f.Path, f.Message), "    ", 78))
	}
	fmt.Fprintf(&b, "\nSECURE EXAMPLE\n%s", indent(e.Secure, "  "))
	section("HOW TO FIX", e.Fix)
	section("WHAT THE RECONCILER DOES", reconcilerLine(e)+" "+e.Reconciler)
	if len(e.FixChanges) > 0 {
		b.WriteString("\n  On the insecure example the fix writes:\n")
		for _, c := range e.FixChanges {
			if c.Diff != nil {
				fmt.Fprintf(&b, "    %s (the document, - removed, + added):\n", c.Path)
				for _, l := range c.Diff {
					b.WriteString("      " + l + "\n")
				}
				continue
			}
			b.WriteString(wrap(changeLine(c), "    ", 78))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteMarkdown writes an explanation as a section of docs/rules.md.
func WriteMarkdown(w io.Writer, e *Explanation) error {
	var b strings.Builder
	fmt.Fprintf(&b, "## %s\n\n**%s**\n\n", e.ID, e.Title)
	b.WriteString("| | |\n|---|---|\n")
	for _, f := range facts(e) {
		fmt.Fprintf(&b, "| %s | %s |\n", f[0], f[1])
	}
	for _, r := range references(e.References) {
		fmt.Fprintf(&b, "| %s | %s |\n", r[0], r[1])
	}
	fmt.Fprintf(&b, "\n%s\n\n**Why it matters.** %s\n\n", e.Description, e.Rationale)
	if p := parametersYAML(e); p != "" {
		fmt.Fprintf(&b, "The examples are judged under a GuardrailPolicy with:\n\n```yaml\n%s```\n\n", p)
	}
	fmt.Fprintf(&b, "Insecure:\n\n```yaml\n%s```\n\nackguard finds:\n\n", ensureNewline(e.Insecure))
	for _, f := range e.Findings {
		fmt.Fprintf(&b, "- `%s` %s: %s\n", f.Action, f.Path, f.Message)
	}
	fmt.Fprintf(&b, "\nSecure:\n\n```yaml\n%s```\n\n", ensureNewline(e.Secure))
	fmt.Fprintf(&b, "**How to fix.** %s\n\n**Reconciler.** %s %s\n", e.Fix, reconcilerLine(e), e.Reconciler)
	if len(e.FixChanges) > 0 {
		b.WriteString("\nOn the insecure example the fix writes:\n\n")
		for _, c := range e.FixChanges {
			if c.Diff != nil {
				fmt.Fprintf(&b, "- `%s`, the document (- removed, + added):\n\n  ```diff\n", c.Path)
				for _, l := range c.Diff {
					b.WriteString("  " + l + "\n")
				}
				b.WriteString("  ```\n")
				continue
			}
			fmt.Fprintf(&b, "- `%s`\n", changeLine(c))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteReference writes docs/rules.md: the table, then every rule
// explained. It fails on the first rule whose documentation is
// incomplete or whose examples do not show the rule.
func WriteReference(w io.Writer, reg *rules.Registry) error {
	var b strings.Builder
	b.WriteString(`<!-- Generated by "go run ./hack/genrulesdoc" (make manifests) from the rule registry and internal/rules/docs; do not edit. -->
# ackguard rules

Every rule ackguard ships, as ` + "`ackguard explain RULE-ID`" + ` prints it. Admission
` + "`deny`" + ` refuses the request, ` + "`warn`" + ` admits it with a warning; remediation
` + "`fix`" + ` lets the reconciler patch the object, ` + "`audit`" + ` only reports. The baseline
action is what the built-in baseline (and a GuardrailPolicy's ` + "`CatalogDefault`" + `)
does. The examples are judged by the engine in the project's tests, under
owner account ` + ExampleOwnerAccount + `; what ackguard finds and what a fix writes are
its own output.

`)
	if err := WriteMarkdownTable(&b, reg, true); err != nil {
		return err
	}
	for _, r := range reg.Rules() {
		e, err := Explain(reg, r)
		if err != nil {
			return err
		}
		b.WriteString("\n")
		if err := WriteMarkdown(&b, e); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// examplesNote says how ackguard scan judges the examples as shown: with
// the example owner account, and under a GuardrailPolicy listing an opt-in
// rule or setting the example parameters.
func examplesNote(e *Explanation) string {
	var policy []string
	if !e.DefaultOn {
		policy = append(policy, "lists "+e.ID)
	}
	if len(e.Parameters) > 0 {
		policy = append(policy, "sets the parameters above")
	}
	note := "The resources belong to AWS account " + ExampleOwnerAccount + `: "ackguard scan --owner-account ` + ExampleOwnerAccount + `" judges them as shown`
	if len(policy) > 0 {
		note += ", under a GuardrailPolicy that " + strings.Join(policy, " and ")
	}
	return note + "."
}

// parametersYAML renders the example parameters as the GuardrailPolicy
// fragment that sets them ("" when there are none).
func parametersYAML(e *Explanation) string {
	if len(e.Parameters) == 0 {
		return ""
	}
	out, err := yaml.Marshal(map[string]any{"spec": map[string]any{"parameters": e.Parameters}})
	if err != nil {
		return fmt.Sprintf("spec.parameters: %v\n", e.Parameters)
	}
	return string(out)
}

// defaultState says whether a rule runs without a policy naming it: "on",
// or "opt-in" for the rules a policy must list to switch on.
func defaultState(s Summary) string {
	if s.DefaultOn {
		return "on"
	}
	return "opt-in"
}

func facts(e *Explanation) [][2]string {
	on := "yes"
	if !e.DefaultOn {
		on = "no (opt-in: a GuardrailPolicy must list it)"
	}
	return [][2]string{
		{"Severity", string(e.Severity)},
		{"Applies to", kindList(e.Kinds)},
		{"On by default", on},
		{"Admission", admissionLine(e.Admission)},
		{"Remediation", remediationCell(e.Summary)},
		{"Baseline", e.BaselineAction},
	}
}

func references(r rules.References) [][2]string {
	var out [][2]string
	for _, ref := range []struct {
		name string
		ids  []string
	}{
		{"Security Hub (FSBP)", r.FSBP},
		{"AWS Config", r.Config},
		{"Checkov", r.Checkov},
		{"CIS", r.CIS},
	} {
		if len(ref.ids) > 0 {
			out = append(out, [2]string{ref.name, strings.Join(ref.ids, ", ")})
		}
	}
	return out
}

func admissionLine(a rules.Action) string {
	if a == rules.Deny {
		return "deny (the webhook refuses the request)"
	}
	return "warn (the webhook admits the request with a warning)"
}

func remediationCell(s Summary) string {
	if s.Fixable && s.Remediation == rules.Audit {
		return string(s.Remediation) + " (fix opt-in)"
	}
	return string(s.Remediation)
}

func reconcilerLine(e *Explanation) string {
	switch {
	case e.Remediation == rules.Fix:
		return "Fixes it by default (a policy action Deny or Audit turns the fix off)."
	case e.Fixable:
		return "Reports it; fixes it only where a GuardrailPolicy gives the rule Enforce or Remediate."
	}
	return "Reports it and never changes the object."
}

func changeLine(c Change) string {
	switch {
	case c.Old == "":
		return fmt.Sprintf("%s: set to %s", c.Path, c.New)
	case c.New == "":
		return fmt.Sprintf("%s: removed (was %s)", c.Path, c.Old)
	}
	return fmt.Sprintf("%s: %s -> %s", c.Path, c.Old, c.New)
}

func kindNames(kinds []Kind) string {
	var names []string
	for _, k := range kinds {
		names = append(names, k.Kind)
	}
	return strings.Join(names, ", ")
}

func kindList(kinds []Kind) string {
	var names []string
	for _, k := range kinds {
		names = append(names, k.Kind+" ("+k.Group+")")
	}
	return strings.Join(names, ", ")
}

func anchor(id string) string { return strings.ToLower(id) }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func ensureNewline(s string) string {
	if strings.HasSuffix(s, "\n") {
		return s
	}
	return s + "\n"
}

func indent(s, prefix string) string {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		if line == "" {
			b.WriteString("\n")
			continue
		}
		b.WriteString(prefix + line + "\n")
	}
	return b.String()
}

// wrap fills text into lines of at most width columns, each starting with
// prefix; blank lines separate paragraphs.
func wrap(text, prefix string, width int) string {
	var b strings.Builder
	for i, para := range strings.Split(strings.TrimSpace(text), "\n\n") {
		if i > 0 {
			b.WriteString("\n")
		}
		line := prefix
		for _, word := range strings.Fields(para) {
			if len(line) > len(prefix) && len(line)+1+len(word) > width {
				b.WriteString(line + "\n")
				line = prefix
			}
			if len(line) > len(prefix) {
				line += " "
			}
			line += word
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}
