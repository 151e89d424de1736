package rules

import (
	"fmt"
	"strings"

	"github.com/ackguard/ackguard/internal/view"
)

const bucketOwnerEnforced = "BucketOwnerEnforced"

// S3-005: ACLs disabled through object ownership BucketOwnerEnforced.
//
// Absent ownership settings pass: S3 creates buckets with
// BucketOwnerEnforced and ACK late-initializes spec.ownershipControls from
// AWS, so the value appears in the spec after the first sync.
func s3005() *Rule {
	return &Rule{
		ID:          "S3-005",
		Title:       "ACLs are disabled (object ownership BucketOwnerEnforced)",
		Severity:    Medium,
		Kinds:       bucketKind,
		Admission:   Warn,
		Remediation: Audit, // breaks writers that rely on object ACLs
		References: References{
			FSBP:    []string{"S3.12"},
			Config:  []string{"s3-bucket-acl-prohibited"},
			Checkov: []string{"CKV2_AWS_65"},
		},
		Check: notOnDirectoryBuckets(checkS3005),
		Fixer: fixS3005,
	}
}

const s3005Remedy = `set spec.ownershipControls.rules to [{objectOwnership: BucketOwnerEnforced}] and grant access through the bucket policy`

func checkS3005(in *Input) []Finding {
	b := in.Bucket()
	// The fix replaces spec.ownershipControls whole, which also resolves a
	// wrong-typed value at or under it (and makes the create-time field
	// irrelevant), unless an ACL is in use. A spec that is not an object
	// cannot be fixed.
	fixable := !hasNonPrivateACL(in)
	fieldError := func(e *view.FieldError) Finding {
		f := fieldErrorFinding(e)
		f.Fixable = fixable && !e.Path.Equal(b.Spec.Path)
		return f
	}
	var out []Finding
	for _, e := range b.Errors {
		out = append(out, fieldError(e))
	}
	if b.OwnershipControls.Err != nil {
		return append(out, fieldError(b.OwnershipControls.Err))
	}
	if b.OwnershipControls.Present {
		if len(b.OwnershipRules) == 0 && len(out) == 0 {
			// ACK late-initializes only an absent field: without rules it
			// deletes the bucket's ownership controls (syncOwnershipControls),
			// and S3 keeps ACLs enabled on a bucket that has none.
			return []Finding{{
				Path:    b.OwnershipControls.Path.Child("rules"),
				Message: "spec.ownershipControls holds no rule, so nothing keeps ACLs disabled (without rules ACK deletes the bucket's ownership controls; S3 refuses an empty list)",
				Remedy:  s3005Remedy,
				Subject: "no rule",
				Fixable: fixable,
			}}
		}
		for _, r := range b.OwnershipRules {
			o := r.ObjectOwnership
			switch {
			case o.Err != nil:
				out = append(out, fieldError(o.Err))
			case o.Value != bucketOwnerEnforced:
				out = append(out, aclsEnabled(o, fixable))
			}
		}
		return out
	}
	if o := b.ObjectOwnership; o.Err != nil {
		out = append(out, fieldError(o.Err))
	} else if o.Present && o.Value != bucketOwnerEnforced {
		out = append(out, aclsEnabled(o, fixable))
	}
	return out
}

func aclsEnabled(o view.String, fixable bool) Finding {
	return Finding{
		Path:    o.Path,
		Message: fmt.Sprintf("object ownership %q keeps ACLs enabled", o.Value),
		Remedy:  s3005Remedy,
		Subject: o.Value,
		Fixable: fixable,
	}
}

// hasNonPrivateACL reports whether the bucket sets a canned ACL other than
// private or grants to anyone in a grant header: disabling ACLs would then
// drop access. ACK reads an ACL back as the "|"-joined canned ACLs that
// match it and counts it private when one of them is (private grants the
// owner alone, as bucket-owner-read and bucket-owner-full-control do on a
// bucket); it reads each grant header back too, empty when nobody holds
// the permission.
func hasNonPrivateACL(in *Input) bool {
	b := in.Bucket()
	if b.ACL.Present && (b.ACL.Err != nil || !privateACL(b.ACL.Value)) {
		return true
	}
	for _, g := range b.Grants {
		if g.Present && (g.Err != nil || len(parseGrants(g.Value)) > 0) {
			return true
		}
	}
	return false
}

// privateACL reports whether an ACL value, or one of the candidates of
// the "|"-joined list ACK writes, is the canned ACL private (and none is
// public, which no ACL read back holds together with private).
func privateACL(acl string) bool {
	if len(publicACLs(acl)) > 0 {
		return false
	}
	for _, a := range strings.Split(acl, "|") {
		if strings.TrimSpace(a) == "private" {
			return true
		}
	}
	return false
}

// fixS3005 enforces bucket-owner ownership, only when no ACL would lose its
// effect (catalog: PATCH only when no non-private ACL/grant is present).
func fixS3005(m *Mutation) error {
	in := m.Input()
	if hasNonPrivateACL(in) || len(checkS3005(in)) == 0 {
		return nil
	}
	fixed := view.OwnershipControlsValue(bucketOwnerEnforced)
	oc := in.Bucket().OwnershipControls
	if oc.Present && oc.Err == nil {
		// Only the rules, so that the previous value recorded is theirs:
		// an undo writes it back with a merge patch, which would merge an
		// object (an empty spec.ownershipControls) into the rules written
		// instead of putting it back.
		return m.Set(oc.Path.Child("rules"), fixed["rules"])
	}
	return m.Set(oc.Path, fixed)
}
