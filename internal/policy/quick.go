package policy

import (
	"math/bits"
	"strings"
	"sync"

	"github.com/ackguard/ackguard/internal/jsonx"
)

// The reader below builds the Document of a document without a single
// grammar problem straight from its text, in one pass and without the
// JSON tree: most documents an admission sees are such, and for them the
// tree, the slabs it is carved from and the grammar's second walk over it
// were a quarter to a half of the parse and most of its allocations
// (docs/performance.md, "One pass for a valid document"). It accepts only
// what Parse accepts without a problem and builds the same Document
// (FuzzQuickMatchesParse); at the first thing Parse would report, or that
// it does not read itself (an escaped or invalid UTF-8 string, a document
// over its size limit), it gives up and Parse reads the document from the
// start, so every problem, its field and its message come from one place.

// run is a stretch of one of a quick reader's arenas; lo < 0 is an
// absent element.
type run struct{ lo, hi int32 }

var absent = run{-1, -1}

// quickStatement is a statement as the reader records it: its lists are
// runs of the arenas, turned into slices once the document is read.
type quickStatement struct {
	sid                                      string
	hasSid                                   bool
	effect                                   Effect
	principal, notPrincipal                  int32 // index in prins; -1 for none
	action, notAction, resource, notResource run
	conditions                               run
	start, end                               int
}

type quickPrincipal struct {
	wildcard                               bool
	aws, service, federated, canonicalUser run
}

type quickCondition struct {
	operator, key string
	op            Operator
	values        run
}

// quick reads one document. Its arenas are reused from document to
// document (quickPool); the Document gets copies of exactly their size.
type quick struct {
	s    string
	i    int
	kind Kind
	opts Options
	// The document's own fields.
	version                    string
	hasVersion, isArray        bool
	stmtStart, stmtEnd, docEnd int
	stmts                      []quickStatement
	prins                      []quickPrincipal
	conds                      []quickCondition
	vals                       []string
}

var quickPool = sync.Pool{New: func() any { return new(quick) }}

// quickMaxKept bounds the arenas a pooled reader keeps for the next
// document, so one large document does not pin its arenas for good.
const quickMaxKept = 256

// parseQuick returns the document Parse would return for raw with no
// problem, or false when raw is not such a document or not one it reads.
func parseQuick(raw string, kind Kind, opts Options, limit int) (*Document, bool) {
	if limit > 0 && len(raw) > limit {
		return nil, false // the tree reports it (a limit of 0 or less is none)
	}
	q := quickPool.Get().(*quick) // emptied before it was put back
	q.s, q.kind, q.opts = raw, kind, opts
	var doc *Document
	ok := q.document()
	if ok {
		doc = q.build()
	}
	if cap(q.stmts) <= quickMaxKept && cap(q.prins) <= quickMaxKept && cap(q.conds) <= quickMaxKept && cap(q.vals) <= 4*quickMaxKept {
		// The pool must not keep the document's text alive.
		clear(q.vals)
		clear(q.conds)
		clear(q.stmts)
		*q = quick{stmts: q.stmts[:0], prins: q.prins[:0], conds: q.conds[:0], vals: q.vals[:0]}
		quickPool.Put(q)
	}
	return doc, ok
}

func (q *quick) ws() { q.i = jsonx.SkipSpace(q.s, q.i) }

// at reports whether the next byte after whitespace is c, and reads it
// when it is.
func (q *quick) at(c byte) bool {
	q.ws()
	if q.i < len(q.s) && q.s[q.i] == c {
		q.i++
		return true
	}
	return false
}

// next is the next byte after whitespace, 0 at the end.
func (q *quick) next() byte {
	q.ws()
	if q.i < len(q.s) {
		return q.s[q.i]
	}
	return 0
}

