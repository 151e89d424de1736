package policy

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"github.com/ackguard/ackguard/internal/cidr"
)

// S3RestrictingKeys returns the condition keys that, with fixed values
// under a positive operator, keep a wildcard-principal statement from
// being public in S3's own definition (rule C1).
func S3RestrictingKeys() []string {
	return []string{
		"aws:SourceIp",
		"aws:PrincipalOrgID", "aws:PrincipalAccount", "aws:PrincipalArn", "aws:userid",
		"aws:SourceArn", "aws:SourceVpc", "aws:SourceVpce", "aws:SourceOwner", "aws:SourceAccount",
		"s3:x-amz-server-side-encryption-aws-kms-key-id",
		"s3:DataAccessPointArn", "s3:DataAccessPointAccount",
	}
}

// positiveOperators restrict a key to the listed values (rule C3).
var positiveOperators = map[string]bool{
	"StringEquals": true, "StringEqualsIgnoreCase": true, "StringLike": true,
	"ArnEquals": true, "ArnLike": true, "IpAddress": true,
}

// roleIDWildcard is the one wildcard form S3 accepts as fixed for
// aws:userid: "AROLEID:*" (a role's sessions).
var roleIDWildcard = regexp.MustCompile(`^AROA[A-Z0-9]+:\*$`)

// Reach is who an Allow statement grants to: the principals its Principal
// (or NotPrincipal) element names, narrowed by the conditions on the
// caller. It is the one answer behind the public classifier (rules C1-C7:
// S3-002/003, IAM-010) and the owner-account rules (S3-007, IAM-011).
type Reach struct {
	// Granted is false for a Deny and for a statement without a principal
	// element (an identity policy): it reaches no one by itself.
	Granted bool
	// Wildcard is true when the principal element does not limit the
	// caller: "*", {"AWS": "*"}, NotPrincipal (rule B5) or a Federated
	// provider (rule B6).
	Wildcard bool
	// Who describes the wildcard principal.
	Who string
	// Public is true when the statement is Wildcard and no condition
	// restricts it with fixed values (S3's definition, rules C1-C4).
	Public bool
	// RestrictedBy is the first condition that restricts the caller to
	// fixed values of one of the keys the caller asked about.
	RestrictedBy *Condition
	// Weak explains each condition on one of those keys that does not
	// restrict (rule C3, POL-005 material).
	Weak []string
	// Accounts, when not nil, are the only accounts a caller can belong to:
	// a condition pins aws:PrincipalAccount or the account field of
	// aws:PrincipalArn to fixed account IDs under a positive operator.
	// Conditions are ANDed (rule C4), so several pins intersect.
	Accounts []string
	// PinnedBy is the first condition that pins Accounts.
	PinnedBy *Condition
}

// Grants reports whether any statement grants to someone by itself: an
// Allow with a Principal or NotPrincipal, the statements whose Reach is
// Granted. A document without one (a clean Bucket's, which only denies)
// has no public grant to look for.
func (d *Document) Grants() bool {
	for _, s := range d.Statements {
		if s.grants() {
			return true
		}
	}
	return false
}

// grants reports whether the statement grants to someone by itself: an
// Allow with a principal element (rule C5: a Deny never does).
func (s *Statement) grants() bool {
	return s.Effect == Allow && (s.Principal != nil || s.NotPrincipal != nil)
}

// Reach answers who the statement grants to (see Reach). keys are the
// condition keys that restrict a wildcard principal for the service, e.g.
// S3RestrictingKeys or TrustRestrictingKeys. literalVars is true when
// "${...}" is literal text in the document (rule A6).
func (s *Statement) Reach(keys []string, literalVars bool) Reach {
	var r Reach
	if !s.grants() {
		return r // rule C5: a Deny is never public
	}
	r.Granted = true
	switch {
	case s.NotPrincipal != nil:
		r.Who = "every principal not listed in NotPrincipal (including anonymous users)"
	case s.Principal.All():
		r.Who = "any principal"
	case len(s.Principal.Federated) > 0:
		r.Who = "any user of the identity provider " + strings.Join(s.Principal.Federated, ", ")
	}
	r.Wildcard = r.Who != ""
	for i := range s.Conditions {
		c := &s.Conditions[i]
		if accts, ok := pinnedAccounts(c, literalVars); ok {
			if r.PinnedBy == nil {
				r.PinnedBy, r.Accounts = c, accts
			} else {
				r.Accounts = intersect(r.Accounts, accts)
			}
		}
		if !keyIn(c.Key, keys) {
			continue
		}
		if why := whyNotRestricting(c, literalVars); why != "" {
			if r.Wildcard {
				r.Weak = append(r.Weak, why)
			}
			continue
		}
		if r.RestrictedBy == nil {
			r.RestrictedBy = c
		}
	}
	r.Public = r.Wildcard && r.RestrictedBy == nil
	return r
}

