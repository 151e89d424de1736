package rules

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ackguard/ackguard/internal/policy"
)

// bucketManagementActions are what the owner and the ACK controller need to
// keep managing a bucket; a Deny of any of them to everyone locks them out.
var bucketManagementActions = []string{"s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy"}

// directoryBucketManagementActions are bucketManagementActions for a
// directory bucket, whose policy names s3express actions (Service
// Authorization Reference, Amazon S3 Express; PutBucketPolicy for
// directory buckets).
var directoryBucketManagementActions = []string{"s3express:GetBucketPolicy", "s3express:PutBucketPolicy", "s3express:DeleteBucketPolicy"}

// principalExceptionKeys name the caller; a negated condition on them
// carves an exception out of a Deny.
var principalExceptionKeys = []string{"aws:PrincipalArn", "aws:PrincipalAccount", "aws:userid", "aws:PrincipalOrgID"}

// S3-013: the bucket policy must not lock out the bucket owner and the ACK
// controller (a Deny of bucket management to every principal without an
// exception for them).
func s3013() *Rule {
	return &Rule{
		ID:          "S3-013",
		Title:       "Bucket policy does not lock out the owner or the ACK controller",
		Severity:    High,
		Kinds:       bucketKind,
		Admission:   Deny,
		Remediation: Audit,
		References:  References{Checkov: []string{"CKV_AWS_93"}},
		Check:       policyRule(checkS3013),
	}
}

func checkS3013(in *Input, bp bucketPolicy) []Finding {
	arn := bucketARN(in, false)
	actions := bucketManagementActions
	directory := isDirectoryBucket(in)
	if directory {
		actions = directoryBucketManagementActions
	}
	var out []Finding
	for _, s := range bp.Doc.Statements {
		// The Deny is the statement at fault here, not one that subtracts
		// from a grant: it is read as AWS applies it to the bucket's ARN and
		// the management actions, '?' a wildcard (catalog §10.1 D2) and the
		// ARN compared case-sensitively (E3). The under-approximation a
		// subtracting Deny gets (ResourceCovers, CoversAction) would pass a
		// lockout written with a '?' or with a NotResource in other case.
		if s.Effect != policy.Deny {
			continue
		}
		if directory {
			if !directoryResourceMatches(in, s) {
				continue
			}
		} else if !s.ResourceMatches(arn) {
			continue
		}
		var denied []string
		for _, a := range actions {
			if s.AppliesToAction(a) {
				denied = append(denied, a)
			}
		}
		if len(denied) == 0 {
			continue
		}
		who := ""
		switch {
		case s.NotPrincipal != nil:
			gap := notPrincipalGap(in.Config, s.NotPrincipal)
			if gap == "" {
				continue
			}
			who = "every principal outside NotPrincipal (" + gap + ")"
		case s.Principal.All():
			who = "every principal"
		default:
			continue
		}
		if hasTransportCondition(s.Conditions) || hasPrincipalException(in.Config, s.Conditions) || confinedToOtherAccounts(in.Config, s.Conditions) {
			continue
		}
		how := "unconditionally"
		if len(s.Conditions) > 0 {
			how = "under conditions the owner and the ACK controller may not meet"
		}
		out = append(out, Finding{
			Path:    bp.Path,
			Message: fmt.Sprintf("%s denies %s on the bucket to %s %s, so the owner and the ACK controller can no longer read or change the policy (only the account root could)", s.Ref(), strings.Join(denied, ", "), who, how),
			Remedy:  "exempt the owner and the ACK controller's role, preferably with an ArnNotLike condition on aws:PrincipalArn instead of NotPrincipal (a NotPrincipal must list the role ARN and its account ARN), or narrow the Deny to the requests it is meant for",
			Subject: statementSubject(bp.Doc, s),
		})
	}
	return out
}

// directoryResourceMatches reports whether the statement's resource element
// may apply to the directory bucket, whose ARN is
// arn:<partition>:s3express:<region>:<account>:bucket/<name>. Before ACK
// has synced the bucket its region and account may be unknown: each
// pattern is then matched against the ARN with the region and account the
// pattern itself names, so that only the bucket's name and the ARN's form
// decide.
func directoryResourceMatches(in *Input, s *policy.Statement) bool {
	region := in.Meta.AWSRegion()
	account := in.Meta.OwnerAccountID
	if account == "" && len(in.Config.OwnerAccounts) == 1 {
		account = in.Config.OwnerAccounts[0]
	}
	arnFor := func(pattern string) string {
		r, a := region, account
		if parts := strings.SplitN(pattern, ":", 6); len(parts) == 6 {
			if r == "" && !strings.ContainsAny(parts[3], "*?") {
				r = parts[3]
			}
			if a == "" && !strings.ContainsAny(parts[4], "*?") {
				a = parts[4]
			}
		}
		if r == "" {
			r = "us-east-1"
		}
		if a == "" {
			a = "000000000000"
		}
		return "arn:" + in.Partition() + ":s3express:" + r + ":" + a + ":bucket/" + in.Bucket().BucketName()
	}
	if s.HasNotResource {
		for _, p := range s.NotResource {
			if policy.MatchGlob(p, arnFor(p), false) {
				return false
			}
		}
		return true
	}
	for _, p := range s.Resource {
		if policy.MatchGlob(p, arnFor(p), false) {
			return true
		}
	}
	return false
}

