package policy

import (
	"fmt"
	"strings"
)

// Edits that keep every statement they do not touch byte-for-byte: the
// document text outside the Statement value is kept as is, and each kept
// statement is copied from the original text.

// RemoveStatements returns the document text without the statements whose
// indexes are listed. ok is false when no statement would remain (the
// caller decides what an empty policy means for its service).
func RemoveStatements(d *Document, indexes []int) (text string, ok bool, err error) {
	items, err := statementItems(d)
	if err != nil {
		return "", false, err
	}
	drop := make(map[int]bool, len(indexes))
	for _, i := range indexes {
		drop[i] = true
	}
	var kept []string
	for i, it := range items {
		if !drop[i] {
			kept = append(kept, d.Raw[it.Start:it.End])
		}
	}
	if len(kept) == 0 {
		return "", false, nil
	}
	return d.replaceStatements(items, kept), true, nil
}

// AppendStatement returns the document text with one more statement, given
// as its JSON text.
func AppendStatement(d *Document, statement string) (string, error) {
	items, err := statementItems(d)
	if err != nil {
		return "", err
	}
	kept := make([]string, 0, len(items)+1)
	for _, it := range items {
		kept = append(kept, d.Raw[it.Start:it.End])
	}
	return d.replaceStatements(items, append(kept, statement)), nil
}

// statementItems returns the spans of the statements as written. Edits
// are only made to documents without grammar problems, where every element
// of the Statement array is a parsed statement.
func statementItems(d *Document) ([]span, error) {
	if d == nil || len(d.Statements) == 0 {
		return nil, fmt.Errorf("the document has no Statement to edit")
	}
	out := make([]span, len(d.Statements))
	for i, s := range d.Statements {
		out[i] = span{s.Start, s.End}
	}
	return out, nil
}

type span struct{ Start, End int }

// replaceStatements writes kept as the new Statement array, reusing the
// original separator and the whitespace around the first and last element.
func (d *Document) replaceStatements(items []span, kept []string) string {
	open, sep, closing := "[", ",", "]"
	if d.StatementIsArray && len(items) > 0 {
		open = d.Raw[d.StatementStart:items[0].Start]
		closing = d.Raw[items[len(items)-1].End:d.StatementEnd]
		if len(items) > 1 {
			sep = d.Raw[items[0].End:items[1].Start]
		} else if ws := strings.TrimPrefix(open, "["); strings.Contains(ws, "\n") {
			sep = "," + ws
		}
	}
	var b strings.Builder
	b.Grow(len(d.Raw) + 256)
	b.WriteString(d.Raw[:d.StatementStart])
	b.WriteString(open)
	for i, k := range kept {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(k)
	}
	b.WriteString(closing)
	b.WriteString(d.Raw[d.StatementEnd:])
	return b.String()
}
