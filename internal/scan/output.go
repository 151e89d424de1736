package scan

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/ackguard/ackguard/api/v1alpha1"
	"github.com/ackguard/ackguard/internal/governance"
	"github.com/ackguard/ackguard/internal/rules"
)

// Write renders the report in the given format on stdout, errors on
// stderr as "error: SOURCE: MESSAGE" with every format.
func Write(rep Report, output string, stdout, stderr io.Writer) error {
	return WriteReport(rep, Options{Output: output}, stdout, stderr)
}

// WriteReport renders the report in opts.Output: text (opts.Color
// colours it), the JSON document, SARIF 2.1.0 or JUnit XML (opts.FailOn
// decides which findings fail a test case).
func WriteReport(rep Report, opts Options, stdout, stderr io.Writer) error {
	var err error
	switch opts.Output {
	case OutputText, "":
		return WriteText(rep, opts.Color, stdout, stderr)
	case OutputJSON:
		err = WriteJSON(rep, stdout)
	case OutputSARIF:
		err = WriteSARIF(rep, opts.Registry, stdout)
	case OutputJUnit:
		err = WriteJUnit(rep, opts.Registry, opts.FailOn, stdout)
	default:
		return fmt.Errorf("unknown output format %q (want %s)", opts.Output, strings.Join(OutputFormats, ", "))
	}
	if err != nil {
		return err
	}
	return writeErrors(rep, stderr)
}

// WriteJSON writes the report as the published JSON document.
func WriteJSON(rep Report, w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(rep)
}

// textWidth is where the text output wraps remedies.
const textWidth = 100