// str reads a string that decodes to its own text.
func (q *quick) str() (string, bool) {
	if q.next() != '"' {
		return "", false
	}
	// Most strings are printable ASCII: the first byte that is not is
	// their closing quote. The others are read byte by byte.
	from := q.i + 1
	if n := plainLen(q.s[from:]); from+n < len(q.s) && q.s[from+n] == '"' {
		q.i = from + n + 1
		return q.s[from : from+n], true
	}
	end, plain, ok := jsonx.ScanString(q.s, q.i)
	if !ok || !plain {
		return "", false
	}
	v := q.s[q.i+1 : end-1]
	q.i = end
	return v, true
}

// plainLen returns the length of the longest prefix of s that is printable
// ASCII without a quote or a backslash, eight bytes at a time: the
// offset of the first quote, backslash, control character or byte past
// ASCII, or len(s).
func plainLen(s string) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		bs, qs := x^(ones*'\\'), x^(ones*'"')
		// A lane's high bit is set when its byte is past ASCII, below
		// 0x20, a backslash or a quote (zero once xored with one). A
		// borrow only runs from a lane that is set itself to the lanes
		// above it, so the lowest set lane is exact.
		if m := (x | (x-ones*0x20)&^x | (bs-ones)&^bs | (qs-ones)&^qs) & highs; m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '\\' || c == '"' {
			return i
		}
	}
	return i
}

// members reads the object whose brace is at q.i: read reads the value
// of each member and returns the bit that names the member (0 when it
// needs none), and no bit may come twice. It returns the bits seen.
func (q *quick) members(read func(key string) (bit int, ok bool)) (seen int, ok bool) {
	q.i++ // the brace
	for n := 0; ; n++ {
		if q.at('}') {
			return seen, true
		}
		if n > 0 && !q.at(',') {
			return 0, false
		}
		key, ok := q.str()
		if !ok || !q.at(':') {
			return 0, false
		}
		bit, ok := read(key)
		if !ok || seen&bit != 0 {
			return 0, false
		}
		seen |= bit
	}
}

// items reads the array whose bracket is at q.i, each item with read,
// and reports whether it was well formed and not empty.
func (q *quick) items(read func() bool) bool {
	q.i++ // the bracket
	for n := 0; ; n++ {
		if q.at(']') {
			return n > 0
		}
		if n > 0 && !q.at(',') || !read() {
			return false
		}
	}
}

// Members of a document, a statement and a principal, as bits: each may
// appear once.
const (
	mVersion = 1 << iota
	mID
	mStatement
)

const (
	mSid = 1 << iota
	mEffect
	mPrincipal
	mNotPrincipal
	mAction
	mNotAction
	mResource
	mNotResource
	mCondition
)

// document reads the whole text as a document, and reports whether it is
// one the reader builds.
func (q *quick) document() bool {
	if q.next() != '{' {
		return false
	}
	seen, ok := q.members(func(key string) (int, bool) {
		switch key {
		case "Version":
			v, ok := q.str()
			q.version, q.hasVersion = v, true
			return mVersion, ok && (v == Version2012 || v == Version2008)
		case "Id":
			_, ok := q.str()
			return mID, ok
		case "Statement":
			return mStatement, q.statements()
		}
		return 0, false
	})
	q.docEnd = q.i
	q.ws()
	return ok && seen&mStatement != 0 && q.i == len(q.s) && q.uniqueSids()
}

// statements reads the value of Statement: one statement object, or a
// non-empty array of them.
func (q *quick) statements() bool {
	q.stmtStart = jsonx.SkipSpace(q.s, q.i)
	switch q.next() {
	case '{':
		if !q.statement() {
			return false
		}
	case '[':
		q.isArray = true
		if !q.items(func() bool { return q.next() == '{' && q.statement() }) {
			return false
		}
	default:
		return false
	}
	q.stmtEnd = q.i
	return true
}

