package jsonx

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
)

const (
	// maxChunk bounds the size of the slabs nodes, members and items are
	// carved from, so an overestimate wastes a bounded amount of memory.
	maxChunk = 1024

	// linearScanMax is the number of members up to which duplicate keys
	// are detected by a linear scan; larger objects switch to a map.
	linearScanMax = 16

	// tokenizerMaxDepth is the nesting bound the tokenizer enforces on
	// its own; Limits.MaxDepth is capped at it.
	tokenizerMaxDepth = 10000
)

// parsers holds parsers for reuse between documents: their tokenizer (a
// jsontext.Decoder keeps buffers for its state) and their stacks of open
// containers, members, items and decoded strings, which every document
// needs and none keeps. What a parse returns (nodes, members and items
// carved from slabs) is never reused.
var parsers = sync.Pool{New: func() any { return &parser{dec: new(jsontext.Decoder)} }}

// maxPooledStack bounds the stacks a parser keeps when it goes back to the
// pool: a deep or wide document's are left to the collector.
const maxPooledStack = 1024

// maxPooledText bounds the copy of a visited document's text a parser
// keeps for the next one (Visit): most policy documents fit; a larger
// copy is left to the collector.
const maxPooledText = 64 << 10

// released is what a pooled decoder reads from, so it holds no reference
// to the last document. It is never read.
var released = strings.NewReader("")

// Parse parses exactly one JSON value from data. Surrounding whitespace
// (space, tab, newline, carriage return) is allowed; anything else after
// the value is a *SyntaxError.
//
// The error, if any, is a *SyntaxError, a *DuplicateKeyError or a
// *LimitError. The size limit is checked before any other work is done.
func Parse(data []byte, lim Limits) (*Node, error) {
	if err := checkSize(len(data), lim); err != nil {
		return nil, err
	}
	p := parsers.Get().(*parser)
	defer p.release()
	// A single copy of the input: unescaped strings and number literals
	// are substrings of it, and the caller may reuse data afterwards.
	// The tokenizer, when it is needed, reads data itself.
	return p.run(string(data), data, lim)
}

// Visit parses s as Parse parses its bytes and calls use with the tree,
// which is lent, not given: its nodes and their Members and Items are
// reused by later parses once use returns, so use must keep none of them.
// The strings of the tree (keys, string values, number literals) stay
// valid: they are parts of s or of one string of decoded text. A reader
// that keeps only those and offsets (as a policy document's grammar pass
// does) costs the collector no tree per document. use is not called when
// there is an error.
func Visit(s string, lim Limits, use func(root *Node)) error {
	if err := checkSize(len(s), lim); err != nil {
		return err
	}
	p := parsers.Get().(*parser)
	p.lent = true
	defer p.release()
	// The tree's strings are parts of s. The tokenizer, when it is
	// needed, reads a copy, kept for the next document.
	root, err := p.run(s, nil, lim)
	if err != nil {
		return err
	}
	use(root)
	return nil
}

func checkSize(n int, lim Limits) error {
	if lim.MaxBytes > 0 && n > lim.MaxBytes {
		return &LimitError{What: "size", Limit: lim.MaxBytes, Actual: n, Offset: lim.MaxBytes}
	}
	return nil
}

// run parses src into a tree. data is src as bytes, or nil when the
// tokenizer (which reads bytes) is to read a copy kept in p.text.
func (p *parser) run(src string, data []byte, lim Limits) (*Node, error) {
	maxDepth := lim.MaxDepth
	if maxDepth <= 0 {
		maxDepth = DefaultMaxDepth
	}
	p.s, p.maxDepth = src, min(maxDepth, tokenizerMaxDepth)
	p.nodeChunk = min(max(len(src)/32, 4), maxChunk)
	p.slabChunk = min(max(len(src)/64, 4), maxChunk)
	// The scanner reads a well-formed document; what it gives up on is
	// read again by the tokenizer, which reports the error.
	root, ok := (*Node)(nil), false
	if !p.tokensOnly {
		root, ok = p.scan()
	}
	if !ok {
		p.abandon()
		if data == nil {
			p.text = append(p.text[:0], src...)
			data = p.text
		}
		var err error
		if root, err = p.tokens(data); err != nil {
			return nil, err
		}
	}
	if len(p.fixups) > 0 {
		decoded := string(p.arena)
		for _, f := range p.fixups {
			f.node.Str = decoded[f.lo:f.hi]
		}
	}
	return root, nil
}

