package scan

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	yaml2 "go.yaml.in/yaml/v2"
	yaml3 "go.yaml.in/yaml/v3"
	"sigs.k8s.io/yaml"

	"github.com/ackguard/ackguard/internal/jsonx"
)

// maxJSONDepth matches encoding/json's own nesting limit.
const maxJSONDepth = 10000

// document is one document of a stream: its decoded value (nil for an
// empty document) or why it could not be decoded.
type document struct {
	value any
	err   error
	// loc locates fields in the document's text; its node is nil when
	// the text could not be parsed into a node tree.
	loc locator
	// template is what a "# Source: PATH" comment before the document's
	// content names: the Helm template that rendered it.
	template string
	// templated is true for a document that is not YAML because of its
	// Helm template actions: with each "{{ ... }}" taken out it parses.
	templated bool
}

var utf8BOM = []byte("\xef\xbb\xbf")

// splitDocuments decodes every document of a YAML stream or of a stream of
// JSON values. Blank documents (only whitespace, comments and directives)
// are left out, so they do not shift the index of the others.
//
// Like apimachinery's YAMLOrJSONDecoder, input starting with '{' or '['
// is read as JSON first; what follows is read as YAML instead when JSON
// decoding fails on the first or second value: the whole input when the
// first fails, the input after the first value when the second fails (a
// JSON object followed by YAML, with or without "---" between them, or by
// a value that is YAML but not JSON, a flow mapping with a trailing comma).
// A JSON stream that breaks later is reported at the value that breaks,
// and nothing after it is read: there is no way to find the next value in
// broken JSON.
func splitDocuments(data []byte) []document {
	data = bytes.TrimPrefix(data, utf8BOM)
	if !looksLikeJSON(data) {
		return yamlDocuments(data)
	}
	docs, end, jerr := jsonDocuments(data)
	switch {
	case jerr == nil:
		return docs
	case len(docs) >= 2:
		return append(docs, document{err: jerr})
	}
	// The YAML after the first value, if one was read, where it is in the
	// input: the value is blanked, its line breaks kept, so that lines
	// and columns are the input's.
	text := data
	if len(docs) == 1 {
		text = blankPrefix(data, end)
	}
	ydocs := yamlDocuments(text)
	if len(ydocs) == 1 && ydocs[0].err != nil {
		// One document that is neither JSON nor YAML: say both.
		ydocs[0].err = fmt.Errorf("%v; as YAML: %s", jerr, strings.TrimPrefix(ydocs[0].err.Error(), "invalid YAML: "))
	}
	return append(docs, ydocs...)
}

// blankPrefix returns a copy of data whose first n bytes are spaces, one
// for each character, but for the line breaks (see lineBreakAt), which
// are kept.
func blankPrefix(data []byte, n int) []byte {
	out := make([]byte, 0, len(data))
	for i := 0; i < n; {
		if b := lineBreakAt(data[:n], i); b > 0 {
			out = append(out, data[i:i+b]...)
			i += b
			continue
		}
		_, size := utf8.DecodeRune(data[i:n])
		out = append(out, ' ')
		i += size
	}
	return append(out, data[n:]...)
}

func looksLikeJSON(data []byte) bool {
	t := bytes.TrimLeft(data, " \t\r\n")
	return len(t) > 0 && (t[0] == '{' || t[0] == '[')
}

// jsonDocuments decodes a stream of JSON values. It returns the documents
// read so far, the offset where the last of them ends, and the syntax
// error that stopped it, if any. A value that is syntactically valid but
// ambiguous (a duplicate key) is a document error, and the stream goes on.
func jsonDocuments(data []byte) ([]document, int, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	pos := &offsetCounter{data: data}
	var docs []document
	for {
		start := dec.InputOffset()
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if err == io.EOF {
			return docs, int(start), nil
		}
		if err != nil {
			return docs, int(start), jsonSyntaxError(data, start, err)
		}
		base := int(dec.InputOffset()) - len(raw)
		v, err := decodeJSON(raw, pos, base)
		d := document{value: v, err: err}
		if err == nil {
			d.loc = jsonLocator(raw, pos, base)
		}
		docs = append(docs, d)
	}
}