// uniqueSids reports whether no two statements share a Sid.
func (q *quick) uniqueSids() bool {
	if len(q.stmts) < 2 {
		return true
	}
	if len(q.stmts) <= caseScanMax {
		for i := range q.stmts {
			for j := range i {
				if a, b := &q.stmts[i], &q.stmts[j]; a.hasSid && b.hasSid && a.sid != "" && a.sid == b.sid {
					return false
				}
			}
		}
		return true
	}
	seen := make(map[string]bool, len(q.stmts))
	for i := range q.stmts {
		if s := &q.stmts[i]; s.hasSid && s.sid != "" {
			if seen[s.sid] {
				return false
			}
			seen[s.sid] = true
		}
	}
	return true
}

// statement reads the statement object whose brace is at q.i.
func (q *quick) statement() bool {
	s := quickStatement{principal: -1, notPrincipal: -1, action: absent, notAction: absent,
		resource: absent, notResource: absent, conditions: absent, start: q.i}
	seen, ok := q.members(func(key string) (bit int, ok bool) {
		// A list member's run, and how its value is read.
		var list *run
		var read func() (run, bool)
		switch key {
		case "Sid":
			s.sid, ok = q.str()
			s.hasSid = true
			return mSid, ok
		case "Effect":
			v, ok := q.str()
			s.effect = Effect(v)
			return mEffect, ok && (s.effect == Allow || s.effect == Deny)
		case "Principal":
			s.principal, ok = q.principal()
			return mPrincipal, ok
		case "NotPrincipal":
			s.notPrincipal, ok = q.principal()
			return mNotPrincipal, ok
		case "Action":
			bit, list, read = mAction, &s.action, q.actions
		case "NotAction":
			bit, list, read = mNotAction, &s.notAction, q.actions
		case "Resource":
			bit, list, read = mResource, &s.resource, q.strings
		case "NotResource":
			bit, list, read = mNotResource, &s.notResource, q.strings
		case "Condition":
			bit, list, read = mCondition, &s.conditions, q.conditions
		default:
			return 0, false
		}
		*list, ok = read()
		return bit, ok
	})
	s.end = q.i
	if !ok || !q.kindAllows(seen, &s) {
		return false
	}
	q.stmts = append(q.stmts, s)
	return true
}

// kindAllows reports whether a statement with the members seen has none
// of the problems Parse finds in a whole statement (missing or paired
// elements, and what the document's kind asks).
func (q *quick) kindAllows(seen int, s *quickStatement) bool {
	both := func(a, b int) bool { return seen&a != 0 && seen&b != 0 }
	hasPrincipal := seen&(mPrincipal|mNotPrincipal) != 0
	hasResource := seen&(mResource|mNotResource) != 0
	if seen&mEffect == 0 || seen&(mAction|mNotAction) == 0 ||
		both(mAction, mNotAction) || both(mResource, mNotResource) || both(mPrincipal, mNotPrincipal) {
		return false
	}
	switch q.kind {
	case IdentityPolicy:
		return !hasPrincipal && hasResource
	case ResourcePolicy:
		return hasPrincipal && hasResource
	case TrustPolicy:
		return seen&mNotPrincipal == 0 && hasPrincipal && !hasResource && !q.prins[s.principal].wildcard
	}
	return false
}

// strings reads a non-empty string or a non-empty array of them.
func (q *quick) strings() (run, bool) {
	lo := int32(len(q.vals))
	switch q.next() {
	case '"':
		if !q.nonEmpty() {
			return run{}, false
		}
	case '[':
		if !q.items(q.nonEmpty) {
			return run{}, false
		}
	default:
		return run{}, false
	}
	return run{lo, int32(len(q.vals))}, true
}

// nonEmpty reads a non-empty string into the values.
func (q *quick) nonEmpty() bool {
	v, ok := q.str()
	if ok && v != "" {
		q.vals = append(q.vals, v)
	}
	return ok && v != ""
}

// actions reads an Action or NotAction: "*" or service:Action each.
func (q *quick) actions() (run, bool) {
	sp, ok := q.strings()
	if !ok {
		return sp, false
	}
	for _, a := range q.vals[sp.lo:sp.hi] {
		if !isActionName(a) {
			return sp, false
		}
	}
	return sp, true
}

