package policy

import (
	"strings"
)

// The analyzer answers, for the set of identity documents attached to one
// identity, "which of these actions does it allow, on which resources,
// under which conditions" without an AWS action catalog (catalog §10.1 D-G):
//
//   - An Allow statement allows an action when the action matches one of
//     its Action patterns, or matches none of its NotAction patterns,
//     case-insensitively; '?' is a one-character wildcard in an Action
//     pattern, and a NotAction pattern holding one withholds nothing, as a
//     NotResource pattern holding one withholds nothing (D1-D3: both
//     over-approximate the grant).
//   - The answer is the union over every Allow statement of every document
//     (G1).
//   - A Deny subtracts only when it has no Condition, it surely matches the
//     action ('?' never subtracts, D2), and its resources cover the
//     Allow's resources (F3). A Deny that covers only some of an Allow's
//     resource patterns removes those patterns and leaves the rest.
//   - Resources live in the identity's partition: a Deny Resource or an
//     Allow NotResource that names another partition ("arn:aws-cn:iam::*:*"
//     in a commercial account) matches none of them, and neither subtracts
//     nor withholds anything.
//   - A policy variable "${...}" is a variable under Version 2012-10-17 and
//     literal text under a missing or 2008-10-17 Version (A6). A resource
//     pattern holding a variable is never "unconstrained" (the variable
//     names one value per request), and a Deny pattern holding a variable
//     never covers anything, nor, in a Deny's NotResource, leaves anything
//     surely covered (the variable may name the resource it spares).

// Source is one document of the set, with the name messages use for it.
type Source struct {
	// Name locates the document, e.g. `spec.inlinePolicies["admin"]` or
	// `Policy team-a/admin`.
	Name string
	Doc  *Document
	// URLEncoded is true when the text was URL-decoded before it was
	// parsed, as ACK decodes inline policies before applying them.
	URLEncoded bool
}

// Analysis is the analyzer's view of a set of documents.
type Analysis struct {
	Sources []Source
	allows  []entry
	denies  []entry
	// partition is the identity's AWS partition ("aws", "aws-cn", ...).
	partition string
}

type denyKey struct {
	text    string
	literal bool
}

// maxDenyPairs bounds the Allow×Deny comparisons of one Allowed call. Past
// it (only documents far beyond the IAM size quotas get there) Denies are
// not subtracted: the answer over-approximates, which keeps findings.
const maxDenyPairs = 1 << 16

type entry struct {
	src int
	st  *Statement
	// literal: policy variables are literal text in this document.
	literal bool
}

// Analyze prepares a set of documents of an identity in the aws
// partition. Sources without a document (text that did not parse) are
// kept for naming but contribute no statement.
func Analyze(sources ...Source) *Analysis {
	return AnalyzeIn("aws", sources...)
}

// AnalyzeIn is Analyze for an identity of the partition ("aws", "aws-cn",
// "aws-us-gov", ...): a Deny Resource or NotResource naming another
// partition covers nothing of the identity's resources.
func AnalyzeIn(partition string, sources ...Source) *Analysis {
	a := &Analysis{Sources: sources, partition: partition}
	seen := map[denyKey]bool{}
	for i, src := range sources {
		if src.Doc == nil {
			continue
		}
		lit := src.Doc.VariablesAreLiteral()
		for _, s := range src.Doc.Statements {
			switch {
			case s.Effect == Allow:
				a.allows = append(a.allows, entry{i, s, lit})
			case s.Effect == Deny && len(s.Conditions) == 0:
				// Only unconditional Denies ever subtract (F3). The same
				// Deny twice subtracts nothing more.
				k := denyKey{src.Doc.Raw[s.Start:s.End], lit}
				if seen[k] {
					continue
				}
				seen[k] = true
				a.denies = append(a.denies, entry{i, s, lit})
			}
		}
	}
	return a
}

// Grant is one Allow statement's grant of one action that no Deny fully
// removes.
type Grant struct {
	Source    *Source
	Statement *Statement
	// Action is the action asked about.
	Action string
	// Resources are the statement's Resource patterns still granted after
	// the Denies; empty when the statement uses NotResource.
	Resources []string
	// NotResource is true when the statement grants every resource except
	// its NotResource patterns.
	NotResource bool
	// Literal is true when policy variables are literal text in the
	// statement's document.
	Literal bool
}

// Allowed returns every grant of the concrete action, in document and
// statement order.
func (a *Analysis) Allowed(action string) []Grant {
	var out []Grant
	a.grants(action, func(g Grant) bool {
		out = append(out, g)
		return true
	})
	return out
}

