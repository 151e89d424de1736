package policy

import (
	"fmt"
	"net/netip"
	"regexp"
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

// Exposure is the answer of the public classifier for one statement.
type Exposure struct {
	// Public is true when the statement grants to everyone (or every
	// federated user) without a restricting condition.
	Public bool
	// Who describes the principal that makes it public.
	Who string
	// RestrictedBy is the condition that keeps a wildcard statement from
	// being public, when there is one.
	RestrictedBy *Condition
	// Weak explains each condition on a restricting key that does not
	// restrict (rule C3, POL-005 material).
	Weak []string
}

// Exposure classifies the statement (rules C1-C7). keys are the condition
// keys that restrict a wildcard principal for the service, e.g.
// S3RestrictingKeys.
func (s *Statement) Exposure(keys []string) Exposure {
	var e Exposure
	if s.Effect != Allow {
		return e // rule C5: a Deny is never public
	}
	switch {
	case s.NotPrincipal != nil:
		e.Who = "every principal not listed in NotPrincipal (including anonymous users)"
	case s.Principal.All():
		e.Who = "any principal"
	case s.Principal != nil && len(s.Principal.Federated) > 0:
		e.Who = "any user of the identity provider " + strings.Join(s.Principal.Federated, ", ")
	default:
		return e
	}
	for i := range s.Conditions {
		c := &s.Conditions[i]
		if !keyIn(c.Key, keys) {
			continue
		}
		if why := whyNotRestricting(c, false); why != "" {
			e.Weak = append(e.Weak, why)
			continue
		}
		e.RestrictedBy = c
		return e
	}
	e.Public = true
	return e
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
		if hasVariable(v) && !literalVars {
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