// WriteText writes the findings grouped by file and resource, one line
// per finding with "file:line", its action, rule, severity and message,
// the remedy wrapped on indented lines below it; then the exceptions not
// in force, the policies in force (unless only the built-in baseline is)
// and a summary line, on stdout; errors on stderr. With color, actions
// and file names are coloured with ANSI escapes.
//
//	testdata/manifests/buckets.yaml
//	  Bucket default/public-bucket (#0)
//	    testdata/manifests/buckets.yaml:11:1  DENY  S3-001 High  spec.publicAccessBlock: publicAccessBlock is not set, ...
//	        set spec.publicAccessBlock.{blockPublicACLs,ignorePublicACLs,blockPublicPolicy,restrictPublicBuckets}
//	        all to true (a bucket that must be public needs a GuardrailException)
func WriteText(rep Report, color bool, stdout, stderr io.Writer) error {
	var b strings.Builder
	p := painter(color)
	explicit := explicitPolicies(rep)
	lastFile, lastRes := "\x00", "\x00"
	for _, e := range textEntries(rep) {
		f := e.finding
		if file := fileOf(f); file != lastFile {
			b.WriteString(p.bold(governance.OneLine(file)) + "\n")
			lastFile, lastRes = file, "\x00"
		}
		if src := f.Resource.Source; src != lastRes {
			ref := resourceRef(f.Resource)
			var at []string
			if rest := strings.TrimPrefix(src, fileOf(f)); rest != "" && rest != src {
				at = append(at, rest)
			}
			if f.origin.template != "" {
				at = append(at, "from "+f.origin.template)
			}
			if f.Resource.Base != "" {
				at = append(at, "an update of "+f.Resource.Base)
			}
			if len(at) > 0 {
				ref += " (" + strings.Join(at, ", ") + ")"
			}
			b.WriteString("  " + governance.OneLine(ref) + "\n")
			lastRes = src
		}
		action := strings.ToUpper(f.Action)
		if e.exempted != nil {
			action = "EXEMPT"
		}
		var line strings.Builder
		if len(explicit) > 0 && f.Policy != "" && e.exempted == nil {
			fmt.Fprintf(&line, "[policy %s: %s]  ", f.Policy, f.PolicyAction)
		}
		if f.Path != "" && !strings.HasPrefix(f.Message, f.Path) {
			line.WriteString(f.Path + ": ")
		}
		line.WriteString(f.Message)
		if f.Note != "" {
			line.WriteString(" (" + f.Note + ")")
		}
		fmt.Fprintf(&b, "    %s  %s  %s  %s\n", p.bold(governance.OneLine(location(f))), p.action(action),
			e.rulesText(p), governance.OneLine(line.String()))
		detail := f.Remedy
		if x := e.exempted; x != nil {
			detail = fmt.Sprintf("exempted by %s until %s, else %s by %s: %s", describeName(x.Exception.Namespace, x.Exception.Name, true),
				x.Exception.ExpiresAt, strings.ToUpper(f.Action), f.Policy, x.Exception.Reason)
		}
		for _, l := range wrap(governance.OneLine(detail), textWidth-8) {
			b.WriteString("        " + l + "\n")
		}
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
	if len(rep.OwnerAccounts) > 0 {
		b.WriteString(governance.OneLine(ownerAccountsLine(rep.OwnerAccounts)))
		b.WriteByte('\n')
	}
	for _, n := range rep.Notes {
		if warningNote(rep, n) {
			continue // a warning on stderr
		}
		b.WriteString(governance.OneLine("note: " + n))
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

// textEntry is a finding of the text output, or an exempted one.
type textEntry struct {
	finding  Finding
	exempted *Exempted
	// folded are the findings of other rules the entry stands for.
	folded []Finding
}

// textEntries lists the findings and exempted findings, each resource's
// together in input order (the findings, then the exempted ones). Rules
// that could not judge the same field of the same resource for the same
// reason (one invalid document) share one entry, wherever they fall in
// the rule order, as they share one admission warning.
func textEntries(rep Report) []textEntry {
	var out []textEntry
	// The entries of the warnings, by what they say: a scan of thousands
	// of resources looks each finding up once instead of comparing it
	// with every entry so far.
	byReason := map[findingReason]int{}
	for _, f := range rep.Findings {
		r, foldable := reasonOf(f)
		if foldable {
			if i, ok := byReason[r]; ok {
				out[i].folded = append(out[i].folded, f)
				continue
			}
			byReason[r] = len(out)
		}
		out = append(out, textEntry{finding: f})
	}
	for i := range rep.Exempted {
		out = append(out, textEntry{finding: rep.Exempted[i].Finding, exempted: &rep.Exempted[i]})
	}
	// Resources in input order; a Report decoded from JSON has no order
	// (seq 0) and keeps the order of its lists, by resource.
	first := map[string]int{}
	for i, e := range out {
		if _, ok := first[e.finding.Resource.Source]; !ok {
			first[e.finding.Resource.Source] = i
		}
	}
	slices.SortStableFunc(out, func(a, b textEntry) int {
		if c := cmp.Compare(a.finding.seq, b.finding.seq); c != 0 {
			return c
		}
		return cmp.Compare(first[a.finding.Resource.Source], first[b.finding.Resource.Source])
	})
	return out
}

// rulesText is the entry's rules, each followed by its severity: "S3-002
// Critical", or for a folded entry the rules of each severity together,
// the most severe first ("S3-002, S3-003 Critical; S3-006 Medium").
func (e textEntry) rulesText(p painter) string {
	if len(e.folded) == 0 {
		return governance.OneLine(e.finding.Rule) + " " + p.severity(e.finding.Severity)
	}
	var sevs []string
	ids := map[string][]string{}
	for _, f := range append([]Finding{e.finding}, e.folded...) {
		if _, ok := ids[f.Severity]; !ok {
			sevs = append(sevs, f.Severity)
		}
		if !slices.Contains(ids[f.Severity], f.Rule) {
			ids[f.Severity] = append(ids[f.Severity], f.Rule)
		}
	}
	slices.SortStableFunc(sevs, func(a, b string) int { return cmp.Compare(severityOrder(a), severityOrder(b)) })
	groups := make([]string, len(sevs))
	for i, sev := range sevs {
		groups[i] = governance.OneLine(strings.Join(ids[sev], ", ")) + " " + p.severity(sev)
	}
	return strings.Join(groups, "; ")
}

// severityOrder ranks a severity for the text output, the most severe
// first; an unknown one last.
func severityOrder(s string) int {
	if i := slices.Index([]rules.Severity{rules.Critical, rules.High, rules.Medium, rules.Low}, rules.Severity(s)); i >= 0 {
		return i
	}
	return 4
}

// fileOf is the file a finding was read from: its source without the
// document index and list item.
func fileOf(f Finding) string {
	if f.origin.file != "" {
		return f.origin.file
	}
	return sourceFile(f.Resource.Source)
}

// sourceFile is the input a source names: the source without its
// document index and list items ("a.yaml#2[0]" → "a.yaml"; a '#' that
// starts no index is part of the name, "bad#1.yaml").
func sourceFile(src string) string {
	return strings.TrimSuffix(src, indexSuffix.FindString(src))
}

// indexSuffix matches a source's document index and list items.
var indexSuffix = regexp.MustCompile(`(#[0-9]+)?(\[[0-9]+\])*$`)

// sourceArtifact is the file on disk an input error points code scanning
// at: the kustomization or Chart.yaml of a directory that failed to build
// or render, else the file the source names.
func sourceArtifact(src string) string {
	file := sourceFile(src)
	if dir, ok := strings.CutSuffix(file, " (kustomize build)"); ok {
		if k := kustomizationFile(dir); k != "" {
			return k
		}
		return dir
	}
	if dir, ok := strings.CutSuffix(file, " (helm template)"); ok {
		return filepath.Join(dir, "Chart.yaml")
	}
	return file
}

// builtSource reports whether file, the input a source names, is a
// directory built or rendered ("DIR (kustomize build)", "DIR (helm
// template)"), whose lines count in the built stream.
func builtSource(file string) bool {
	return strings.HasSuffix(file, " (kustomize build)") || strings.HasSuffix(file, " (helm template)")
}

// errorAt is where an input error is: the file on disk a report points
// code scanning and test reports at (see sourceArtifact), the line there
// (0 when the error is about no one line, or its line counts in a built
// stream, not in that file), and "file:line" as the text output and a
// finding's location give it, in the built stream for a built or rendered
// input ("" when the line is unknown).
func errorAt(e InputError) (artifact string, line int, at string) {
	artifact = sourceArtifact(e.Source)
	if e.Line <= 0 {
		return artifact, 0, ""
	}
	file := sourceFile(e.Source)
	at = fmt.Sprintf("%s:%d", file, e.Line)
	if builtSource(file) {
		return artifact, 0, at
	}
	return artifact, e.Line, at
}

// artifactOf is the file on disk a report points code scanning at, and
// the line there (0 when the finding's line counts in a built stream).
func artifactOf(f Finding) (string, int) {
	if f.origin.artifact == "" {
		return fileOf(f), f.Line
	}
	if f.origin.built {
		return f.origin.artifact, 0
	}
	return f.origin.artifact, f.Line
}

// location is "file:line:column", "file:line" or "file".
func location(f Finding) string {
	switch {
	case f.Line > 0 && f.Column > 0:
		return fmt.Sprintf("%s:%d:%d", fileOf(f), f.Line, f.Column)
	case f.Line > 0:
		return fmt.Sprintf("%s:%d", fileOf(f), f.Line)
	}
	return fileOf(f)
}

// wrap breaks text into lines of at most width bytes at spaces. A word
// longer than width (a JSON statement to add) is never cut: it follows a
// short line, else starts one.
func wrap(text string, width int) []string {
	var lines []string
	var cur strings.Builder
	for _, w := range strings.Fields(text) {
		long := len(w) > width && cur.Len() < width/2
		if cur.Len() > 0 && cur.Len()+1+len(w) > width && !long {
			lines = append(lines, cur.String())
			cur.Reset()
		}
		if cur.Len() > 0 {
			cur.WriteByte(' ')
		}
		cur.WriteString(w)
	}
	if cur.Len() > 0 {
		lines = append(lines, cur.String())
	}
	return lines
}

// painter adds ANSI colours when on.
type painter bool

func (p painter) paint(code, s string) string {
	if !p {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

func (p painter) bold(s string) string { return p.paint("1", s) }

func (p painter) action(a string) string {
	switch a {
	case "DENY":
		return p.paint("1;31", a)
	case "WARN":
		return p.paint("33", a)
	}
	return p.paint("2", a)
}

func (p painter) severity(s string) string {
	switch rules.Severity(s) {
	case rules.Critical, rules.High:
		return p.paint("31", s)
	case rules.Medium:
		return p.paint("33", s)
	}
	return p.paint("36", s)
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
	for _, e := range rep.Warnings {
		b.WriteString(governance.OneLine("warning: " + e.Source + ": " + e.Message))
		b.WriteByte('\n')
	}
	_, err := io.WriteString(stderr, b.String())
	return err
}

// warningNote reports whether a note is one of the warnings (a PATH that
// holds no object, a kind near one ackguard guards), which the text output
// gives on standard error.
func warningNote(rep Report, note string) bool {
	for _, e := range rep.Warnings {
		if strings.HasSuffix(note, " "+e.Message) {
			return true
		}
	}
	return false
}

// findingReason is what the findings a line folds share: they are
// warnings that differ only by rule and severity (a folded line names
// each rule's severity): the resource, the field, the message and the
// remedy are the same, and so are the policy and the action it gives,
// which the line shows once.
type findingReason struct {
	resource                                                  Resource
	path, message, remedy, action, note, policy, policyAction string
}

// reasonOf returns a finding's reason, and whether it may be folded with
// others of the same reason: only a warning may.
func reasonOf(f Finding) (findingReason, bool) {
	return findingReason{resource: f.Resource, path: f.Path, message: f.Message, remedy: f.Remedy, action: f.Action,
		note: f.Note, policy: f.Policy, policyAction: f.PolicyAction}, f.Action == string(rules.Warn)
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
	if n := rep.Summary.Skipped; n > 0 {
		s += fmt.Sprintf(", %s skipped", plural(n, "other document"))
	}
	if n := len(rep.Errors); n > 0 {
		s += ", " + plural(n, "error")
	}
	if len(rep.Warnings) > 0 && rep.Summary.Documents == 0 {
		s += ", no object read"
	}
	return s
}

func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