// pinnedAccounts returns the accounts a condition confines the caller to:
// aws:PrincipalAccount equal to account IDs, or aws:PrincipalArn matching
// ARNs whose account field is a fixed account ID (a wildcard in the rest
// of the ARN still pins the account). ok is false when the condition does
// not pin the account: a negated, …IfExists or ForAllValues: operator
// (true when the key is absent, rule C3), or any value that leaves the
// account open. A fixed value that no caller's account or ARN can equal
// (an account alias, an ARN without a resource) adds no account: the
// values are ORed (rule C4), so it leaves the others pinning, as it
// leaves the condition restricting the wildcard principal.
func pinnedAccounts(c *Condition, literalVars bool) (accts []string, ok bool) {
	byArn := c.KeyIs("aws:PrincipalArn")
	if !byArn && !c.KeyIs("aws:PrincipalAccount") || len(c.Values) == 0 {
		return nil, false
	}
	if c.Op.Negated || c.Op.IfExists || c.Op.ForAllValue {
		return nil, false
	}
	switch c.Op.Base {
	case "StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike":
	default:
		return nil, false
	}
	accts = []string{}
	for _, v := range c.Values {
		if ResolvesVariable(v, literalVars) {
			return nil, false
		}
		acct := v
		if byArn {
			parts := strings.SplitN(v, ":", 6)
			if len(parts) < 6 {
				if hasWildcard(v) {
					return nil, false
				}
				continue // no principal ARN equals it
			}
			if strings.ContainsAny(strings.Join(parts[:5], ":"), "*?") {
				return nil, false
			}
			if !strings.EqualFold(parts[0], "arn") {
				continue // no principal ARN equals it, whatever the case
			}
			acct = parts[4]
		} else if hasWildcard(v) {
			return nil, false
		}
		if !IsAccountID(acct) {
			continue // no account is named so
		}
		if !slices.Contains(accts, acct) {
			accts = append(accts, acct)
		}
	}
	return accts, true
}

func intersect(a, b []string) []string {
	out := []string{}
	for _, x := range a {
		if slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

func keyIn(key string, keys []string) bool {
	for _, k := range keys {
		if strings.EqualFold(k, key) {
			return true
		}
	}
	return false
}

// whyNotRestricting returns "" when the condition restricts its key to
// fixed values, else the reason it does not. literalVars is true when
// "${...}" is literal text in the document (rule A6), so that it is a fixed
// value like any other.
func whyNotRestricting(c *Condition, literalVars bool) string {
	switch {
	case c.Op.Negated:
		return fmt.Sprintf("%s on %s matches every other value and is true when the key is absent", c.Operator, c.Key)
	case c.Op.IfExists:
		return fmt.Sprintf("%s on %s is true when the key is absent", c.Operator, c.Key)
	case c.Op.ForAllValue:
		return fmt.Sprintf("%s on %s is true when the key is absent", c.Operator, c.Key)
	case !positiveOperators[c.Op.Base]:
		return fmt.Sprintf("%s does not restrict %s to fixed values", c.Operator, c.Key)
	case len(c.Values) == 0:
		return fmt.Sprintf("%s on %s has no values", c.Operator, c.Key)
	}
	ipKey := strings.EqualFold(c.Key, "aws:SourceIp")
	if ipKey != (c.Op.Base == "IpAddress") {
		return fmt.Sprintf("%s is the wrong operator for %s", c.Operator, c.Key)
	}
	for _, v := range c.Values {
		if ResolvesVariable(v, literalVars) {
			return fmt.Sprintf("%s value %q uses a policy variable; only fixed values restrict", c.Key, v)
		}
		if hasWildcard(v) && (!strings.EqualFold(c.Key, "aws:userid") || !roleIDWildcard.MatchString(v)) {
			return fmt.Sprintf("%s value %q has a wildcard; only fixed values restrict", c.Key, v)
		}
	}
	if ipKey {
		prefixes := make([]netip.Prefix, 0, len(c.Values))
		for _, v := range c.Values {
			p, err := cidr.Parse(v)
			if err != nil {
				return fmt.Sprintf("aws:SourceIp value %q is not an IP range", v)
			}
			prefixes = append(prefixes, p)
		}
		if cidr.Open(prefixes) {
			return fmt.Sprintf("aws:SourceIp %s admits (nearly) the whole internet", strings.Join(c.Values, ", "))
		}
	}
	return ""
}

// PrivateOnlySourceIP reports whether a condition on aws:SourceIp names
// only private ranges, which never match a request to an AWS endpoint
// (rule C7, POL-005).
func PrivateOnlySourceIP(c Condition) bool {
	if !strings.EqualFold(c.Key, "aws:SourceIp") || len(c.Values) == 0 {
		return false
	}
	for _, v := range c.Values {
		p, err := cidr.Parse(v)
		if err != nil || !cidr.IsPrivate(p) {
			return false
		}
	}
	return true
}
