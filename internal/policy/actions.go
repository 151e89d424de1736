package policy

import "strings"

// AllowsAction reports whether the statement's action element covers the
// concrete action name (rule D3): it matches an Action pattern, or it
// matches no NotAction pattern. It ignores Effect, Resource and Condition.
// It over-approximates, as an Allow's grant must (rule D2): '?' counts as a
// single-character wildcard in an Action pattern, and a NotAction pattern
// holding a '?' never withholds an action (as a NotResource pattern holding
// one never withholds a resource). Use CoversAction when a match would
// subtract (a Deny), so that the answer stays an under-approximation, and
// AppliesToAction to read a statement as AWS applies it.
func (s *Statement) AllowsAction(action string) bool { return s.appliesTo(action, false) }

// AppliesToAction reports whether the statement's action element applies
// to the concrete action name as AWS reads it: '?' is a single-character
// wildcard in Action and NotAction patterns alike (rules D1-D3).
func (s *Statement) AppliesToAction(action string) bool { return s.appliesTo(action, true) }

// appliesTo is AppliesToAction, but for NotAction patterns holding a '?',
// which withhold the action only when notActionQuestion is true.
func (s *Statement) appliesTo(action string, notActionQuestion bool) bool {
	if s.HasNotAction {
		for _, p := range s.NotAction {
			if (notActionQuestion || strings.IndexByte(p, '?') < 0) && MatchGlob(p, action, true) {
				return false
			}
		}
		return true
	}
	for _, p := range s.Action {
		if MatchGlob(p, action, true) {
			return true
		}
	}
	return false
}

// CoversAction is AllowsAction for subtraction: a Deny covers an action
// only if a pattern surely matches it, so '?' is not a wildcard here
// (rule D2), and a NotAction Deny covers an action no NotAction pattern
// could match even with '?' as a wildcard.
func (s *Statement) CoversAction(action string) bool {
	if s.HasNotAction {
		return s.AppliesToAction(action)
	}
	return coversAll(false, s.Action, action, true)
}

// coversPattern is CoversAction for an action pattern: a Deny covers every
// action the pattern may name ("iam:*" covers "iam:Create*"; a NotAction
// Deny only when none of its NotAction patterns could name one of them).
func (s *Statement) coversPattern(p string) bool {
	if s.HasNotAction {
		return coversAll(true, s.NotAction, p, true)
	}
	return coversAll(false, s.Action, p, true)
}

// coversAll reports whether the patterns of an element surely name every
// string the target pattern may: one of them matches it, '?' never
// covering (a '*' or '?' in the target is matched only by a '*' in a
// pattern, as MatchGlob compares other characters exactly); for a Not
// element, none of its patterns could overlap the target (GlobsIntersect
// case-folds: it over-approximates overlap, the safe side here). fold
// compares case-insensitively (action names) or exactly (ARNs, rule E3).
func coversAll(not bool, patterns []string, target string, fold bool) bool {
	if not {
		for _, q := range patterns {
			if GlobsIntersect(q, target) {
				return false
			}
		}
		return true
	}
	for _, q := range patterns {
		if !strings.Contains(q, "?") && MatchGlob(q, target, fold) {
			return true
		}
	}
	return false
}

// ActionFamily is a set of actions a rule cares about: glob patterns that
// describe the family (for Action elements, where pattern intersection is
// exact) and concrete members (for NotAction elements, where "everything
// but" is judged on the known members).
type ActionFamily struct {
	Globs   []string
	Members []string
}

// AllowedFrom returns the actions or patterns of the family that the
// statement's action element may allow, in a stable order, for messages.
// For an Action element these are the statement's own patterns that
// intersect the family; for NotAction, the family members not excluded.
func (s *Statement) AllowedFrom(f ActionFamily) []string {
	var out []string
	if s.HasNotAction {
		for _, m := range f.Members {
			if s.AllowsAction(m) {
				out = append(out, m)
			}
		}
		return out
	}
	for _, p := range s.Action {
		// The action is read once, not again for each of the family's
		// patterns.
		action := readGlob(p)
		for _, g := range f.Globs {
			if globsIntersect(action, readGlob(g)) {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// ResourceMatches reports whether the statement's resource element may
// apply to the concrete ARN (resource ARNs compare case-sensitively, rule
// E3).
func (s *Statement) ResourceMatches(arn string) bool {
	if s.HasNotResource {
		for _, p := range s.NotResource {
			if MatchGlob(p, arn, false) {
				return false
			}
		}
		return true
	}
	for _, p := range s.Resource {
		if MatchGlob(p, arn, false) {
			return true
		}
	}
	return false
}

// ResourceCovers reports whether the statement's resource element surely
// applies to every ARN the target pattern describes ("arn:aws:s3:::b/*" =
// every object of bucket b). It under-approximates, as a Deny that is
// counted on must: a '?' pattern never covers, and a NotResource covers only
// if none of its patterns could overlap the target.
func (s *Statement) ResourceCovers(target string) bool {
	if s.HasNotResource {
		return coversAll(true, s.NotResource, target, false)
	}
	return coversAll(false, s.Resource, target, false)
}