// FirstAllowed returns the first grant of Allowed(action) that keep
// accepts, without collecting the others.
func (a *Analysis) FirstAllowed(action string, keep func(Grant) bool) (Grant, bool) {
	var first Grant
	found := false
	a.grants(action, func(g Grant) bool {
		if keep(g) {
			first, found = g, true
			return false
		}
		return true
	})
	return first, found
}

// grants calls yield with each grant of the concrete action, in document
// and statement order, until yield returns false.
func (a *Analysis) grants(action string, yield func(Grant) bool) {
	svc := Service(action)
	var denies []entry
	for _, d := range a.denies {
		if d.st.CoversAction(action) {
			denies = append(denies, d)
		}
	}
	pairs := 0
	for _, al := range a.allows {
		s := al.st
		if !s.AllowsAction(action) {
			continue
		}
		g := Grant{Source: &a.Sources[al.src], Statement: s, Action: action, Literal: al.literal}
		if s.HasNotResource {
			if notResourceExcludesService(s.NotResource, svc, a.partition) {
				continue
			}
			g.NotResource = true
		} else {
			g.Resources = s.Resource
		}
		pairs += len(denies)
		if pairs <= maxDenyPairs && subtract(&g, svc, denies, a.partition) {
			continue
		}
		if !yield(g) {
			return
		}
	}
}

// DeniesEverywhere reports whether an unconditional Deny of the set
// removes every action the pattern may name on every resource, so that an
// Allow of the pattern grants nothing (F3). Only a Deny on Resource "*"
// does: actions that take no resource (iam:UpdateAccountPasswordPolicy,
// iam:CreateAccountAlias) are evaluated against "*", which no ARN pattern,
// not even arn:aws:iam::*:*, matches.
func (a *Analysis) DeniesEverywhere(pattern string) bool {
	for _, d := range a.denies {
		if !d.st.coversPattern(pattern) || d.st.HasNotResource {
			continue
		}
		for _, q := range d.st.Resource {
			if q != "" && strings.Trim(q, "*") == "" {
				return true
			}
		}
	}
	return false
}

// notResourceExcludesService reports whether a NotResource element leaves
// nothing of the service to grant in the partition.
func notResourceExcludesService(patterns []string, svc, partition string) bool {
	return coversService(patterns, svc, func(q string) bool { return !otherPartition(q, partition) })
}

// otherPartition reports whether a resource pattern names a partition
// other than the given one ("arn:aws-cn:..." for "aws"): it matches no
// resource of the identity.
func otherPartition(q, partition string) bool {
	rest, ok := strings.CutPrefix(q, "arn:")
	if !ok {
		return false
	}
	part, _, ok := strings.Cut(rest, ":")
	return ok && !hasWildcard(part) && !hasVariable(part) && part != partition
}

// subtract applies the unconditional Denies that cover g's action to g,
// removing the resource patterns they cover; it reports whether nothing is
// left.
func subtract(g *Grant, svc string, denies []entry, partition string) bool {
	for _, d := range denies {
		if g.NotResource {
			if denyCoversService(d, svc, partition) {
				return true
			}
			continue
		}
		var kept []string
		for _, p := range g.Resources {
			if !denyCovers(d, p, svc, partition) {
				kept = append(kept, p)
			}
		}
		if len(kept) == 0 {
			return true
		}
		g.Resources = kept
	}
	return false
}

// denyCoversService reports whether a Deny's resources cover every
// resource of the service in the partition.
func denyCoversService(d entry, svc, partition string) bool {
	if d.st.HasNotResource {
		return false
	}
	return coversService(d.st.Resource, svc, func(q string) bool { return usableDenyPattern(q, d.literal, partition) })
}

// denyCovers reports whether a Deny's resources surely cover every
// resource an Allow's pattern p may name in the partition.
func denyCovers(d entry, p, svc, partition string) bool {
	if denyCoversService(d, svc, partition) {
		return true
	}
	if d.st.HasNotResource {
		// The Deny spares what its NotResource names: it covers p only if
		// none of those patterns could name a resource p does. A variable
		// may stand for any text (it names the caller's own account, user
		// or tag), so a pattern holding one may spare p's resources.
		for _, q := range d.st.NotResource {
			if ResolvesVariable(q, d.literal) || GlobsIntersect(q, p) {
				return false
			}
		}
		return true
	}
	for _, q := range d.st.Resource {
		// A '*' in p can only be matched by a '*' in q, so a match means q
		// covers every ARN p describes.
		if usableDenyPattern(q, d.literal, partition) && MatchGlob(q, p, false) {
			return true
		}
	}
	return false
}

