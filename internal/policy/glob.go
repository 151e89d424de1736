package policy

import "strings"

// MatchGlob reports whether s matches pattern, where '*' matches any run of
// characters (including none) and '?' exactly one. Comparison is ASCII
// case-insensitive when fold is true (action names), exact otherwise
// (resource ARNs are case-sensitive, rule E3).
func MatchGlob(pattern, s string, fold bool) bool {
	// Folding compares byte by byte (ASCII, as strings.ToLower does for
	// the ASCII names of actions) so that a match allocates nothing.
	eq := func(a, b byte) bool {
		if a == b {
			return true
		}
		return fold && LowerASCII(a) == LowerASCII(b)
	}
	// Iterative wildcard match with single-star backtracking: linear in
	// practice, O(len(p)*len(s)) worst case, never exponential.
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		// A '*' in the pattern is always a wildcard, also where s holds a
		// literal '*' (a target such as "arn:aws:s3:::b/*"): test it first.
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case p < len(pattern) && (pattern[p] == '?' || eq(pattern[p], s[i])):
			p++
			i++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// GlobsIntersect reports whether some string matches both patterns
// (case-insensitively). It answers "may this Action pattern allow some
// action of this family?" (for example "s3:*Object" and "s3:get*").
func GlobsIntersect(a, b string) bool {
	return globsIntersect(readGlob(a), readGlob(b))
}

// glob is a pattern with what globsIntersectASCII asks of it, read once
// for a pattern compared with several others.
type glob struct {
	s           string
	ascii, wild bool
}

func readGlob(s string) glob { return glob{s: s, ascii: isASCII(s), wild: hasWildcard(s)} }

// globsIntersect is GlobsIntersect of patterns already read.
func globsIntersect(a, b glob) bool {
	if r, ok := globsIntersectASCII(a, b); ok {
		return r
	}
	return globsIntersectSearch(a.s, b.s)
}

// globsIntersectASCII answers GlobsIntersect without a search for the
// shapes action patterns nearly always have, when both are ASCII (where
// folding byte by byte is what strings.ToLower does): a pattern that is
// "*", a literal on either side, or two patterns that are a literal
// prefix followed by one '*'. ok is false for anything else.
func globsIntersectASCII(ga, gb glob) (r, ok bool) {
	a, b := ga.s, gb.s
	if !ga.ascii || !gb.ascii {
		return false, false
	}
	if (len(a)+1)*(len(b)+1) > maxIntersectCells {
		return true, true // as the search answers (lower-casing ASCII keeps lengths)
	}
	switch {
	case a == "*" || b == "*":
		return true, true // every pattern matches some string
	case !ga.wild && !gb.wild:
		return strings.EqualFold(a, b), true
	case !gb.wild:
		return MatchGlob(a, b, true), true
	case !ga.wild:
		return MatchGlob(b, a, true), true
	}
	pa, okA := starSuffixed(a)
	pb, okB := starSuffixed(b)
	if !okA || !okB {
		return false, false
	}
	n := min(len(pa), len(pb))
	return strings.EqualFold(pa[:n], pb[:n]), true
}

// starSuffixed returns the literal before a pattern's only wildcard when
// that wildcard is a final '*'.
func starSuffixed(p string) (string, bool) {
	i := strings.IndexAny(p, "*?")
	if i != len(p)-1 || p[i] != '*' {
		return "", false
	}
	return p[:i], true
}

// globsIntersectSearch is GlobsIntersect for any two patterns: a search
// over pairs of suffixes.
func globsIntersectSearch(a, b string) bool {
	a, b = strings.ToLower(a), strings.ToLower(b)
	if (len(a)+1)*(len(b)+1) > maxIntersectCells {
		// Absurdly long patterns: answer "may intersect", the
		// over-approximation that keeps findings.
		return true
	}
	// memo[i][j]: suffixes a[i:] and b[j:] have a common match.
	memo := make([]int8, (len(a)+1)*(len(b)+1))
	var rec func(i, j int) bool
	rec = func(i, j int) bool {
		k := i*(len(b)+1) + j
		if memo[k] != 0 {
			return memo[k] > 0
		}
		var r bool
		switch {
		case i == len(a) && j == len(b):
			r = true
		case i < len(a) && a[i] == '*':
			// a's star matches nothing, or absorbs one character/one
			// pattern unit of b.
			r = rec(i+1, j) || (j < len(b) && rec(i, j+1))
		case j < len(b) && b[j] == '*':
			r = rec(i, j+1) || (i < len(a) && rec(i+1, j))
		case i == len(a) || j == len(b):
			r = false
		case a[i] == '?' || b[j] == '?' || a[i] == b[j]:
			r = rec(i+1, j+1)
		}
		if r {
			memo[k] = 1
		} else {
			memo[k] = -1
		}
		return r
	}
	return rec(0, 0)
}

// maxIntersectCells bounds the memo table of GlobsIntersect (64 KiB).
const maxIntersectCells = 1 << 16

// starRuns returns pattern with each run of wildcards that holds a '*'
// written as that one '*': "?*" and "*?" match what '*' matches but the
// empty string. It is the reading an Allow wants (rule D2, where '?' is a
// wildcard and the answer may over-approximate) for the questions "does
// this pattern cover every action, every ARN, every ARN of a service?",
// whose answers otherwise never let a '?' cover, as a Deny's must not.
// A run of '?' alone stays: it stands for so many characters exactly.
func starRuns(pattern string) string {
	if !strings.Contains(pattern, "?") {
		return pattern
	}
	var b strings.Builder
	b.Grow(len(pattern))
	for i := 0; i < len(pattern); {
		if c := pattern[i]; c != '*' && c != '?' {
			b.WriteByte(c)
			i++
			continue
		}
		j, star := i, false
		for j < len(pattern) && (pattern[j] == '*' || pattern[j] == '?') {
			star = star || pattern[j] == '*'
			j++
		}
		if star {
			b.WriteByte('*')
		} else {
			b.WriteString(pattern[i:j])
		}
		i = j
	}
	return b.String()
}

// hasWildcard reports whether s contains a glob metacharacter.
func hasWildcard(s string) bool {
	// A byte loop: action patterns are short, and strings.ContainsAny
	// builds a character set on every call.
	for i := 0; i < len(s); i++ {
		if s[i] == '*' || s[i] == '?' {
			return true
		}
	}
	return false
}

// hasVariable reports whether s contains a policy variable "${...}".
func hasVariable(s string) bool { return strings.Contains(s, "${") }

// ResolvesVariable reports whether IAM substitutes a policy variable in
// s, a value of a document whose variables are literal text when
// literalVars is true (Document.VariablesAreLiteral, catalog §10.1 A6):
// such a value is not fixed.
func ResolvesVariable(s string, literalVars bool) bool { return !literalVars && hasVariable(s) }

// LowerASCII is c lower-cased if it is an ASCII capital letter: action
// names and condition operators compare regardless of ASCII case.
func LowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
