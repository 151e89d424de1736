package policy

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/ackguard/ackguard/internal/jsonx"
)

// Options tune Parse for the service that reads the document.
type Options struct {
	// MaxBytes is the service's size limit; 0 means MaxBucketPolicyBytes.
	MaxBytes int
	// AllowCanonicalUser admits the S3-only CanonicalUser principal key.
	AllowCanonicalUser bool
}

// isPrincipalARN reports whether v is an IAM or STS principal ARN,
// arn:PARTITION:(iam|sts)::ACCOUNT:RESOURCE, where PARTITION is aws
// followed by any letters and dashes (aws, aws-cn, aws-us-gov), ACCOUNT a
// 12-digit ID, aws or cloudfront, and RESOURCE at least one character and
// no newline (\n).
// (A principal is matched for every new document: by hand this costs a
// tenth of the regular expression it stands for, which
// TestIsPrincipalARNMatchesItsRegexp keeps.)
func isPrincipalARN(v string) bool {
	rest, ok := strings.CutPrefix(v, "arn:aws")
	if !ok {
		return false
	}
	i := 0
	for i < len(rest) && (rest[i] == '-' || 'a' <= rest[i] && rest[i] <= 'z' || 'A' <= rest[i] && rest[i] <= 'Z') {
		i++
	}
	rest = rest[i:]
	if rest, ok = strings.CutPrefix(rest, ":iam::"); !ok {
		if rest, ok = strings.CutPrefix(rest, ":sts::"); !ok {
			return false
		}
	}
	account, resource, ok := strings.Cut(rest, ":")
	return ok && (IsAccountID(account) || account == "aws" || account == "cloudfront") &&
		resource != "" && !strings.Contains(resource, "\n")
}

// Parse parses raw as a document of the given kind. It returns the
// document (nil when the text is not JSON or not an object) and every
// grammar problem found. A document with problems must not be judged as
// compliant.
func Parse(raw string, kind Kind, opts Options) (*Document, []Problem) {
	limit := opts.MaxBytes
	if limit == 0 {
		limit = MaxBucketPolicyBytes
	}
	// Most documents have no problem at all: one pass reads them
	// (quick.go). The others, and those it does not read, take the tree.
	if doc, ok := parseQuick(raw, kind, opts, limit); ok {
		return doc, nil
	}
	return parseTree(raw, kind, opts, limit)
}

// parseTree is Parse through the JSON tree and its grammar pass: it
// finds every problem.
func parseTree(raw string, kind Kind, opts Options, limit int) (*Document, []Problem) {
	// The document keeps the tree's strings and offsets, never its nodes:
	// the tree is lent, and its memory goes to the next document.
	p := &parser{kind: kind, opts: opts}
	var doc *Document
	err := jsonx.Visit(raw, jsonx.Limits{MaxBytes: limit, MaxDepth: maxDepth}, func(root *jsonx.Node) {
		doc = p.document(raw, root)
	})
	if err != nil {
		return nil, []Problem{jsonProblem(err, kind)}
	}
	return doc, p.problems
}

func jsonProblem(err error, kind Kind) Problem {
	var le *jsonx.LimitError
	var de *jsonx.DuplicateKeyError
	var se *jsonx.SyntaxError
	switch {
	case errors.As(err, &le) && le.What == "size":
		return Problem{Message: fmt.Sprintf("document is %d bytes; a %s may be at most %d bytes", le.Actual, kind, le.Limit)}
	case errors.As(err, &le):
		return Problem{Message: fmt.Sprintf("document is nested more than %d levels deep; the policy grammar never needs that", le.Limit)}
	case errors.As(err, &de):
		return Problem{Field: de.Path, Message: fmt.Sprintf("duplicate key %q (line %d, column %d); each element may appear once", de.Key, de.Line, de.Column)}
	case errors.As(err, &se):
		return Problem{Message: "not valid JSON: " + se.Error()}
	}
	return Problem{Message: "not valid JSON: " + err.Error()}
}

type parser struct {
	kind     Kind
	opts     Options
	problems []Problem
}

// MaxProblems bounds the problems one document reports: past it, one more
// problem says the list was cut (a hostile document must not cost memory
// in proportion to its mistakes).
const MaxProblems = 100

// full reports whether the problem list is cut: a new problem is dropped.
func (p *parser) full() bool { return len(p.problems) > MaxProblems }

// addf records a problem at f (nil for the document as a whole). The
// field's name is rendered here, once a problem needs it.
func (p *parser) addf(f *field, format string, args ...any) {
	switch {
	case len(p.problems) < MaxProblems:
		p.problems = append(p.problems, Problem{Field: f.String(), Message: fmt.Sprintf(format, args...)})
	case len(p.problems) == MaxProblems:
		p.problems = append(p.problems, Problem{Message: fmt.Sprintf("more than %d problems; the rest are not listed", MaxProblems)})
	}
}

