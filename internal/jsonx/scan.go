package jsonx

import "unicode/utf8"

// The scanner below builds the tree of a well-formed document straight
// from its text, without the tokenizer: it parses a clean Bucket's policy
// (and judges it, in the policy grammar) in about two thirds of the time
// (docs/performance.md, "A scanner for well-formed documents"). It accepts exactly
// the documents the tokenizer path accepts and builds the same tree
// (FuzzScanMatchesTokenizer); at the first thing it would have to report
// (a syntax error, a duplicate key, a nesting limit) it gives up, and the
// tokenizer path parses the document from the start, so every error, its
// offset and its message come from one place.

// strByte classifies the bytes inside a string: 0 for a byte that stands
// for itself, 1 for the closing quote, 2 for a backslash, 3 for a control
// character (never allowed unescaped).
var strByte = func() (t [256]uint8) {
	for c := range 0x20 {
		t[c] = 3
	}
	t['"'] = 1
	t['\\'] = 2
	return t
}()

// scan parses p.s into a tree as the tokenizer path does, or reports
// false when the document is not one that path would accept as it is
// (abandon then drops what it built).
func (p *parser) scan() (*Node, bool) {
	s := p.s
	i := 0
	for {
		i = skipWS(s, i)
		if i >= len(s) {
			return nil, false
		}
		// What may come next depends on the innermost open container:
		// a key (or the end) in an object, a separator (or the end)
		// after an item, else a value.
		closing := false
		if k := len(p.frames); k > 0 {
			top := &p.frames[k-1]
			switch c := s[i]; {
			case top.node.Kind == Object && top.wantKey:
				if c == '}' {
					closing = true
					break
				}
				if top.count > 0 {
					if c != ',' {
						return nil, false
					}
					if i = skipWS(s, i+1); i >= len(s) {
						return nil, false
					}
				}
				if s[i] != '"' {
					return nil, false
				}
				end, plain, ok := scanString(s, i)
				if !ok {
					return nil, false
				}
				key := s[i+1 : end-1]
				if !plain {
					key = unquoteKey(p, s[i:end])
				}
				if p.seen(top, key) {
					return nil, false
				}
				top.key, top.keyPos, top.wantKey = key, i, false
				if i = skipWS(s, end); i >= len(s) || s[i] != ':' {
					return nil, false
				}
				i++
				continue
			case top.node.Kind == Array && !top.afterComma:
				if c == ']' {
					closing = true
					break
				}
				if top.count > 0 {
					if c != ',' {
						return nil, false
					}
					top.afterComma = true
					i++
					continue
				}
			}
		}

		var n *Node // a value that is complete
		switch c := s[i]; {
		case closing:
			i++
			n = p.close(i)

		case c == '{' || c == '[':
			if len(p.frames)+1 > p.maxDepth {
				return nil, false
			}
			if c == '{' {
				p.open(Object, i)
			} else {
				p.open(Array, i)
			}
			i++
			continue

		default:
			start := i
			var kind Kind
			var val, plain bool
			switch {
			case c == '"':
				end, isPlain, ok := scanString(s, i)
				if !ok {
					return nil, false
				}
				i, kind, plain = end, String, isPlain
			case c == '-' || isDigit(c):
				end, ok := scanNumber(s, i)
				if !ok {
					return nil, false
				}
				i, kind = end, Number
			case hasLiteral(s, i, "true"):
				i, kind, val = i+4, Bool, true
			case hasLiteral(s, i, "false"):
				i, kind = i+5, Bool
			case hasLiteral(s, i, "null"):
				i, kind = i+4, Null
			default:
				return nil, false
			}
			n = p.newNode()
			n.Kind, n.Bool, n.Start, n.End = kind, val, start, i
			switch kind {
			case Number:
				n.Str = s[start:i]
			case String:
				if plain {
					n.Str = s[start+1 : i-1]
				} else {
					unquoteValue(p, n, s[start:i])
				}
			}
		}

		// n is complete: add it to its container, or it is the root.
		if len(p.frames) == 0 {
			if skipWS(s, i) < len(s) {
				return nil, false
			}
			return n, true
		}
		p.add(n)
	}
}

// abandon drops what a scan that gave up built, so that the tokenizer
// path starts on the state the scan did: the stacks are emptied and
// cleared, and the nodes, members and items carved from the current slab
// of each kind are cleared and handed out again. (The slabs filled before
// the current one are dropped: those of a lent tree are cleared and kept
// when the parser is released, those of a given one left to the
// collector.)
func (p *parser) abandon() {
	clear(p.frames)
	p.frames = p.frames[:0]
	clear(p.members)
	p.members = p.members[:0]
	clear(p.items)
	p.items = p.items[:0]
	clear(p.nodes)
	p.nodes = p.nodes[:0]
	clear(p.memSlab)
	p.memSlab = p.memSlab[:0]
	clear(p.itemSlab)
	p.itemSlab = p.itemSlab[:0]
	p.arena = p.arena[:0]
	clear(p.fixups)
	p.fixups = p.fixups[:0]
}

// scanString returns the offset just past the string starting with the
// quote at s[i], and false when it is not a well-formed JSON string (an
// unescaped control character, a bad escape, no closing quote). Invalid
// UTF-8 is accepted, as the tokenizer path accepts it. plain reports that
// the string decodes to its own text between the quotes (verbatim).
func scanString(s string, i int) (end int, plain, ok bool) {
	escaped, high := false, false
	for j := i + 1; j < len(s); j++ {
		c := s[j]
		switch strByte[c] {
		case 0:
			high = high || c >= utf8.RuneSelf
		case 1:
			return j + 1, !escaped && (!high || utf8.ValidString(s[i+1:j])), true
		case 2:
			escaped = true
			j++
			if j >= len(s) {
				return 0, false, false
			}
			switch s[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if j+4 >= len(s) || !isHex(s[j+1]) || !isHex(s[j+2]) || !isHex(s[j+3]) || !isHex(s[j+4]) {
					return 0, false, false
				}
				j += 4
			default:
				return 0, false, false
			}
		default:
			return 0, false, false
		}
	}
	return 0, false, false
}

// scanNumber returns the offset just past the number starting at s[i]
// (-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?), and false when it is
// not one.
func scanNumber(s string, i int) (int, bool) {
	if s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && isDigit(s[i]):
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	default:
		return 0, false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i >= len(s) || !isDigit(s[i]) {
			return 0, false
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || !isDigit(s[i]) {
			return 0, false
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	return i, true
}

// hasLiteral reports whether s holds lit at i.
func hasLiteral(s string, i int, lit string) bool {
	return len(s)-i >= len(lit) && s[i:i+len(lit)] == lit
}

func isHex(c byte) bool {
	return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// ScanString is scanString for readers outside the package that read
// well-formed documents in one pass of their own (the policy grammar's):
// it returns the offset just past the string whose quote is at s[i],
// whether it decodes to its own text between the quotes (plain), and
// false when it is not a well-formed JSON string.
func ScanString(s string, i int) (end int, plain, ok bool) { return scanString(s, i) }

// ScanNumber is scanNumber for such readers: the offset just past the
// JSON number starting at s[i], and false when it is not one.
func ScanNumber(s string, i int) (int, bool) { return scanNumber(s, i) }

// SkipSpace returns the offset of the first byte at or after i that is
// not JSON whitespace.
func SkipSpace(s string, i int) int { return skipWS(s, i) }