// decodeJSON decodes one JSON value, pos.data[base:base+len(raw)], refusing
// duplicate keys: the API server rejects them under kubectl's default
// strict field validation, and other readers may keep either occurrence.
func decodeJSON(raw []byte, pos *offsetCounter, base int) (any, error) {
	if _, err := jsonx.Parse(raw, jsonx.Limits{MaxDepth: maxJSONDepth}); err != nil {
		var de *jsonx.DuplicateKeyError
		var le *jsonx.LimitError
		switch {
		case errors.As(err, &de):
			at := ""
			if de.Path != de.Key {
				at = " at " + de.Path
			}
			line, col := pos.at(base + de.Offset)
			return nil, fmt.Errorf("invalid JSON: line %d, column %d: duplicate key %q%s; each key may appear once", line, col, de.Key, at)
		case errors.As(err, &le):
			return nil, fmt.Errorf("invalid JSON: nested more than %d levels deep", le.Limit)
		}
		return nil, fmt.Errorf("invalid JSON: %v", err)
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("invalid JSON: %v", err)
	}
	return v, nil
}

// jsonSyntaxError locates a json.Decoder error in the input.
func jsonSyntaxError(data []byte, start int64, err error) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		line, col := lineCol(data, int(se.Offset)-1)
		return fmt.Errorf("invalid JSON: line %d, column %d: %v", line, col, se)
	case errors.Is(err, io.ErrUnexpectedEOF):
		line, col := lineCol(data, int(start))
		return fmt.Errorf("invalid JSON: the value starting at line %d, column %d is cut short", line, col)
	}
	return fmt.Errorf("invalid JSON: %v", err)
}

// lineCol returns the 1-based line and column of data[off] (see
// offsetCounter).
func lineCol(data []byte, off int) (line, col int) {
	return (&offsetCounter{data: data}).at(off)
}

// offsetCounter locates offsets of data as the YAML decoders (the locator's
// node tree) count them: lines end at LF, CRLF, a lone CR, NEL, LS or PS
// (cutLine), and a column counts characters. It resumes from the last
// offset it located when the next is not before it, as a stream's values
// are located in order, so that locating every value of a stream reads
// the stream once.
type offsetCounter struct {
	data []byte
	// data[off] is at line:col (1-based); zero before the first call.
	off, line, col int
}

// at returns the 1-based line and column of data[off], or of the value
// after the whitespace there.
func (p *offsetCounter) at(off int) (line, col int) {
	data := p.data
	off = max(0, min(off, len(data)))
	for off < len(data) && (data[off] == ' ' || data[off] == '\t' || data[off] == '\r' || data[off] == '\n') {
		off++ // point at the offending value, not the whitespace before it
	}
	if p.line == 0 || off < p.off {
		p.off, p.line, p.col = 0, 1, 1
	}
	for p.off < off {
		if n := lineBreakAt(data, p.off); n > 0 {
			p.off, p.line, p.col = p.off+n, p.line+1, 1
			continue
		}
		if p.off++; p.off >= len(data) || utf8.RuneStart(data[p.off]) {
			p.col++
		}
	}
	return p.line, p.col
}

// lineBreakAt returns the length of the line break at data[i] (cutLine's
// breaks), or 0.
func lineBreakAt(data []byte, i int) int {
	switch c := data[i]; {
	case c == '\n':
		return 1
	case c == '\r':
		if i+1 < len(data) && data[i+1] == '\n' {
			return 2
		}
		return 1
	case c == 0xc2 && i+1 < len(data) && data[i+1] == 0x85:
		return 2
	case c == 0xe2 && i+2 < len(data) && data[i+1] == 0x80 && (data[i+2] == 0xa8 || data[i+2] == 0xa9):
		return 3
	}
	return 0
}

// chunk is the text of one YAML document, the file line it starts on and
// the column its first line starts at (after "--- " for "--- value").
type chunk struct {
	text []byte
	line int
	col  int
}

// yamlDocuments splits a YAML stream on document markers and decodes
// each document.
func yamlDocuments(data []byte) []document {
	var docs []document
	for _, c := range splitYAML(data) {
		v, loc, err := decodeYAML(c)
		docs = append(docs, document{value: v, err: err, loc: loc, template: sourceComment(c.text), templated: err != nil && templated(c)})
	}
	return docs
}