// hasTransportCondition reports whether a condition limits the Deny to
// insecure transport, which the ACK controller never uses: plain HTTP, or
// TLS below 1.2, which every AWS API endpoint refuses anyway. Conditions
// are ANDed (catalog §10.1 C4), so one such condition is enough.
func hasTransportCondition(conds []policy.Condition) bool {
	for _, c := range conds {
		if isInsecureTransportCondition(c) || isOldTLSCondition(c) {
			return true
		}
	}
	return false
}

// isOldTLSCondition matches NumericLessThan s3:TlsVersion with values of
// at most 1.2 (NumericLessThanEquals: below 1.2), IfExists or not: the
// key is on every HTTPS request to S3. Values are OR'ed, so each must be
// that low.
func isOldTLSCondition(c policy.Condition) bool {
	if !c.KeyIs("s3:TlsVersion") || c.Op.ForAllValue || c.Op.ForAnyValue || len(c.Values) == 0 {
		return false
	}
	strict := c.Op.Base == "NumericLessThan"
	if !strict && c.Op.Base != "NumericLessThanEquals" {
		return false
	}
	for _, v := range c.Values {
		n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || n > 1.2 || (!strict && n >= 1.2) {
			return false
		}
	}
	return true
}

// hasPrincipalException reports whether a negated condition on the
// caller's identity exempts someone from the Deny, and, when owner accounts
// are configured, whether it names one of them.
func hasPrincipalException(cfg Config, conds []policy.Condition) bool {
	for _, c := range conds {
		if !c.Op.Negated || !keyIn(c.Key, principalExceptionKeys) {
			continue
		}
		if len(cfg.OwnerAccounts) == 0 || c.KeyIs("aws:PrincipalOrgID") || c.KeyIs("aws:userid") {
			return true
		}
		for _, v := range c.Values {
			if cfg.IsOwnerAccount(policy.PrincipalAccount(v)) {
				return true
			}
		}
	}
	return false
}

// confinedToOtherAccounts reports whether a condition confines the Deny
// to principals of accounts that are not owner accounts: a positive
// operator on aws:PrincipalAccount or aws:PrincipalArn whose every value
// names a fixed account outside them (conditions are ANDed, values OR'ed;
// catalog §10.1 C4). Without configured owner accounts no account is known
// to be another's.
func confinedToOtherAccounts(cfg Config, conds []policy.Condition) bool {
	if len(cfg.OwnerAccounts) == 0 {
		return false
	}
	for _, c := range conds {
		if c.Op.Negated || c.Op.ForAllValue || c.Op.ForAnyValue || len(c.Values) == 0 ||
			!c.KeyIs("aws:PrincipalAccount") && !c.KeyIs("aws:PrincipalArn") {
			continue
		}
		switch c.Op.Base {
		case "StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike":
		default:
			continue
		}
		other := true
		for _, v := range c.Values {
			acct := policy.PrincipalAccount(v)
			if !policy.IsAccountID(acct) || cfg.IsOwnerAccount(acct) {
				other = false
				break
			}
		}
		if other {
			return true
		}
	}
	return false
}

// notPrincipalGap returns why a Deny's NotPrincipal does not exempt the
// owner's roles (the ACK controller runs as one), or "" when it does. AWS
// matches NotPrincipal against the request's principal: an account ARN
// (or ID) exempts only that account's root user, so every role and
// assumed-role session of the account is still denied; and a role or user
// ARN needs its account's ARN listed too, or AWS may deny the whole account
// (IAM's NotPrincipal documentation). An STS ARN (an assumed-role or
// federated-user session) exempts that one session: the ACK controller's
// SDK names a new session each time it renews its credentials, so only
// the role's ARN exempts it. Without configured owner accounts any account
// counts.
func notPrincipalGap(cfg Config, p *policy.Principal) string {
	accounts := map[string]bool{}
	var identities, roots, sessions []string
	for _, a := range p.AWS {
		acct := policy.PrincipalAccount(a)
		if acct == "" || len(cfg.OwnerAccounts) > 0 && !cfg.IsOwnerAccount(acct) {
			continue
		}
		if policy.IsAccountID(a) || strings.HasSuffix(a, ":root") {
			accounts[acct] = true
			roots = append(roots, a)
			continue
		}
		if parts := strings.SplitN(a, ":", 6); len(parts) == 6 && parts[2] == "sts" {
			sessions = append(sessions, a)
			continue
		}
		identities = append(identities, a)
	}
	for _, id := range identities {
		if accounts[policy.PrincipalAccount(id)] {
			return ""
		}
	}
	switch {
	case len(identities) > 0:
		return fmt.Sprintf("it names %s without the ARN of its account, so AWS may deny every principal of that account", identities[0])
	case len(sessions) > 0:
		return fmt.Sprintf("it names the session %s, which exempts that session only: every other session of the role, such as the ACK controller's after it renews its credentials, is denied; name the role's ARN and its account's ARN", sessions[0])
	case len(roots) > 0:
		return fmt.Sprintf("it names only the account %s, which exempts only its root user: every role and assumed-role session of that account, the ACK controller's included, is denied", quoteList(roots, 3))
	}
	return "it names no principal of the owner accounts"
}

func keyIn(key string, keys []string) bool {
	for _, k := range keys {
		if strings.EqualFold(k, key) {
			return true
		}
	}
	return false
}
