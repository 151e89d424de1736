package scan

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/owenrumney/go-sarif/v2/sarif"

	"github.com/ackguard/ackguard/internal/jsonx"
	"github.com/ackguard/ackguard/internal/rules"
)

const (
	// projectURI is the tool's home, SARIF's informationUri.
	projectURI = "https://github.com/ackguard/ackguard"
	// rulesDocURI is the rule catalog; a rule's help is at
	// rulesDocURI + "#" + its lower-cased ID.
	rulesDocURI = projectURI + "/blob/main/docs/rules.md"
)

// securitySeverity maps a rule's severity to SARIF's
// properties.security-severity, the CVSS-like score (0.0 to 10.0) code
// scanning ranks security alerts by: 9.0 and over is critical, 7.0 to 8.9
// high, 4.0 to 6.9 medium, below that low. Each severity sits inside its
// band, so the alert shows the severity the catalog gives.
var securitySeverity = map[rules.Severity]string{
	rules.Critical: "9.5",
	rules.High:     "8.0",
	rules.Medium:   "5.5",
	rules.Low:      "3.0",
}

// severityLevel maps a rule's severity to a SARIF level, the rule's
// defaultConfiguration.level: error for Critical and High, warning for
// Medium, note for Low.
func severityLevel(s rules.Severity) string {
	switch s {
	case rules.Critical, rules.High:
		return "error"
	case rules.Medium:
		return "warning"
	}
	return "note"
}

// resultLevel is a result's level: error when the finding denies
// admission; otherwise the severity's level, at most warning: a finding
// admission admits never shows as an error.
func resultLevel(f Finding) string {
	if f.Action == string(rules.Deny) {
		return "error"
	}
	if l := severityLevel(rules.Severity(f.Severity)); l != "error" {
		return l
	}
	return "warning"
}

// WriteSARIF writes the report as a SARIF 2.1.0 log with one run:
//
//   - tool.driver.rules has one reportingDescriptor per rule of the
//     registry (nil: rules.Default()), with the title as short
//     description, help text (what the rule checks, what admission and the
//     reconciler do, the public IDs it maps to), helpUri into the rule
//     catalog (docs/rules.md#s3-001), defaultConfiguration.level from the
//     severity (see severityLevel) and properties.security-severity (see
//     securitySeverity);
//   - each finding is a result: ruleId and ruleIndex, level (see
//     resultLevel), the message and remedy as message text, one location
//     whose artifactLocation.uri is the file (see artifactURI: slash
//     separated, relative to the working directory when inside it,
//     "stdin" for standard input) and whose region
//     starts at the finding's line and column (line 1 when unknown); for
//     a built resource, the kustomization file or chart template, at line
//     1, the message ending with the line in the built stream; and a
//     partial fingerprint that stays the same when lines move (the rule,
//     the resource's identity, the field and the subject; for a finding
//     in a list element, the field without list indexes and the
//     element's value, so that reordering the list keeps it: see
//     fingerprint);
//   - each exempted finding is a result too, with an external suppression
//     carrying the exception's reason: code scanning shows it dismissed;
//   - the run's columnKind is unicodeCodePoints and its newlineSequences
//     CRLF, LF, CR, NEL, LS and PS, as the YAML decoder counts columns
//     and lines;
//   - input errors are toolExecutionNotifications of the invocation,
//     whose executionSuccessful is false when there is one, each located
//     at the file its source names and, when the error has a line
//     there, with a region starting at that line (see sarifNotification);
//     warnings (a PATH that holds no object, a kind near one ackguard
//     guards) are notifications too, of level warning, after them.
func WriteSARIF(rep Report, reg *rules.Registry, w io.Writer) error {
	if reg == nil {
		reg = rules.Default()
	}
	log, err := sarif.New(sarif.Version210)
	if err != nil {
		return err
	}
	driver := sarif.NewDriver("ackguard").WithInformationURI(projectURI)
	if v := toolVersion(); v != "" {
		driver.WithVersion(v)
	}
	index := map[string]int{}
	for i, r := range reg.Rules() {
		index[r.ID] = i
		driver.AddRule(reportingDescriptor(r))
	}
	run := sarif.NewRun(*sarif.NewTool(driver))
	// Regions count as the YAML decoder does: a column is a count of
	// characters (not of UTF-16 code units), and a lone CR, NEL, LS and PS
	// end a line too (SARIF's default line breaks are CRLF and LF only).
	run.WithColumnKind("unicodeCodePoints").WithNewlineSequences([]string{"\r\n", "\n", "\r", "\u0085", "\u2028", "\u2029"})
	run.WithResults([]*sarif.Result{})
	seen := map[string]int{}
	for _, f := range rep.Findings {
		run.AddResult(sarifResult(f, index, seen))
	}
	for _, e := range rep.Exempted {
		r := sarifResult(e.Finding, index, seen)
		x := e.Exception
		r.AddSuppression(sarif.NewSuppression("external").WithJustifcation(fmt.Sprintf("GuardrailException %s until %s: %s",
			describeName(x.Namespace, x.Name, true), x.ExpiresAt, x.Reason)))
		run.AddResult(r)
	}
	inv := sarif.NewInvocation().WithExecutionSuccess(len(rep.Errors) == 0)
	inv.ToolExecutionNotifications = []*sarif.Notification{}
	for _, e := range rep.Errors {
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification(e, "error"))
	}
	for _, e := range rep.Warnings {
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification(e, "warning"))
	}
	run.AddInvocations(inv)
	log.AddRun(run)
	data, err := json.Marshal(log)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, dropNulls(data), "", "  "); err != nil {
		return err
	}
	out.WriteByte('\n')
	_, err = out.WriteTo(w)
	return err
}