// splitYAML splits a stream at "---" and "..." lines. As in the YAML
// specification, a marker is three dashes or dots at the start of a line,
// followed by the end of the line or by whitespace; content after "---" on
// the same line belongs to the new document. Splitting at "..." too means
// that no chunk holds two documents, of which the YAML decoder would
// silently read only the first. A marker can only appear at
// the start of a line, even inside a quoted or block scalar, so the split
// never cuts a document. Blank chunks are dropped.
func splitYAML(data []byte) []chunk {
	var out []chunk
	splitYAMLStream(bytes.NewReader(data), 0, func(c chunk) bool { //nolint:errcheck // a bytes.Reader does not fail
		out = append(out, c)
		return true
	})
	return out
}

// errDocumentTooLarge is a document of a stream larger than its limit.
var errDocumentTooLarge = fmt.Errorf("a document is larger than the %d MiB limit: split it into YAML documents, one per resource (a List's items each a document of its own)", MaxInputBytes>>20)

// splitYAMLStream is splitYAML on a reader: it calls emit with each
// chunk as soon as its end is read, holding one chunk at a time, until
// emit returns false. A chunk longer than limit bytes (when limit > 0)
// stops it with errDocumentTooLarge.
func splitYAMLStream(r io.Reader, limit int, emit func(chunk) bool) error {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReader(r)
	}
	cur := chunk{line: 1}
	stopped := false
	flush := func(next int) {
		if !blank(cur.text) && !stopped {
			stopped = !emit(cur)
		}
		cur = chunk{line: next}
	}
	lineNo := 0
	first := true
	for !stopped {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// A line longer than the buffer: read it whole, but no more
			// of it than the document may hold.
			line = slices.Clone(line) // ReadSlice reuses the buffer
			for err == bufio.ErrBufferFull {
				if limit > 0 && len(cur.text)+len(line) > limit {
					return errDocumentTooLarge
				}
				var more []byte
				more, err = br.ReadSlice('\n')
				line = append(line, more...)
			}
		}
		if first {
			line = bytes.TrimPrefix(line, utf8BOM)
			first = false
		}
		// A lone CR ends a line too, as YAML (and the decoder) reads it.
		for len(line) > 0 {
			var part []byte
			part, line = cutLine(line)
			lineNo++
			m := "---"
			rest, isMarker := marker(part, m)
			if !isMarker {
				m = "..."
				rest, isMarker = marker(part, m)
			}
			switch {
			case !isMarker:
				cur.text = append(cur.text, part...)
				if limit > 0 && len(cur.text) > limit {
					return errDocumentTooLarge
				}
			default:
				flush(lineNo + 1)
				if t := bytes.TrimSpace(rest); len(t) > 0 && t[0] != '#' {
					cur.line = lineNo
					cur.col = len(m)
					// "--- value": the value starts the new document. Text
					// after "..." is invalid YAML; keeping it makes it an
					// error instead of dropping it unseen.
					cur.text = append(cur.text, rest...)
				}
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	flush(0)
	return nil
}

// cutLine splits the first line off b: up to and including its line
// break, or all of b when it has none. Lines end where the YAML decoders
// (kubectl's too) end them: at LF, CRLF, a CR alone, and NEL, LS or PS
// (U+0085, U+2028, U+2029).
func cutLine(b []byte) (line, rest []byte) {
	for i := range b {
		if n := lineBreakAt(b, i); n > 0 {
			return b[:i+n], b[i+n:]
		}
	}
	return b, nil
}

// eachLine calls f with each line of text, without its line break.
func eachLine(text []byte, f func(line []byte) bool) {
	for len(text) > 0 {
		var line []byte
		line, text = cutLine(text)
		if !f(bytes.TrimRight(line, "\r\n\u0085\u2028\u2029")) {
			return
		}
	}
}

// sourceComment returns PATH of a "# Source: PATH" line among the
// comments that open a chunk, "" when there is none.
func sourceComment(text []byte) string {
	source := ""
	eachLine(text, func(line []byte) bool {
		t := bytes.TrimSpace(line)
		switch {
		case len(t) == 0:
			return true
		case bytes.HasPrefix(t, []byte("# Source: ")):
			source = string(bytes.TrimSpace(t[len("# Source: "):]))
		case t[0] == '#':
			return true
		}
		return false
	})
	return source
}

// marker reports whether line starts with the document marker m, and
// returns what follows it.
func marker(line []byte, m string) ([]byte, bool) {
	if !bytes.HasPrefix(line, []byte(m)) {
		return nil, false
	}
	rest := line[len(m):]
	if len(rest) > 0 && rest[0] != ' ' && rest[0] != '\t' && len(bytes.TrimLeft(rest, "\r\n\u0085\u2028\u2029")) > 0 {
		return nil, false // neither whitespace nor the line's end follows
	}
	return rest, true
}

// blank reports whether a chunk holds no document: only whitespace,
// comments and directives.
func blank(text []byte) bool {
	isBlank := true
	eachLine(text, func(line []byte) bool {
		t := bytes.TrimSpace(line)
		isBlank = len(t) == 0 || t[0] == '#' || t[0] == '%'
		return isBlank
	})
	return isBlank
}

// decodeYAML decodes one YAML document. The text is first parsed into a
// node tree, which locates fields and bounds what aliases expand to (see
// checkAliases); the value is then decoded as kubectl decodes it
// (sigs.k8s.io/yaml). Strict decoding refuses duplicate keys: without it,
// which occurrence wins is undefined.
func decodeYAML(c chunk) (v any, loc locator, err error) {
	defer func() {
		if p := recover(); p != nil {
			v, loc, err = nil, locator{}, fmt.Errorf("invalid YAML: the YAML parser failed (%v)", p)
		}
	}()
	var root yaml3.Node
	if err := yaml3.Unmarshal(c.text, &root); err != nil {
		// Say what the decoder kubectl uses says (its line numbers point
		// at the offending line more often), when it refuses the text too.
		if err2 := yaml2.Unmarshal(c.text, &parseOnly{}); err2 != nil {
			err = err2
		}
		at := ""
		if !yamlLineRe.MatchString(err.Error()) {
			at = notUTF8Line(c)
		}
		return nil, locator{}, yamlError(err, c.line, at)
	}
	if err := checkAliases(&root, len(c.text)); err != nil {
		return nil, locator{}, err
	}
	if err := checkDuplicateKeys(&root); err != nil {
		return nil, locator{}, yamlError(err, c.line, "")
	}
	// Not the strict conversion: its duplicate check also refuses a key
	// that overrides one a merge key (<<) brought in, which YAML allows
	// and kubectl accepts; checkDuplicateKeys refuses the rest.
	j, err := yaml.YAMLToJSON(c.text)
	if err != nil {
		return nil, locator{}, yamlError(err, c.line, "")
	}
	if err := trailingContent(c); err != nil {
		return nil, locator{}, err
	}
	if err := json.Unmarshal(j, &v); err != nil {
		return nil, locator{}, fmt.Errorf("invalid YAML: %v", err)
	}
	return v, locator{node: &root, line: c.line - 1, col: c.col}, nil
}

// notUTF8Line is "line N: ", N the line of the stream where the first
// byte of c that is not UTF-8 is, when c is not UTF-8 (the YAML decoders
// refuse it without saying where), and "" otherwise.
func notUTF8Line(c chunk) string {
	for i := 0; i < len(c.text); {
		r, size := utf8.DecodeRune(c.text[i:])
		if r == utf8.RuneError && size == 1 {
			line, _ := lineCol(c.text, i)
			return "line " + strconv.Itoa(c.line+line-1) + ": "
		}
		i += size
	}
	return ""
}

// templated reports whether c, which failed to decode, is a Helm
// template that only its actions keep from being read: it holds "{{", it
// is not YAML with a duplicate key of its own (which its actions did not
// cause: reported), and it parses as YAML once every action is taken out
// (an action alone on its lines removed, one inside a line replaced by a
// plain word). The parse is syntax only: branches of an if/else that set
// the same key, or keys that are actions, are what templates are made of.
// A document that still does not parse without its actions has an error
// of its own, which is reported.
func templated(c chunk) (ok bool) {
	text := c.text
	if !bytes.Contains(text, []byte("{{")) {
		return false
	}
	defer func() {
		if recover() != nil {
			ok = false // the YAML parser failed: reported as decodeYAML reports it
		}
	}()
	var n yaml3.Node
	if yaml3.Unmarshal(text, &n) == nil && checkDuplicateKeys(&n) != nil {
		return false
	}
	var out []byte
	rest := text
	for {
		i := bytes.Index(rest, []byte("{{"))
		if i < 0 {
			break
		}
		j := bytes.Index(rest[i:], []byte("}}"))
		if j < 0 {
			return false // an action never closed: not a template either
		}
		action := rest[i : i+j+2]
		before, after := rest[:i], rest[i+j+2:]
		lineStart := bytes.LastIndexByte(before, '\n') + 1
		lineEnd := bytes.IndexByte(after, '\n')
		if lineEnd < 0 {
			lineEnd = len(after)
		}
		alone := len(bytes.TrimSpace(before[lineStart:])) == 0 && len(bytes.TrimSpace(after[:lineEnd])) == 0
		out = append(out, before...)
		if !alone {
			out = append(out, 'x')
		}
		out = append(out, bytes.Repeat([]byte("\n"), bytes.Count(action, []byte("\n")))...) // lines kept
		rest = after
	}
	out = append(out, rest...)
	var stripped yaml3.Node
	return yaml3.Unmarshal(out, &stripped) == nil
}

// checkDuplicateKeys refuses a mapping that names a key twice: which of
// the two would count differs between readers, so the document is
// ambiguous. A key after a merge key (<<) that overrides one it brings in
// is not a duplicate (YAML's merge: the mapping's own keys win, and
// kubectl's decoder agrees), and neither are the keys two merged mappings
// share. A key before the merge key that brings it in again is refused:
// there kubectl's decoder lets the merged value win, other readers the
// mapping's own.
func checkDuplicateKeys(n *yaml3.Node) error {
	switch n.Kind {
	case yaml3.DocumentNode, yaml3.SequenceNode:
		for _, c := range n.Content {
			if err := checkDuplicateKeys(c); err != nil {
				return err
			}
		}
	case yaml3.MappingNode:
		var seen map[string]bool
		merges := 0
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind == yaml3.AliasNode && k.Alias != nil {
				k = k.Alias
			}
			if k.Kind == yaml3.ScalarNode && k.Tag == "!!merge" {
				if merges++; merges > 1 {
					return fmt.Errorf("line %d: a second merge key (<<) in one mapping; readers differ on which counts: merge a list, <<: [*a, *b]", n.Content[i].Line)
				}
				for _, m := range mergedKeys(n.Content[i+1], 0) {
					if seen[m] {
						return fmt.Errorf("line %d: key %q is set before the merge key (<<) that brings it in again; readers differ on which value counts: set it after <<", n.Content[i].Line, m)
					}
				}
			}
			if k.Kind == yaml3.ScalarNode && k.Tag != "!!merge" {
				if seen == nil {
					seen = make(map[string]bool, len(n.Content)/2)
				}
				key := scalarKey(k)
				if seen[key] {
					return fmt.Errorf("line %d: key %q already set in map", n.Content[i].Line, k.Value)
				}
				seen[key] = true
			}
			if err := checkDuplicateKeys(n.Content[i+1]); err != nil {
				return err
			}
		}
	}
	return nil
}

