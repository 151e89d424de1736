package scan

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode"
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

// WriteText writes one line per finding and a summary line to stdout, and
// the errors to stderr.
func WriteText(rep Report, stdout, stderr io.Writer) error {
	var b strings.Builder
	for _, f := range rep.Findings {
		b.WriteString(FindingLine(f))
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

func writeErrors(rep Report, stderr io.Writer) error {
	var b strings.Builder
	for _, e := range rep.Errors {
		b.WriteString("error: ")
		if e.Source != "" {
			b.WriteString(oneLine(e.Source))
			b.WriteString(": ")
		}
		b.WriteString(oneLine(e.Message))
		b.WriteByte('\n')
	}
	_, err := io.WriteString(stderr, b.String())
	return err
}

// FindingLine renders a finding as one text line:
//
//	DENY  S3-002 Critical  Bucket default/public-bucket (all.yaml#0)  spec.policy: <message>; <remedy>
func FindingLine(f Finding) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-4s  %s %s  %s (%s)  ", strings.ToUpper(f.Action), f.Rule, f.Severity, resourceRef(f.Resource), f.Resource.Source)
	if f.Path != "" {
		b.WriteString(f.Path)
		b.WriteString(": ")
	}
	b.WriteString(f.Message)
	if f.Remedy != "" {
		b.WriteString("; ")
		b.WriteString(f.Remedy)
	}
	return oneLine(b.String())
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
// number of errors appended when there are any.
func SummaryLine(rep Report) string {
	s := fmt.Sprintf("%s, %s, %d denied, %d warned",
		plural(rep.Summary.Resources, "resource"), plural(len(rep.Findings), "finding"),
		rep.Summary.Denied, rep.Summary.Warned)
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

// oneLine replaces control, line-separator and bidirectional-formatting
// characters, which
// come from the scanned manifests (names, file names, policy text), with
// spaces: a manifest must not forge log lines or terminal escapes.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.In(r, unicode.Bidi_Control, unicode.Zl, unicode.Zp) {
			return ' '
		}
		return r
	}, s)
}