// field is where a value sits in the document: a member of its parent
// (or of the document, when parent is nil) or an item of its parent
// array. Fields live on the parser's stack and are rendered as text
// ("Statement[1].Principal.AWS[0]") only when a problem names one, so a
// valid document costs no field names at all.
type field struct {
	parent *field
	key    string
	index  int
	item   bool
}

// member is the field of the member key of the value at f.
func (f *field) member(key string) field { return field{parent: f, key: key} }

// itemAt is the field of item i of the array at f.
func (f *field) itemAt(i int) field { return field{parent: f, index: i, item: true} }

// maxFieldDepth is the most steps a field has: the grammar goes no deeper
// than Statement[i].Condition.operator.key[j], and the JSON parser stops
// at maxDepth.
const maxFieldDepth = maxDepth + 1

// String renders f: member keys joined by dots, items as [i]; "" for nil.
func (f *field) String() string {
	var steps [maxFieldDepth]*field
	n := 0
	for s := f; s != nil && n < len(steps); s = s.parent {
		steps[n] = s
		n++
	}
	var b strings.Builder
	for i := n - 1; i >= 0; i-- {
		s := steps[i]
		switch {
		case s.item:
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.index))
			b.WriteByte(']')
		case i < n-1:
			b.WriteByte('.')
			b.WriteString(s.key)
		default:
			b.WriteString(s.key)
		}
	}
	return b.String()
}

func (p *parser) document(raw string, root *jsonx.Node) *Document {
	if root.Kind != jsonx.Object {
		p.addf(nil, "document must be a JSON object, found %s", root.Kind)
		return nil
	}
	doc := &Document{Raw: raw, Kind: p.kind, End: root.End}
	var stmts *jsonx.Node
	for _, m := range root.Members {
		f := field{key: m.Key}
		switch m.Key {
		case "Version":
			doc.HasVersion = true
			if m.Value.Kind != jsonx.String {
				p.addf(&f, "must be a string, found %s", m.Value.Kind)
				continue
			}
			doc.Version = m.Value.Str
			if doc.Version != Version2012 && doc.Version != Version2008 {
				p.addf(&f, "%q is not a policy language version; use %q", doc.Version, Version2012)
			}
		case "Id":
			if m.Value.Kind != jsonx.String {
				p.addf(&f, "must be a string, found %s", m.Value.Kind)
			}
		case "Statement":
			stmts = m.Value
		default:
			p.addf(&f, "unknown element %q; a policy has only Version, Id and Statement", m.Key)
		}
	}
	statement := field{key: "Statement"}
	if stmts == nil {
		p.addf(&statement, "missing; a policy needs at least one statement")
		return doc
	}
	doc.StatementStart, doc.StatementEnd = stmts.Start, stmts.End
	switch stmts.Kind {
	case jsonx.Object:
		doc.Statements = []*Statement{p.statement(new(Statement), 0, &statement, stmts)}
	case jsonx.Array:
		doc.StatementIsArray = true
		if len(stmts.Items) == 0 {
			p.addf(&statement, "empty; a policy needs at least one statement")
		}
		// The statements are carved from one slab: one allocation for a
		// document, not one for each of its statements.
		slab := make([]Statement, len(stmts.Items))
		doc.Statements = make([]*Statement, 0, len(stmts.Items))
		for i, it := range stmts.Items {
			f := statement.itemAt(i)
			if it.Kind != jsonx.Object {
				p.addf(&f, "must be an object, found %s", it.Kind)
				continue
			}
			doc.Statements = append(doc.Statements, p.statement(&slab[i], i, &f, it))
		}
		if len(doc.Statements) == 0 {
			doc.Statements = nil
		}
	default:
		p.addf(&statement, "must be an object or an array of objects, found %s", stmts.Kind)
	}
	p.checkSids(doc)
	return doc
}

func (p *parser) checkSids(doc *Document) {
	if len(doc.Statements) < 2 {
		return
	}
	seen := make(map[string]int, len(doc.Statements))
	for _, s := range doc.Statements {
		if !s.HasSid || s.Sid == "" {
			continue
		}
		if prev, dup := seen[s.Sid]; dup {
			statement := field{key: "Statement"}
			stmt := statement.itemAt(s.Index)
			f := stmt.member("Sid")
			p.addf(&f, "Sid %q is already used by Statement[%d]; Sids must be unique", s.Sid, prev)
			continue
		}
		seen[s.Sid] = s.Index
	}
}