// tokens parses data (p.s as bytes) with the tokenizer, which also finds
// and describes whatever makes data other than one well-formed value.
func (p *parser) tokens(data []byte) (*Node, error) {
	// The decoder reads data in place (a bytes.Buffer is not copied).
	// Invalid UTF-8 is accepted and decoded as U+FFFD, as encoding/json
	// does. Duplicate keys are detected here rather than by the
	// decoder: the keys are decoded anyway, and comparing them costs
	// less than the decoder's own copy of every name (about a tenth of
	// the parse time of a large policy).
	p.in, p.tokenized = *bytes.NewBuffer(data), true
	p.dec.Reset(&p.in, jsontext.AllowInvalidUTF8(true), jsontext.AllowDuplicateNames(true))
	root, err := p.parse()
	if err != nil {
		return nil, err
	}
	if i := skipWS(p.s, root.End); i < len(p.s) {
		return nil, p.syntaxErrorf(i, "invalid character %s after top-level value", quoteChar(p.s, i))
	}
	return root, nil
}

// release returns p to the pool, reset.
func (p *parser) release() {
	p.reset()
	parsers.Put(p)
}

// reset makes p hold no reference to the document or its tree: the slabs
// a given tree was carved from are dropped, those of a lent tree cleared
// and kept for the next one (up to maxPooledStack elements of each), the
// stacks are cleared (or dropped when a large document grew them) and the
// decoder reads from an empty reader.
func (p *parser) reset() {
	if p.tokenized {
		p.dec.Reset(released)
	}
	if p.lent {
		p.nodeChunks.recycle(len(p.nodes))
		p.memChunks.recycle(len(p.memSlab))
		p.itemChunks.recycle(len(p.itemSlab))
	}
	*p = parser{
		dec:        p.dec,
		frames:     reuse(p.frames),
		members:    reuse(p.members),
		items:      reuse(p.items),
		scratch:    reuse(p.scratch),
		arena:      reuse(p.arena),
		fixups:     reuse(p.fixups),
		text:       reuseText(p.text),
		nodeChunks: p.nodeChunks,
		memChunks:  p.memChunks,
		itemChunks: p.itemChunks,
	}
}

// chunks hands out the slabs a tree's nodes, members and items are carved
// from. The slabs of a lent tree (Visit) are tracked, and cleared and kept
// once it is returned, for the next tree; a given tree (Parse) keeps its
// slabs, spare ones included.
type chunks[T any] struct {
	spare [][]T // cleared slabs to use before making new ones
	used  [][]T // the slabs of the lent tree
}

// get returns an empty slab with room for at least n elements: a spare
// one, else a new one.
func (c *chunks[T]) get(n int, lent bool) []T {
	var slab []T
	if k := len(c.spare); k > 0 && cap(c.spare[k-1]) >= n {
		slab = c.spare[k-1]
		// The slot must not keep the slab: a given tree (Parse) carved
		// from it would stay reachable from the pooled parser.
		c.spare[k-1] = nil
		c.spare = c.spare[:k-1]
	} else {
		slab = make([]T, 0, n)
	}
	if lent {
		c.used = append(c.used, slab)
	}
	return slab
}

// recycle clears the slabs of the lent tree and keeps them as spares, the
// largest last, up to maxPooledStack elements in all. filled is how much
// of the last slab the tree used (all of it is cleared for the earlier
// ones, which it may have left partly used).
func (c *chunks[T]) recycle(filled int) {
	kept := 0
	for _, s := range c.spare {
		kept += cap(s)
	}
	for i, s := range c.used {
		if kept+cap(s) > maxPooledStack {
			continue
		}
		if i == len(c.used)-1 {
			clear(s[:filled])
		} else {
			clear(s[:cap(s)])
		}
		c.spare = append(c.spare, s[:0])
		kept += cap(s)
	}
	clear(c.used)
	c.used = c.used[:0]
	slices.SortFunc(c.spare, func(a, b []T) int { return cap(a) - cap(b) })
}

