package policy_test

import (
	"strings"
	"testing"

	"github.com/ackguard/ackguard/internal/policy"
)

// statement parses one statement of a bucket policy and fails the test on
// any problem.
func statement(t *testing.T, kind policy.Kind, stmt string) *policy.Statement {
	t.Helper()
	d, problems := policy.Parse(doc(stmt), kind, policy.Options{AllowCanonicalUser: true})
	if len(problems) > 0 {
		t.Fatalf("statement %s: problems %q", stmt, problems)
	}
	return d.Statements[0]
}

// readStmt is an Allow of s3:GetObject with the given principal element
// and condition block ("" for none).
func readStmt(principal, condition string) string {
	s := `{"Effect":"Allow",` + principal + `,"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"`
	if condition != "" {
		s += `,"Condition":` + condition
	}
	return s + "}"
}

// TestReachPublic covers rules C1-C7 with the S3 restricting keys, and B1,
// B5, B6.
func TestReachPublic(t *testing.T) {
	const star = `"Principal":"*"`
	tests := []struct {
		name string
		stmt string
		// public is the verdict; restrictedBy the key that restricts, when
		// not public; weak a substring of one Weak explanation.
		public       bool
		who          string
		restrictedBy string
		weak         string
		weakCount    int
	}{
		// Secure: a fixed value under a positive operator.
		{name: "C1 StringEquals aws:SourceVpce fixed value", stmt: readStmt(star, `{"StringEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}`), restrictedBy: "aws:SourceVpce"},
		{name: "C1 StringEquals aws:PrincipalOrgID", stmt: readStmt(star, `{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}`), restrictedBy: "aws:PrincipalOrgID"},
		{name: "C1 StringEquals aws:PrincipalAccount", stmt: readStmt(star, `{"StringEquals":{"aws:PrincipalAccount":["111122223333","444455556666"]}}`), restrictedBy: "aws:PrincipalAccount"},
		{name: "C1 ArnEquals aws:SourceArn", stmt: readStmt(star, `{"ArnEquals":{"aws:SourceArn":"arn:aws:cloudfront::111122223333:distribution/E1"}}`), restrictedBy: "aws:SourceArn"},
		{name: "C1 ArnLike aws:PrincipalArn fixed", stmt: readStmt(star, `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/reader"}}`), restrictedBy: "aws:PrincipalArn"},
		{name: "C1 StringLike without wildcard is fixed", stmt: readStmt(star, `{"StringLike":{"aws:SourceVpc":"vpc-111"}}`), restrictedBy: "aws:SourceVpc"},
		{name: "C1 StringEqualsIgnoreCase aws:SourceOwner", stmt: readStmt(star, `{"StringEqualsIgnoreCase":{"aws:SourceOwner":"111122223333"}}`), restrictedBy: "aws:SourceOwner"},
		{name: "C1 kms key id", stmt: readStmt(star, `{"StringEquals":{"s3:x-amz-server-side-encryption-aws-kms-key-id":"arn:aws:kms:us-east-1:111122223333:key/1"}}`), restrictedBy: "s3:x-amz-server-side-encryption-aws-kms-key-id"},
		{name: "C1 access point account", stmt: readStmt(star, `{"StringEquals":{"s3:DataAccessPointAccount":"111122223333"}}`), restrictedBy: "s3:DataAccessPointAccount"},
		{name: "C1 ForAnyValue on a single-valued key restricts", stmt: readStmt(star, `{"ForAnyValue:StringEquals":{"aws:SourceVpce":"vpce-1"}}`), restrictedBy: "aws:SourceVpce"},
		{name: "F4 condition key case-insensitive", stmt: readStmt(star, `{"StringEquals":{"AWS:SOURCEVPCE":"vpce-1"}}`), restrictedBy: "AWS:SOURCEVPCE"},
		{name: "C1 aws:userid AROAEXAMPLEID:* restricts", stmt: readStmt(star, `{"StringLike":{"aws:userid":"AROAEXAMPLEID:*"}}`), restrictedBy: "aws:userid"},
		{name: "C1 aws:userid fixed value restricts", stmt: readStmt(star, `{"StringEquals":{"aws:userid":"AIDAEXAMPLE"}}`), restrictedBy: "aws:userid"},
		{name: "C7 aws:SourceIp public range", stmt: readStmt(star, `{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:db8::/32"]}}`), restrictedBy: "aws:SourceIp"},
		{name: "C7 aws:SourceIp only private ranges is not public", stmt: readStmt(star, `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`), restrictedBy: "aws:SourceIp"},
		{name: "C4 two conditions where one restricts", stmt: readStmt(star, `{"StringNotEquals":{"aws:SourceVpce":"vpce-1"},"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}`), restrictedBy: "aws:PrincipalOrgID", weak: "StringNotEquals on aws:SourceVpce", weakCount: 1},
		{name: "C1 Federated principal with a restricting condition", stmt: readStmt(`"Principal":{"Federated":"cognito-identity.amazonaws.com"}`, `{"StringEquals":{"aws:SourceVpce":"vpce-1"}}`), restrictedBy: "aws:SourceVpce"},

		// Insecure.
		{name: "C1 Principal * without condition", stmt: readStmt(star, ""), public: true, who: "any principal"},
		{name: "B1 AWS * without condition", stmt: readStmt(`"Principal":{"AWS":"*"}`, ""), public: true, who: "any principal"},
		{name: "B1 * inside an AWS array", stmt: readStmt(`"Principal":{"AWS":["arn:aws:iam::111122223333:root","*"]}`, ""), public: true, who: "any principal"},
		{name: "B6 Federated principal is public", stmt: readStmt(`"Principal":{"Federated":"graph.facebook.com"}`, ""), public: true, who: "graph.facebook.com"},
		{name: "B5 NotPrincipal with Allow is public", stmt: `{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`, public: true, who: "NotPrincipal"},
		{name: "C1 condition on a key that does not restrict", stmt: readStmt(star, `{"StringEquals":{"aws:Referer":"https://example.com/"}}`), public: true},
		{name: "C1 Bool on aws:SecureTransport does not restrict", stmt: readStmt(star, `{"Bool":{"aws:SecureTransport":"true"}}`), public: true},

		// Tricky: conditions that look restrictive but are not.
		{name: "C3 StringNotEquals aws:SourceVpce", stmt: readStmt(star, `{"StringNotEquals":{"aws:SourceVpce":"vpce-1"}}`), public: true, weak: "StringNotEquals on aws:SourceVpce matches every other value"},
		{name: "C3 ArnNotLike aws:PrincipalArn", stmt: readStmt(star, `{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/x"}}`), public: true, weak: "ArnNotLike"},
		{name: "C3 NotIpAddress aws:SourceIp", stmt: readStmt(star, `{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`), public: true, weak: "NotIpAddress"},
		{name: "C3 StringEqualsIfExists", stmt: readStmt(star, `{"StringEqualsIfExists":{"aws:SourceVpce":"vpce-1"}}`), public: true, weak: "true when the key is absent"},
		{name: "C3 ForAllValues:", stmt: readStmt(star, `{"ForAllValues:StringEquals":{"aws:SourceVpce":"vpce-1"}}`), public: true, weak: "ForAllValues:StringEquals on aws:SourceVpce is true when the key is absent"},
		{name: "C3 Null is not a positive operator", stmt: readStmt(star, `{"Null":{"aws:SourceVpce":"false"}}`), public: true, weak: "does not restrict"},
		{name: "C2 wildcard value", stmt: readStmt(star, `{"StringLike":{"aws:SourceVpce":"vpce-*"}}`), public: true, weak: "has a wildcard"},
		{name: "C2 question-mark wildcard value", stmt: readStmt(star, `{"StringLike":{"aws:SourceAccount":"11112222333?"}}`), public: true, weak: "has a wildcard"},
		{name: "C2 one wildcard among fixed values", stmt: readStmt(star, `{"StringLike":{"aws:SourceVpce":["vpce-1","*"]}}`), public: true, weak: "has a wildcard"},
		{name: "C2 policy variable", stmt: readStmt(star, `{"StringEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:user/${aws:username}"}}`), public: true, weak: "uses a policy variable"},
		{name: "C2 role-ID wildcard only for aws:userid", stmt: readStmt(star, `{"StringLike":{"aws:PrincipalArn":"AROAEXAMPLEID:*"}}`), public: true, weak: "has a wildcard"},
		{name: "C2 aws:userid wildcard outside AROLEID:*", stmt: readStmt(star, `{"StringLike":{"aws:userid":"AIDA*"}}`), public: true, weak: "has a wildcard"},
		{name: "C7 aws:SourceIp 0.0.0.0/0", stmt: readStmt(star, `{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}`), public: true, weak: "admits (nearly) the whole internet"},
		{name: "C7 aws:SourceIp ::/0", stmt: readStmt(star, `{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","::/0"]}}`), public: true, weak: "whole internet"},
		{name: "C7 aws:SourceIp two halves cover everything", stmt: readStmt(star, `{"IpAddress":{"aws:SourceIp":["0.0.0.0/1","128.0.0.0/1"]}}`), public: true, weak: "whole internet"},
		{name: "C7 aws:SourceIp host bits do not hide /0", stmt: readStmt(star, `{"IpAddress":{"aws:SourceIp":"10.1.2.3/0"}}`), public: true, weak: "whole internet"},
		{name: "C7 aws:SourceIp prefix shorter than /8", stmt: readStmt(star, `{"IpAddress":{"aws:SourceIp":"64.0.0.0/3"}}`), public: true, weak: "whole internet"},
		{name: "C7 aws:SourceIp not an IP", stmt: readStmt(star, `{"IpAddress":{"aws:SourceIp":"office"}}`), public: true, weak: "is not an IP range"},
		{name: "aws:SourceIp under a string operator", stmt: readStmt(star, `{"StringEquals":{"aws:SourceIp":"203.0.113.5"}}`), public: true, weak: "wrong operator"},
		{name: "IpAddress on a non-IP key", stmt: readStmt(star, `{"IpAddress":{"aws:SourceVpce":"203.0.113.5"}}`), public: true, weak: "wrong operator"},
		{name: "C4 two conditions, neither restricts", stmt: readStmt(star, `{"StringNotEquals":{"aws:SourceVpce":"vpce-1"},"StringLike":{"aws:PrincipalOrgID":"o-*"}}`), public: true, weakCount: 2},

		// Not public for other reasons.
		{name: "C5 Deny is never public", stmt: `{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*"}`},
		{name: "C5 NotPrincipal with Deny is not public", stmt: `{"Effect":"Deny","NotPrincipal":{"AWS":"111122223333"},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}`},
		{name: "account principal", stmt: readStmt(`"Principal":{"AWS":"arn:aws:iam::111122223333:root"}`, ""), who: ""},
		{name: "service principal", stmt: readStmt(`"Principal":{"Service":"logging.s3.amazonaws.com"}`, "")},
		{name: "canonical user", stmt: readStmt(`"Principal":{"CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}`, "")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := statement(t, policy.ResourcePolicy, tt.stmt)
			e := s.Reach(policy.S3RestrictingKeys(), false)
			if e.Public != tt.public {
				t.Fatalf("Public = %v, want %v (exposure %+v)", e.Public, tt.public, e)
			}
			if tt.who != "" && !strings.Contains(e.Who, tt.who) {
				t.Errorf("Who = %q, want it to contain %q", e.Who, tt.who)
			}
			switch {
			case tt.restrictedBy != "" && (e.RestrictedBy == nil || e.RestrictedBy.Key != tt.restrictedBy):
				t.Errorf("RestrictedBy = %+v, want key %q", e.RestrictedBy, tt.restrictedBy)
			case tt.restrictedBy == "" && e.RestrictedBy != nil:
				t.Errorf("RestrictedBy = %+v, want none", e.RestrictedBy)
			}
			if tt.weak != "" && !containsSub(e.Weak, tt.weak) {
				t.Errorf("Weak = %q, want one containing %q", e.Weak, tt.weak)
			}
			if tt.weakCount != 0 && len(e.Weak) != tt.weakCount {
				t.Errorf("Weak = %q, want %d entries", e.Weak, tt.weakCount)
			}
		})
	}
}

