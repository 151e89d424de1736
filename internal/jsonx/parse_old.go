package jsonx

import (
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

const (
	// maxReusedMap is the largest duplicate-detection map that is cleared
	// and reused for a later object.
	maxReusedMap = 4 * linearScanMax
)

// parseOld parses exactly one JSON value from data. Surrounding whitespace
// (space, tab, newline, carriage return) is allowed; anything else after
// the value is a *SyntaxError.
//
// The error, if any, is a *SyntaxError, a *DuplicateKeyError or a
// *LimitError. The size limit is checked before any other work is done.
func parseOld(data []byte, lim Limits) (*Node, error) {
	if lim.MaxBytes > 0 && len(data) > lim.MaxBytes {
		return nil, &LimitError{What: "size", Limit: lim.MaxBytes, Actual: len(data), Offset: lim.MaxBytes}
	}
	maxDepth := lim.MaxDepth
	if maxDepth <= 0 {
		maxDepth = DefaultMaxDepth
	}
	// A single copy of the input: unescaped strings and number literals
	// are substrings of it, and the caller may reuse data afterwards.
	src := string(data)
	p := &oldParser{
		s:         src,
		maxDepth:  maxDepth,
		nodeChunk: min(max(len(src)/32, 4), maxChunk),
		slabChunk: min(max(len(src)/64, 4), maxChunk),
	}
	root := p.newNode()
	i, err := p.value(root, p.skipWS(0), 1)
	if err != nil {
		return nil, err
	}
	if i = p.skipWS(i); i < len(src) {
		return nil, p.syntaxErrorf(i, "invalid character %s after top-level value", quoteChar(src, i))
	}
	if len(p.fixups) > 0 {
		decoded := string(p.arena)
		for _, f := range p.fixups {
			f.node.Str = decoded[f.lo:f.hi]
		}
	}
	return root, nil
}

// oldParser holds the state of one Parse call.
type oldParser struct {
	s        string
	maxDepth int

	// Slabs from which nodes and exact-sized Members/Items slices are
	// carved, to keep the number of allocations low.
	nodes     []Node
	nodeChunk int
	memSlab   []Member
	itemSlab  []*Node
	slabChunk int

	// Stacks of members and items of the containers currently open; a
	// container copies its own part into a slab when it is closed.
	members []Member
	items   []*Node

	path     []pathElem            // one element per open container
	scratch  []byte                // buffer for decoding escaped keys
	freeMaps []map[string]struct{} // cleared duplicate-detection maps for reuse

	// Decoded string values, and the nodes whose Str refers to them.
	arena  []byte
	fixups []fixup
}

// newNode returns a zeroed node carved from the node slab.
func (p *oldParser) newNode() *Node {
	if len(p.nodes) == cap(p.nodes) {
		p.nodes = make([]Node, 0, p.nodeChunk)
		p.nodeChunk = min(2*p.nodeChunk, maxChunk)
	}
	p.nodes = p.nodes[:len(p.nodes)+1]
	return &p.nodes[len(p.nodes)-1]
}

// carveMembers copies p.members[base:] into an exact-capacity slice carved
// from the member slab.
func (p *oldParser) carveMembers(base int) []Member {
	src := p.members[base:]
	n := len(src)
	if cap(p.memSlab)-len(p.memSlab) < n {
		p.memSlab = make([]Member, 0, max(n, p.slabChunk))
		p.slabChunk = min(2*p.slabChunk, maxChunk)
	}
	l := len(p.memSlab)
	p.memSlab = append(p.memSlab, src...)
	return p.memSlab[l : l+n : l+n]
}

// carveItems copies p.items[base:] into an exact-capacity slice carved
// from the item slab.
func (p *oldParser) carveItems(base int) []*Node {
	src := p.items[base:]
	n := len(src)
	if cap(p.itemSlab)-len(p.itemSlab) < n {
		p.itemSlab = make([]*Node, 0, max(n, p.slabChunk))
		p.slabChunk = min(2*p.slabChunk, maxChunk)
	}
	l := len(p.itemSlab)
	p.itemSlab = append(p.itemSlab, src...)
	return p.itemSlab[l : l+n : l+n]
}

// skipWS returns the offset of the first non-whitespace byte at or after i.
func (p *oldParser) skipWS(i int) int {
	s := p.s
	for i < len(s) {
		switch s[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// value parses the value starting at s[i] into n; depth is the depth n
// would have if it is a container. It returns the offset just past the
// value.
func (p *oldParser) value(n *Node, i, depth int) (int, error) {
	s := p.s
	if i >= len(s) {
		return i, p.eof()
	}
	n.Start = i
	switch c := s[i]; c {
	case '{', '[':
		// Check the depth before descending.
		if depth > p.maxDepth {
			return i, &LimitError{What: "depth", Limit: p.maxDepth, Actual: depth, Offset: i}
		}
		if c == '{' {
			return p.object(n, i, depth)
		}
		return p.array(n, i, depth)
	case '"':
		return p.stringValue(n, i)
	case 't':
		n.Bool = true
		return p.literal(n, i, "true", Bool)
	case 'f':
		return p.literal(n, i, "false", Bool)
	case 'n':
		return p.literal(n, i, "null", Null)
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return p.number(n, i)
	}
	return i, p.syntaxErrorf(i, "invalid character %s looking for beginning of value", quoteChar(s, i))
}

// object parses the object starting at s[i] == '{'.
func (p *oldParser) object(n *Node, i, depth int) (int, error) {
	s := p.s
	n.Kind = Object
	if i = p.skipWS(i + 1); i >= len(s) {
		return i, p.eof()
	}
	if s[i] == '}' {
		n.End = i + 1
		return n.End, nil
	}

	base := len(p.members)
	top := len(p.path)
	p.path = append(initCap(p.path, 16), pathElem{isKey: true})
	var seen map[string]struct{} // nil while the object is small
	for {
		if i >= len(s) {
			return i, p.eof()
		}
		if s[i] != '"' {
			return i, p.syntaxErrorf(i, "invalid character %s looking for beginning of object key string", quoteChar(s, i))
		}
		keyPos := i
		key, end, err := p.key(i)
		if err != nil {
			return end, err
		}
		p.path[top].key = key

		// Duplicate detection: linear scan for small objects, a map
		// beyond linearScanMax members.
		prev := p.members[base:]
		if seen == nil && len(prev) >= linearScanMax {
			seen = p.getMap()
			for k := range prev {
				seen[prev[k].Key] = struct{}{}
			}
		}
		if seen != nil {
			if _, dup := seen[key]; dup {
				return keyPos, p.duplicateError(key, keyPos)
			}
			seen[key] = struct{}{}
		} else {
			for k := range prev {
				if prev[k].Key == key {
					return keyPos, p.duplicateError(key, keyPos)
				}
			}
		}

		if i = p.skipWS(end); i >= len(s) {
			return i, p.eof()
		}
		if s[i] != ':' {
			return i, p.syntaxErrorf(i, "invalid character %s after object key", quoteChar(s, i))
		}
		child := p.newNode()
		if i, err = p.value(child, p.skipWS(i+1), depth+1); err != nil {
			return i, err
		}
		p.members = append(initCap(p.members, 32), Member{Key: key, KeyPos: keyPos, Value: child})

		if i = p.skipWS(i); i >= len(s) {
			return i, p.eof()
		}
		if s[i] == ',' {
			i = p.skipWS(i + 1)
			continue
		}
		if s[i] != '}' {
			return i, p.syntaxErrorf(i, "invalid character %s after object key:value pair", quoteChar(s, i))
		}
		break
	}

	n.Members = p.carveMembers(base)
	clear(p.members[base:]) // drop references held by the stack
	p.members = p.members[:base]
	p.path = p.path[:top]
	if seen != nil && len(seen) <= maxReusedMap {
		// Clearing can cost time proportional to the map's capacity, so
		// only small maps are reused: a huge object must not make every
		// later large-ish object pay for its map.
		clear(seen)
		p.freeMaps = append(p.freeMaps, seen)
	}
	n.End = i + 1
	return n.End, nil
}

// getMap returns an empty map for duplicate detection, reusing one
// released by an earlier object if possible.
func (p *oldParser) getMap() map[string]struct{} {
	if k := len(p.freeMaps); k > 0 {
		m := p.freeMaps[k-1]
		p.freeMaps = p.freeMaps[:k-1]
		return m
	}
	return make(map[string]struct{}, 2*linearScanMax)
}

// array parses the array starting at s[i] == '['.
func (p *oldParser) array(n *Node, i, depth int) (int, error) {
	s := p.s
	n.Kind = Array
	if i = p.skipWS(i + 1); i >= len(s) {
		return i, p.eof()
	}
	if s[i] == ']' {
		n.End = i + 1
		return n.End, nil
	}

	base := len(p.items)
	top := len(p.path)
	p.path = append(initCap(p.path, 16), pathElem{})
	for index := 0; ; index++ {
		p.path[top].index = index
		child := p.newNode()
		var err error
		if i, err = p.value(child, i, depth+1); err != nil {
			return i, err
		}
		p.items = append(initCap(p.items, 32), child)

		if i = p.skipWS(i); i >= len(s) {
			return i, p.eof()
		}
		if s[i] == ',' {
			i = p.skipWS(i + 1)
			continue
		}
		if s[i] != ']' {
			return i, p.syntaxErrorf(i, "invalid character %s after array element", quoteChar(s, i))
		}
		break
	}

	n.Items = p.carveItems(base)
	clear(p.items[base:])
	p.items = p.items[:base]
	p.path = p.path[:top]
	n.End = i + 1
	return n.End, nil
}

// literal parses one of the literals true, false and null starting at s[i].
func (p *oldParser) literal(n *Node, i int, lit string, kind Kind) (int, error) {
	s := p.s
	for k := 1; k < len(lit); k++ {
		j := i + k
		if j >= len(s) {
			return j, p.eof()
		}
		if s[j] != lit[k] {
			return j, p.syntaxErrorf(j, "invalid character %s in literal %s (expecting %s)",
				quoteChar(s, j), lit, strconv.QuoteRune(rune(lit[k])))
		}
	}
	n.Kind = kind
	n.End = i + len(lit)
	return n.End, nil
}

// number parses a number starting at s[i] per the JSON grammar
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? and keeps its text.
func (p *oldParser) number(n *Node, i int) (int, error) {
	s := p.s
	start := i
	if s[i] == '-' {
		if i++; i >= len(s) {
			return i, p.eof()
		}
	}
	switch c := s[i]; {
	case c == '0':
		i++
	case '1' <= c && c <= '9':
		for i++; i < len(s) && isDigit(s[i]); i++ {
		}
	default:
		return i, p.syntaxErrorf(i, "invalid character %s in numeric literal", quoteChar(s, i))
	}
	if i < len(s) && s[i] == '.' {
		if i++; i >= len(s) {
			return i, p.eof()
		}
		if !isDigit(s[i]) {
			return i, p.syntaxErrorf(i, "invalid character %s after decimal point in numeric literal", quoteChar(s, i))
		}
		for i++; i < len(s) && isDigit(s[i]); i++ {
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		if i++; i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) {
			return i, p.eof()
		}
		if !isDigit(s[i]) {
			return i, p.syntaxErrorf(i, "invalid character %s in exponent of numeric literal", quoteChar(s, i))
		}
		for i++; i < len(s) && isDigit(s[i]); i++ {
		}
	}
	n.Kind, n.Str, n.End = Number, s[start:i], i
	return i, nil
}

// scanString scans the string starting at s[i] == '"' for the common
// case of a string without escapes that is valid UTF-8. If the string is
// such a string, it returns the offset of the closing quote and true.
// Otherwise it returns the offset of the first byte that needs decoding
// (or reporting as an error) and false.
func (p *oldParser) scanString(i int) (int, bool) {
	s := p.s
	j := i + 1
	for j < len(s) {
		c := s[j]
		switch {
		case c == '"':
			return j, true
		case c == '\\' || c < 0x20:
			return j, false
		case c < utf8.RuneSelf:
			j++
		default:
			r, size := utf8.DecodeRuneInString(s[j:])
			if r == utf8.RuneError && size == 1 {
				return j, false
			}
			j += size
		}
	}
	return j, false
}

// key parses the object key starting at s[i] == '"' and returns it with
// the offset just past the closing quote. Keys are needed as strings at
// once for duplicate detection, so an escaped key costs one allocation.
func (p *oldParser) key(i int) (string, int, error) {
	j, ok := p.scanString(i)
	if ok {
		return p.s[i+1 : j], j + 1, nil
	}
	b, end, err := p.decodeString(p.scratch[:0], i, j)
	p.scratch = b[:0]
	if err != nil {
		return "", end, err
	}
	return string(b), end, nil
}

// stringValue parses the string value starting at s[i] == '"' into n.
// A string that needs decoding is appended to the arena, and n.Str is set
// when Parse finishes, so all such strings share one allocation.
func (p *oldParser) stringValue(n *Node, i int) (int, error) {
	j, ok := p.scanString(i)
	if ok {
		n.Kind, n.Str, n.End = String, p.s[i+1:j], j+1
		return n.End, nil
	}
	lo := len(p.arena)
	b, end, err := p.decodeString(initCap(p.arena, 256), i, j)
	p.arena = b
	if err != nil {
		return end, err
	}
	p.fixups = append(initCap(p.fixups, 16), fixup{node: n, lo: lo, hi: len(b)})
	n.Kind, n.End = String, end
	return end, nil
}

// decodeString decodes the string starting at s[i] == '"', whose bytes
// s[i+1:j] need no decoding, appending the result to b. It returns the
// extended buffer and the offset just past the closing quote. Escapes are
// decoded and invalid UTF-8 and unpaired surrogates replaced with U+FFFD,
// exactly like encoding/json.
func (p *oldParser) decodeString(b []byte, i, j int) ([]byte, int, error) {
	s := p.s
	b = append(b, s[i+1:j]...)
	for j < len(s) {
		c := s[j]
		switch {
		case c == '"':
			return b, j + 1, nil
		case c == '\\':
			if j+1 >= len(s) {
				return b, len(s), p.eof()
			}
			switch e := s[j+1]; e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				r, err := p.hex4(j + 2)
				if err != nil {
					return b, j, err
				}
				j += 6
				if utf16.IsSurrogate(r) {
					// Combine with a following \uXXXX if the two form a
					// valid pair; otherwise the lone surrogate becomes
					// U+FFFD and the next escape is decoded on its own.
					if r2, ok := p.peekHex4(j); ok {
						if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
							b = utf8.AppendRune(b, dec)
							j += 6
							continue
						}
					}
					r = utf8.RuneError
				}
				b = utf8.AppendRune(b, r)
				continue
			default:
				return b, j + 1, p.syntaxErrorf(j+1, "invalid character %s in string escape code", quoteChar(s, j+1))
			}
			j += 2
		case c < 0x20:
			return b, j, p.syntaxErrorf(j, "invalid character %s in string literal", quoteChar(s, j))
		case c < utf8.RuneSelf:
			b = append(b, c)
			j++
		default:
			r, size := utf8.DecodeRuneInString(s[j:])
			b = utf8.AppendRune(b, r) // r is U+FFFD for an invalid byte
			j += size
		}
	}
	return b, len(s), p.eof()
}

// hex4 decodes the four hex digits of a \u escape starting at s[i].
func (p *oldParser) hex4(i int) (rune, error) {
	s := p.s
	var r rune
	for k := i; k < i+4; k++ {
		if k >= len(s) {
			return 0, p.eof()
		}
		d := unhex(s[k])
		if d < 0 {
			return 0, p.syntaxErrorf(k, "invalid character %s in \\u hexadecimal character escape", quoteChar(s, k))
		}
		r = r<<4 | d
	}
	return r, nil
}

// peekHex4 reports whether s[i:] starts with a well-formed \uXXXX escape
// and returns its value.
func (p *oldParser) peekHex4(i int) (rune, bool) {
	s := p.s
	if i+6 > len(s) || s[i] != '\\' || s[i+1] != 'u' {
		return 0, false
	}
	var r rune
	for k := i + 2; k < i+6; k++ {
		d := unhex(s[k])
		if d < 0 {
			return 0, false
		}
		r = r<<4 | d
	}
	return r, true
}

func unhex(c byte) rune {
	switch {
	case '0' <= c && c <= '9':
		return rune(c - '0')
	case 'a' <= c && c <= 'f':
		return rune(c - 'a' + 10)
	case 'A' <= c && c <= 'F':
		return rune(c - 'A' + 10)
	}
	return -1
}

// eof returns the error for input that ends in the middle of a value.
func (p *oldParser) eof() error {
	return p.syntaxErrorf(len(p.s), "unexpected end of input")
}

func (p *oldParser) syntaxErrorf(off int, format string, args ...any) error {
	line, col := position(p.s, off)
	return &SyntaxError{Offset: off, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
}

func (p *oldParser) duplicateError(key string, off int) error {
	line, col := position(p.s, off)
	return &DuplicateKeyError{Key: key, Offset: off, Line: line, Column: col, Path: p.pathString()}
}

func (p *oldParser) pathString() string { return renderPath(p.path) }
