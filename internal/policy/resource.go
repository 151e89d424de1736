package policy

import (
	"slices"
	"strings"
)

// Resource scope (catalog §10.1 E). Resource ARNs are case-sensitive (E3):
// these functions never fold case except for the service name, which AWS
// writes in lower case.

// serviceARNTargets are the shapes of every resource ARN of a service,
// after "arn:<partition>:", for services whose ARNs leave region or account
// empty or live in another service's namespace (sts:AssumeRole acts on IAM
// role ARNs). A '*' in a target stands for "anything" and is matched only
// by a '*' in a pattern. A pattern covering any one target is unconstrained
// for the service.
var serviceARNTargets = map[string][]string{
	"s3":         {"s3:::*"},
	"iam":        {"iam::*:*"},
	"sts":        {"iam::*:*", "sts::*:*"},
	"cloudfront": {"cloudfront::*:*"},
	"route53":    {"route53:::*"},
}

// isPartition reports whether s is an AWS partition name: "aws" or
// "aws-<letters>..." ("aws-cn", "aws-us-gov", "aws-iso-b").
func isPartition(s string) bool {
	rest, ok := strings.CutPrefix(s, "aws")
	if !ok {
		return false
	}
	if rest == "" {
		return true
	}
	if rest[0] != '-' {
		return false
	}
	// Every "-"-separated part after "aws" is a non-empty run of a-z.
	n := 0
	for i := 1; i < len(rest); i++ {
		switch c := rest[i]; {
		case c == '-':
			if n == 0 {
				return false
			}
			n = 0
		case c >= 'a' && c <= 'z':
			n++
		default:
			return false
		}
	}
	return n > 0
}

// coversARN reports whether pattern surely matches every ARN whose part
// after "arn:<partition>:" is described by target (see serviceARNTargets),
// in any partition. '?' never covers: coversARN reads a pattern that
// subtracts (a Deny) or withholds (a NotResource).
//
// A pattern naming its partition ("arn:aws-cn:s3:::*") covers the ARNs of
// that partition when it is one; any other ("arn:*", "arn*", "*:*", "a*")
// must match "arn:aws:" + target, where a '*' of the target is matched only
// by a '*' of the pattern (a pattern has no literal '*'): then whatever the
// target's '*' stands for, the pattern's '*' that took it takes that too.
func coversARN(pattern, target string) bool {
	if strings.Contains(pattern, "?") {
		return false
	}
	return coversARNReading(pattern, target, false)
}

// allowCoversARN is coversARN for an Allow's pattern, where a '?' stands
// for one character (rule D2): one character of the ARN, in the partition
// too ("arn:???:*" covers every ARN of aws as "arn:aws:*" does), never what
// a '*' of the target stands for ("arn:aws:s3:::?" is not every bucket).
func allowCoversARN(pattern, target string) bool {
	return coversARNReading(pattern, target, true)
}

func coversARNReading(pattern, target string, question bool) bool {
	if rest, ok := strings.CutPrefix(pattern, "arn:"); ok {
		if j := strings.IndexAny(rest, ":*"); j >= 0 && rest[j] == ':' {
			part := rest[:j]
			return (isPartition(part) || question && namesPartition(part)) && matchTarget(rest[j+1:], target)
		}
	}
	return matchTarget(pattern, "arn:aws:"+target)
}

// Partitions are the AWS partitions, "aws" first: those a partition field
// holding a '?' may name, and the values a configured default partition
// may take.
var Partitions = []string{"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"}

// namesPartition reports whether a partition field with '?' in it (and no
// '*') matches an AWS partition.
func namesPartition(field string) bool {
	for _, p := range Partitions {
		if matchTarget(field, p) {
			return true
		}
	}
	return false
}

