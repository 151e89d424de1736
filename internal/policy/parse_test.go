package policy_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ackguard/ackguard/internal/policy"
)

// doc wraps statements in a 2012-10-17 document with a Statement array.
func doc(statements ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(statements, ",") + `]}`
}

// Statements used across the tests, one per kind of document.
const (
	resStmt   = `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`
	idStmt    = `{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`
	trustStmt = `{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}`
)

// problemCase is one document and the problem it must (or must not) have.
type problemCase struct {
	name string
	kind policy.Kind
	opts policy.Options
	raw  string
	// field and msg locate the expected problem; both empty means the
	// document must have no problem at all.
	field, msg string
}

func runProblemCases(t *testing.T, tests []problemCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, problems := policy.Parse(tt.raw, tt.kind, tt.opts)
			if tt.field == "" && tt.msg == "" {
				if len(problems) > 0 {
					t.Fatalf("want no problems, got %q", problems)
				}
				if d == nil {
					t.Fatal("want a document, got nil")
				}
				return
			}
			for _, p := range problems {
				if p.Field == tt.field && strings.Contains(p.Message, tt.msg) {
					return
				}
			}
			t.Errorf("want a problem at %q containing %q, got %q", tt.field, tt.msg, problems)
		})
	}
}

// TestParseShape covers A1 (Statement object or array) and A2 (string or
// array of strings).
func TestParseShape(t *testing.T) {
	R := policy.ResourcePolicy
	runProblemCases(t, []problemCase{
		{name: "A1 Statement as one object", kind: R, raw: `{"Version":"2012-10-17","Statement":` + resStmt + `}`},
		{name: "A1 Statement as an array of objects", kind: R, raw: doc(resStmt, resStmt)},
		{name: "A1 Statement array with a string", kind: R, raw: doc(resStmt, `"x"`), field: "Statement[1]", msg: "must be an object, found string"},
		{name: "A1 Statement as a string", kind: R, raw: `{"Statement":"Allow everything"}`, field: "Statement", msg: "must be an object or an array of objects, found string"},
		{name: "A1 Statement empty array", kind: R, raw: `{"Version":"2012-10-17","Statement":[]}`, field: "Statement", msg: "empty"},
		{name: "A1 Statement missing", kind: R, raw: `{"Version":"2012-10-17"}`, field: "Statement", msg: "missing"},
		{name: "A1 document is an array", kind: R, raw: `[` + resStmt + `]`, field: "", msg: "must be a JSON object, found array"},
		{name: "A2 Action as an array", kind: R, raw: doc(`{"Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}`)},
		{name: "A2 Action as a number", kind: R, raw: doc(`{"Effect":"Allow","Principal":"*","Action":7,"Resource":"*"}`), field: "Statement[0].Action", msg: "must be a string or an array of strings, found number"},
		{name: "A2 Action array with a number", kind: R, raw: doc(`{"Effect":"Allow","Principal":"*","Action":["s3:GetObject",7],"Resource":"*"}`), field: "Statement[0].Action[1]", msg: "must be a string, found number"},
		{name: "A2 Action empty array", kind: R, raw: doc(`{"Effect":"Allow","Principal":"*","Action":[],"Resource":"*"}`), field: "Statement[0].Action", msg: "must not be an empty array"},
		{name: "A2 Action without service prefix", kind: R, raw: doc(`{"Effect":"Allow","Principal":"*","Action":"GetObject","Resource":"*"}`), field: "Statement[0].Action", msg: `"GetObject" is not an action`},
		{name: "A2 invalid action after an invalid element is located exactly", kind: R, raw: doc(`{"Effect":"Allow","Principal":"*","Action":[7,"GetObject"],"Resource":"*"}`), field: "Statement[0].Action[1]", msg: `"GetObject" is not an action`},
		{name: "A2 Resource empty string", kind: R, raw: doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":""}`), field: "Statement[0].Resource", msg: "must not be empty"},
		{name: "A2 Resource as an object", kind: R, raw: doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":{"arn":"x"}}`), field: "Statement[0].Resource", msg: "found object"},
		{name: "A2 principal value as an array", kind: R, raw: doc(`{"Effect":"Allow","Principal":{"AWS":["111122223333","arn:aws:iam::444455556666:role/r"]},"Action":"s3:GetObject","Resource":"*"}`)},
		{name: "A2 principal value as a number", kind: R, raw: doc(`{"Effect":"Allow","Principal":{"AWS":111122223333},"Action":"s3:GetObject","Resource":"*"}`), field: "Statement[0].Principal.AWS", msg: "found number"},
		{name: "A2 condition value as an array", kind: R, raw: doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpce":["vpce-1","vpce-2"]}}}`)},
		{name: "A2 condition values as boolean and number", kind: R, raw: doc(`{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":false},"NumericLessThan":{"s3:TlsVersion":1.2}}}`)},
		{name: "A2 condition value as an object", kind: R, raw: doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpce":{"v":"1"}}}}`), field: "Statement[0].Condition.StringEquals.aws:SourceVpce", msg: "must be a string, number or boolean, found object"},
		{name: "A2 condition value array with null", kind: R, raw: doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpce":["vpce-1",null]}}}`), field: "Statement[0].Condition.StringEquals.aws:SourceVpce[1]", msg: "found null"},
		{name: "A2 condition value empty array", kind: R, raw: doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpce":[]}}}`), field: "Statement[0].Condition.StringEquals.aws:SourceVpce", msg: "must not be an empty array"},
		{name: "A2 Condition as an array", kind: R, raw: doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":[]}`), field: "Statement[0].Condition", msg: "must be an object of operators"},
		{name: "A2 operator value as a string", kind: R, raw: doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":"aws:SourceVpce"}}`), field: "Statement[0].Condition.StringEquals", msg: "must be an object of condition keys"},
	})
}

func TestParseStatementShape(t *testing.T) {
	t.Run("single object is normalised to one statement", func(t *testing.T) {
		raw := `{"Version":"2012-10-17","Statement":` + resStmt + `}`
		d, problems := policy.Parse(raw, policy.ResourcePolicy, policy.Options{})
		if len(problems) > 0 {
			t.Fatalf("problems: %q", problems)
		}
		if d.StatementIsArray || len(d.Statements) != 1 || d.Statements[0].Index != 0 {
			t.Fatalf("StatementIsArray=%v, %d statements", d.StatementIsArray, len(d.Statements))
		}
		if got := raw[d.Statements[0].Start:d.Statements[0].End]; got != resStmt {
			t.Errorf("statement text = %s", got)
		}
		if got := raw[d.StatementStart:d.StatementEnd]; got != resStmt {
			t.Errorf("Statement value text = %s", got)
		}
	})
	t.Run("array keeps order, indexes and spans", func(t *testing.T) {
		s1 := `{"Sid":"One","Effect":"Allow","Principal":"*","Action":["s3:GetObject"],"Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1"}}}`
		s2 := `{"Sid":"Two","Effect":"Deny","NotPrincipal":{"AWS":"111122223333"},"NotAction":"s3:Get*","NotResource":"arn:aws:s3:::b/public/*"}`
		raw := doc(s1, s2)
		d, problems := policy.Parse(raw, policy.ResourcePolicy, policy.Options{})
		if len(problems) > 0 {
			t.Fatalf("problems: %q", problems)
		}
		if !d.StatementIsArray || len(d.Statements) != 2 {
			t.Fatalf("StatementIsArray=%v, %d statements", d.StatementIsArray, len(d.Statements))
		}
		a, b := d.Statements[0], d.Statements[1]
		if raw[a.Start:a.End] != s1 || raw[b.Start:b.End] != s2 {
			t.Errorf("spans: %q / %q", raw[a.Start:a.End], raw[b.Start:b.End])
		}
		if a.Index != 0 || b.Index != 1 || a.Sid != "One" || b.Ref() != `Statement[1] (Sid "Two")` {
			t.Errorf("index/sid: %d %q %d %q", a.Index, a.Sid, b.Index, b.Ref())
		}
		if a.Effect != policy.Allow || !a.Principal.All() || len(a.Conditions) != 1 || a.Conditions[0].Op.Base != "StringEquals" {
			t.Errorf("statement 0 decoded as %+v", a)
		}
		if b.Effect != policy.Deny || b.NotPrincipal == nil || b.NotPrincipal.AWS[0] != "111122223333" || !b.HasNotAction || !b.HasNotResource {
			t.Errorf("statement 1 decoded as %+v", b)
		}
		if d.End != len(raw) {
			t.Errorf("End = %d, want %d", d.End, len(raw))
		}
	})
	t.Run("Ref without Sid", func(t *testing.T) {
		d, _ := policy.Parse(doc(resStmt, resStmt), policy.ResourcePolicy, policy.Options{})
		if got := d.Statements[1].Ref(); got != "Statement[1]" {
			t.Errorf("Ref() = %q", got)
		}
	})
}

// TestParseGrammar covers A3 (required and forbidden elements per kind),
// A4 (duplicates), A5 (element names, Effect, principal keys) and B3/B4.
func TestParseGrammar(t *testing.T) {
	R, I, T := policy.ResourcePolicy, policy.IdentityPolicy, policy.TrustPolicy
	runProblemCases(t, []problemCase{
		// A3
		{name: "A3 resource policy valid", kind: R, raw: doc(resStmt)},
		{name: "A3 identity policy valid", kind: I, raw: doc(idStmt)},
		{name: "A3 trust policy valid", kind: T, raw: doc(trustStmt)},
		{name: "A3 both Action and NotAction", kind: R, raw: doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","NotAction":"s3:PutObject","Resource":"*"}`), field: "Statement[0]", msg: "has both Action and NotAction"},
		{name: "A3 neither Action nor NotAction", kind: R, raw: doc(`{"Effect":"Allow","Principal":"*","Resource":"*"}`), field: "Statement[0]", msg: "missing Action (or NotAction)"},
		{name: "A3 NotAction alone is valid", kind: I, raw: doc(`{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}`)},
		{name: "A3 both Resource and NotResource", kind: I, raw: doc(`{"Effect":"Allow","Action":"s3:*","Resource":"*","NotResource":"arn:aws:s3:::b"}`), field: "Statement[0]", msg: "has both Resource and NotResource"},
		{name: "A3 both Principal and NotPrincipal", kind: R, raw: doc(`{"Effect":"Deny","Principal":"*","NotPrincipal":{"AWS":"111122223333"},"Action":"s3:*","Resource":"*"}`), field: "Statement[0]", msg: "has both Principal and NotPrincipal"},
		{name: "A3 resource policy without Principal", kind: R, raw: doc(idStmt), field: "Statement[0]", msg: "missing Principal (or NotPrincipal)"},
		{name: "A3 resource policy with NotPrincipal only is valid", kind: R, raw: doc(`{"Effect":"Deny","NotPrincipal":{"AWS":"111122223333"},"Action":"s3:*","Resource":"*"}`)},
		{name: "A3 resource policy without Resource", kind: R, raw: doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}`), field: "Statement[0]", msg: "missing Resource (or NotResource)"},
		{name: "A3 identity policy with Principal", kind: I, raw: doc(resStmt), field: "Statement[0]", msg: "must not name a Principal or NotPrincipal"},
		{name: "A3 identity policy with NotPrincipal", kind: I, raw: doc(`{"Effect":"Deny","NotPrincipal":{"AWS":"111122223333"},"Action":"s3:*","Resource":"*"}`), field: "Statement[0]", msg: "must not name a Principal or NotPrincipal"},
		{name: "A3 identity policy without Resource", kind: I, raw: doc(`{"Effect":"Allow","Action":"s3:*"}`), field: "Statement[0]", msg: "missing Resource (or NotResource)"},
		{name: "A3 trust policy with NotPrincipal", kind: T, raw: doc(`{"Effect":"Allow","NotPrincipal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}`), field: "Statement[0]", msg: "must not use NotPrincipal"},
		{name: "A3 trust policy with Resource", kind: T, raw: doc(`{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole","Resource":"*"}`), field: "Statement[0]", msg: "must not name a Resource"},
		{name: "A3 trust policy without Principal", kind: T, raw: doc(`{"Effect":"Allow","Action":"sts:AssumeRole"}`), field: "Statement[0]", msg: "missing Principal"},
		{name: "B4 trust policy string form Principal *", kind: T, raw: doc(`{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}`), field: "Statement[0].Principal", msg: `does not accept the string form "*"`},
		{name: "B4 trust policy AWS * is valid", kind: T, raw: doc(`{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}`)},
		{name: "B1 resource policy string form Principal * is valid", kind: R, raw: doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}`)},

		// A4
		{name: "A4 duplicate Effect", kind: R, raw: `{"Statement":[{"Effect":"Allow","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}]}`, field: "Statement[0].Effect", msg: `duplicate key "Effect"`},
		{name: "A4 duplicate top-level Statement", kind: R, raw: `{"Statement":[` + resStmt + `],"Statement":[]}`, field: "Statement", msg: `duplicate key "Statement"`},
		{name: "A4 duplicate condition operator", kind: R, raw: doc(`{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1"},"StringEquals":{"aws:SourceVpc":"vpc-1"}}}`), field: "Statement[0].Condition.StringEquals", msg: `duplicate key "StringEquals"`},
		{name: "A4 duplicate condition key", kind: R, raw: doc(`{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1","aws:SourceVpce":"vpce-2"}}}`), field: `Statement[0].Condition.StringEquals["aws:SourceVpce"]`, msg: `duplicate key "aws:SourceVpce"`},
		{name: "A4 condition keys differing only by case", kind: R, raw: doc(`{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1","aws:sourcevpce":"vpce-2"}}}`), field: "Statement[0].Condition.StringEquals.aws:sourcevpce", msg: "with different case"},
		{name: "A4 operators differing only by case", kind: R, raw: doc(`{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1"},"stringequals":{"aws:SourceVpc":"vpc-1"}}}`), field: "Statement[0].Condition.stringequals", msg: "with different case"},
		{name: "A4 same key under two operators is valid", kind: R, raw: doc(`{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1"},"StringLike":{"aws:SourceVpce":"vpce-*"}}}`)},
		{name: "A4 escaped duplicate key", kind: R, raw: `{"Statement":[{"Effect":"Allow","\u0045ffect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}]}`, field: "Statement[0].Effect", msg: "duplicate key"},
		{name: "A4 duplicate Sid", kind: R, raw: doc(`{"Sid":"S","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}`, `{"Sid":"S","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"*"}`), field: "Statement[1].Sid", msg: "already used by Statement[0]"},

		// A5
		{name: "A5 Effect lowercase allow", kind: R, raw: doc(`{"Effect":"allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}`), field: "Statement[0].Effect", msg: `must be "Allow" or "Deny", found "allow"`},
		{name: "A5 Effect DENY", kind: R, raw: doc(`{"Effect":"DENY","Principal":"*","Action":"s3:GetObject","Resource":"*"}`), field: "Statement[0].Effect", msg: `found "DENY"`},
		{name: "A5 Effect boolean", kind: R, raw: doc(`{"Effect":true,"Principal":"*","Action":"s3:GetObject","Resource":"*"}`), field: "Statement[0].Effect", msg: "found boolean"},
		{name: "A5 Effect missing", kind: R, raw: doc(`{"Principal":"*","Action":"s3:GetObject","Resource":"*"}`), field: "Statement[0]", msg: "missing Effect"},
		{name: "A5 unknown statement element", kind: R, raw: doc(`{"Effect":"Allow","Principal":"*","Actions":"s3:GetObject","Action":"s3:GetObject","Resource":"*"}`), field: "Statement[0].Actions", msg: `unknown element "Actions"`},
		{name: "A5 element names are case-sensitive", kind: R, raw: doc(`{"effect":"Allow","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}`), field: "Statement[0].effect", msg: "unknown element"},
		{name: "A5 unknown top-level element", kind: R, raw: `{"Version":"2012-10-17","Statements":[` + resStmt + `]}`, field: "Statements", msg: `unknown element "Statements"`},
		{name: "A5 Id must be a string", kind: R, raw: `{"Version":"2012-10-17","Id":1,"Statement":[` + resStmt + `]}`, field: "Id", msg: "must be a string"},
		{name: "A5 Id string is valid", kind: R, raw: `{"Version":"2012-10-17","Id":"Policy1","Statement":[` + resStmt + `]}`},
		{name: "A5 Sid must be a string", kind: R, raw: doc(`{"Sid":1,"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}`), field: "Statement[0].Sid", msg: "must be a string"},
		{name: "A5 unknown principal key", kind: R, raw: doc(`{"Effect":"Allow","Principal":{"Aws":"111122223333"},"Action":"s3:GetObject","Resource":"*"}`), field: "Statement[0].Principal.Aws", msg: `unknown principal type "Aws"`},
		{name: "A5 CanonicalUser without AllowCanonicalUser", kind: R, raw: doc(`{"Effect":"Allow","Principal":{"CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},"Action":"s3:GetObject","Resource":"*"}`), field: "Statement[0].Principal.CanonicalUser", msg: "only in S3 policies"},
		{name: "A5 CanonicalUser with AllowCanonicalUser", kind: R, opts: policy.Options{AllowCanonicalUser: true}, raw: doc(`{"Effect":"Allow","Principal":{"CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},"Action":"s3:GetObject","Resource":"*"}`)},
		{name: "A5 Service and Federated principals", kind: T, raw: doc(`{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com","lambda.amazonaws.com"],"Federated":"arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},"Action":["sts:AssumeRole","sts:AssumeRoleWithWebIdentity"]}`)},
		{name: "A5 principal string other than *", kind: R, raw: doc(`{"Effect":"Allow","Principal":"111122223333","Action":"s3:GetObject","Resource":"*"}`), field: "Statement[0].Principal", msg: `the string form only accepts "*"`},
		{name: "A5 principal empty object", kind: R, raw: doc(`{"Effect":"Allow","Principal":{},"Action":"s3:GetObject","Resource":"*"}`), field: "Statement[0].Principal", msg: "must name at least one principal"},
		{name: "A5 principal array", kind: R, raw: doc(`{"Effect":"Allow","Principal":["*"],"Action":"s3:GetObject","Resource":"*"}`), field: "Statement[0].Principal", msg: "found array"},
		{name: "A5 unknown condition operator", kind: R, raw: doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"StringEqual":{"aws:SourceVpce":"vpce-1"}}}`), field: "Statement[0].Condition.StringEqual", msg: `unknown condition operator "StringEqual"`},
		{name: "A5 operator without keys", kind: R, raw: doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{}}}`), field: "Statement[0].Condition.StringEquals", msg: "must name at least one condition key"},

		// B2, B3
		{name: "B2 bare account ID", kind: R, raw: doc(`{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"s3:GetObject","Resource":"*"}`)},
		{name: "B2 account root ARN", kind: R, raw: doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"s3:GetObject","Resource":"*"}`)},
		{name: "B2 role and assumed-role ARNs in other partitions", kind: R, raw: doc(`{"Effect":"Allow","Principal":{"AWS":["arn:aws-cn:iam::123456789012:role/r","arn:aws-us-gov:sts::123456789012:assumed-role/r/s","arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E1"]},"Action":"s3:GetObject","Resource":"*"}`)},
		{name: "B2 short account ID", kind: R, raw: doc(`{"Effect":"Allow","Principal":{"AWS":"12345"},"Action":"s3:GetObject","Resource":"*"}`), field: "Statement[0].Principal.AWS", msg: "neither a 12-digit account ID nor an IAM or STS principal ARN"},
		{name: "B2 non-IAM ARN", kind: R, raw: doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:s3:::bucket"},"Action":"s3:GetObject","Resource":"*"}`), field: "Statement[0].Principal.AWS", msg: "neither a 12-digit account ID"},
		{name: "B3 partial wildcard account", kind: R, raw: doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::*:root"},"Action":"s3:GetObject","Resource":"*"}`), field: "Statement[0].Principal.AWS", msg: "partial wildcard"},
		{name: "B3 partial wildcard user", kind: R, raw: doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/*"},"Action":"s3:GetObject","Resource":"*"}`), field: "Statement[0].Principal.AWS", msg: "partial wildcard"},
		{name: "B3 partial wildcard in an array is located exactly", kind: R, raw: doc(`{"Effect":"Allow","Principal":{"AWS":[1,"arn:aws:iam::*:root"]},"Action":"s3:GetObject","Resource":"*"}`), field: "Statement[0].Principal.AWS[1]", msg: "partial wildcard"},
		{name: "B3 partial wildcard in a trust policy", kind: T, raw: doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::*:role/ci-*"},"Action":"sts:AssumeRole"}`), field: "Statement[0].Principal.AWS", msg: "partial wildcard"},
		{name: "B3 question mark is a wildcard too", kind: R, raw: doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::11112222333?:root"},"Action":"s3:GetObject","Resource":"*"}`), field: "Statement[0].Principal.AWS", msg: "partial wildcard"},
		{name: "B3 wildcard service principal", kind: R, raw: doc(`{"Effect":"Allow","Principal":{"Service":"*.amazonaws.com"},"Action":"s3:GetObject","Resource":"*"}`), field: "Statement[0].Principal.Service", msg: "wildcards are not supported"},
		{name: "B3 wildcard federated principal in an array", kind: T, raw: doc(`{"Effect":"Allow","Principal":{"Federated":["cognito-identity.amazonaws.com","*"]},"Action":"sts:AssumeRoleWithWebIdentity"}`), field: "Statement[0].Principal.Federated[1]", msg: "wildcards are not supported"},
	})
}

// TestParseVersion covers A6.
func TestParseVersion(t *testing.T) {
	tests := []struct {
		name        string
		raw         string
		wantProblem string
		hasVersion  bool
		literal     bool
	}{
		{name: "2012-10-17", raw: `{"Version":"2012-10-17","Statement":[` + resStmt + `]}`, hasVersion: true, literal: false},
		{name: "2008-10-17", raw: `{"Version":"2008-10-17","Statement":[` + resStmt + `]}`, hasVersion: true, literal: true},
		{name: "missing", raw: `{"Statement":[` + resStmt + `]}`, hasVersion: false, literal: true},
		{name: "a date that is not a version", raw: `{"Version":"2012-10-18","Statement":[` + resStmt + `]}`, wantProblem: `"2012-10-18" is not a policy language version`, hasVersion: true},
		{name: "today's date", raw: `{"Version":"2024-01-01","Statement":[` + resStmt + `]}`, wantProblem: "is not a policy language version", hasVersion: true},
		{name: "number", raw: `{"Version":2012,"Statement":[` + resStmt + `]}`, wantProblem: "must be a string, found number", hasVersion: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, problems := policy.Parse(tt.raw, policy.ResourcePolicy, policy.Options{})
			if d == nil {
				t.Fatalf("no document: %q", problems)
			}
			if d.HasVersion != tt.hasVersion {
				t.Errorf("HasVersion = %v, want %v", d.HasVersion, tt.hasVersion)
			}
			if tt.wantProblem == "" {
				if len(problems) > 0 {
					t.Fatalf("problems: %q", problems)
				}
				if d.VariablesAreLiteral() != tt.literal {
					t.Errorf("VariablesAreLiteral = %v, want %v", d.VariablesAreLiteral(), tt.literal)
				}
				return
			}
			if len(problems) != 1 || problems[0].Field != "Version" || !strings.Contains(problems[0].Message, tt.wantProblem) {
				t.Errorf("want one Version problem containing %q, got %q", tt.wantProblem, problems)
			}
		})
	}
}

// TestParseLimits covers A7: the size limit and the nesting limit, both
// answered with one clear problem and quickly.
func TestParseLimits(t *testing.T) {
	// padded returns a valid document of exactly n bytes.
	padded := func(n int) string {
		base := doc(resStmt)
		return base[:len(base)-1] + strings.Repeat(" ", n-len(base)) + "}"
	}
	tests := []struct {
		name string
		raw  string
		opts policy.Options
		kind policy.Kind
		want string // "" = valid
	}{
		{name: "exactly 20 KB bucket policy", raw: padded(20 * 1024)},
		{name: "one byte over 20 KB", raw: padded(20*1024 + 1), want: "document is 20481 bytes; a resource policy may be at most 20480 bytes"},
		{name: "custom limit", raw: padded(4097), kind: policy.TrustPolicy, opts: policy.Options{MaxBytes: policy.MaxTrustPolicyBytes}, want: "a trust policy may be at most 4096 bytes"},
		{name: "1 MiB of garbage", raw: strings.Repeat("x", 1<<20), want: "may be at most 20480 bytes"},
		{name: "10,000 nested arrays", raw: strings.Repeat("[", 10000) + strings.Repeat("]", 10000), want: "nested more than 16 levels deep"},
		{name: "10,000 unterminated nested objects", raw: strings.Repeat(`{"a":`, 4000), want: "nested more than 16 levels deep"},
		{name: "deep nesting inside a condition", raw: doc(`{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"k":` + strings.Repeat("[", 20) + strings.Repeat("]", 20) + `}}}`), want: "nested more than 16 levels deep"},
		{name: "not JSON", raw: `{"Version":"2012-10-17",}`, want: "not valid JSON: line 1, column 25"},
		{name: "empty input", raw: ``, want: "not valid JSON"},
		{name: "trailing garbage", raw: doc(resStmt) + `x`, want: "not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			d, problems := policy.Parse(tt.raw, tt.kind, tt.opts)
			if el := time.Since(start); el > 2*time.Second {
				t.Errorf("Parse took %v", el)
			}
			if tt.want == "" {
				if len(problems) > 0 || d == nil {
					t.Fatalf("want a valid document, got %q", problems)
				}
				return
			}
			if d != nil {
				t.Errorf("want no document for input that is not a parsable policy")
			}
			if len(problems) != 1 || !strings.Contains(problems[0].Message, tt.want) {
				t.Errorf("want one problem containing %q, got %q", tt.want, problems)
			}
		})
	}
}

// TestPrincipalAll covers B1.
func TestPrincipalAll(t *testing.T) {
	tests := []struct {
		principal string
		want      bool
	}{
		{`"*"`, true},
		{`{"AWS":"*"}`, true},
		{`{"AWS":["arn:aws:iam::111122223333:root","*"]}`, true},
		{`{"AWS":"111122223333"}`, false},
		{`{"AWS":["111122223333","arn:aws:iam::444455556666:root"]}`, false},
		{`{"Service":"s3.amazonaws.com"}`, false},
		{`{"Federated":"graph.facebook.com"}`, false},
		{`{"CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.principal, func(t *testing.T) {
			raw := doc(`{"Effect":"Allow","Principal":` + tt.principal + `,"Action":"s3:GetObject","Resource":"*"}`)
			d, problems := policy.Parse(raw, policy.ResourcePolicy, policy.Options{AllowCanonicalUser: true})
			if len(problems) > 0 {
				t.Fatalf("problems: %q", problems)
			}
			if got := d.Statements[0].Principal.All(); got != tt.want {
				t.Errorf("All() = %v, want %v", got, tt.want)
			}
		})
	}
	var nilPrincipal *policy.Principal
	if nilPrincipal.All() {
		t.Error("nil principal is All()")
	}
}

func TestParseOperator(t *testing.T) {
	tests := []struct {
		in   string
		ok   bool
		want policy.Operator
	}{
		{"StringEquals", true, policy.Operator{Base: "StringEquals"}},
		{"stringequals", true, policy.Operator{Base: "StringEquals"}},
		{"StringNotEquals", true, policy.Operator{Base: "StringNotEquals", Negated: true}},
		{"StringEqualsIgnoreCase", true, policy.Operator{Base: "StringEqualsIgnoreCase"}},
		{"StringNotEqualsIgnoreCase", true, policy.Operator{Base: "StringNotEqualsIgnoreCase", Negated: true}},
		{"StringLike", true, policy.Operator{Base: "StringLike"}},
		{"StringNotLike", true, policy.Operator{Base: "StringNotLike", Negated: true}},
		{"StringEqualsIfExists", true, policy.Operator{Base: "StringEquals", IfExists: true}},
		{"ForAllValues:StringLike", true, policy.Operator{Base: "StringLike", ForAllValue: true}},
		{"ForAnyValue:StringEquals", true, policy.Operator{Base: "StringEquals", ForAnyValue: true}},
		{"forallvalues:stringlikeifexists", true, policy.Operator{Base: "StringLike", ForAllValue: true, IfExists: true}},
		{"ForAnyValue:StringNotEqualsIfExists", true, policy.Operator{Base: "StringNotEquals", ForAnyValue: true, IfExists: true, Negated: true}},
		{"StringNotEqualsIgnoreCaseIfExists", true, policy.Operator{Base: "StringNotEqualsIgnoreCase", IfExists: true, Negated: true}},
		{"ArnLi\u212ae", true, policy.Operator{Base: "ArnLike"}}, // the Kelvin sign lowers to k
		{"IpAddress", true, policy.Operator{Base: "IpAddress"}},
		{"NotIpAddress", true, policy.Operator{Base: "NotIpAddress", Negated: true}},
		{"ArnLike", true, policy.Operator{Base: "ArnLike"}},
		{"ArnNotLikeIfExists", true, policy.Operator{Base: "ArnNotLike", IfExists: true, Negated: true}},
		{"ArnEquals", true, policy.Operator{Base: "ArnEquals"}},
		{"ArnNotEquals", true, policy.Operator{Base: "ArnNotEquals", Negated: true}},
		{"NumericLessThanEquals", true, policy.Operator{Base: "NumericLessThanEquals"}},
		{"NumericNotEquals", true, policy.Operator{Base: "NumericNotEquals", Negated: true}},
		{"DateGreaterThan", true, policy.Operator{Base: "DateGreaterThan"}},
		{"DateNotEquals", true, policy.Operator{Base: "DateNotEquals", Negated: true}},
		{"Bool", true, policy.Operator{Base: "Bool"}},
		{"BoolIfExists", true, policy.Operator{Base: "Bool", IfExists: true}},
		{"BinaryEquals", true, policy.Operator{Base: "BinaryEquals"}},
		{"Null", true, policy.Operator{Base: "Null"}},
		{"NullIfExists", false, policy.Operator{}},
		{"StringEqual", false, policy.Operator{}},
		{"", false, policy.Operator{}},
		{"IfExists", false, policy.Operator{}},
		{"ForAllValues:", false, policy.Operator{}},
		{":StringEquals", false, policy.Operator{}},
		{"ForSomeValues:StringEquals", false, policy.Operator{}},
		{"ForAllValues:ForAnyValue:StringEquals", false, policy.Operator{}},
		{"StringEqualsIfExistsIfExists", false, policy.Operator{}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := policy.ParseOperator(tt.in)
			if ok != tt.ok || got != tt.want {
				t.Errorf("ParseOperator(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

// TestParseOperatorAllocatesNothing: the longest operator, in any case,
// is read without a lowercased copy.
func TestParseOperatorAllocatesNothing(t *testing.T) {
	for _, in := range []string{"StringNotEqualsIgnoreCaseIfExists", "forallvalues:stringnotequalsignorecaseifexists"} {
		if n := testing.AllocsPerRun(10, func() { _, _ = policy.ParseOperator(in) }); n != 0 {
			t.Errorf("ParseOperator(%q): %v allocations, want none", in, n)
		}
	}
}

func TestConditionKeyIs(t *testing.T) {
	c := policy.Condition{Key: "AWS:SourceVPCE"}
	if !c.KeyIs("aws:SourceVpce") || c.KeyIs("aws:SourceVpc") {
		t.Error("KeyIs must compare condition keys case-insensitively and exactly otherwise")
	}
}

func TestKindAndProblemString(t *testing.T) {
	if policy.ResourcePolicy.String() != "resource policy" || policy.IdentityPolicy.String() != "identity policy" ||
		policy.TrustPolicy.String() != "trust policy" || policy.Kind(42).String() != "policy" {
		t.Error("Kind.String")
	}
	if got := (policy.Problem{Field: "Statement[0].Effect", Message: "bad"}).String(); got != "Statement[0].Effect: bad" {
		t.Errorf("Problem.String() = %q", got)
	}
	if got := (policy.Problem{Message: "bad"}).String(); got != "bad" {
		t.Errorf("Problem.String() = %q", got)
	}
}

func TestParseBoundsProblems(t *testing.T) {
	doc := `{"Version":"2012-10-17","Statement":[` + strings.Repeat(`{},`, 500) + `{}]}`
	_, problems := policy.Parse(doc, policy.ResourcePolicy, policy.Options{MaxBytes: 1 << 20})
	if len(problems) != policy.MaxProblems+1 || !strings.Contains(problems[policy.MaxProblems].Message, "not listed") {
		t.Fatalf("got %d problems, last %v", len(problems), problems[len(problems)-1])
	}
}

// TestDocumentsOutliveLaterParses: Parse reads each document from a tree
// whose memory the next document reuses; a document must keep nothing of
// it but strings and offsets, so one parsed earlier reads the same after
// many others, escaped strings, errors and larger documents among them.
func TestDocumentsOutliveLaterParses(t *testing.T) {
	first := `{"Version":"2012-10-17","Id":"caf\u00e9","Statement":[` +
		`{"Sid":"A\u0042","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:role/app","444455556666"],"CanonicalUser":"79a59df9"},` +
		`"Action":["s3:GetObject","s3:List\u002a"],"Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:SourceVpce":["vpce-1","vpce-2"]},"Bool":{"aws:SecureTransport":true}}},` +
		`{"Effect":"Deny","NotPrincipal":{"Service":"logging.s3.amazonaws.com"},"NotAction":"s3:*","NotResource":["arn:aws:s3:::b"]}]}`
	opts := policy.Options{AllowCanonicalUser: true}
	got, problems := policy.Parse(first, policy.ResourcePolicy, opts)
	if got == nil || len(problems) > 0 {
		t.Fatalf("Parse: %v", problems)
	}
	others := []string{
		doc(resStmt, resStmt, resStmt, resStmt, resStmt, resStmt, resStmt, resStmt),
		`{"Statement":[{"Effect":"Allow","Effect":"Deny"}]}`,                                               // a duplicate key
		`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"\u0078"},"Action":["a:b","c"],"Resource":7}]`, // cut short
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:\u0047etObject","Resource":"*","Condition":{"StringLike":{"s3:prefix":["h\u006fme/","x"]}}}}`,
	}
	for range 20 {
		for _, o := range others {
			_, _ = policy.Parse(o, policy.ResourcePolicy, opts)
		}
	}
	want, _ := policy.Parse(first, policy.ResourcePolicy, opts)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("a document changed after later parses:\n got %#v\nwant %#v", got.Statements, want.Statements)
	}
	if s := got.Statements[0]; s.Sid != "AB" || s.Action[1] != "s3:List*" || s.Conditions[0].Values[1] != "vpce-2" {
		t.Errorf("first statement read %+v", s)
	}
}
