package policy

import (
	"errors"
	"fmt"
	"regexp"
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

var (
	accountIDRe = regexp.MustCompile(`^[0-9]{12}$`)
	// arn:partition:service:region:account:resource
	principalARNRe = regexp.MustCompile(`^arn:aws[a-zA-Z-]*:(iam|sts)::([0-9]{12}|aws|cloudfront):.+$`)
)

// Parse parses raw as a document of the given kind. It returns the
// document (nil when the text is not JSON or not an object) and every
// grammar problem found. A document with problems must not be judged as
// compliant.
func Parse(raw string, kind Kind, opts Options) (*Document, []Problem) {
	limit := opts.MaxBytes
	if limit == 0 {
		limit = MaxBucketPolicyBytes
	}
	root, err := jsonx.Parse([]byte(raw), jsonx.Limits{MaxBytes: limit, MaxDepth: maxDepth})
	if err != nil {
		return nil, []Problem{jsonProblem(err, kind)}
	}
	p := &parser{kind: kind, opts: opts}
	doc := p.document(raw, root)
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

func (p *parser) addf(field, format string, args ...any) {
	switch {
	case len(p.problems) < MaxProblems:
		p.problems = append(p.problems, Problem{Field: field, Message: fmt.Sprintf(format, args...)})
	case len(p.problems) == MaxProblems:
		p.problems = append(p.problems, Problem{Message: fmt.Sprintf("more than %d problems; the rest are not listed", MaxProblems)})
	}
}

func (p *parser) document(raw string, root *jsonx.Node) *Document {
	if root.Kind != jsonx.Object {
		p.addf("", "document must be a JSON object, found %s", root.Kind)
		return nil
	}
	doc := &Document{Raw: raw, Kind: p.kind, End: root.End}
	var stmts *jsonx.Node
	for _, m := range root.Members {
		switch m.Key {
		case "Version":
			doc.HasVersion = true
			if m.Value.Kind != jsonx.String {
				p.addf("Version", "must be a string, found %s", m.Value.Kind)
				continue
			}
			doc.Version = m.Value.Str
			if doc.Version != Version2012 && doc.Version != Version2008 {
				p.addf("Version", "%q is not a policy language version; use %q", doc.Version, Version2012)
			}
		case "Id":
			if m.Value.Kind != jsonx.String {
				p.addf("Id", "must be a string, found %s", m.Value.Kind)
			}
		case "Statement":
			stmts = m.Value
		default:
			p.addf(m.Key, "unknown element %q; a policy has only Version, Id and Statement", m.Key)
		}
	}
	if stmts == nil {
		p.addf("Statement", "missing; a policy needs at least one statement")
		return doc
	}
	doc.StatementStart, doc.StatementEnd = stmts.Start, stmts.End
	switch stmts.Kind {
	case jsonx.Object:
		doc.Statements = append(doc.Statements, p.statement(0, "Statement", stmts))
	case jsonx.Array:
		doc.StatementIsArray = true
		if len(stmts.Items) == 0 {
			p.addf("Statement", "empty; a policy needs at least one statement")
		}
		for i, it := range stmts.Items {
			field := fmt.Sprintf("Statement[%d]", i)
			if it.Kind != jsonx.Object {
				p.addf(field, "must be an object, found %s", it.Kind)
				continue
			}
			doc.Statements = append(doc.Statements, p.statement(i, field, it))
		}
	default:
		p.addf("Statement", "must be an object or an array of objects, found %s", stmts.Kind)
	}
	p.checkSids(doc)
	return doc
}

func (p *parser) checkSids(doc *Document) {
	seen := make(map[string]int, len(doc.Statements))
	for _, s := range doc.Statements {
		if !s.HasSid || s.Sid == "" {
			continue
		}
		if prev, dup := seen[s.Sid]; dup {
			p.addf(fmt.Sprintf("Statement[%d].Sid", s.Index), "Sid %q is already used by Statement[%d]; Sids must be unique", s.Sid, prev)
			continue
		}
		seen[s.Sid] = s.Index
	}
}

func (p *parser) statement(index int, field string, n *jsonx.Node) *Statement {
	s := &Statement{Index: index, Start: n.Start, End: n.End}
	var hasEffect, hasAction, hasResource, hasPrincipal, hasNotPrincipal bool
	for _, m := range n.Members {
		f := field + "." + m.Key
		switch m.Key {
		case "Sid":
			s.HasSid = true
			if m.Value.Kind != jsonx.String {
				p.addf(f, "must be a string, found %s", m.Value.Kind)
				continue
			}
			s.Sid = m.Value.Str
		case "Effect":
			hasEffect = true
			if m.Value.Kind != jsonx.String || (m.Value.Str != string(Allow) && m.Value.Str != string(Deny)) {
				p.addf(f, "must be \"Allow\" or \"Deny\", found %s", describe(m.Value))
				continue
			}
			s.Effect = Effect(m.Value.Str)
		case "Principal":
			hasPrincipal = true
			s.Principal = p.principal(f, m.Value)
		case "NotPrincipal":
			hasNotPrincipal = true
			s.NotPrincipal = p.principal(f, m.Value)
		case "Action":
			hasAction = true
			s.Action = p.actions(f, m.Value)
		case "NotAction":
			hasAction = true
			s.HasNotAction = true
			s.NotAction = p.actions(f, m.Value)
		case "Resource":
			hasResource = true
			s.Resource = p.strings(f, m.Value)
		case "NotResource":
			hasResource = true
			s.HasNotResource = true
			s.NotResource = p.strings(f, m.Value)
		case "Condition":
			s.Conditions = p.conditions(f, m.Value)
		default:
			p.addf(f, "unknown element %q; a statement has Sid, Effect, Principal, NotPrincipal, Action, NotAction, Resource, NotResource and Condition", m.Key)
		}
	}
	if !hasEffect {
		p.addf(field, "missing Effect")
	}
	if n.Get("Action") != nil && n.Get("NotAction") != nil {
		p.addf(field, "has both Action and NotAction; use exactly one")
	} else if !hasAction {
		p.addf(field, "missing Action (or NotAction)")
	}
	if n.Get("Resource") != nil && n.Get("NotResource") != nil {
		p.addf(field, "has both Resource and NotResource; use exactly one")
	}
	if hasPrincipal && hasNotPrincipal {
		p.addf(field, "has both Principal and NotPrincipal; use exactly one")
	}
	switch p.kind {
	case IdentityPolicy:
		if hasPrincipal || hasNotPrincipal {
			p.addf(field, "an identity policy must not name a Principal or NotPrincipal")
		}
		if !hasResource {
			p.addf(field, "missing Resource (or NotResource)")
		}
	case ResourcePolicy:
		if !hasPrincipal && !hasNotPrincipal {
			p.addf(field, "missing Principal (or NotPrincipal); a resource policy must say whom it applies to")
		}
		if !hasResource {
			p.addf(field, "missing Resource (or NotResource)")
		}
	case TrustPolicy:
		if hasNotPrincipal {
			p.addf(field, "a role trust policy must not use NotPrincipal")
		}
		if !hasPrincipal && !hasNotPrincipal {
			p.addf(field, "missing Principal; a trust policy must say who may assume the role")
		}
		if hasResource {
			p.addf(field, "a role trust policy must not name a Resource")
		}
		if s.Principal != nil && s.Principal.Wildcard {
			p.addf(field+".Principal", "a role trust policy does not accept the string form \"*\"; use {\"AWS\": \"<account or role ARN>\"}")
		}
	}
	return s
}

func describe(n *jsonx.Node) string {
	if n.Kind == jsonx.String {
		return fmt.Sprintf("%q", n.Str)
	}
	return n.Kind.String()
}

// strings reads a string or a non-empty array of strings (rule A2).
func (p *parser) strings(field string, n *jsonx.Node) []string {
	vals, _ := p.stringsAt(field, n)
	return vals
}

// stringsAt is strings that also returns the field of each value, so that
// a later problem names the element it is about even when elements before
// it were skipped as invalid.
func (p *parser) stringsAt(field string, n *jsonx.Node) (vals, fields []string) {
	switch n.Kind {
	case jsonx.String:
		if n.Str == "" {
			p.addf(field, "must not be empty")
			return nil, nil
		}
		return []string{n.Str}, []string{field}
	case jsonx.Array:
		if len(n.Items) == 0 {
			p.addf(field, "must not be an empty array")
			return nil, nil
		}
		vals = make([]string, 0, len(n.Items))
		fields = make([]string, 0, len(n.Items))
		for i, it := range n.Items {
			f := fmt.Sprintf("%s[%d]", field, i)
			if it.Kind != jsonx.String {
				p.addf(f, "must be a string, found %s", it.Kind)
				continue
			}
			if it.Str == "" {
				p.addf(f, "must not be empty")
				continue
			}
			vals = append(vals, it.Str)
			fields = append(fields, f)
		}
		return vals, fields
	}
	p.addf(field, "must be a string or an array of strings, found %s", n.Kind)
	return nil, nil
}

func (p *parser) actions(field string, n *jsonx.Node) []string {
	acts, fields := p.stringsAt(field, n)
	for i, a := range acts {
		if a == "*" {
			continue
		}
		if c := strings.IndexByte(a, ':'); c <= 0 || c == len(a)-1 {
			p.addf(fields[i], "%q is not an action; write service:Action, e.g. \"s3:GetObject\"", a)
		}
	}
	return acts
}

func (p *parser) principal(field string, n *jsonx.Node) *Principal {
	pr := &Principal{}
	switch n.Kind {
	case jsonx.String:
		if n.Str != "*" {
			p.addf(field, "the string form only accepts \"*\"; name principals as {\"AWS\": %q}", n.Str)
			return pr
		}
		pr.Wildcard = true
		return pr
	case jsonx.Object:
	default:
		p.addf(field, "must be \"*\" or an object, found %s", n.Kind)
		return pr
	}
	if len(n.Members) == 0 {
		p.addf(field, "must name at least one principal")
	}
	for _, m := range n.Members {
		f := field + "." + m.Key
		vals, fields := p.stringsAt(f, m.Value)
		switch m.Key {
		case "AWS":
			pr.AWS = vals
			for i, v := range vals {
				p.checkAWSPrincipal(fields[i], v)
			}
		case "Service":
			pr.Service = vals
			p.noWildcards(fields, vals)
		case "Federated":
			pr.Federated = vals
			p.noWildcards(fields, vals)
		case "CanonicalUser":
			if !p.opts.AllowCanonicalUser {
				p.addf(f, "CanonicalUser principals exist only in S3 policies")
			}
			pr.CanonicalUser = vals
			p.noWildcards(fields, vals)
		default:
			p.addf(f, "unknown principal type %q; use AWS, Service, Federated or CanonicalUser", m.Key)
		}
	}
	return pr
}

func (p *parser) checkAWSPrincipal(field, v string) {
	switch {
	case v == "*":
	case hasWildcard(v):
		p.addf(field, "%q: a principal cannot contain a partial wildcard; name the account or role exactly, or use \"*\" with a condition", v)
	case accountIDRe.MatchString(v), principalARNRe.MatchString(v):
	default:
		p.addf(field, "%q is neither a 12-digit account ID nor an IAM or STS principal ARN", v)
	}
}

func (p *parser) noWildcards(fields, vals []string) {
	for i, v := range vals {
		if hasWildcard(v) {
			p.addf(fields[i], "%q: wildcards are not supported in this principal type", v)
		}
	}
}

func (p *parser) conditions(field string, n *jsonx.Node) []Condition {
	if n.Kind != jsonx.Object {
		p.addf(field, "must be an object of operators, found %s", n.Kind)
		return nil
	}
	var out []Condition
	seenOps := map[string]string{}
	for _, om := range n.Members {
		of := field + "." + om.Key
		op, ok := ParseOperator(om.Key)
		if !ok {
			p.addf(of, "unknown condition operator %q", om.Key)
			continue
		}
		if prev, dup := seenOps[strings.ToLower(om.Key)]; dup {
			p.addf(of, "operator %q repeats %q with different case", om.Key, prev)
		}
		seenOps[strings.ToLower(om.Key)] = om.Key
		if om.Value.Kind != jsonx.Object {
			p.addf(of, "must be an object of condition keys, found %s", om.Value.Kind)
			continue
		}
		if len(om.Value.Members) == 0 {
			p.addf(of, "must name at least one condition key")
		}
		seenKeys := map[string]string{}
		for _, km := range om.Value.Members {
			kf := of + "." + km.Key
			if prev, dup := seenKeys[strings.ToLower(km.Key)]; dup {
				p.addf(kf, "condition key %q repeats %q with different case; keys are case-insensitive", km.Key, prev)
			}
			seenKeys[strings.ToLower(km.Key)] = km.Key
			out = append(out, Condition{Operator: om.Key, Op: op, Key: km.Key, Values: p.conditionValues(kf, km.Value)})
		}
	}
	return out
}

// conditionValues accepts strings, booleans and numbers (IAM accepts the
// JSON literals true/false and numbers as their text), or an array of them.
func (p *parser) conditionValues(field string, n *jsonx.Node) []string {
	scalar := func(f string, v *jsonx.Node) (string, bool) {
		switch v.Kind {
		case jsonx.String, jsonx.Number:
			return v.Str, true
		case jsonx.Bool:
			if v.Bool {
				return "true", true
			}
			return "false", true
		}
		p.addf(f, "must be a string, number or boolean, found %s", v.Kind)
		return "", false
	}
	if n.Kind == jsonx.Array {
		if len(n.Items) == 0 {
			p.addf(field, "must not be an empty array")
		}
		out := make([]string, 0, len(n.Items))
		for i, it := range n.Items {
			if s, ok := scalar(fmt.Sprintf("%s[%d]", field, i), it); ok {
				out = append(out, s)
			}
		}
		return out
	}
	if s, ok := scalar(field, n); ok {
		return []string{s}
	}
	return nil
}