func usableDenyPattern(q string, literal bool, partition string) bool {
	return !strings.Contains(q, "?") && !ResolvesVariable(q, literal) && !otherPartition(q, partition)
}

// Unconstrained reports whether the grant covers every resource of the
// action's service: Resource "*" or an equivalent (E1), or NotResource
// (E1: "Allow with NotResource" grants everything not listed).
func (g Grant) Unconstrained() bool {
	if g.NotResource {
		return true
	}
	svc := Service(g.Action)
	for _, p := range g.Resources {
		if UnconstrainedFor(p, svc) {
			return true
		}
	}
	return false
}

// TypeWide is Unconstrained that also counts a wildcard over every
// instance of a resource type ("arn:aws:iam::*:role/*", E2).
func (g Grant) TypeWide() bool {
	if g.NotResource {
		return true
	}
	svc := Service(g.Action)
	for _, p := range g.Resources {
		if TypeWide(p, svc) {
			return true
		}
	}
	return false
}

// WideResources returns the resource patterns that make the grant wide
// (for messages): the unconstrained ones, or also the type-wide ones when
// typeWide is set; for NotResource, the NotResource patterns.
func (g Grant) WideResources(typeWide bool) []string {
	if g.NotResource {
		return g.Statement.NotResource
	}
	svc := Service(g.Action)
	var out []string
	for _, p := range g.Resources {
		if UnconstrainedFor(p, svc) || typeWide && TypeWide(p, svc) {
			out = append(out, p)
		}
	}
	return out
}

// Constraining reports whether the condition can make its statement not
// apply: it is false when its key is absent. …IfExists, ForAllValues: and
// negated operators are true when the key is absent (rule C3), so they
// constrain nothing on a request that does not carry the key.
func (c Condition) Constraining() bool {
	if c.Op.IfExists || c.Op.ForAllValue || c.Op.Negated {
		return false
	}
	if c.Op.Base == "Null" {
		// Null:false requires the key; Null:true requires its absence.
		return len(c.Values) > 0
	}
	for _, v := range c.Values {
		if strings.Trim(v, "*") == "" && (c.Op.Base == "StringLike" || c.Op.Base == "ArnLike" || c.Op.Base == "ArnEquals") {
			return false // a bare "*" under a Like operator matches any present value; the key need only exist
		}
	}
	return len(c.Values) > 0
}

// Conditional reports whether the statement carries a condition that can
// keep it from applying (see Constraining).
func (s *Statement) Conditional() bool {
	for _, c := range s.Conditions {
		if c.Constraining() {
			return true
		}
	}
	return false
}

// ConditionsOn returns the statement's conditions on key (case-insensitive,
// rule F4).
func (s *Statement) ConditionsOn(key string) []Condition {
	var out []Condition
	for _, c := range s.Conditions {
		if c.KeyIs(key) {
			out = append(out, c)
		}
	}
	return out
}

// CoversAllActions reports whether an Action pattern of an Allow matches
// every action ("*", "*:*", "?*:*": a run of wildcards with a '*' takes
// any part of a name, rule D2); a '?' alone never counts.
func CoversAllActions(pattern string) bool {
	pattern = starRuns(pattern)
	return !strings.Contains(pattern, "?") && MatchGlob(pattern, "*:*", true)
}

// ServicesWildcard returns the lower-cased service part of a pattern that
// matches every action of each service it names with a wildcard ("i*:*",
// "s?s:*"), or "": a named service is ServiceWildcard's, and "*:*" every
// action (CoversAllActions).
func ServicesWildcard(pattern string) string {
	svc := wholeServices(pattern)
	if !hasWildcard(svc) || strings.Trim(svc, "*") == "" {
		return ""
	}
	return svc
}

// ServiceWildcard returns the service of a pattern that matches every
// action of one service ("s3:*", "IAM:**"), or "".
func ServiceWildcard(pattern string) string {
	if svc := wholeServices(pattern); !hasWildcard(svc) {
		return svc
	}
	return ""
}

// wholeServices returns the lower-cased service part of a pattern whose
// action name is wildcards alone with a '*' among them ("s3:*", "i*:**",
// "s3:?*"), or "".
func wholeServices(pattern string) string {
	svc, name, ok := strings.Cut(starRuns(pattern), ":")
	if !ok || svc == "" || name == "" || strings.Trim(name, "*") != "" {
		return ""
	}
	return strings.ToLower(svc)
}