// Principal keys, as bits.
const (
	pAWS = 1 << iota
	pService
	pFederated
	pCanonicalUser
)

// principal reads a Principal or NotPrincipal and returns its index.
func (q *quick) principal() (int32, bool) {
	pr := quickPrincipal{aws: absent, service: absent, federated: absent, canonicalUser: absent}
	switch q.next() {
	case '"':
		if v, ok := q.str(); !ok || v != "*" {
			return -1, false
		}
		pr.wildcard = true
	case '{':
		// Every principal key has a bit: none seen is an empty object.
		seen, ok := q.members(func(key string) (int, bool) {
			sp, ok := q.strings()
			if !ok {
				return 0, false
			}
			vals := q.vals[sp.lo:sp.hi]
			switch key {
			case "AWS":
				pr.aws = sp
				for _, v := range vals {
					if awsPrincipalProblem(v) != "" {
						return 0, false
					}
				}
				return pAWS, true
			case "Service":
				pr.service = sp
				return pService, noWildcard(vals)
			case "Federated":
				pr.federated = sp
				return pFederated, noWildcard(vals)
			case "CanonicalUser":
				pr.canonicalUser = sp
				return pCanonicalUser, q.opts.AllowCanonicalUser && noWildcard(vals)
			}
			return 0, false
		})
		if !ok || seen == 0 {
			return -1, false
		}
	default:
		return -1, false
	}
	q.prins = append(q.prins, pr)
	return int32(len(q.prins) - 1), true
}

// conditions reads a Condition block: operators, each of condition keys.
func (q *quick) conditions() (run, bool) {
	if q.next() != '{' {
		return run{}, false
	}
	lo := int32(len(q.conds))
	var ops keySet
	_, ok := q.members(func(operator string) (int, bool) {
		op, ok := ParseOperator(operator)
		if !ok || !ops.add(operator) || q.next() != '{' {
			return 0, false
		}
		var keys keySet
		_, ok = q.members(func(key string) (int, bool) {
			if !keys.add(key) {
				return 0, false
			}
			values, ok := q.conditionValues()
			q.conds = append(q.conds, quickCondition{operator: operator, key: key, op: op, values: values})
			return 0, ok
		})
		return 0, ok && keys.n > 0
	})
	return run{lo, int32(len(q.conds))}, ok
}

// keySet holds the keys of one object, up to caseScanMax of them, to find
// case twins among: keys equal once both are lowercased, which Parse
// reports for operators and condition keys.
type keySet struct {
	keys [caseScanMax]string
	n    int
}

// add adds key, and reports false when it has a twin before it or there
// is no room left.
func (k *keySet) add(key string) bool {
	if k.n == len(k.keys) {
		return false
	}
	for _, b := range k.keys[:k.n] {
		if sameLower(b, key) {
			return false
		}
	}
	k.keys[k.n] = key
	k.n++
	return true
}

// noWildcard reports whether no value has a wildcard.
func noWildcard(vals []string) bool {
	for _, v := range vals {
		if hasWildcard(v) {
			return false
		}
	}
	return true
}

// conditionValues reads a string, number or boolean, or a non-empty array
// of them.
func (q *quick) conditionValues() (run, bool) {
	lo := int32(len(q.vals))
	if q.next() != '[' {
		if !q.conditionScalar() {
			return run{}, false
		}
		return run{lo, lo + 1}, true
	}
	if !q.items(q.conditionScalar) {
		return run{}, false
	}
	return run{lo, int32(len(q.vals))}, true
}