// scalarKey is the JSON object key a scalar mapping key becomes, as the
// conversion kubectl's decoder makes reads it (YAML 1.1: yes, on and true
// are the same key, 0x10 and 16, a !!binary key its decoded text), so
// that two keys one reader tells apart and another merges are caught.
func scalarKey(k *yaml3.Node) string {
	switch {
	case k.Style&(yaml3.DoubleQuotedStyle|yaml3.SingleQuotedStyle|yaml3.LiteralStyle|yaml3.FoldedStyle) != 0 && k.Style&yaml3.TaggedStyle == 0:
		return k.Value // a quoted key is its text
	case k.Style&yaml3.TaggedStyle != 0:
		return jsonKey(k.Tag+" "+strconv.Quote(k.Value), true)
	}
	return jsonKey(k.Value, false)
}

// jsonKey converts one key, given as YAML text (or as a plain scalar's
// value), the way the whole document is converted to JSON; the text
// itself when it does not convert (the document's own conversion then
// reports it).
func jsonKey(text string, tagged bool) string {
	if !tagged && (text == "" || plainStringKey(text)) {
		return text // most keys: letters, digits after the first, - . _ / :
	}
	j, err := yaml.YAMLToJSON([]byte(text + ": 0\n"))
	if err != nil {
		return text
	}
	var m map[string]any
	if json.Unmarshal(j, &m) != nil || len(m) != 1 {
		return text
	}
	for k := range m {
		return k
	}
	return text
}