// reuse is s emptied and cleared for the next document, or nil when it
// grew past maxPooledStack. Only s[:len(s)] is cleared: the parser clears
// what it pops off its stacks as it goes.
func reuse[T any](s []T) []T {
	if cap(s) > maxPooledStack {
		return nil
	}
	clear(s)
	return s[:0]
}

// reuseText returns a visited document's copy emptied for the next one,
// or nil when it is larger than a parser keeps.
func reuseText(b []byte) []byte {
	if cap(b) > maxPooledText {
		return nil
	}
	return b[:0]
}

// parser holds the state of one Parse call: it builds the tree by its
// scanner or from the tokens of a jsontext.Decoder.
type parser struct {
	s        string
	dec      *jsontext.Decoder
	maxDepth int

	// in is what the decoder reads: the input, in place.
	in bytes.Buffer
	// text is Visit's copy of its document, which in reads.
	text []byte

	// Slabs from which nodes and exact-sized Members/Items slices are
	// carved, to keep the number of allocations low, and where they come
	// from. lent is true while the tree is Visit's: its slabs are
	// recycled when the parser is released.
	nodes      []Node
	nodeChunk  int
	memSlab    []Member
	itemSlab   []*Node
	slabChunk  int
	nodeChunks chunks[Node]
	memChunks  chunks[Member]
	itemChunks chunks[*Node]
	lent       bool
	// tokensOnly skips the scanner (tests compare the two paths);
	// tokenized is set once the decoder has read the document.
	tokensOnly, tokenized bool

	// The containers currently open, innermost last, and the stacks of
	// their members and items; a container copies its own part into a
	// slab when it is closed.
	frames  []frame
	members []Member
	items   []*Node

	scratch []byte // buffer for decoding escaped keys

	// Decoded string values, and the nodes whose Str refers to them.
	arena  []byte
	fixups []fixup
}

// frame is an open object or array.
type frame struct {
	node  *Node
	base  int // start of its members (object) or items (array) on the stacks
	count int // members or items completed so far
	// For an object: whether a key comes next, else the key (and the
	// offset of its opening quote) of the member whose value comes next.
	wantKey bool
	key     string
	keyPos  int
	names   map[string]struct{} // keys so far, once the object is large
	// For an array being scanned: a comma came after the last item, so
	// an item must come next.
	afterComma bool
}

// fixup records that node.Str is arena[lo:hi], to be set once the arena
// is complete.
type fixup struct {
	node   *Node
	lo, hi int
}

// parse reads one value from the decoder and returns its tree.
func (p *parser) parse() (*Node, error) {
	dec := p.dec
	for {
		var n *Node // a value that is complete
		kind := dec.PeekKind()
		if k := len(p.frames); k > 0 && p.frames[k-1].wantKey &&
			kind != jsontext.KindInvalid && kind != jsontext.KindString && kind != jsontext.KindEndObject && kind != jsontext.KindEndArray {
			// Only a string can be a key: fail at its first byte, before
			// the tokenizer reads a literal that may be cut short.
			i := skipWS(p.s, int(dec.InputOffset()))
			if p.s[i] == ',' {
				i = skipWS(p.s, i+1)
			}
			return nil, p.syntaxErrorf(i, "invalid character %s looking for beginning of object key string", quoteChar(p.s, i))
		}
		switch kind {
		case jsontext.KindInvalid:
			_, err := dec.ReadToken() // the error PeekKind saw
			return nil, p.tokenError(err)

		case jsontext.KindBeginObject, jsontext.KindBeginArray:
			if _, err := dec.ReadToken(); err != nil {
				return nil, p.tokenError(err)
			}
			off := int(dec.InputOffset()) - 1
			// Check the depth before descending.
			if depth := len(p.frames) + 1; depth > p.maxDepth {
				return nil, &LimitError{What: "depth", Limit: p.maxDepth, Actual: depth, Offset: off}
			}
			if kind == jsontext.KindBeginObject {
				p.open(Object, off)
			} else {
				p.open(Array, off)
			}
			continue

		case jsontext.KindEndObject, jsontext.KindEndArray:
			if _, err := dec.ReadToken(); err != nil {
				return nil, p.tokenError(err)
			}
			n = p.close(int(dec.InputOffset()))

		default:
			v, err := dec.ReadValue()
			if err != nil {
				return nil, p.tokenError(err)
			}
			end := int(dec.InputOffset())
			start := end - len(v)
			if k := len(p.frames); k > 0 && p.frames[k-1].wantKey {
				top := &p.frames[k-1]
				key := p.key(v, start, end)
				if p.seen(top, key) {
					return nil, p.duplicateError(key, start)
				}
				top.key, top.keyPos, top.wantKey = key, start, false
				continue
			}
			n = p.newNode()
			n.Start, n.End = start, end
			switch kind {
			case jsontext.KindNull:
				n.Kind = Null
			case jsontext.KindTrue:
				n.Kind, n.Bool = Bool, true
			case jsontext.KindFalse:
				n.Kind = Bool
			case jsontext.KindNumber:
				n.Kind, n.Str = Number, p.s[start:end]
			case jsontext.KindString:
				n.Kind = String
				p.stringValue(n, v)
			}
		}

		// n is complete: add it to its container, or it is the root.
		if len(p.frames) == 0 {
			return n, nil
		}
		p.add(n)
	}
}