// sarifNotification renders an input error or a warning as a notification
// of level: located at the file its source names (see errorAt), from the
// line the JSON report gives it (errors[].line) when that line is in the
// file; for a built or rendered input, at the kustomization or
// Chart.yaml, the message ending with the line in the built stream, as a
// finding's.
func sarifNotification(e InputError, level string) *sarif.Notification {
	artifact, line, at := errorAt(e)
	msg := e.Message
	if line == 0 && at != "" {
		msg += " (at " + at + ")"
	}
	n := sarif.NewNotification().WithLevel(level).WithMessage(sarif.NewTextMessage(msg))
	if e.Source != "" {
		pl := sarif.NewPhysicalLocation().WithArtifactLocation(sarif.NewSimpleArtifactLocation(artifactURI(artifact)))
		if line > 0 {
			pl.WithRegion(sarif.NewRegion().WithStartLine(line))
		}
		n.WithLocations([]*sarif.Location{sarif.NewLocationWithPhysicalLocation(pl)})
	}
	return n
}

// dropNulls returns the compact JSON document data (as json.Marshal
// writes it: no space outside strings) without the object members whose
// value is null, the others kept byte for byte. go-sarif writes the unset
// status, guid and location of a suppression as null, which SARIF's
// schema does not allow (status is an enum, guid a string, location an
// object: unset is absent), and github/codeql-action's upload-sarif
// refuses a log that does not validate against the schema.
func dropNulls(data []byte) []byte {
	out := make([]byte, 0, len(data))
	// member is the index in out of the '{' or ',' before the current
	// object member's key (outside strings, a ':' only follows a key).
	member := -1
	var str jsonx.StringState
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch {
		case str.Step(c):
		case c == '{' || c == ',':
			member = len(out)
		case c == ':' && member >= 0 && bytes.HasPrefix(data[i+1:], []byte("null")):
			if out[member] == ',' {
				out = out[:member] // the member and the comma before it
				member = -1        // the next ',' or '}' comes next
			} else {
				out = out[:member+1] // the member after '{', and the comma after it
				if i+5 < len(data) && data[i+5] == ',' {
					i++
				}
			}
			i += 4
			continue
		}
		out = append(out, c)
	}
	return out
}

