package policy_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ackguard/ackguard/internal/policy"
)

// quickSeeds are valid documents in the forms the one-pass reader must
// read alike (whitespace, numbers and booleans, an empty Condition, a
// single-object Statement, every principal type) and near misses it must
// leave to the tree (escapes, case twins, a trailing comma, a bad
// number, null).
var quickSeeds = []string{
	` { "Version" : "2012-10-17" , "Statement" : { "Effect" : "Deny" , "Principal" : "*" , "NotAction" : [ "s3:Get*" ] , "Resource" : "*" , "Condition" : { } } } `,
	`{"Id":"","Statement":[{"Sid":"","Effect":"Allow","Principal":{"AWS":"111122223333","Service":"s3.amazonaws.com","CanonicalUser":"abc"},"Action":"*","NotResource":["arn:aws:s3:::b"]},{"Sid":"","Effect":"Deny","NotPrincipal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"s3:*","Resource":"*"}]}`,
	`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"NumericLessThan":{"s3:TlsVersion":[1.2,-0,3e5]},"Bool":{"aws:SecureTransport":[true,false]},"Null":{"aws:x":false},"StringEquals":{"aws:SourceVpce":""}}}]}`,
	`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:r\u006fot"},"Action":"s3:GetObject","Resource":"*"}]}`,
	`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpce":"a"},"stringequals":{"aws:SourceIp":"b"}}}]}`,
	`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*",}]}`,
	`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"NumericEquals":{"k":01}}}]}`,
	`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"Null":{"k":null}}}]}`,
	`{"Version":"2012-10-17","Statement":[{"Sid":"a","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"},{"Sid":"a","Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}`,
	`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]} `,
	`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}`,
	`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::b/é/*"}]}x`,
	`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::b/é/*"}]}`,
}

var quickKinds = []policy.Kind{policy.ResourcePolicy, policy.IdentityPolicy, policy.TrustPolicy}

// FuzzQuickMatchesParse proves the one-pass reader of valid documents
// (quick.go) against the tree and its grammar pass, which find every
// problem: for every document, kind and option, the reader either leaves
// the document to the tree or builds exactly the Document the tree
// builds, with no problem. It also reads every valid document it is
// meant to read: one without escapes or invalid UTF-8, in objects of
// fewer than 16 keys.
func FuzzQuickMatchesParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	for _, s := range quickSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		for _, kind := range quickKinds {
			for _, canonical := range []bool{false, true} {
				checkQuick(t, raw, kind, policy.Options{AllowCanonicalUser: canonical}, policy.MaxBucketPolicyBytes)
			}
			// A limit just under the document's size, and none.
			checkQuick(t, raw, kind, policy.Options{}, len(raw)-1)
			checkQuick(t, raw, kind, policy.Options{}, -1)
		}
	})
}

func checkQuick(t *testing.T, raw string, kind policy.Kind, opts policy.Options, limit int) {
	t.Helper()
	quick, ok := policy.ParseQuick(raw, kind, opts, limit)
	tree, problems := policy.ParseTree(raw, kind, opts, limit)
	if !ok {
		if len(problems) == 0 && tree != nil && !strings.Contains(raw, `\`) && utf8.ValidString(raw) && strings.Count(raw, ":") < 16 && (limit <= 0 || len(raw) <= limit) {
			t.Errorf("%s %q: the tree reads it without a problem, the one-pass reader left it", kind, raw)
		}
		return
	}
	if len(problems) > 0 {
		t.Fatalf("%s %q: the one-pass reader read a document with problems %v", kind, raw, problems)
	}
	if !reflect.DeepEqual(quick, tree) {
		t.Fatalf("%s %q: the readers disagree\none pass: %s\ntree:     %s", kind, raw, describeDoc(quick), describeDoc(tree))
	}
}

func describeDoc(d *policy.Document) string {
	if d == nil {
		return "<nil>"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Raw %q Kind %v Version %q/%v Statement %v %d-%d End %d", d.Raw, d.Kind, d.Version, d.HasVersion,
		d.StatementIsArray, d.StatementStart, d.StatementEnd, d.End)
	for _, s := range d.Statements {
		fmt.Fprintf(&b, "\n  %+v", *s)
		for _, p := range []*policy.Principal{s.Principal, s.NotPrincipal} {
			if p != nil {
				fmt.Fprintf(&b, "\n    principal %+v", *p)
			}
		}
	}
	return b.String()
}

// TestQuickReadsCommonDocuments keeps the one-pass reader in use: every
// valid seed, of every kind it is valid for, is read by it, and the
// documents Parse returns are the same.
func TestQuickReadsCommonDocuments(t *testing.T) {
	read := 0
	for _, raw := range append(append([]string{}, fuzzSeeds...), quickSeeds...) {
		for _, kind := range quickKinds {
			opts := policy.Options{AllowCanonicalUser: true}
			checkQuick(t, raw, kind, opts, policy.MaxBucketPolicyBytes)
			if _, ok := policy.ParseQuick(raw, kind, opts, policy.MaxBucketPolicyBytes); ok {
				read++
			}
		}
	}
	t.Logf("the one-pass reader read %d documents", read)
	if read < 10 {
		t.Errorf("the one-pass reader read %d of the seeds' valid documents", read)
	}
}
