package policy

import (
	"fmt"
	"net/url"
	"strings"
)

// TrustRestrictingKeys are the condition keys that, with fixed values
// under a positive operator, keep a role trust policy that names every
// principal ({"AWS":"*"}) from being assumable by anyone: they pin the
// caller's organization, account or ARN (catalog IAM-010, §10.1 C1-C3).
func TrustRestrictingKeys() []string {
	return []string{"aws:PrincipalOrgID", "aws:PrincipalAccount", "aws:PrincipalArn"}
}

// IsAccountID reports whether s is a 12-digit AWS account ID.
func IsAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// PrincipalAccount returns the account of an AWS principal value: the ID
// itself ("123456789012" means the whole account, rule B2) or the account
// field of an IAM/STS ARN; "" when there is none ("*", a service).
func PrincipalAccount(p string) string {
	if IsAccountID(p) {
		return p
	}
	if !strings.HasPrefix(p, "arn:") {
		return ""
	}
	parts := strings.SplitN(p, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}

// DecodeInline returns the text that ACK applies for an inline policy
// value: ACK url.QueryUnescape's the value before PutRolePolicy,
// PutUserPolicy and PutGroupPolicy, so a URL-encoded document is applied
// decoded and a literal '+' becomes a space. encoded reports whether the
// value held %-escapes; plus whether a '+' was turned into a space.
func DecodeInline(raw string) (text string, encoded, plus bool, err error) {
	if !strings.ContainsAny(raw, "%+") {
		return raw, false, false, nil
	}
	text, err = url.QueryUnescape(raw)
	if err != nil {
		return "", false, false, fmt.Errorf("not valid URL encoding (%v); ACK URL-decodes inline policies before applying them, so write a literal %% as %%25", err)
	}
	return text, strings.Contains(raw, "%"), strings.Contains(raw, "+"), nil
}

// NonSpaceLen is the length IAM counts against its size quotas: the
// document without whitespace.
func NonSpaceLen(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '\r':
		default:
			n++
		}
	}
	return n
}

// singleValuedKeys are global condition keys that carry one value per
// request; "ForAllValues:" on them is true whenever the key is absent and
// restricts nothing a plain operator would not (catalog POL-005).
var singleValuedKeys = map[string]bool{
	"aws:sourceip": true, "aws:sourcevpc": true, "aws:sourcevpce": true,
	"aws:principalorgid": true, "aws:principalaccount": true, "aws:principalarn": true,
	"aws:sourcearn": true, "aws:sourceaccount": true, "aws:sourceowner": true, "aws:sourceorgid": true,
	"aws:userid": true, "aws:username": true, "aws:securetransport": true,
	"aws:requestedregion": true, "aws:principaltype": true, "aws:multifactorauthpresent": true,
	"aws:multifactorauthage": true, "aws:currenttime": true, "aws:epochtime": true,
	"aws:referer": true, "aws:useragent": true, "aws:viaawsservice": true,
	"aws:principalisawsservice": true, "aws:principalservicename": true,
	"aws:resourceaccount": true, "aws:resourceorgid": true, "aws:vpcsourceip": true,
	"iam:passedtoservice": true, "sts:externalid": true, "s3:x-amz-server-side-encryption": true,
	"s3:x-amz-server-side-encryption-aws-kms-key-id": true, "s3:tlsversion": true,
}

// SingleValuedKey reports whether the condition key is known to carry a
// single value (global keys, tag-value keys, and OIDC "sub"/"aud" are).
func SingleValuedKey(key string) bool {
	k := strings.ToLower(key)
	if singleValuedKeys[k] {
		return true
	}
	for _, p := range []string{"aws:principaltag/", "aws:resourcetag/", "aws:requesttag/"} {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return strings.HasSuffix(k, ":sub") && !strings.HasPrefix(k, "aws:")
}