// reportingDescriptor describes a rule.
func reportingDescriptor(r *rules.Rule) *sarif.ReportingDescriptor {
	text, markdown := ruleHelp(r)
	d := sarif.NewRule(r.ID).
		WithShortDescription(sarif.NewMultiformatMessageString(r.Title)).
		WithFullDescription(sarif.NewMultiformatMessageString(r.Title + " (" + kindList(r) + ").")).
		WithHelpURI(rulesDocURI + "#" + strings.ToLower(r.ID)).
		WithHelp(sarif.NewMultiformatMessageString(text).WithMarkdown(markdown)).
		WithDefaultConfiguration(sarif.NewReportingConfiguration().WithLevel(severityLevel(r.Severity)))
	d.WithProperties(sarif.Properties{
		"security-severity": securitySeverity[r.Severity],
		"severity":          string(r.Severity),
		"tags":              []string{"security", "aws", "ack"},
		"precision":         "high",
	})
	return d
}

// ruleHelp is a rule's help as plain text and as Markdown.
func ruleHelp(r *rules.Rule) (text, markdown string) {
	admission := "denies the creation or change"
	if r.Admission == rules.Warn {
		admission = "admits with a warning"
	}
	fix := "reports the finding and changes nothing"
	if r.Remediation == rules.Fix {
		fix = "fixes the field back to the secure value"
	}
	var refs []string
	for _, ref := range []struct {
		name string
		ids  []string
	}{
		{"AWS Security Hub (FSBP)", r.References.FSBP}, {"AWS Config", r.References.Config},
		{"Checkov", r.References.Checkov}, {"CIS", r.References.CIS},
	} {
		if len(ref.ids) > 0 {
			refs = append(refs, ref.name+": "+strings.Join(ref.ids, ", "))
		}
	}
	lines := []string{
		r.ID + ": " + r.Title + ".",
		"Applies to: " + kindList(r) + ". Severity: " + string(r.Severity) + ".",
		"By default, admission " + admission + "; the reconciler " + fix + ".",
	}
	if len(refs) > 0 {
		lines = append(lines, "Maps to "+strings.Join(refs, "; ")+".")
	}
	lines = append(lines, "Details and examples: ackguard explain "+r.ID+", or "+rulesDocURI+"#"+strings.ToLower(r.ID))
	text = strings.Join(lines, "\n")
	md := []string{"**" + r.ID + "**: " + r.Title + ".", "", "- Applies to: " + kindList(r), "- Severity: " + string(r.Severity),
		"- Admission: " + admission, "- Reconciler: " + fix}
	for _, ref := range refs {
		md = append(md, "- "+ref)
	}
	md = append(md, "", "See [the rule catalog]("+rulesDocURI+"#"+strings.ToLower(r.ID)+") or run `ackguard explain "+r.ID+"`.")
	return text, strings.Join(md, "\n")
}

func kindList(r *rules.Rule) string {
	kinds := make([]string, 0, len(r.Kinds))
	for _, k := range r.Kinds {
		kinds = append(kinds, k.Kind+"."+k.Group)
	}
	return strings.Join(kinds, ", ")
}

