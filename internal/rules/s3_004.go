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
				Message: fmt.Sprintf("canned ACL %s grants access to everyone", strings.Join(pub, ", ")),
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
					Message: fmt.Sprintf("grants %s to the group %s", g.Path[len(g.Path)-1], e.value),
					Remedy:  "remove that grantee; grant access to named accounts (id=...) instead",
					Subject: e.text,
					Fixable: true,
				})
			}
		}
	}
	return out
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

func fixS3004(m *Mutation) error {
	b := m.Input().Bucket()
	if b.ACL.Err != nil || (b.ACL.Present && len(publicACLs(b.ACL.Value)) > 0) {
		if err := m.Set(b.ACL.Path, "private"); err != nil {
			return err
		}
	}
	for _, g := range b.Grants {
		if !g.Present || g.Err != nil {
			continue
		}
		if err := removePublicGrantees(m, g); err != nil {
			return err
		}
	}
	return nil
}

func removePublicGrantees(m *Mutation, g view.String) error {
	entries := parseGrants(g.Value)
	var kept []string
	for _, e := range entries {
		if !e.public() {
			kept = append(kept, e.text)
		}
	}
	switch {
	case len(kept) == len(entries):
		return nil
	case len(kept) == 0:
		return m.Remove(g.Path)
	default:
		return m.Set(g.Path, strings.Join(kept, ","))
	}
}
