package rules

import (
	"fmt"
	"strings"

	"github.com/ackguard/ackguard/internal/view"
)

// publicCannedACLs grant to AllUsers or AuthenticatedUsers (catalog C6;
// authenticated-read is public because any AWS account is "authenticated").
var publicCannedACLs = map[string]bool{"public-read": true, "public-read-write": true, "authenticated-read": true}

// S3-004: no public canned ACL and no grant to the AllUsers or
// AuthenticatedUsers groups.
func s3004() *Rule {
	return &Rule{
		ID:          "S3-004",
		Title:       "No public canned ACL and no grant to AllUsers or AuthenticatedUsers",
		Severity:    Critical,
		Kinds:       bucketKind,
		Admission:   Deny,
		Remediation: Fix,
		References: References{
			FSBP:    []string{"S3.2", "S3.3"},
			Config:  []string{"s3-bucket-public-read-prohibited", "s3-bucket-public-write-prohibited"},
			Checkov: []string{"CKV_AWS_20", "CKV_AWS_57", "CKV2_AWS_43", "CKV_AWS_375"},
		},
		Check: notOnDirectoryBuckets(checkS3004),
		Fixer: fixS3004,
	}
}

func checkS3004(in *Input) []Finding {
	b := in.Bucket()
	var out []Finding
	switch {
	case b.ACL.Err != nil:
		f := fieldErrorFinding(b.ACL.Err)
		f.Fixable = true
		out = append(out, f)
	case b.ACL.Present:
		if pub := publicACLs(b.ACL.Value); len(pub) > 0 {
			out = append(out, Finding{
				Path:    b.ACL.Path,
				Message: fmt.Sprintf("canned ACL %s grants %s", strings.Join(pub, ", "), cannedAudience(pub)),
				Remedy:  `set spec.acl to "private" and grant access through the bucket policy to named principals`,
				Subject: b.ACL.Value,
				Fixable: true,
			})
		}
	}
	for _, g := range b.Grants {
		if g.Err != nil {
			out = append(out, fieldErrorFinding(g.Err))
			continue
		}
		if !g.Present {
			continue
		}
		for _, e := range parseGrants(g.Value) {
			if e.public() {
				out = append(out, Finding{
					Path:    g.Path,
					Message: fmt.Sprintf("grants %s to the group %s (%s)", grantPermissions[g.Path[len(g.Path)-1]], e.value, e.audience()),
					Remedy:  "remove that grantee; grant access to named accounts (id=...) instead",
					Subject: e.text,
					Fixable: true,
				})
			}
		}
	}
	return out
}

// grantPermissions names the ACL permission each grant field gives, as S3
// spells it.
var grantPermissions = map[string]string{
	"grantRead":        "READ",
	"grantWrite":       "WRITE",
	"grantReadACP":     "READ_ACP",
	"grantWriteACP":    "WRITE_ACP",
	"grantFullControl": "FULL_CONTROL",
}

// cannedAudience says whom public canned ACLs grant access to:
// authenticated-read grants to the AuthenticatedUsers group, every AWS
// account, not to anonymous callers.
func cannedAudience(pub []string) string {
	for _, a := range pub {
		if a != "authenticated-read" {
			return "access to everyone"
		}
	}
	return "read access to every AWS account (the AuthenticatedUsers group), not only yours"
}

// publicACLs returns the public canned ACLs in an ACL value. ACK may write
// a "|"-joined list of candidate canned ACLs; any public candidate counts.
func publicACLs(acl string) []string {
	var out []string
	for _, a := range strings.Split(acl, "|") {
		if a = strings.TrimSpace(a); publicCannedACLs[a] {
			out = append(out, a)
		}
	}
	return out
}

// grantee is one entry of an S3 grant header ("uri=...", "id=...").
type grantee struct {
	text  string // as written, trimmed
	key   string // lower-cased type: id, uri, emailaddress
	value string // unquoted
}

// audience says whom a public grantee stands for.
func (g grantee) audience() string {
	if strings.HasSuffix(strings.TrimRight(g.value, "/"), "/AuthenticatedUsers") {
		return "every AWS account"
	}
	return "everyone"
}

func (g grantee) public() bool {
	if g.key != "uri" {
		return false
	}
	v := strings.TrimRight(g.value, "/")
	return strings.HasSuffix(v, "/groups/global/AllUsers") || strings.HasSuffix(v, "/groups/global/AuthenticatedUsers")
}

// parseGrants splits an S3 grant header: comma-separated type=value pairs,
// values optionally quoted.
func parseGrants(header string) []grantee {
	var out []grantee
	for _, part := range strings.Split(header, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		g := grantee{text: part}
		if k, v, ok := strings.Cut(part, "="); ok {
			g.key = strings.ToLower(strings.TrimSpace(k))
			g.value = strings.Trim(strings.TrimSpace(v), `"'`)
		}
		out = append(out, g)
	}
	return out
}

// fixS3004 sets a public canned ACL to private and removes the public
// grantees from the grant fields. When that removes the last grantee of a
// bucket without spec.acl, it sets spec.acl to private too: ACK diffs the
// grant fields only while one of them is set, and reads a bucket's ACL
// back as a canned ACL only when it is one (the owner and AllUsers WRITE
// is none), so with no grant field and no acl left it would never rewrite
// the ACL in AWS, and the public grant would stay (s3-controller's
// customPreCompare and GetPossibleCannedACLsFromGrants).
func fixS3004(m *Mutation) error {
	b := m.Input().Bucket()
	aclSet := b.ACL.Present && b.ACL.Err == nil
	if b.ACL.Err != nil || (b.ACL.Present && len(publicACLs(b.ACL.Value)) > 0) {
		if err := m.Set(b.ACL.Path, "private"); err != nil {
			return err
		}
		aclSet = true
	}
	removed, grantsLeft := false, false
	for _, g := range b.Grants {
		if !g.Present {
			continue
		}
		if g.Err != nil {
			grantsLeft = true
			continue
		}
		r, left, err := removePublicGrantees(m, g)
		if err != nil {
			return err
		}
		removed, grantsLeft = removed || r, grantsLeft || left
	}
	if removed && !grantsLeft && !aclSet {
		return m.Set(b.ACL.Path, "private")
	}
	return nil
}

// removePublicGrantees removes the public grantees of a grant field: it
// reports whether it removed any, and whether the field still grants to
// anyone.
func removePublicGrantees(m *Mutation, g view.String) (removed, left bool, err error) {
	entries := parseGrants(g.Value)
	var kept []string
	for _, e := range entries {
		if !e.public() {
			kept = append(kept, e.text)
		}
	}
	switch {
	case len(kept) == len(entries):
		return false, len(kept) > 0, nil
	case len(kept) == 0:
		return true, false, m.Remove(g.Path)
	default:
		return true, true, m.Set(g.Path, strings.Join(kept, ","))
	}
}
