package policy

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
)

// Kind is the kind of document, which decides what the grammar requires.
type Kind int

const (
	// ResourcePolicy is a resource-based policy such as an S3 bucket policy:
	// every statement names a Principal or NotPrincipal and a Resource.
	ResourcePolicy Kind = iota
	// IdentityPolicy is attached to a user, group or role: no principals,
	// every statement names a Resource or NotResource.
	IdentityPolicy
	// TrustPolicy is a role's assume-role policy: a Principal, no
	// NotPrincipal, no Resource.
	TrustPolicy
)

func (k Kind) String() string {
	switch k {
	case ResourcePolicy:
		return "resource policy"
	case IdentityPolicy:
		return "identity policy"
	case TrustPolicy:
		return "trust policy"
	}
	return "policy"
}

// Service limits on document size (rule A7).
const (
	MaxBucketPolicyBytes  = 20 * 1024 // S3 bucket policy: 20 KB
	MaxManagedPolicyBytes = 6144      // IAM managed policy (without whitespace)
	MaxInlinePolicyBytes  = 10240     // aggregate inline limit for roles
	MaxTrustPolicyBytes   = 4096      // role trust policy (raised quota)
)

// maxDepth is deeper than the grammar ever needs (document > Statement >
// statement > Condition > operator > key > value list is 7) so that a
// document nested past it gets one clear error.
const maxDepth = 16

// Versions of the policy language.
const (
	Version2012 = "2012-10-17"
	Version2008 = "2008-10-17"
)

// Effect is Allow or Deny.
type Effect string

// The two valid effects.
const (
	Allow Effect = "Allow"
	Deny  Effect = "Deny"
)

// Document is a parsed policy document.
type Document struct {
	// Raw is the document text as given.
	Raw string
	// Kind is what the document was parsed as.
	Kind Kind
	// Version is the Version element; HasVersion is false when it is
	// missing.
	Version    string
	HasVersion bool
	// Statements in document order.
	Statements []*Statement
	// StatementIsArray is false when Statement was a single object.
	StatementIsArray bool
	// StatementStart and StatementEnd delimit the Statement value in Raw.
	StatementStart, StatementEnd int
	// End is the offset just past the top-level object's closing brace.
	End int

	// derived holds what Derive computed from the document, newest first.
	derived atomic.Pointer[derivedValue]
}

type derivedValue struct {
	key   any
	value any
	next  *derivedValue
}

// Derive returns compute(d), computed the first time it is asked for under
// key and kept with the document afterwards, so that an analysis a rule
// draws from the document alone is made once however often a cached
// document is judged (the CREATE, every UPDATE, the drift reconciler's
// passes and resyncs all carry the same text).
//
// compute must depend on nothing but the document and what key names, and
// its result is shared by every caller and must be treated as read-only,
// as the document itself is. Keys are compared with ==; a rule should use
// a key type of its own, so that no two analyses can meet. Derive is safe
// for concurrent use: two goroutines asking for a new key at once may both
// compute it, and both get the one that was kept first.
func Derive[K comparable, V any](d *Document, key K, compute func(*Document) V) V {
	head := d.derived.Load()
	if v, ok := lookupDerived[V](head, nil, key); ok {
		return v
	}
	v := compute(d)
	e := &derivedValue{key: key, value: v}
	for {
		e.next = head
		if d.derived.CompareAndSwap(head, e) {
			return v
		}
		// Another value was kept meanwhile: perhaps the same one.
		newHead := d.derived.Load()
		if kept, ok := lookupDerived[V](newHead, head, key); ok {
			return kept
		}
		head = newHead
	}
}

// lookupDerived finds key among the values from e up to (not including)
// stop.
func lookupDerived[V any, K comparable](e, stop *derivedValue, key K) (V, bool) {
	for ; e != stop; e = e.next {
		if k, ok := e.key.(K); ok && k == key {
			return e.value.(V), true
		}
	}
	var zero V
	return zero, false
}

// VariablesAreLiteral reports whether "${...}" is literal text in this
// document: the Version is missing or 2008-10-17 (rule A6).
func (d *Document) VariablesAreLiteral() bool {
	return !d.HasVersion || d.Version == Version2008
}

// Statement is one statement of a document.
type Statement struct {
	// Index is the position in the Statement array (0 when Statement was a
	// single object).
	Index  int
	Sid    string
	HasSid bool
	Effect Effect

	Principal    *Principal
	NotPrincipal *Principal

	Action       []string
	NotAction    []string
	HasNotAction bool

	Resource       []string
	NotResource    []string
	HasNotResource bool

	Conditions []Condition

	// Start and End delimit the statement object in Document.Raw.
	Start, End int
}

// Ref names the statement in messages: `Statement[1] (Sid "PublicRead")`.
func (s *Statement) Ref() string {
	ref := "Statement[" + strconv.Itoa(s.Index) + "]"
	if s.HasSid && s.Sid != "" {
		return ref + " (Sid " + strconv.Quote(s.Sid) + ")"
	}
	return ref
}

// Principal is the value of a Principal or NotPrincipal element.
type Principal struct {
	// Wildcard is the string form "*".
	Wildcard bool
	// AWS, Service, Federated and CanonicalUser hold the values under each
	// key, in document order.
	AWS           []string
	Service       []string
	Federated     []string
	CanonicalUser []string
}

// All reports whether the principal is everyone: "*" or an AWS value of
// "*" (rule B1).
func (p *Principal) All() bool {
	if p == nil {
		return false
	}
	if p.Wildcard {
		return true
	}
	for _, a := range p.AWS {
		if a == "*" {
			return true
		}
	}
	return false
}

