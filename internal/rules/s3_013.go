package rules

import (
	"fmt"
	"strings"

	"github.com/ackguard/ackguard/internal/policy"
)

// bucketManagementActions are what the owner and the ACK controller need to
// keep managing a bucket; a Deny of any of them to everyone locks them out.
var bucketManagementActions = []string{"s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy"}

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
	b := in.Bucket()
	arn := bucketARN(b, false)
	var out []Finding
	for _, s := range bp.Doc.Statements {
		if s.Effect != policy.Deny || !s.ResourceCovers(arn) {
			continue
		}
		var denied []string
		for _, a := range bucketManagementActions {
			if s.CoversAction(a) {
				denied = append(denied, a)
			}
		}
		if len(denied) == 0 {
			continue
		}
		who := ""
		switch {
		case s.NotPrincipal != nil:
			if notPrincipalExempts(in.Config, s.NotPrincipal) {
				continue
			}
			who = "every principal outside NotPrincipal, which names no owner principal"
		case s.Principal.All():
			who = "every principal"
		default:
			continue
		}
		if hasTransportCondition(s.Conditions) || hasPrincipalException(in.Config, s.Conditions) {
			continue
		}
		how := "unconditionally"
		if len(s.Conditions) > 0 {
			how = "under conditions the owner and the ACK controller may not meet"
		}
		out = append(out, Finding{
			Path:    bp.Path,
			Message: fmt.Sprintf("%s denies %s on the bucket to %s %s, so the owner and the ACK controller can no longer read or change the policy (only the account root could)", s.Ref(), strings.Join(denied, ", "), who, how),
			Remedy:  "exempt the owner and the ACK controller's role, e.g. with an ArnNotLike condition on aws:PrincipalArn, or narrow the Deny to the requests it is meant for",
			Subject: statementSubject(bp.Doc, s),
		})
	}
	return out
}

// hasTransportCondition reports whether a condition limits the Deny to
// insecure transport, which the ACK controller never uses. Conditions are
// ANDed (catalog §10.1 C4), so one such condition is enough.
func hasTransportCondition(conds []policy.Condition) bool {
	for _, c := range conds {
		if isInsecureTransportCondition(c) {
			return true
		}
	}
	return false
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

func notPrincipalExempts(cfg Config, p *policy.Principal) bool {
	for _, a := range p.AWS {
		if len(cfg.OwnerAccounts) == 0 || cfg.IsOwnerAccount(policy.PrincipalAccount(a)) {
			return true
		}
	}
	return false
}

func keyIn(key string, keys []string) bool {
	for _, k := range keys {
		if strings.EqualFold(k, key) {
			return true
		}
	}
	return false
}