// sarifResult renders one finding; seen counts the fingerprints already
// given (see fingerprint).
func sarifResult(f Finding, index map[string]int, seen map[string]int) *sarif.Result {
	msg := resourceRef(f.Resource) + ": "
	if f.Path != "" {
		msg += f.Path + ": "
	}
	msg += f.Message
	if f.Remedy != "" {
		msg += ". Fix: " + f.Remedy
	}
	if f.Note != "" {
		msg += " (" + f.Note + ")"
	}
	artifact, line := artifactOf(f)
	region := sarif.NewRegion().WithStartLine(max(line, 1))
	if line > 0 && f.Column > 0 {
		region.WithStartColumn(f.Column)
	}
	if f.origin.built && f.Line > 0 {
		msg += fmt.Sprintf(" (at %s)", location(f))
	}
	r := sarif.NewRuleResult(f.Rule).
		WithLevel(resultLevel(f)).
		WithMessage(sarif.NewTextMessage(msg)).
		WithLocations([]*sarif.Location{sarif.NewLocationWithPhysicalLocation(sarif.NewPhysicalLocation().
			WithArtifactLocation(sarif.NewSimpleArtifactLocation(artifactURI(artifact))).
			WithRegion(region))})
	if i, ok := index[f.Rule]; ok {
		r.WithRuleIndex(i)
	}
	r.WithPartialFingerPrints(map[string]any{"ackguardFinding/v1": fingerprint(f, seen)})
	r.Properties = sarif.Properties{
		"action":   f.Action,
		"severity": f.Severity,
		"policy":   f.Policy,
		"resource": f.Resource,
		"path":     f.Path,
	}
	return r
}

// fingerprint identifies a finding across runs, wherever its lines move:
// a hash of its rule, its resource's identity, its field and its subject
// (what is wrong within the field: two statements of one bucket policy
// are two findings of S3-002 on spec.policy). A finding without a subject,
// outside a list, hashes as it did before subjects counted.
//
// A finding in a list element (a path with an index: an ARN of a User's
// spec.policies, a rule of spec.ingressRules) is known, as admission
// knows it across an UPDATE, by its field without list indexes
// (spec.policies[]) and by the value at its path, not by the element's
// place: inserting an element before it, or reordering the list, leaves
// its fingerprint; an element added adds one fingerprint, one removed
// removes one, and an element whose value changes is a new finding.
//
// Two findings that would still hash alike (one element listed twice,
// one statement written twice in a document) are told apart by their
// occurrence: seen counts each hash given so far in the log, and the
// second and later add their number. They are alike in all the hash
// reads, so which is counted first does not matter.
func fingerprint(f Finding, seen map[string]int) string {
	parts := []string{f.Rule, f.Resource.APIVersion, f.Resource.Kind, f.Resource.Namespace, f.Resource.Name, f.Path}
	if f.field != "" {
		parts = append(parts[:len(parts)-1], f.field, f.subject, f.element)
	} else if f.subject != "" {
		parts = append(parts, f.subject)
	}
	id := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	fp := hex.EncodeToString(id[:16])
	n := seen[fp]
	seen[fp] = n + 1
	if n > 0 {
		id = sha256.Sum256([]byte(fp + "\x00" + strconv.Itoa(n)))
		return hex.EncodeToString(id[:16])
	}
	return fp
}

// stdinURI is the artifact URI of standard input, which is no file: a
// relative reference no repository path is likely to have.
const stdinURI = "stdin"

// artifactURI is a file as a URI reference: slash separated and relative
// to the working directory when the file is inside it (what code scanning
// matches against the repository), however it was named ("../x/b.yaml"
// run inside x is "b.yaml"), a file URI of its absolute path otherwise;
// stdinURI for standard input ("-").
func artifactURI(file string) string {
	switch file {
	case "":
		return ""
	case "-":
		return stdinURI
	}
	p := filepath.Clean(file)
	if wd, err := os.Getwd(); err == nil {
		abs := p
		if !filepath.IsAbs(abs) {
			abs = filepath.Join(wd, p)
		}
		p = abs
		if rel, err := filepath.Rel(wd, abs); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			p = rel
		}
	}
	p = filepath.ToSlash(p)
	if filepath.IsAbs(p) || strings.HasPrefix(p, "/") {
		return (&url.URL{Scheme: "file", Path: p}).String()
	}
	// String, not EscapedPath: a first segment with a colon ("a:b.yaml")
	// gets "./" before it, so it is not read as a scheme.
	return (&url.URL{Path: p}).String()
}

// toolVersion is the version the binary was built as, "" for a
// development build.
func toolVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok || bi.Main.Version == "" || bi.Main.Version == "(devel)" {
		return ""
	}
	return bi.Main.Version
}
