package rules

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/ackguard/ackguard/internal/policy"
)

// SecureTransportSid is the Sid of the statement the S3-006 fix adds.
const SecureTransportSid = "AckguardDenyInsecureTransport"

// S3-006: the bucket policy denies every request that does not use TLS.
func s3006() *Rule {
	return &Rule{
		ID:          "S3-006",
		Title:       "Bucket policy denies requests without TLS (aws:SecureTransport=false)",
		Severity:    Medium,
		Kinds:       bucketKind,
		Admission:   Warn,
		Remediation: Fix,
		References: References{
			FSBP:    []string{"S3.5"},
			Config:  []string{"s3-bucket-ssl-requests-only"},
			Checkov: []string{"CKV_AWS_379"},
			CIS:     []string{"v5.0.0 2.1.1", "v3.0.0 2.1.1", "v1.4.0 2.1.2"},
		},
		Check: notOnDirectoryBuckets(checkS3006),
		Fixer: fixS3006,
	}
}

func checkS3006(in *Input) []Finding {
	bp := readBucketPolicy(in)
	if !bp.Absent && !bp.Valid() {
		return invalidPolicyFinding(bp)
	}
	if !bp.Absent && hasSecureTransportDeny(in, bp.Doc) {
		return nil
	}
	msg := "the bucket has no policy, so plain-HTTP requests are allowed"
	if !bp.Absent {
		msg = "no statement denies s3:* to every principal on the bucket and its objects when aws:SecureTransport is false"
	}
	stmt, text, err := secureTransportFix(in, bp)
	f := Finding{Path: bp.Path, Message: msg, Remedy: "add the statement " + stmt, Fixable: err == nil}
	if err == nil && len(text) > policy.MaxBucketPolicyBytes {
		// The fix would make the policy one S3 refuses (POL-001): say so
		// rather than write it.
		f.Fixable = false
		f.Remedy = fmt.Sprintf("make room for the statement %s: with it the policy would be %d bytes, over S3's limit of %d", stmt, len(text), policy.MaxBucketPolicyBytes)
	}
	return []Finding{f}
}

// secureTransportFix returns the statement S3-006's fix adds and the
// policy text it writes.
func secureTransportFix(in *Input, bp bucketPolicy) (stmt, text string, err error) {
	if bp.Absent {
		stmt = secureTransportStatement(bucketARN(in, false), bucketARN(in, true))
		return stmt, `{"Version":"2012-10-17","Statement":[` + stmt + `]}`, nil
	}
	// A statement that already uses the Sid (one that does not comply, or
	// the check would have passed) keeps it; a duplicate Sid would make
	// the policy invalid (POL-001).
	stmt = secureTransportStatementSid(unusedSid(bp.Doc, SecureTransportSid), bucketARN(in, false), bucketARN(in, true))
	text, err = policy.AppendStatement(bp.Doc, stmt)
	return stmt, text, err
}

// hasSecureTransportDeny looks for Denies of s3:* to "*" conditioned only
// on aws:SecureTransport being false that cover the bucket ARN and
// bucket/*: one statement for both, or one for each (AWS applies every
// Deny, so two such statements refuse the same requests as one).
func hasSecureTransportDeny(in *Input, d *policy.Document) bool {
	var bucket, objects string // the ARNs, built for the first candidate
	var bucketDenied, objectsDenied bool
	for _, s := range d.Statements {
		if s.Effect != policy.Deny || !s.Principal.All() || s.NotPrincipal != nil {
			continue
		}
		if !coversAllS3(s) {
			continue
		}
		if bucket == "" {
			bucket, objects = bucketARN(in, false), bucketARN(in, true)
		}
		if len(s.Conditions) != 1 || !isInsecureTransportCondition(s.Conditions[0]) {
			continue
		}
		bucketDenied = bucketDenied || s.ResourceCovers(bucket)
		objectsDenied = objectsDenied || s.ResourceCovers(objects)
		if bucketDenied && objectsDenied {
			return true
		}
	}
	return false
}

// coversAllS3 reports whether a Deny's action element covers every S3
// action: a pattern equal to "*", "s3:*" or a prefix glob of them.
func coversAllS3(s *policy.Statement) bool {
	if s.HasNotAction {
		for _, p := range s.NotAction {
			if policy.GlobsIntersect(p, "s3:*") {
				return false
			}
		}
		return true
	}
	for _, p := range s.Action {
		p = strings.ToLower(p)
		if strings.Count(p, "*") == 1 && strings.HasSuffix(p, "*") && !strings.Contains(p, "?") && strings.HasPrefix("s3:", strings.TrimSuffix(p, "*")) {
			return true
		}
	}
	return false
}

// isInsecureTransportCondition matches Bool (or BoolIfExists; the key is
// always present on S3 requests) aws:SecureTransport = false.
func isInsecureTransportCondition(c policy.Condition) bool {
	if !c.KeyIs("aws:SecureTransport") || c.Op.Base != "Bool" || c.Op.Negated || c.Op.ForAllValue || c.Op.ForAnyValue {
		return false
	}
	return len(c.Values) == 1 && strings.EqualFold(c.Values[0], "false")
}

// secureTransportStatement is the statement the catalog prescribes, keys
// in the order people read them.
func secureTransportStatement(bucketARN, objectsARN string) string {
	return secureTransportStatementSid(SecureTransportSid, bucketARN, objectsARN)
}

func secureTransportStatementSid(sid, bucketARN, objectsARN string) string {
	return `{"Sid":` + jsonString(sid) + `,"Effect":"Deny","Principal":"*","Action":"s3:*",` +
		`"Resource":[` + jsonString(bucketARN) + `,` + jsonString(objectsARN) + `],` +
		`"Condition":{"Bool":{"aws:SecureTransport":"false"}}}`
}

func jsonString(s string) string {
	out, _ := json.Marshal(s) // a string always marshals
	return string(out)
}

// fixS3006 adds the deny-insecure-transport statement, creating the policy
// when there is none. Every existing statement is kept byte-for-byte; a
// policy with no room left for the statement is left alone (the finding
// says so).
func fixS3006(m *Mutation) error {
	in := m.Input()
	bp := readBucketPolicy(in)
	if !bp.Absent && (!bp.Valid() || hasSecureTransportDeny(in, bp.Doc)) {
		return nil
	}
	_, text, err := secureTransportFix(in, bp)
	switch {
	case err != nil:
		return err
	case len(text) > policy.MaxBucketPolicyBytes:
		return nil
	}
	return m.Set(bp.Path, text)
}

// unusedSid returns sid, or sid followed by the smallest number from 2 up
// that no statement of d uses.
func unusedSid(d *policy.Document, sid string) string {
	used := make(map[string]bool, len(d.Statements))
	for _, s := range d.Statements {
		if s.HasSid {
			used[s.Sid] = true
		}
	}
	candidate := sid
	for n := 2; used[candidate]; n++ {
		candidate = sid + strconv.Itoa(n)
	}
	return candidate
}
