package rules

import (
	"bytes"
	"slices"
	"strings"
	"sync"
)

// maxPlainDepth is how deep canonicalPlain follows objects and lists; a
// deeper text is left to canonicalFormatted.
const maxPlainDepth = 32

// plainWriter writes canonicalStatement's text for a plain statement in
// one pass over it (see canonicalPlain).
type plainWriter struct {
	s     string
	i     int // the offset in s read up to
	out   []byte
	spans []plainSpan // the members or elements of the objects and lists open
}

// plainSpan is a member of an object or an element of a list written to
// out[start:end], its leading comma included.
type plainSpan struct {
	name       string // a member's name, unquoted
	start, end int
}

var plainWriters = sync.Pool{New: func() any { return new(plainWriter) }}

// canonicalPlain is canonicalStatement(s) for a plain text, written in
// one pass over it without formatting it first, and ok false for any
// other: a plain text is valid JSON (nested at most maxPlainDepth deep)
// whose strings hold printable ASCII only, no escapes, and whose objects
// name no member twice. Its strings are then written as they are (the
// shortest encoding jsontext would write), its names compare as their
// text and its numbers keep their text, so what canonicalPlain writes is
// what canonicalFormatted writes.
func canonicalPlain(s string) (string, bool) {
	w := plainWriters.Get().(*plainWriter)
	w.s, w.i = s, 0
	w.space()
	ok := w.value(false, true, 0)
	w.space()
	var out string
	if ok = ok && w.i == len(s); ok {
		out = string(w.out)
	}
	if cap(w.out) <= 64<<10 {
		// The pool must not keep the text alive: the names the spans
		// held are cut from it.
		clear(w.spans[:cap(w.spans)])
		w.s, w.out, w.spans = "", w.out[:0], w.spans[:0]
		plainWriters.Put(w)
	}
	return out, ok
}

// space skips the whitespace at s[i].
func (w *plainWriter) space() {
	for w.i < len(w.s) {
		switch w.s[w.i] {
		case ' ', '\t', '\n', '\r':
			w.i++
		default:
			return
		}
	}
}

// value writes the value at s[i] as canonicalValue does (action and top
// as there), and reports whether it is plain.
func (w *plainWriter) value(action, top bool, depth int) bool {
	if w.i >= len(w.s) {
		return false
	}
	switch c := w.s[w.i]; {
	case c == '{':
		return depth < maxPlainDepth && w.object(action, top, depth+1)
	case c == '[':
		return depth < maxPlainDepth && w.list(action, depth+1)
	case c == '"':
		n := len(w.out)
		if _, ok := w.str(); !ok {
			return false
		}
		if action {
			lowerASCII(w.out[n:])
		}
		return true
	case c == '-' || ('0' <= c && c <= '9'):
		return w.number()
	}
	return w.literal("true") || w.literal("false") || w.literal("null")
}

// object writes the object at s[i], its members sorted by name, a
// top-level Sid left out and a top-level Principal or NotPrincipal "*"
// (or ["*"], written as "*") as {"AWS":"*"}. Each member is written after
// a comma, and the first comma becomes the brace once they are in order.
func (w *plainWriter) object(action, top bool, depth int) bool {
	w.i++
	start, base := len(w.out), len(w.spans)
	sorted := true
	w.space()
	if w.i < len(w.s) && w.s[w.i] == '}' {
		w.i++
		w.out = append(w.out, "{}"...)
		return true
	}
	for {
		if w.i >= len(w.s) || w.s[w.i] != '"' {
			return false
		}
		m := len(w.out)
		w.out = append(w.out, ',')
		name, ok := w.str()
		if !ok {
			return false
		}
		w.space()
		if w.i >= len(w.s) || w.s[w.i] != ':' {
			return false
		}
		w.i++
		w.out = append(w.out, ':')
		w.space()
		v, a := len(w.out), action
		if top {
			a = name == "Action" || name == "NotAction"
		}
		if !w.value(a, false, depth) {
			return false
		}
		switch {
		case top && name == "Sid":
			w.out = w.out[:m]
		case top && (name == "Principal" || name == "NotPrincipal") && string(w.out[v:]) == `"*"`:
			w.out = append(w.out[:v], `{"AWS":"*"}`...)
		}
		if n := len(w.spans); n > base && w.spans[n-1].name >= name {
			sorted = false
		}
		w.spans = append(w.spans, plainSpan{name: name, start: m, end: len(w.out)})
		if !w.next('}') {
			return false
		}
		if w.s[w.i-1] == '}' {
			break
		}
	}
	spans := w.spans[base:]
	w.spans = w.spans[:base]
	if !sorted {
		slices.SortFunc(spans, func(x, y plainSpan) int { return strings.Compare(x.name, y.name) })
		for k := 1; k < len(spans); k++ {
			if spans[k-1].name == spans[k].name {
				return false
			}
		}
		w.reorder(start, spans)
	}
	if len(w.out) == start { // only a Sid
		w.out = append(w.out, '{')
	} else {
		w.out[start] = '{'
	}
	w.out = append(w.out, '}')
	return true
}