// statement reads n, the statement at index, into s and returns s.
func (p *parser) statement(s *Statement, index int, at *field, n *jsonx.Node) *Statement {
	*s = Statement{Index: index, Start: n.Start, End: n.End}
	var hasEffect, hasAction, hasResource, hasPrincipal, hasNotPrincipal bool
	for _, m := range n.Members {
		f := at.member(m.Key)
		switch m.Key {
		case "Sid":
			s.HasSid = true
			if m.Value.Kind != jsonx.String {
				p.addf(&f, "must be a string, found %s", m.Value.Kind)
				continue
			}
			s.Sid = m.Value.Str
		case "Effect":
			hasEffect = true
			if m.Value.Kind != jsonx.String || (m.Value.Str != string(Allow) && m.Value.Str != string(Deny)) {
				p.addf(&f, "must be \"Allow\" or \"Deny\", found %s", describe(m.Value))
				continue
			}
			s.Effect = Effect(m.Value.Str)
		case "Principal":
			hasPrincipal = true
			s.Principal = p.principal(&f, m.Value)
		case "NotPrincipal":
			hasNotPrincipal = true
			s.NotPrincipal = p.principal(&f, m.Value)
		case "Action":
			hasAction = true
			s.Action = p.actions(&f, m.Value)
		case "NotAction":
			hasAction = true
			s.HasNotAction = true
			s.NotAction = p.actions(&f, m.Value)
		case "Resource":
			hasResource = true
			s.Resource = p.strings(&f, m.Value)
		case "NotResource":
			hasResource = true
			s.HasNotResource = true
			s.NotResource = p.strings(&f, m.Value)
		case "Condition":
			s.Conditions = p.conditions(&f, m.Value)
		default:
			p.addf(&f, "unknown element %q; a statement has Sid, Effect, Principal, NotPrincipal, Action, NotAction, Resource, NotResource and Condition", m.Key)
		}
	}
	if !hasEffect {
		p.addf(at, "missing Effect")
	}
	if n.Get("Action") != nil && n.Get("NotAction") != nil {
		p.addf(at, "has both Action and NotAction; use exactly one")
	} else if !hasAction {
		p.addf(at, "missing Action (or NotAction)")
	}
	if n.Get("Resource") != nil && n.Get("NotResource") != nil {
		p.addf(at, "has both Resource and NotResource; use exactly one")
	}
	if hasPrincipal && hasNotPrincipal {
		p.addf(at, "has both Principal and NotPrincipal; use exactly one")
	}
	p.kindRules(at, s, hasResource, hasPrincipal, hasNotPrincipal)
	return s
}

// kindRules checks what the document's kind asks of every statement.
func (p *parser) kindRules(at *field, s *Statement, hasResource, hasPrincipal, hasNotPrincipal bool) {
	switch p.kind {
	case IdentityPolicy:
		if hasPrincipal || hasNotPrincipal {
			p.addf(at, "an identity policy must not name a Principal or NotPrincipal")
		}
		if !hasResource {
			p.addf(at, "missing Resource (or NotResource)")
		}
	case ResourcePolicy:
		if !hasPrincipal && !hasNotPrincipal {
			p.addf(at, "missing Principal (or NotPrincipal); a resource policy must say whom it applies to")
		}
		if !hasResource {
			p.addf(at, "missing Resource (or NotResource)")
		}
	case TrustPolicy:
		if hasNotPrincipal {
			p.addf(at, "a role trust policy must not use NotPrincipal")
		}
		if !hasPrincipal && !hasNotPrincipal {
			p.addf(at, "missing Principal; a trust policy must say who may assume the role")
		}
		if hasResource {
			p.addf(at, "a role trust policy must not name a Resource")
		}
		if s.Principal != nil && s.Principal.Wildcard {
			f := at.member("Principal")
			p.addf(&f, "a role trust policy does not accept the string form \"*\"; use {\"AWS\": \"<account or role ARN>\"}")
		}
	}
}

func describe(n *jsonx.Node) string {
	if n.Kind == jsonx.String {
		return fmt.Sprintf("%q", n.Str)
	}
	return n.Kind.String()
}