func containsSub(list []string, sub string) bool {
	for _, s := range list {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// TestReachKeysAreTheCallers checks that only the keys given restrict.
func TestReachKeysAreTheCallers(t *testing.T) {
	s := statement(t, policy.ResourcePolicy, readStmt(`"Principal":"*"`, `{"StringEquals":{"aws:SourceVpce":"vpce-1"}}`))
	if e := s.Reach([]string{"aws:PrincipalOrgID"}, false); !e.Public {
		t.Errorf("aws:SourceVpce restricted although the caller did not list it: %+v", e)
	}
	if e := s.Reach(nil, false); !e.Public {
		t.Errorf("restricted with no keys: %+v", e)
	}
}

func TestPrivateOnlySourceIP(t *testing.T) {
	tests := []struct {
		name string
		c    policy.Condition
		want bool
	}{
		{"RFC 1918 ranges", policy.Condition{Key: "aws:SourceIp", Values: []string{"10.0.0.0/8", "192.168.1.0/24"}}, true},
		{"key case-insensitive", policy.Condition{Key: "AWS:SOURCEIP", Values: []string{"172.16.0.1"}}, true},
		{"IPv6 unique-local", policy.Condition{Key: "aws:SourceIp", Values: []string{"fd00::/8"}}, true},
		{"one public range", policy.Condition{Key: "aws:SourceIp", Values: []string{"10.0.0.0/8", "203.0.113.0/24"}}, false},
		{"wider than a private range", policy.Condition{Key: "aws:SourceIp", Values: []string{"10.0.0.0/7"}}, false},
		{"unparsable", policy.Condition{Key: "aws:SourceIp", Values: []string{"intranet"}}, false},
		{"no values", policy.Condition{Key: "aws:SourceIp"}, false},
		{"other key", policy.Condition{Key: "aws:VpcSourceIp", Values: []string{"10.0.0.0/8"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := policy.PrivateOnlySourceIP(tt.c); got != tt.want {
				t.Errorf("PrivateOnlySourceIP = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestS3RestrictingKeys(t *testing.T) {
	keys := policy.S3RestrictingKeys()
	want := []string{"aws:SourceIp", "aws:PrincipalOrgID", "aws:PrincipalAccount", "aws:PrincipalArn", "aws:userid",
		"aws:SourceArn", "aws:SourceVpc", "aws:SourceVpce", "aws:SourceOwner", "aws:SourceAccount",
		"s3:x-amz-server-side-encryption-aws-kms-key-id", "s3:DataAccessPointArn", "s3:DataAccessPointAccount"}
	if strings.Join(keys, ",") != strings.Join(want, ",") {
		t.Errorf("S3RestrictingKeys() = %q", keys)
	}
	keys[0] = "changed"
	if policy.S3RestrictingKeys()[0] != "aws:SourceIp" {
		t.Error("S3RestrictingKeys returns shared state")
	}
}

// TestReachAccounts covers the accounts a condition pins the caller to
// (the data-perimeter pattern) and the conditions that only look like it.
func TestReachAccounts(t *testing.T) {
	const star = `"Principal":"*"`
	tests := []struct {
		name string
		stmt string
		// accounts are the pinned accounts; nil when nothing pins.
		accounts []string
		public   bool
	}{
		{name: "StringEquals aws:PrincipalAccount", stmt: readStmt(star, `{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}`), accounts: []string{"111122223333"}},
		{name: "ArnLike aws:PrincipalArn with a wildcard role keeps the account", stmt: readStmt(star, `{"ArnLike":{"aws:PrincipalArn":["arn:aws:iam::111122223333:role/*","arn:aws:iam::444455556666:role/admin"]}}`), accounts: []string{"111122223333", "444455556666"}, public: true},
		{name: "two pins intersect (C4)", stmt: readStmt(star, `{"StringEquals":{"aws:PrincipalAccount":["111122223333","444455556666"]},"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/a"}}`), accounts: []string{"111122223333"}},
		{name: "named principal pinned too", stmt: readStmt(`"Principal":{"AWS":"444455556666"}`, `{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}`), accounts: []string{"111122223333"}},
		{name: "negated operator does not pin", stmt: readStmt(star, `{"StringNotEquals":{"aws:PrincipalAccount":"111122223333"}}`), public: true},
		{name: "IfExists does not pin", stmt: readStmt(star, `{"StringEqualsIfExists":{"aws:PrincipalAccount":"111122223333"}}`), public: true},
		{name: "wildcard account does not pin", stmt: readStmt(star, `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/admin"}}`), public: true},
		{name: "one open value leaves the account open", stmt: readStmt(star, `{"StringLike":{"aws:PrincipalAccount":["111122223333","4444*"]}}`), public: true},
		{name: "a value naming no account adds none and leaves the others pinning (C4)", stmt: readStmt(star, `{"StringEquals":{"aws:PrincipalAccount":["444455556666","prod"]}}`), accounts: []string{"444455556666"}},
		{name: "an ARN without a resource or with another prefix adds none", stmt: readStmt(star, `{"StringEqualsIgnoreCase":{"aws:PrincipalArn":["ARN:AWS:IAM::444455556666:ROLE/X","arn:aws:iam::111122223333","urn:x:y:z:111122223333:w"]}}`), accounts: []string{"444455556666"}},
		{name: "only values naming no account pin to none", stmt: readStmt(star, `{"StringEquals":{"aws:PrincipalAccount":"prod"}}`), accounts: []string{}},
		{name: "policy variable does not pin", stmt: readStmt(star, `{"StringEquals":{"aws:PrincipalAccount":"${aws:ResourceAccount}"}}`), public: true},
		{name: "organization is not an account", stmt: readStmt(star, `{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}`)},
		{name: "Deny reaches no one", stmt: `{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := statement(t, policy.ResourcePolicy, tt.stmt).Reach(policy.S3RestrictingKeys(), false)
			if strings.Join(r.Accounts, ",") != strings.Join(tt.accounts, ",") || (r.Accounts == nil) != (tt.accounts == nil) {
				t.Errorf("Accounts = %q, want %q", r.Accounts, tt.accounts)
			}
			if (r.PinnedBy != nil) != (tt.accounts != nil) {
				t.Errorf("PinnedBy = %+v with Accounts %q", r.PinnedBy, r.Accounts)
			}
			if r.Public != tt.public {
				t.Errorf("Public = %v, want %v", r.Public, tt.public)
			}
		})
	}
}

func TestParseIAMARN(t *testing.T) {
	tests := []struct {
		arn  string
		want policy.IAMARN
		ok   bool
	}{
		{"arn:aws:iam::111122223333:role/exec", policy.IAMARN{Account: "111122223333", Type: "role", Path: "/", Name: "exec"}, true},
		{"arn:aws-cn:iam::111122223333:role/service-role/team/exec", policy.IAMARN{Account: "111122223333", Type: "role", Path: "/service-role/team/", Name: "exec"}, true},
		{"arn:aws:iam::111122223333:policy/boundary", policy.IAMARN{Account: "111122223333", Type: "policy", Path: "/", Name: "boundary"}, true},
		{"arn:aws:iam::111122223333:role/*", policy.IAMARN{}, false},
		{"arn:aws:iam::111122223333:role/", policy.IAMARN{}, false},
		{"arn:aws:iam::111122223333:root", policy.IAMARN{}, false},
		{"arn:aws:s3:::bucket/key", policy.IAMARN{}, false},
		{"exec", policy.IAMARN{}, false},
	}
	for _, tt := range tests {
		got, ok := policy.ParseIAMARN(tt.arn)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseIAMARN(%q) = %+v, %v; want %+v, %v", tt.arn, got, ok, tt.want, tt.ok)
		}
	}
	for in, want := range map[string]string{"": "/", "/": "/", "team": "/team/", "/a/b/": "/a/b/"} {
		if got := policy.NormalIAMPath(in); got != want {
			t.Errorf("NormalIAMPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestGrants: a document grants by itself exactly when one of its
// statements' Reach is Granted, for every valid seed of every kind.
func TestGrants(t *testing.T) {
	for _, raw := range append(append([]string{}, fuzzSeeds...), quickSeeds...) {
		for _, kind := range quickKinds {
			d, _ := policy.Parse(raw, kind, policy.Options{AllowCanonicalUser: true})
			if d == nil {
				continue
			}
			want := false
			for _, s := range d.Statements {
				want = want || s.Reach(policy.S3RestrictingKeys(), false).Granted
			}
			if got := d.Grants(); got != want {
				t.Errorf("%s %s: Grants() = %v, a statement's Reach is Granted: %v", kind, raw, got, want)
			}
		}
	}
	if d, _ := policy.Parse(doc(`{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}`), policy.ResourcePolicy, policy.Options{}); d.Grants() {
		t.Error("a document that only denies grants")
	}
	if d, _ := policy.Parse(doc(readStmt(`"NotPrincipal":{"AWS":"111122223333"}`, "")), policy.ResourcePolicy, policy.Options{}); !d.Grants() {
		t.Error("an Allow with NotPrincipal does not grant")
	}
}