// open starts an object or array whose text starts at offset start.
func (p *parser) open(kind Kind, start int) {
	c := p.newNode()
	c.Kind, c.Start = kind, start
	f := frame{node: c}
	if kind == Object {
		f.base, f.wantKey = len(p.members), true
		p.members = initCap(p.members, 32)
	} else {
		f.base = len(p.items)
		p.items = initCap(p.items, 32)
	}
	p.frames = append(initCap(p.frames, 16), f)
}

// close ends the innermost open object or array, whose text ends just
// before offset end, and returns it: its members or items are copied off
// the stacks into a slab.
func (p *parser) close(end int) *Node {
	top := &p.frames[len(p.frames)-1]
	n := top.node
	n.End = end
	if n.Kind == Object {
		if top.count > 0 {
			n.Members = p.carveMembers(top.base)
		}
		clear(p.members[top.base:]) // drop references held by the stack
		p.members = p.members[:top.base]
	} else {
		if top.count > 0 {
			n.Items = p.carveItems(top.base)
		}
		clear(p.items[top.base:])
		p.items = p.items[:top.base]
	}
	*top = frame{} // drop references held by the stack
	p.frames = p.frames[:len(p.frames)-1]
	return n
}

// add adds the complete value n to the innermost open object (under the
// key read last) or array.
func (p *parser) add(n *Node) {
	top := &p.frames[len(p.frames)-1]
	if top.node.Kind == Object {
		p.members = append(p.members, Member{Key: top.key, KeyPos: top.keyPos, Value: n})
		top.wantKey = true
	} else {
		p.items = append(p.items, n)
		top.afterComma = false
	}
	top.count++
}

// seen reports whether the object f already has a member key, by a
// linear scan while it is small and a map beyond linearScanMax members.
func (p *parser) seen(f *frame, key string) bool {
	prev := p.members[f.base:]
	if f.names == nil && len(prev) >= linearScanMax {
		f.names = make(map[string]struct{}, 2*linearScanMax)
		for k := range prev {
			f.names[prev[k].Key] = struct{}{}
		}
	}
	if f.names != nil {
		if _, dup := f.names[key]; dup {
			return true
		}
		f.names[key] = struct{}{}
		return false
	}
	for k := range prev {
		if prev[k].Key == key {
			return true
		}
	}
	return false
}

// newNode returns a zeroed node carved from the node slab.
func (p *parser) newNode() *Node {
	if len(p.nodes) == cap(p.nodes) {
		p.nodes = p.nodeChunks.get(p.nodeChunk, p.lent)
		p.nodeChunk = min(2*p.nodeChunk, maxChunk)
	}
	p.nodes = p.nodes[:len(p.nodes)+1]
	return &p.nodes[len(p.nodes)-1]
}