// conditionScalar reads one condition value as its text.
func (q *quick) conditionScalar() bool {
	switch c := q.next(); {
	case c == '"':
		v, ok := q.str()
		if !ok {
			return false
		}
		q.vals = append(q.vals, v)
	case c == '-' || '0' <= c && c <= '9':
		end, ok := jsonx.ScanNumber(q.s, q.i)
		if !ok {
			return false
		}
		q.vals = append(q.vals, q.s[q.i:end])
		q.i = end
	case strings.HasPrefix(q.s[q.i:], "true"):
		q.vals = append(q.vals, "true")
		q.i += 4
	case strings.HasPrefix(q.s[q.i:], "false"):
		q.vals = append(q.vals, "false")
		q.i += 5
	default:
		return false
	}
	return true
}

// oneStatement is a document of one statement with at most one
// principal (a clean Bucket's policy, most trust policies), allocated in
// one piece with up to four values. It stays within 512 bytes, past which
// an object with pointers costs the allocator a header
// (TestOneStatementHasNoHeader); more values, and the conditions, are
// allocations of their own.
type oneStatement struct {
	doc   Document
	stmt  [1]Statement
	ptrs  [1]*Statement
	prins [1]Principal
	vals  [4]string
}

// build makes the Document: the arenas copied at their size, and each
// statement's lists cut from the copies.
func (q *quick) build() *Document {
	var (
		doc   *Document
		prins []Principal
		slab  []Statement
		vals  []string
		conds []Condition
	)
	if one := (*oneStatement)(nil); len(q.stmts) == 1 && len(q.prins) <= len(one.prins) {
		one = new(oneStatement)
		doc, prins, slab = &one.doc, one.prins[:len(q.prins)], one.stmt[:]
		doc.Statements = one.ptrs[:]
		if len(q.vals) <= len(one.vals) {
			vals = one.vals[:len(q.vals)]
		}
	} else {
		doc, slab, prins = new(Document), make([]Statement, len(q.stmts)), make([]Principal, len(q.prins))
		doc.Statements = make([]*Statement, len(q.stmts))
	}
	if vals == nil {
		vals = make([]string, len(q.vals))
	}
	if len(q.conds) > 0 {
		conds = make([]Condition, len(q.conds))
	}
	doc.Raw, doc.Kind, doc.Version, doc.HasVersion = q.s, q.kind, q.version, q.hasVersion
	doc.StatementIsArray, doc.StatementStart, doc.StatementEnd, doc.End = q.isArray, q.stmtStart, q.stmtEnd, q.docEnd
	copy(vals, q.vals)
	list := func(r run) []string {
		if r.lo < 0 {
			return nil
		}
		return vals[r.lo:r.hi:r.hi]
	}
	for i := range q.conds {
		c, to := &q.conds[i], &conds[i]
		to.Operator, to.Op, to.Key, to.Values = c.operator, c.op, c.key, list(c.values)
	}
	for i := range q.prins {
		p, to := &q.prins[i], &prins[i]
		to.Wildcard, to.AWS, to.Service = p.wildcard, list(p.aws), list(p.service)
		to.Federated, to.CanonicalUser = list(p.federated), list(p.canonicalUser)
	}
	principal := func(i int32) *Principal {
		if i < 0 {
			return nil
		}
		return &prins[i]
	}
	// Field by field into the zeroed slab: a Statement is large, and a
	// literal would be built aside and copied.
	for i := range q.stmts {
		s, st := &q.stmts[i], &slab[i]
		st.Index, st.Sid, st.HasSid, st.Effect = i, s.sid, s.hasSid, s.effect
		st.Principal, st.NotPrincipal = principal(s.principal), principal(s.notPrincipal)
		st.Action, st.NotAction, st.HasNotAction = list(s.action), list(s.notAction), s.notAction.lo >= 0
		st.Resource, st.NotResource, st.HasNotResource = list(s.resource), list(s.notResource), s.notResource.lo >= 0
		st.Start, st.End = s.start, s.end
		if r := s.conditions; r.lo >= 0 && r.hi > r.lo {
			st.Conditions = conds[r.lo:r.hi:r.hi]
		}
		doc.Statements[i] = st
	}
	return doc
}
