package rules

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/ackguard/ackguard/internal/policy"
	"github.com/ackguard/ackguard/internal/view"
)

// policyDocKinds are the kinds whose documents the shared POL- rules read.
var policyDocKinds = append(append([]schema.GroupKind{}, bucketKind...), iamDocKinds...)

// policyDocs returns every document the object holds itself: the bucket
// policy of a Bucket, or the IAM documents of an IAM object.
func policyDocs(in *Input) []*iamDoc {
	if in.GroupKind() != view.BucketGVK.GroupKind() {
		return allOwnDocs(in.iamDocs())
	}
	if in.bucketDocs == nil {
		bp := readBucketPolicy(in)
		in.bucketDocs = []*iamDoc{{
			Path: bp.Path, Name: bp.Path.String(), What: "bucket policy",
			TypeErr: bp.TypeErr, Absent: bp.Absent, Doc: bp.Doc, Problems: bp.Problems,
		}}
	}
	return in.bucketDocs
}

// eachPolicyDoc runs check on every valid document of the object and
// reports invalid input for the others.
func eachPolicyDoc(check func(in *Input, d *iamDoc) []Finding) func(*Input) []Finding {
	return func(in *Input) []Finding {
		var out []Finding
		for _, d := range policyDocs(in) {
			switch {
			case d.Absent:
				continue
			case !d.Valid():
				if d.What == "bucket policy" {
					out = append(out, invalidPolicyFinding(bucketPolicy{Path: d.Path})...)
					continue
				}
				out = append(out, invalidDocFinding(d))
				continue
			}
			out = append(out, check(in, d)...)
		}
		return out
	}
}

// POL-002: NotPrincipal with Allow grants to everyone except the listed
// principals, possibly anonymous users (§10.1 B5).
func pol002() *Rule {
	return &Rule{
		ID:          "POL-002",
		Title:       "No Allow statement uses NotPrincipal",
		Severity:    High,
		Kinds:       policyDocKinds,
		Admission:   Deny,
		Remediation: Audit,
		Check: eachPolicyDoc(func(_ *Input, d *iamDoc) []Finding {
			var out []Finding
			for _, s := range d.Doc.Statements {
				if s.Effect != policy.Allow || s.NotPrincipal == nil {
					continue
				}
				out = append(out, Finding{
					Path:    d.Path,
					Message: fmt.Sprintf("%s%s uses NotPrincipal with Effect Allow, which grants every principal not listed, including anonymous users", d.lead(), s.Ref()),
					Remedy:  "name the principals to allow in Principal instead of excluding some with NotPrincipal",
					Subject: statementSubject(d.Doc, s),
				})
			}
			return out
		}),
	}
}

// confusedDeputyKeys restrict a service principal to requests made on
// behalf of a known resource, account or organization.
var confusedDeputyKeys = []string{"aws:SourceArn", "aws:SourceAccount", "aws:SourceOrgID", "aws:SourceOrgPaths"}

// deputyOperators compare the source with the listed values; Null and the
// other operators do not (Null false only asks that the key exist).
var deputyOperators = map[string]bool{
	"StringEquals": true, "StringEqualsIgnoreCase": true, "StringLike": true, "ArnEquals": true, "ArnLike": true,
}

// unpinnedDeputyValue returns why a source condition admits sources of
// any customer, or "" when each of its values (ORed, §10.1 C4) pins one.
// A policy variable is no fixed value (§10.1 C2). A wildcard, which only
// the Like and Arn operators read as one, leaves the value fixed only in
// an aws:SourceArn whose account field is a fixed account ID (AWS's
// confused-deputy guidance: "arn:aws:servicename:*:123456789012:*") or
// an aws:SourceOrgPaths under a fixed organization ID; "arn:aws:s3:::*"
// or "1111*" match resources of every account.
func unpinnedDeputyValue(c policy.Condition, literalVars bool) string {
	wild := c.Op.Base != "StringEquals" && c.Op.Base != "StringEqualsIgnoreCase"
	for _, v := range c.Values {
		switch {
		case policy.ResolvesVariable(v, literalVars):
			return fmt.Sprintf("%s value %q uses a policy variable", c.Key, v)
		case !wild || !strings.ContainsAny(v, "*?"):
			continue
		case c.KeyIs("aws:SourceArn"):
			parts := strings.SplitN(v, ":", 6)
			if len(parts) == 6 && strings.EqualFold(parts[0], "arn") && policy.IsAccountID(parts[4]) {
				continue
			}
		case c.KeyIs("aws:SourceOrgPaths"):
			if org, _, ok := strings.Cut(v, "/"); ok && strings.HasPrefix(org, "o-") && !strings.ContainsAny(org, "*?") {
				continue
			}
		}
		return fmt.Sprintf("%s value %q has a wildcard that matches sources in any account", c.Key, v)
	}
	return ""
}