// Condition is one key under one operator of a Condition block.
type Condition struct {
	// Operator as written, e.g. "ForAnyValue:StringLikeIfExists".
	Operator string
	Op       Operator
	// Key as written; keys compare case-insensitively (rule F4).
	Key    string
	Values []string
}

// KeyIs reports whether the condition's key is key, ignoring case.
func (c Condition) KeyIs(key string) bool { return strings.EqualFold(c.Key, key) }

// Operator is a parsed condition operator.
type Operator struct {
	// Base is the canonical operator name without qualifiers:
	// "StringEquals", "IpAddress", "Bool", ...
	Base        string
	IfExists    bool
	ForAllValue bool
	ForAnyValue bool
	// Negated operators match when the value is absent or different
	// (StringNotEquals, NotIpAddress, ArnNotLike, ...).
	Negated bool
}

// operators maps lower-cased base operator names to their canonical form
// and whether they are negated.
var operators = map[string]struct {
	name    string
	negated bool
}{
	"stringequals":              {"StringEquals", false},
	"stringnotequals":           {"StringNotEquals", true},
	"stringequalsignorecase":    {"StringEqualsIgnoreCase", false},
	"stringnotequalsignorecase": {"StringNotEqualsIgnoreCase", true},
	"stringlike":                {"StringLike", false},
	"stringnotlike":             {"StringNotLike", true},
	"numericequals":             {"NumericEquals", false},
	"numericnotequals":          {"NumericNotEquals", true},
	"numericlessthan":           {"NumericLessThan", false},
	"numericlessthanequals":     {"NumericLessThanEquals", false},
	"numericgreaterthan":        {"NumericGreaterThan", false},
	"numericgreaterthanequals":  {"NumericGreaterThanEquals", false},
	"dateequals":                {"DateEquals", false},
	"datenotequals":             {"DateNotEquals", true},
	"datelessthan":              {"DateLessThan", false},
	"datelessthanequals":        {"DateLessThanEquals", false},
	"dategreaterthan":           {"DateGreaterThan", false},
	"dategreaterthanequals":     {"DateGreaterThanEquals", false},
	"bool":                      {"Bool", false},
	"binaryequals":              {"BinaryEquals", false},
	"ipaddress":                 {"IpAddress", false},
	"notipaddress":              {"NotIpAddress", true},
	"arnequals":                 {"ArnEquals", false},
	"arnlike":                   {"ArnLike", false},
	"arnnotequals":              {"ArnNotEquals", true},
	"arnnotlike":                {"ArnNotLike", true},
	"null":                      {"Null", false},
}

// ParseOperator parses a condition operator such as
// "ForAllValues:StringLikeIfExists". ok is false for an unknown operator.
// Operators are case-insensitive (compared as strings.ToLower makes them).
func ParseOperator(s string) (op Operator, ok bool) {
	rest := s
	if i := strings.IndexByte(rest, ':'); i >= 0 {
		switch prefix := rest[:i]; {
		case sameLower(prefix, "forallvalues"):
			op.ForAllValue = true
		case sameLower(prefix, "foranyvalue"):
			op.ForAnyValue = true
		default:
			return Operator{}, false
		}
		rest = rest[i+1:]
	}
	// Lowercase ASCII text in place of a new string: every operator is
	// ASCII and fits buf (the longest, StringNotEqualsIgnoreCaseIfExists,
	// is 33 bytes). Longer or non-ASCII text takes strings.ToLower's path,
	// which can still lower it to an operator (the Kelvin sign K to k).
	var buf [48]byte
	if len(rest) > len(buf) || !isASCII(rest) {
		return lookupOperator(op, []byte(strings.ToLower(rest)))
	}
	lower := buf[:len(rest)]
	for i := range len(rest) {
		lower[i] = LowerASCII(rest[i])
	}
	return lookupOperator(op, lower)
}

// lookupOperator completes op from the lowercased base operator, with or
// without the IfExists suffix.
func lookupOperator(op Operator, lower []byte) (Operator, bool) {
	if base, found := bytes.CutSuffix(lower, []byte("ifexists")); found {
		op.IfExists, lower = true, base
	}
	def, found := operators[string(lower)]
	if !found || (op.IfExists && def.name == "Null") {
		return Operator{}, false
	}
	op.Base, op.Negated = def.name, def.negated
	return op, true
}

// Problem is a violation of the grammar (rule POL-001).
type Problem struct {
	// Field locates the problem inside the document, e.g.
	// "Statement[1].Principal.AWS[0]"; empty for the document as a whole.
	Field string
	// Message says what is wrong and, where it helps, what is expected.
	Message string
}

func (p Problem) String() string {
	if p.Field == "" {
		return p.Message
	}
	return p.Field + ": " + p.Message
}

// Identity is the problem as it stays when the document changes around
// it: the list indexes of its field elided ("Statement[].Principal.AWS[]")
// and the position or size its message gives (a line and column, the
// document's length) left out. An UPDATE that inserts a statement before
// one the old document already had a problem with, or edits the document
// elsewhere, brings no new problem.
func (p Problem) Identity() string {
	return problemIndex.ReplaceAllString(p.Field, "[]") + ": " + problemPlace.ReplaceAllString(p.Message, "$1 #")
}

var (
	problemIndex = regexp.MustCompile(`\[[0-9]+\]`)
	// problemPlace matches a line, a column and a document's length
	// ("line 3, column 7", "document is 21000 bytes", "the document is
	// 6200 characters").
	problemPlace = regexp.MustCompile(`\b(line|column|is) [0-9]+`)
)