// carveMembers copies p.members[base:] into an exact-capacity slice carved
// from the member slab.
func (p *parser) carveMembers(base int) []Member {
	src := p.members[base:]
	n := len(src)
	if cap(p.memSlab)-len(p.memSlab) < n {
		p.memSlab = p.memChunks.get(max(n, p.slabChunk), p.lent)
		p.slabChunk = min(2*p.slabChunk, maxChunk)
	}
	l := len(p.memSlab)
	p.memSlab = append(p.memSlab, src...)
	return p.memSlab[l : l+n : l+n]
}

// carveItems copies p.items[base:] into an exact-capacity slice carved
// from the item slab.
func (p *parser) carveItems(base int) []*Node {
	src := p.items[base:]
	n := len(src)
	if cap(p.itemSlab)-len(p.itemSlab) < n {
		p.itemSlab = p.itemChunks.get(max(n, p.slabChunk), p.lent)
		p.slabChunk = min(2*p.slabChunk, maxChunk)
	}
	l := len(p.itemSlab)
	p.itemSlab = append(p.itemSlab, src...)
	return p.itemSlab[l : l+n : l+n]
}

// verbatim reports whether the quoted string q (as the tokenizer returned
// it, so well-formed) decodes to its own text between the quotes: it has
// no escapes and is valid UTF-8.
func verbatim(q []byte) bool {
	s := q[1 : len(q)-1]
	for i, c := range s {
		if c == '\\' {
			return false
		}
		if c >= utf8.RuneSelf {
			return bytes.IndexByte(s[i:], '\\') < 0 && utf8.Valid(s[i:])
		}
	}
	return true
}

// key returns the decoded object key q, which spans s[start:end]. Keys are
// needed as strings at once, so an escaped key costs one allocation.
func (p *parser) key(q []byte, start, end int) string {
	if verbatim(q) {
		return p.s[start+1 : end-1]
	}
	return unquoteKey(p, q)
}

// unquoteKey decodes the well-formed quoted key q (the tokenizer or the
// scanner has checked it; the only error AppendUnquote can report is
// invalid UTF-8, which it has replaced with U+FFFD).
func unquoteKey[B ~[]byte | ~string](p *parser, q B) string {
	b, _ := jsontext.AppendUnquote(p.scratch[:0], q)
	p.scratch = b[:0]
	return string(b)
}

// stringValue sets n.Str to the decoded string q. A string that needs
// decoding is appended to the arena, and n.Str is set when Parse
// finishes, so all such strings share one allocation.
func (p *parser) stringValue(n *Node, q []byte) {
	if verbatim(q) {
		n.Str = p.s[n.Start+1 : n.End-1]
		return
	}
	unquoteValue(p, n, q)
}

// unquoteValue appends the decoded well-formed quoted string q to the
// arena, for n.Str (see unquoteKey).
func unquoteValue[B ~[]byte | ~string](p *parser, n *Node, q B) {
	lo := len(p.arena)
	p.arena, _ = jsontext.AppendUnquote(initCap(p.arena, 256), q)
	p.fixups = append(initCap(p.fixups, 16), fixup{node: n, lo: lo, hi: len(p.arena)})
}

// tokenError converts an error of the tokenizer into a *SyntaxError or
// *LimitError.
func (p *parser) tokenError(err error) error {
	var se *jsontext.SyntacticError
	switch {
	case err == io.EOF: // no value at all
		return p.eof()
	case !errors.As(err, &se): // not expected from a bytes.Buffer
		return &SyntaxError{Offset: 0, Line: 1, Column: 1, Msg: err.Error()}
	}
	off := int(se.ByteOffset)
	switch {
	case se.Err == io.ErrUnexpectedEOF:
		return p.eof()
	case len(p.frames) == tokenizerMaxDepth && off < len(p.s) && (p.s[off] == '{' || p.s[off] == '['):
		// The tokenizer's own nesting bound, which p.maxDepth equals.
		return &LimitError{What: "depth", Limit: p.maxDepth, Actual: len(p.frames) + 1, Offset: off}
	}
	msg := se.Err.Error()
	k := len(p.frames)
	if k == 0 || (se.Err != jsontext.ErrNonStringName && !strings.HasSuffix(msg, " at start of value")) {
		return p.syntaxErrorf(off, "%s", msg)
	}
	// No value (or key) can start at off. The tokenizer reports a comma
	// that separates correctly from the next element as the culprit, as
	// in [1,] or {"a":1,}: name the character after it instead, the one
	// that is wrong.
	top := &p.frames[k-1]
	if off < len(p.s) && p.s[off] == ',' && top.count > 0 && (top.node.Kind == Array || top.wantKey) &&
		!strings.ContainsRune(",[{:", rune(p.s[lastNonWS(p.s, off)])) {
		off = skipWS(p.s, off+1)
	}
	if top.wantKey {
		return p.syntaxErrorf(off, "invalid character %s looking for beginning of object key string", quoteChar(p.s, off))
	}
	return p.syntaxErrorf(off, "invalid character %s at start of value", quoteChar(p.s, off))
}