// POL-003: a service principal in a resource policy needs aws:SourceArn or
// aws:SourceAccount (confused deputy). ackguard applies it to bucket
// policies; role trust policies for services (ec2.amazonaws.com) are
// exempt, since most services do not send those keys on AssumeRole.
func pol003() *Rule {
	return &Rule{
		ID:          "POL-003",
		Title:       "Service principals in resource policies are restricted by aws:SourceArn or aws:SourceAccount",
		Severity:    Medium,
		Kinds:       bucketKind,
		Admission:   Warn,
		Remediation: Audit,
		References:  References{FSBP: []string{"Lambda.1"}, Config: []string{"lambda-function-public-access-prohibited"}, Checkov: []string{"CKV_AWS_364"}},
		Check: eachPolicyDoc(func(_ *Input, d *iamDoc) []Finding {
			var out []Finding
			for _, s := range d.Doc.Statements {
				if s.Effect != policy.Allow || s.Principal == nil || len(s.Principal.Service) == 0 {
					continue
				}
				restricted, weak := false, ""
				for _, k := range confusedDeputyKeys {
					for _, c := range s.ConditionsOn(k) {
						if !c.Constraining() || !deputyOperators[c.Op.Base] {
							continue
						}
						if why := unpinnedDeputyValue(c, d.Doc.VariablesAreLiteral()); why != "" {
							weak = why
							continue
						}
						restricted = true
					}
				}
				if restricted {
					continue
				}
				msg := fmt.Sprintf("%s%s allows the service principal %s without an aws:SourceArn or aws:SourceAccount condition; any customer's resource of that service could act through it (confused deputy)", d.lead(), s.Ref(), strings.Join(s.Principal.Service, ", "))
				if weak != "" {
					msg = fmt.Sprintf("%s%s allows the service principal %s, and its only source condition does not pin a source: %s; any customer's resource of that service could act through it (confused deputy)", d.lead(), s.Ref(), strings.Join(s.Principal.Service, ", "), weak)
				}
				out = append(out, Finding{
					Path:    d.Path,
					Message: msg,
					Remedy:  `add "Condition": {"StringEquals": {"aws:SourceAccount": "<owner account>"}} or an ArnEquals aws:SourceArn naming the calling resource`,
					Subject: statementSubject(d.Doc, s),
				})
			}
			return out
		}),
	}
}

// POL-004: a missing or 2008-10-17 Version makes policy variables literal
// text (§10.1 A6).
func pol004() *Rule {
	return &Rule{
		ID:          "POL-004",
		Title:       `Policy documents declare "Version": "2012-10-17"`,
		Severity:    Low,
		Kinds:       policyDocKinds,
		Admission:   Warn,
		Remediation: Audit,
		Check: eachPolicyDoc(func(_ *Input, d *iamDoc) []Finding {
			if !d.Doc.VariablesAreLiteral() {
				return nil
			}
			what := "has no Version"
			if d.Doc.HasVersion {
				what = fmt.Sprintf("has Version %q", d.Doc.Version)
			}
			msg := fmt.Sprintf("the %s%s %s, so policy variables such as ${aws:username} are literal text", d.What, d.readNote(), what)
			if strings.Contains(d.Doc.Raw, "${") {
				msg += "; this document uses \"${\", which IAM reads literally here"
			}
			return []Finding{{
				Path:    d.Path,
				Message: msg,
				Remedy:  `add "Version": "2012-10-17" after checking that every "${...}" is meant as a variable (adding it changes their meaning)`,
				Subject: "version",
			}}
		}),
	}
}

// POL-005: a condition that looks restrictive but is not.
func pol005() *Rule {
	return &Rule{
		ID:          "POL-005",
		Title:       "Conditions restrict what they appear to restrict",
		Severity:    Medium,
		Kinds:       policyDocKinds,
		Admission:   Warn,
		Remediation: Audit,
		Check: eachPolicyDoc(func(_ *Input, d *iamDoc) []Finding {
			var out []Finding
			for _, s := range d.Doc.Statements {
				for _, why := range weakConditions(d, s) {
					out = append(out, Finding{
						Path:    d.Path,
						Message: fmt.Sprintf("%s%s: %s", d.lead(), s.Ref(), why.msg),
						Remedy:  why.remedy,
						Subject: statementSubject(d.Doc, s) + "\x00" + why.msg,
					})
				}
			}
			return out
		}),
	}
}

type weakness struct{ msg, remedy string }

// weakConditions lists the conditions of a statement that do not restrict
// what they seem to.
func weakConditions(d *iamDoc, s *policy.Statement) []weakness {
	var restricting []string
	wildcardPrincipal := s.Effect == policy.Allow && (s.Principal.All() || s.NotPrincipal != nil)
	switch d.What {
	case "bucket policy":
		restricting = policy.S3RestrictingKeys()
	case "trust policy":
		restricting = policy.TrustRestrictingKeys()
	}
	var out []weakness
	for _, c := range s.Conditions {
		if c.Op.ForAllValue && policy.SingleValuedKey(c.Key) {
			out = append(out, weakness{
				fmt.Sprintf("%s uses ForAllValues: on the single-valued key %s; it is true when the key is absent", condField(c), c.Key),
				"use the plain operator (" + c.Op.Base + ") or ForAnyValue:",
			})
		}
		if c.Op.IfExists && wildcardPrincipal && containsFold(restricting, c.Key) {
			out = append(out, weakness{
				fmt.Sprintf("%s is true when %s is absent, so it does not restrict the wildcard principal", condField(c), c.Key),
				"drop IfExists from the operator (" + c.Op.Base + ")",
			})
		}
		if strings.HasPrefix(c.Op.Base, "String") && !strings.Contains(c.Op.Base, "Like") {
			for _, v := range c.Values {
				if strings.ContainsAny(v, "*?") {
					out = append(out, weakness{
						fmt.Sprintf("%s value %q has a wildcard, but %s compares it literally", condField(c), v, c.Op.Base),
						"use StringLike (or StringNotLike) if the wildcard is meant, or remove it",
					})
					break
				}
			}
		}
		if policy.PrivateOnlySourceIP(c) {
			out = append(out, weakness{
				fmt.Sprintf("%s names only private ranges (%s); requests to AWS endpoints never come from them", condField(c), strings.Join(c.Values, ", ")),
				"use aws:SourceVpc or aws:SourceVpce for traffic from a VPC, or public ranges",
			})
		}
	}
	return out
}

// condField names a condition in messages: Condition.<operator>.<key>.
func condField(c policy.Condition) string {
	return "Condition." + c.Operator + "." + c.Key
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