// strings reads a string or a non-empty array of strings (rule A2). Its
// values are the valid elements: an element that is not a string, or is
// empty, is a problem and left out.
func (p *parser) strings(at *field, n *jsonx.Node) []string {
	switch n.Kind {
	case jsonx.String:
		if n.Str == "" {
			p.addf(at, "must not be empty")
			return nil
		}
		return []string{n.Str}
	case jsonx.Array:
		if len(n.Items) == 0 {
			p.addf(at, "must not be an empty array")
			return nil
		}
		vals := make([]string, 0, len(n.Items))
		for i, it := range n.Items {
			switch {
			case listed(it):
				vals = append(vals, it.Str)
			case it.Kind != jsonx.String:
				f := at.itemAt(i)
				p.addf(&f, "must be a string, found %s", it.Kind)
			default:
				f := at.itemAt(i)
				p.addf(&f, "must not be empty")
			}
		}
		return vals
	}
	p.addf(at, "must be a string or an array of strings, found %s", n.Kind)
	return nil
}

// listed reports whether strings keeps the array element: a non-empty
// string.
func listed(it *jsonx.Node) bool { return it.Kind == jsonx.String && it.Str != "" }

// valueField is the field of the i-th value strings returned for n: n
// itself when it is a string, else the i-th valid item of the array, so
// a later problem names the element it is about even when elements
// before it were left out as invalid.
func valueField(at *field, n *jsonx.Node, i int) field {
	if n.Kind != jsonx.Array {
		return *at
	}
	for j, it := range n.Items {
		if !listed(it) {
			continue
		}
		if i == 0 {
			return at.itemAt(j)
		}
		i--
	}
	return *at // not reached: i indexes a value strings returned
}

func (p *parser) actions(at *field, n *jsonx.Node) []string {
	acts := p.strings(at, n)
	for i, a := range acts {
		if !isActionName(a) && !p.full() {
			f := valueField(at, n, i)
			p.addf(&f, "%q is not an action; write service:Action, e.g. \"s3:GetObject\"", a)
		}
	}
	return acts
}

// isActionName reports whether a is "*" or service:Action, with text on
// both sides of the colon.
func isActionName(a string) bool {
	c := strings.IndexByte(a, ':')
	return a == "*" || c > 0 && c < len(a)-1
}

func (p *parser) principal(at *field, n *jsonx.Node) *Principal {
	pr := &Principal{}
	switch n.Kind {
	case jsonx.String:
		if n.Str != "*" {
			p.addf(at, "the string form only accepts \"*\"; name principals as {\"AWS\": %q}", n.Str)
			return pr
		}
		pr.Wildcard = true
		return pr
	case jsonx.Object:
	default:
		p.addf(at, "must be \"*\" or an object, found %s", n.Kind)
		return pr
	}
	if len(n.Members) == 0 {
		p.addf(at, "must name at least one principal")
	}
	for _, m := range n.Members {
		f := at.member(m.Key)
		vals := p.strings(&f, m.Value)
		switch m.Key {
		case "AWS":
			pr.AWS = vals
			for i, v := range vals {
				if format := awsPrincipalProblem(v); format != "" && !p.full() {
					vf := valueField(&f, m.Value, i)
					p.addf(&vf, format, v)
				}
			}
		case "Service":
			pr.Service = vals
			p.noWildcards(&f, m.Value, vals)
		case "Federated":
			pr.Federated = vals
			p.noWildcards(&f, m.Value, vals)
		case "CanonicalUser":
			if !p.opts.AllowCanonicalUser {
				p.addf(&f, "CanonicalUser principals exist only in S3 policies")
			}
			pr.CanonicalUser = vals
			p.noWildcards(&f, m.Value, vals)
		default:
			p.addf(&f, "unknown principal type %q; use AWS, Service, Federated or CanonicalUser", m.Key)
		}
	}
	return pr
}

// awsPrincipalProblem says what is wrong with v as an AWS principal, as a
// format for v, or "" when it is "*", a 12-digit account ID or an IAM or
// STS principal ARN.
func awsPrincipalProblem(v string) string {
	switch {
	case v == "*":
	case hasWildcard(v):
		return "%q: a principal cannot contain a partial wildcard; name the account or role exactly, or use \"*\" with a condition"
	case IsAccountID(v), isPrincipalARN(v):
	default:
		return "%q is neither a 12-digit account ID nor an IAM or STS principal ARN"
	}
	return ""
}

func (p *parser) noWildcards(at *field, n *jsonx.Node, vals []string) {
	for i, v := range vals {
		if hasWildcard(v) && !p.full() {
			f := valueField(at, n, i)
			p.addf(&f, "%q: wildcards are not supported in this principal type", v)
		}
	}
}