// list writes the list at s[i]: a list of strings, numbers and booleans
// sorted (an action name compared lower-cased as it is written) and one
// of one value written as the value, any other in its order.
func (w *plainWriter) list(action bool, depth int) bool {
	w.i++
	start, base := len(w.out), len(w.spans)
	scalars, sorted := true, true
	w.space()
	if w.i < len(w.s) && w.s[w.i] == ']' {
		w.i++
		w.out = append(w.out, "[]"...)
		return true
	}
	for {
		if w.i >= len(w.s) {
			return false
		}
		switch w.s[w.i] {
		case '{', '[', 'n':
			scalars = false
		}
		e := len(w.out)
		w.out = append(w.out, ',')
		if !w.value(action, false, depth) {
			return false
		}
		if n := len(w.spans); scalars && n > base {
			if prev := w.spans[n-1]; bytes.Compare(w.out[prev.start+1:prev.end], w.out[e+1:]) > 0 {
				sorted = false
			}
		}
		w.spans = append(w.spans, plainSpan{start: e, end: len(w.out)})
		if !w.next(']') {
			return false
		}
		if w.s[w.i-1] == ']' {
			break
		}
	}
	spans := w.spans[base:]
	w.spans = w.spans[:base]
	switch {
	case scalars && len(spans) == 1:
		w.out = append(w.out[:start], w.out[start+1:]...)
		return true
	case scalars && !sorted:
		out := w.out
		slices.SortFunc(spans, func(x, y plainSpan) int {
			return bytes.Compare(out[x.start+1:x.end], out[y.start+1:y.end])
		})
		w.reorder(start, spans)
	}
	w.out[start] = '['
	w.out = append(w.out, ']')
	return true
}

// next reads the comma or the closing bracket after a member or an
// element, and reports whether there was one.
func (w *plainWriter) next(closing byte) bool {
	w.space()
	if w.i >= len(w.s) || (w.s[w.i] != ',' && w.s[w.i] != closing) {
		return false
	}
	w.i++
	if w.s[w.i-1] == ',' {
		w.space()
	}
	return true
}

// reorder rewrites out[start:] as the spans in their order, which a
// copy of it, appended to out, holds.
func (w *plainWriter) reorder(start int, spans []plainSpan) {
	n := len(w.out)
	w.out = append(w.out, w.out[start:n]...)
	at := start
	for _, sp := range spans {
		at += copy(w.out[at:], w.out[n-start+sp.start:n-start+sp.end])
	}
	w.out = w.out[:at]
}

// str writes the string at s[i] as it is and returns its text, ok false
// when it is not plain (an escape, a control character or a byte beyond
// ASCII, or no closing quote).
func (w *plainWriter) str() (string, bool) {
	for j := w.i + 1; j < len(w.s); j++ {
		switch c := w.s[j]; {
		case c == '"':
			text := w.s[w.i+1 : j]
			w.out = append(w.out, w.s[w.i:j+1]...)
			w.i = j + 1
			return text, true
		case c < ' ' || c == '\\' || c > '~':
			return "", false
		}
	}
	return "", false
}

// number writes the number at s[i] as it is, and reports whether it is
// one as JSON writes numbers.
func (w *plainWriter) number() bool {
	j := w.i
	if w.s[j] == '-' {
		j++
	}
	switch {
	case j < len(w.s) && w.s[j] == '0':
		j++
	case j < len(w.s) && '1' <= w.s[j] && w.s[j] <= '9':
		j = w.digits(j)
	default:
		return false
	}
	if j < len(w.s) && w.s[j] == '.' {
		if j = w.digits(j + 1); w.s[j-1] == '.' {
			return false
		}
	}
	if j < len(w.s) && (w.s[j] == 'e' || w.s[j] == 'E') {
		j++
		if j < len(w.s) && (w.s[j] == '+' || w.s[j] == '-') {
			j++
		}
		if k := w.digits(j); k > j {
			j = k
		} else {
			return false
		}
	}
	w.out = append(w.out, w.s[w.i:j]...)
	w.i = j
	return true
}

// digits returns the offset just past the digits at s[j].
func (w *plainWriter) digits(j int) int {
	for j < len(w.s) && '0' <= w.s[j] && w.s[j] <= '9' {
		j++
	}
	return j
}

// literal writes lit when s[i] starts with it.
func (w *plainWriter) literal(lit string) bool {
	if !strings.HasPrefix(w.s[w.i:], lit) {
		return false
	}
	w.out = append(w.out, lit...)
	w.i += len(lit)
	return true
}
