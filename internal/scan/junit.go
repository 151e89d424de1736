package scan

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/ackguard/ackguard/internal/rules"
)

// JUnit XML, as test report viewers (GitLab, Jenkins, GitHub Actions
// reporters) read it.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Line      int           `xml:"line,attr,omitempty"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Error     *junitMessage `xml:"error,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes the report as JUnit XML: one test suite per file, one
// test case per judged resource and rule evaluated on it and reported
// (named "RULE-ID: title" from the registry, nil: rules.Default(); its
// class "Kind namespace/name"). A rule that was not evaluated (disabled by
// the policies, opt-in and not enabled, or on a resource no policy
// selects) has no test case: it did not pass; nor has a resource whose
// UPDATE from --base the webhook is not called for. A case fails with
// the finding's message, field, location and remedy when the finding
// fails the scan under failOn (a deny finding; a warn finding too with
// FailOnWarn; none with FailOnNever); a finding that does not fail it, and
// an exempted one, pass with the finding in system-out. Input errors are
// test cases with an error, in a suite named after their source's file,
// at the file and line the error is at (see errorAt: its file and line
// attributes, and "file:line" on the first line of its text); a warning
// (a PATH that holds no object, an object of a kind near one ackguard
// guards) is a skipped test case there.
// The report must come from a scan with Options.Output OutputJUnit: only
// such a scan keeps every resource it judged, findings or not.
func WriteJUnit(rep Report, reg *rules.Registry, failOn string, w io.Writer) error {
	if reg == nil {
		reg = rules.Default()
	}
	out := junitSuites{Name: "ackguard scan"}
	suites := map[string]int{}
	suite := func(file string) *junitSuite {
		i, ok := suites[file]
		if !ok {
			i = len(out.Suites)
			suites[file] = i
			out.Suites = append(out.Suites, junitSuite{Name: file})
		}
		return &out.Suites[i]
	}
	type key struct{ source, rule string }
	findings := map[key][]Finding{}
	for _, f := range rep.Findings {
		findings[key{f.Resource.Source, f.Rule}] = append(findings[key{f.Resource.Source, f.Rule}], f)
	}
	exempted := map[key][]Exempted{}
	for _, e := range rep.Exempted {
		exempted[key{e.Resource.Source, e.Rule}] = append(exempted[key{e.Resource.Source, e.Rule}], e)
	}
	for _, j := range rep.judged {
		s := suite(j.origin.file)
		for _, id := range j.rules {
			name := id
			if r := reg.Rule(id); r != nil {
				name += ": " + r.Title
			}
			file, line := j.origin.artifact, j.at.line
			if j.origin.built {
				line = 0
			}
			c := junitCase{Name: name, Classname: resourceRef(j.Resource), File: cmpOr(file, j.origin.file), Line: line}
			k := key{j.Source, id}
			var out []string
			for _, f := range findings[k] {
				text := findingText(f)
				if fails(f, failOn) && c.Failure == nil {
					c.Failure = &junitMessage{Message: f.Message, Type: strings.ToUpper(f.Action) + " " + f.Severity, Text: text}
					_, c.Line = artifactOf(f)
					continue
				}
				out = append(out, strings.ToUpper(f.Action)+" "+text)
			}
			for _, e := range exempted[k] {
				x := e.Exception
				out = append(out, fmt.Sprintf("EXEMPT by %s until %s: %s\n%s", describeName(x.Namespace, x.Name, true), x.ExpiresAt, x.Reason, findingText(e.Finding)))
			}
			c.SystemOut = strings.Join(out, "\n\n")
			s.Tests++
			if c.Failure != nil {
				s.Failures++
			}
			s.Cases = append(s.Cases, c)
		}
	}
	// An input error, and a warning (what was read and not judged), are
	// test cases in a suite named after their source's file, at the file
	// and line they are at: an error, and a skipped case.
	input := func(e InputError, typ string) (*junitSuite, junitCase, *junitMessage) {
		artifact, line, at := errorAt(e)
		text := e.Source + ": " + e.Message
		if at != "" {
			text = at + "\n" + text
		}
		s := suite(fileOf(Finding{Resource: Resource{Source: e.Source}}))
		s.Tests++
		return s, junitCase{Name: "read " + e.Source, Classname: "input", File: artifact, Line: line},
			&junitMessage{Message: e.Message, Type: typ, Text: text}
	}
	for _, e := range rep.Errors {
		s, c, m := input(e, "InputError")
		c.Error = m
		s.Errors++
		s.Cases = append(s.Cases, c)
	}
	for _, w := range rep.Warnings {
		s, c, m := input(w, "Warning")
		c.Skipped = m
		s.Skipped++
		s.Cases = append(s.Cases, c)
	}
	for _, s := range out.Suites {
		out.Tests += s.Tests
		out.Failures += s.Failures
		out.Errors += s.Errors
		out.Skipped += s.Skipped
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// fails reports whether a finding fails the scan under failOn.
func fails(f Finding, failOn string) bool {
	switch failOn {
	case FailOnNever:
		return false
	case FailOnWarn:
		return true
	}
	return f.Action == string(rules.Deny)
}

// findingText is a finding on a few lines: where, what, how to fix.
func findingText(f Finding) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s\n%s\n", f.Rule, f.Severity, location(f), resourceRef(f.Resource))
	if f.Path != "" {
		b.WriteString(f.Path + ": ")
	}
	b.WriteString(f.Message)
	if f.Note != "" {
		b.WriteString(" (" + f.Note + ")")
	}
	if f.Remedy != "" {
		b.WriteString("\nFix: " + f.Remedy)
	}
	return b.String()
}