func (p *parser) conditions(at *field, n *jsonx.Node) []Condition {
	if n.Kind != jsonx.Object {
		p.addf(at, "must be an object of operators, found %s", n.Kind)
		return nil
	}
	var out []Condition
	if keys := conditionKeys(n); keys > 0 {
		out = make([]Condition, 0, keys)
	}
	var ops caseTwins
	for oi, om := range n.Members {
		of := at.member(om.Key)
		op, ok := ParseOperator(om.Key)
		if !ok {
			p.addf(&of, "unknown condition operator %q", om.Key)
			continue
		}
		if prev, dup := ops.of(n.Members[:oi], om.Key, isOperator); dup {
			p.addf(&of, "operator %q repeats %q with different case", om.Key, prev)
		}
		if om.Value.Kind != jsonx.Object {
			p.addf(&of, "must be an object of condition keys, found %s", om.Value.Kind)
			continue
		}
		if len(om.Value.Members) == 0 {
			p.addf(&of, "must name at least one condition key")
		}
		var keys caseTwins
		for ki, km := range om.Value.Members {
			kf := of.member(km.Key)
			if prev, dup := keys.of(om.Value.Members[:ki], km.Key, nil); dup {
				p.addf(&kf, "condition key %q repeats %q with different case; keys are case-insensitive", km.Key, prev)
			}
			out = append(out, Condition{Operator: om.Key, Op: op, Key: km.Key, Values: p.conditionValues(&kf, km.Value)})
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// conditionKeys counts the condition keys of a Condition block.
func conditionKeys(n *jsonx.Node) int {
	keys := 0
	for _, om := range n.Members {
		if om.Value.Kind == jsonx.Object {
			keys += len(om.Value.Members)
		}
	}
	return keys
}

// isOperator reports whether s is a condition operator.
func isOperator(s string) bool {
	_, ok := ParseOperator(s)
	return ok
}

// caseTwins finds the keys of one object that equal an earlier key's when
// both are lowercased (strings.ToLower): keys that differ only in case
// (the JSON parser rejects exact duplicates). It scans the earlier keys
// while they are few, and keeps them in a map once there are many, so a
// hostile object of many keys costs linear time.
type caseTwins struct {
	byLower map[string]string // lowered key → the last key so lowered
}

// caseScanMax is the number of earlier keys up to which they are scanned.
const caseScanMax = 16

// of returns the last of the keys before key that counts (counts nil:
// every key) and equals key lowercased, if any. It is called for each
// key of the object that counts, in order, with the members before it.
func (c *caseTwins) of(before []jsonx.Member, key string, counts func(string) bool) (string, bool) {
	if c.byLower == nil && len(before) < caseScanMax {
		for i := len(before) - 1; i >= 0; i-- {
			if k := before[i].Key; sameLower(k, key) && (counts == nil || counts(k)) {
				return k, true
			}
		}
		return "", false
	}
	if c.byLower == nil {
		c.byLower = make(map[string]string, 2*len(before))
		for _, m := range before {
			if counts == nil || counts(m.Key) {
				c.byLower[strings.ToLower(m.Key)] = m.Key
			}
		}
	}
	lower := strings.ToLower(key)
	prev, ok := c.byLower[lower]
	c.byLower[lower] = key
	return prev, ok
}

// sameLower reports whether strings.ToLower(a) == strings.ToLower(b),
// without lowercasing ASCII text into new strings.
func sameLower(a, b string) bool {
	if !isASCII(a) || !isASCII(b) {
		// Not strings.EqualFold, which folds more (ſ and s are one to
		// it, not to ToLower): keys are twins when they lowercase alike.
		return strings.ToLower(a) == strings.ToLower(b) //nolint:staticcheck // SA6005: the comparison is ToLower's on purpose
	}
	return len(a) == len(b) && hasPrefixFoldASCII(a, b)
}

// conditionValues accepts strings, booleans and numbers (IAM accepts the
// JSON literals true/false and numbers as their text), or an array of them.
func (p *parser) conditionValues(at *field, n *jsonx.Node) []string {
	if n.Kind != jsonx.Array {
		if s, ok := p.conditionScalar(at, n); ok {
			return []string{s}
		}
		return nil
	}
	if len(n.Items) == 0 {
		p.addf(at, "must not be an empty array")
	}
	out := make([]string, 0, len(n.Items))
	for i, it := range n.Items {
		f := at.itemAt(i)
		if s, ok := p.conditionScalar(&f, it); ok {
			out = append(out, s)
		}
	}
	return out
}

// conditionScalar is the text of one condition value.
func (p *parser) conditionScalar(at *field, v *jsonx.Node) (string, bool) {
	switch v.Kind {
	case jsonx.String, jsonx.Number:
		return v.Str, true
	case jsonx.Bool:
		if v.Bool {
			return "true", true
		}
		return "false", true
	}
	p.addf(at, "must be a string, number or boolean, found %s", v.Kind)
	return "", false
}