// plainStringKey reports whether a plain scalar can only be a string that
// is its own text (no YAML 1.1 boolean, number, null or timestamp): it
// starts with a letter and holds letters, digits and - . _ / only, and is
// not one of YAML 1.1's words.
func plainStringKey(s string) bool {
	if !isLetter(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isLetter(c) && !strings.ContainsRune("0123456789-._/", rune(c)) {
			return false
		}
	}
	switch strings.ToLower(s) {
	case "y", "yes", "n", "no", "true", "false", "on", "off", "null", "nan", "inf":
		return false
	}
	return true
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// mergedKeys are the keys a merge key's value brings in: those of the
// mapping it names, or of each mapping of a sequence, with what their own
// merge keys bring in (to a bounded depth: checkAliases has bounded the
// document already).
func mergedKeys(v *yaml3.Node, depth int) []string {
	if v.Kind == yaml3.AliasNode && v.Alias != nil {
		v = v.Alias
	}
	if depth > maxMergeDepth {
		return nil
	}
	var keys []string
	switch v.Kind {
	case yaml3.SequenceNode:
		for _, c := range v.Content {
			keys = append(keys, mergedKeys(c, depth+1)...)
		}
	case yaml3.MappingNode:
		for i := 0; i+1 < len(v.Content); i += 2 {
			k := v.Content[i]
			if k.Kind == yaml3.AliasNode && k.Alias != nil {
				k = k.Alias
			}
			switch {
			case k.Kind == yaml3.ScalarNode && k.Tag == "!!merge":
				keys = append(keys, mergedKeys(v.Content[i+1], depth+1)...)
			case k.Kind == yaml3.ScalarNode:
				keys = append(keys, scalarKey(k))
			}
		}
	}
	return keys
}

// maxMergeDepth bounds how deep mergedKeys follows merges of merges.
const maxMergeDepth = 16

// parseOnly makes the YAML decoder parse a document without decoding it:
// no alias is expanded.
type parseOnly struct{}

func (parseOnly) UnmarshalYAML(func(any) error) error { return nil }

// jsonLocator parses one JSON value, pos.data[base:base+len(raw)], into a node
// tree (JSON is YAML) to locate its fields. The zero locator when it
// cannot: findings then carry no position.
func jsonLocator(raw []byte, pos *offsetCounter, base int) locator {
	var root yaml3.Node
	if err := yaml3.Unmarshal(raw, &root); err != nil {
		return locator{}
	}
	line, col := pos.at(base)
	return locator{node: &root, line: line - 1, col: col - 1}
}

// Bounds on what aliases may add to a document when expanded. Each alias
// is a copy of the node it names: a few hundred kilobytes of aliases to one
// large string expand to gigabytes, which the decoder would build before
// any other check could refuse the document. (The YAML decoder's own check
// catches the exponential "billion laughs" shape, nested aliases, but not
// this one, whose expansion grows only linearly.)
const (
	// aliasBytesFloor is what aliases may always add, in bytes of scalar
	// text; a larger document may add as much as its own size.
	aliasBytesFloor = 1 << 20
	// aliasNodesFloor is how many nodes aliases may always add; a document
	// with more nodes may add as many as it has.
	aliasNodesFloor = 10000
)

// checkAliases refuses a document whose aliases expand to more than
// max(aliasBytesFloor, size) bytes of scalar text, or more than
// max(aliasNodesFloor, nodes of the tree) nodes, beyond the tree itself.
// It costs one walk of the tree: what a node expands to is computed once
// per anchor.
func checkAliases(root *yaml3.Node, size int) error {
	type cost struct{ nodes, bytes int }
	memo := map[*yaml3.Node]cost{}
	const limit = 1 << 60 // saturate instead of overflowing
	add := func(a, b cost) cost {
		return cost{min(a.nodes+b.nodes, limit), min(a.bytes+b.bytes, limit)}
	}
	var expanded func(n *yaml3.Node, depth int) cost
	var raw cost
	var walk func(n *yaml3.Node, depth int)
	// expanded is what n stands for once every alias in it is replaced.
	// inProgress marks the nodes being expanded: an alias to one of them
	// names a node that contains it, which would expand forever.
	inProgress := map[*yaml3.Node]bool{}
	cyclic := false
	expanded = func(n *yaml3.Node, depth int) cost {
		if n == nil || depth > maxJSONDepth || cyclic {
			return cost{}
		}
		if c, ok := memo[n]; ok {
			return c
		}
		if inProgress[n] {
			cyclic = true
			return cost{}
		}
		inProgress[n] = true
		defer delete(inProgress, n)
		c := cost{nodes: 1, bytes: len(n.Value)}
		if n.Kind == yaml3.AliasNode {
			c = expanded(n.Alias, depth+1)
		}
		for _, ch := range n.Content {
			c = add(c, expanded(ch, depth+1))
		}
		memo[n] = c
		return c
	}
	// walk counts the tree as written.
	walk = func(n *yaml3.Node, depth int) {
		if n == nil || depth > maxJSONDepth {
			return
		}
		raw = add(raw, cost{nodes: 1, bytes: len(n.Value)})
		for _, ch := range n.Content {
			walk(ch, depth+1)
		}
	}
	walk(root, 0)
	got := expanded(root, 0)
	if cyclic {
		return errors.New("invalid YAML: an alias refers to a node that contains it")
	}
	if got.bytes-raw.bytes > max(aliasBytesFloor, size) || got.nodes-raw.nodes > max(aliasNodesFloor, raw.nodes) {
		return fmt.Errorf("invalid YAML: aliases expand the document to %d nodes and %d bytes of text, from %d nodes and %d bytes as written; refused as an alias bomb (at most %d more bytes and %d more nodes)",
			got.nodes, got.bytes, raw.nodes, raw.bytes, max(aliasBytesFloor, size), max(aliasNodesFloor, raw.nodes))
	}
	return nil
}

// trailingContent refuses a chunk that holds more than one document.
// The YAML decoder reads the first document and ignores the rest, and it
// ends a top-level flow collection at its closing bracket: without this
// check "{kind: ConfigMap}" followed by a Bucket's fields on the next lines
// would silently hide the Bucket. Only called on a chunk whose first
// document decodes (the decoder panics when asked to go on after an
// error).
func trailingContent(c chunk) error {
	dec := yaml2.NewDecoder(bytes.NewReader(c.text))
	var first, second any
	if err := dec.Decode(&first); err != nil {
		return yamlError(err, c.line, "")
	}
	switch err := dec.Decode(&second); {
	case err == io.EOF:
		return nil
	case err != nil:
		return yamlError(err, c.line, "content after the end of the document: ")
	}
	return errors.New("invalid YAML: a second document follows the first without a --- line")
}

var yamlLineRe = regexp.MustCompile(`\bline (\d+)\b`)

// yamlError rewrites a YAML parser error on one line, with line numbers
// counted from the start of the file instead of the document.
func yamlError(err error, firstLine int, prefix string) error {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "error converting YAML to JSON: ")
	msg = strings.TrimPrefix(msg, "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:")
	msg = strings.Join(strings.Fields(msg), " ")
	msg = yamlLineRe.ReplaceAllStringFunc(msg, func(m string) string {
		n, err := strconv.Atoi(strings.TrimPrefix(m, "line "))
		if err != nil || firstLine < 1 {
			return m
		}
		return "line " + strconv.Itoa(n+firstLine-1)
	})
	return errors.New("invalid YAML: " + prefix + msg)
}