// matchTarget is MatchGlob (case-sensitive, rule E3) of a pattern against a
// target whose '*' stands for "anything": a '*' of the pattern matches any
// run of the target, a '?' one character of it other than its '*', and any
// other character itself. (It keeps a loop of its own: sharing
// MatchGlob's through a mode parameter made IAM judgements about 5 %
// slower.)
func matchTarget(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case p < len(pattern) && (pattern[p] == '?' && s[i] != '*' || pattern[p] != '?' && pattern[p] == s[i]):
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

// EffectivelyStar reports whether a resource pattern matches every ARN of
// every service: "*", "arn:*", "arn:aws:*", "arn:*:*:*:*:*" (rule E1,
// parliament RESOURCE_EFFECTIVELY_STAR), and any other pattern that matches
// them all ("arn*", "*:*", "a*"). It reads an Allow's resources: a run of
// wildcards holding a '*' counts as that '*' ("?*", "arn:?*"), and a '?'
// as one character of the ARN ("arn:???:*", "arn:a?s:*"; rule D2).
func EffectivelyStar(pattern string) bool {
	return effectivelyStar(starRuns(pattern))
}

// effectivelyStar is EffectivelyStar on a pattern starRuns has read.
func effectivelyStar(pattern string) bool {
	return allowCoversARN(pattern, "*:*:*:*")
}

// UnconstrainedFor reports whether a resource pattern matches every
// resource of the service: EffectivelyStar, or a service-wide wildcard
// such as "arn:aws:s3:::*" for s3 actions or "arn:aws:iam::*:*" for iam
// actions (rule E1 as it applies to one action), with '?' read as
// EffectivelyStar reads it ("arn:aws:s3:::?*" and "arn:aws:s?:::*" are
// every bucket and object).
func UnconstrainedFor(pattern, service string) bool {
	return unconstrainedFor(starRuns(pattern), service)
}

// unconstrainedFor is UnconstrainedFor on a pattern starRuns has read.
func unconstrainedFor(pattern, service string) bool {
	if effectivelyStar(pattern) {
		return true
	}
	service = strings.ToLower(service)
	if targets, ok := serviceARNTargets[service]; ok {
		for _, t := range targets {
			if allowCoversARN(pattern, t) {
				return true
			}
		}
		return false
	}
	return allowCoversARN(pattern, service+":*:*:*") // the one shape of a service not listed
}

// coversARNSpelled is coversARN for a pattern that subtracts (a Deny's
// Resource) or withholds (a NotResource): only "*" and patterns that spell
// "arn:" count. An action that takes no resource is matched against "*",
// which no ARN pattern matches; a Deny on "*:*" or "arn*" does not deny
// it, where the service's other actions would be. Without a list of such
// actions, the patterns that match every ARN without spelling it
// ("*:*", "arn*") subtract nothing, as before EffectivelyStar took them;
// "arn:*" and its like still subtract the whole service, those actions
// included (an over-subtraction kept until such a list exists).
func coversARNSpelled(pattern, target string) bool {
	if pattern != "" && strings.Trim(pattern, "*") == "" {
		return true
	}
	return strings.HasPrefix(pattern, "arn:") && coversARN(pattern, target)
}

// coversService reports whether the patterns that count together surely
// match every resource of the service: each of its resource shapes
// (serviceARNTargets) is covered by one of them. UnconstrainedFor asks
// for one shape, the over-approximation an Allow wants; a Deny that
// subtracts, or a NotResource that withholds, must cover them all (a Deny
// on arn:aws:sts::*:* leaves sts:AssumeRole on IAM role ARNs).
func coversService(patterns []string, service string, counts func(string) bool) bool {
	service = strings.ToLower(service)
	targets, ok := serviceARNTargets[service]
	if !ok {
		targets = []string{service + ":*:*:*"}
	}
	for _, t := range targets {
		covered := false
		for _, p := range patterns {
			if counts(p) && coversARNSpelled(p, t) {
				covered = true
				break
			}
		}
		if !covered {
			return false
		}
	}
	return true
}

// typeWideResource reports whether a resource element covers every
// instance of a resource type, or of every type: a type name followed only
// by wildcards ("role/*", "user*", "function:*", "table/*"), a wildcard
// in place of the type name ("*/*": every role, user, group and policy,
// as it covers "role/*"), or wildcards alone ("*": every type of the
// account). A '?' stands for one character (rule D2, read as covering
// where it stands beside a '*': "role/?*" covers every role, "role/a?"
// does not; "?/*" names a one-character type, none). The regular
// expression ^([A-Za-z0-9_?-]+[/:]?|[*?]*\*[*?]*[/:])?[*?]*\*[*?]*$.
func typeWideResource(s string) bool {
	i := 0
	for i < len(s) && (s[i] >= 'A' && s[i] <= 'Z' || s[i] >= 'a' && s[i] <= 'z' || s[i] >= '0' && s[i] <= '9' || s[i] == '_' || s[i] == '-' || s[i] == '?') {
		i++
	}
	if k := strings.IndexAny(s, "/:"); k >= 0 && strings.Trim(s[:k], "*?") == "" && strings.Contains(s[:k], "*") {
		i = k // a wildcard run holding a '*' takes any type name
	}
	if i > 0 && i < len(s) && (s[i] == '/' || s[i] == ':') {
		i++
	}
	// Backtrack over the '?'s the name took that end it: they belong to
	// the wildcard run ("?*" alone).
	j := i
	for j > 0 && s[j-1] == '?' {
		j--
	}
	star := false
	for k := j; k < len(s); k++ {
		switch s[k] {
		case '*':
			star = true
		case '?':
		default:
			return false
		}
	}
	return star
}

// TypeWide reports whether a resource pattern covers every instance of a
// resource type of the service, in one account or in all:
// "arn:aws:iam::111122223333:role/*", "arn:aws:iam::*:user/*",
// "arn:aws:iam::111122223333:*" (rule E2, used for the IAM-003/004/006
// targets), or is unconstrained. The ARN's service field may be any
// namespace the service's actions act on (sts:AssumeRole acts on iam
// roles), and a '?' in it or in the partition, region or account stands
// for one character (rule D2: an over-approximation, for Allow).
func TypeWide(pattern, service string) bool {
	pattern = starRuns(pattern)
	if unconstrainedFor(pattern, service) {
		return true
	}
	if !strings.HasPrefix(pattern, "arn:") {
		return typeWideLeadingWildcard(pattern, service)
	}
	// The fields of arn:partition:service:region:account:resource.
	var parts [5]string
	rest := pattern
	for i := range parts {
		var ok bool
		if parts[i], rest, ok = strings.Cut(rest, ":"); !ok {
			return false
		}
	}
	if parts[0] != "arn" || !actsOnNamespace(service, parts[2]) {
		return false
	}
	return typeWideResource(rest)
}

// typeWideLeadingWildcard is TypeWide for a pattern whose leading
// wildcard stands for the ARN's first fields ("*:role/*",
// "*:iam::*:user/*", "*:111122223333:role/*", "*:function:*"): after one of
// its ':' comes a type-wide resource, and the part before covers
// "arn:aws:<namespace>:<region>:<account>" of one of the service's resource
// shapes (a '*' of the shape taken only by a '*' of the pattern, as in
// coversARN), where its last one or two fields may instead name the region
// and account themselves: TypeWide of an "arn:" pattern reads neither, and
// "*:111122223333:role/*" is every role of that account as
// "arn:aws:iam::111122223333:role/*" is.
func typeWideLeadingWildcard(pattern, service string) bool {
	targets, ok := serviceARNTargets[strings.ToLower(service)]
	if !ok {
		targets = []string{strings.ToLower(service) + ":*:*:*"}
	}
	for i := len(pattern) - 1; i >= 0; i-- {
		if pattern[i] != ':' || !typeWideResource(pattern[i+1:]) {
			continue
		}
		for _, t := range targets {
			// The shape's namespace, region and account.
			fields := strings.Split(strings.TrimSuffix(t, ":*"), ":")
			head := pattern[:i]
			for k := 0; k < len(fields); k++ {
				if MatchGlob(head, "arn:aws:"+strings.Join(fields[:len(fields)-k], ":"), false) {
					return true
				}
				// The pattern's last field names the account (then the
				// region) itself.
				j := strings.LastIndexByte(head, ':')
				if j < 0 {
					break
				}
				head = head[:j]
			}
		}
	}
	// No field boundary before the type ("*role/*", "*user*"): the
	// leading wildcard takes the ARN's fields, the account's included,
	// whatever they are (for an Allow, an over-approximation, rule D2).
	if rest := strings.TrimLeft(pattern, "*"); rest != pattern && !strings.Contains(rest, ":") && typeWideResource(rest) && strings.Trim(rest, "*?/") != "" {
		return true
	}
	// Nor a type name ("*/*"): the leading wildcard takes the fields and
	// the type, and what follows the '/' every name ("*/*" covers
	// "*role/*").
	if k := strings.IndexByte(pattern, '/'); k >= 0 && !strings.Contains(pattern, ":") && strings.Contains(pattern[:k], "*") && typeWideResource(pattern) {
		return true
	}
	return false
}

// actsOnNamespace reports whether the service's actions may act on
// resources whose ARN service field matches the pattern field: the
// service's own namespace, or one of serviceARNTargets' for it.
func actsOnNamespace(service, field string) bool {
	if MatchGlob(field, service, true) {
		return true
	}
	for _, t := range serviceARNTargets[strings.ToLower(service)] {
		if ns, _, _ := strings.Cut(t, ":"); MatchGlob(field, ns, true) {
			return true
		}
	}
	return false
}

// Service returns the lower-cased service prefix of an action name.
func Service(action string) string {
	s, _, _ := strings.Cut(action, ":")
	return strings.ToLower(s)
}

// ResourceServices returns the services whose resources the statement's
// Resource element names, from the service field of each ARN, or all=true
// when it can name any service's resources ("*", a wildcard or variable in
// the service field, NotResource). An Allow with a service-scoped Resource
// stays inside those services (rule D4); sts is included with iam, since
// sts:AssumeRole acts on IAM role ARNs.
func (s *Statement) ResourceServices() (services []string, all bool) {
	if s.HasNotResource || len(s.Resource) == 0 {
		return nil, true
	}
	for _, r := range s.Resource {
		head, rest, ok1 := strings.Cut(r, ":")
		_, rest, ok2 := strings.Cut(rest, ":")
		ns, _, ok3 := strings.Cut(rest, ":")
		if !ok1 || !ok2 || !ok3 || head != "arn" || ns == "" || hasWildcard(ns) || hasVariable(ns) {
			return nil, true
		}
		for _, svc := range servicesActingOn(strings.ToLower(ns)) {
			if !slices.Contains(services, svc) {
				services = append(services, svc)
			}
		}
	}
	return services, false
}

// servicesActingOn returns the services whose actions take resources of
// the ARN namespace svc: svc itself, and each service whose resource
// shapes (serviceARNTargets) live in that namespace.
func servicesActingOn(svc string) []string {
	out := []string{svc}
	for other, targets := range serviceARNTargets {
		if other == svc {
			continue
		}
		for _, t := range targets {
			if strings.HasPrefix(t, svc+":") && !slices.Contains(out, other) {
				out = append(out, other)
			}
		}
	}
	slices.Sort(out[1:])
	return out
}

// IAMARN is the parsed ARN of an IAM role, user, group or policy:
// arn:<partition>:iam::<account>:<type>/<path>/<name>.
type IAMARN struct {
	Account string
	// Type is "role", "user", "group" or "policy".
	Type string
	// Path is the IAM path, "/" or "/a/b/".
	Path string
	Name string
}

// ParseIAMARN parses an IAM ARN with a literal type and name; ok is false
// for anything else (a wildcard, a variable, another service).
func ParseIAMARN(arn string) (a IAMARN, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" || !isPartition(parts[1]) || parts[2] != "iam" || parts[3] != "" || hasWildcard(arn) || hasVariable(arn) {
		return IAMARN{}, false
	}
	typ, rest, found := strings.Cut(parts[5], "/")
	i := strings.LastIndexByte(rest, '/')
	name := rest[i+1:]
	if !found || name == "" {
		return IAMARN{}, false
	}
	return IAMARN{Account: parts[4], Type: typ, Path: "/" + rest[:i+1], Name: name}, true
}

// NormalIAMPath returns an IAM path as it appears in an ARN: "/" when
// empty, else with a leading and a trailing slash.
func NormalIAMPath(p string) string {
	p = strings.Trim(p, "/")
	if p == "" {
		return "/"
	}
	return "/" + p + "/"
}