// eof returns the error for input that ends in the middle of a value.
func (p *parser) eof() error {
	return p.syntaxErrorf(len(p.s), "unexpected end of input")
}

func (p *parser) syntaxErrorf(off int, format string, args ...any) error {
	line, col := position(p.s, off)
	return &SyntaxError{Offset: off, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
}

// duplicateError reports key, at offset off, as a duplicate in the
// innermost open object.
func (p *parser) duplicateError(key string, off int) error {
	path := make([]pathElem, 0, len(p.frames))
	for i := range p.frames {
		f := &p.frames[i]
		switch {
		case f.node.Kind == Array:
			path = append(path, pathElem{index: f.count})
		case i == len(p.frames)-1:
			path = append(path, pathElem{key: key, isKey: true})
		default:
			path = append(path, pathElem{key: f.key, isKey: true})
		}
	}
	line, col := position(p.s, off)
	return &DuplicateKeyError{Key: key, Offset: off, Line: line, Column: col, Path: renderPath(path)}
}

// skipWS returns the offset of the first non-whitespace byte at or after i.
func skipWS(s string, i int) int {
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

// lastNonWS returns the offset of the last non-whitespace byte before i,
// or i if there is none.
func lastNonWS(s string, i int) int {
	for j := i - 1; j >= 0; j-- {
		switch s[j] {
		case ' ', '\t', '\n', '\r':
		default:
			return j
		}
	}
	return i
}

// initCap returns s, or an empty slice with capacity n if s has no
// capacity yet, so the parser's stacks and buffers skip the smallest
// steps of append's growth.
func initCap[T any](s []T, n int) []T {
	if cap(s) == 0 {
		return make([]T, 0, n)
	}
	return s
}

// pathElem is one step of the path from the root to a value: an object
// key (isKey) or an array index. The path is only rendered as a string
// when a DuplicateKeyError is built.
type pathElem struct {
	key   string
	index int
	isKey bool
}

// renderPath renders a path, e.g. Statement[1].Condition.StringEquals or
// Condition["aws:SourceIp"].
func renderPath(path []pathElem) string {
	var b strings.Builder
	for _, e := range path {
		switch {
		case !e.isKey:
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(e.index))
			b.WriteByte(']')
		case isIdent(e.key):
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(e.key)
		default:
			b.WriteByte('[')
			b.WriteString(strconv.Quote(e.key))
			b.WriteByte(']')
		}
	}
	return b.String()
}

// position returns the 1-based line and byte column of offset off in s.
func position(s string, off int) (line, col int) {
	off = min(max(off, 0), len(s))
	before := s[:off]
	line = 1 + strings.Count(before, "\n")
	col = off - (strings.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// isIdent reports whether key can be written in a path without quoting.
func isIdent(key string) bool {
	if key == "" {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && isDigit(c) {
			continue
		}
		return false
	}
	return true
}

// quoteChar describes the (possibly multi-byte) character at s[i] for an
// error message, e.g. '}' or '\n' or '\xff'.
func quoteChar(s string, i int) string {
	r, size := utf8.DecodeRuneInString(s[i:])
	if r == utf8.RuneError && size <= 1 {
		return fmt.Sprintf(`'\x%02x'`, s[i])
	}
	return strconv.QuoteRune(r)
}
