package policy_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ackguard/ackguard/internal/policy"
)

func identity(t testing.TB, raw string) *policy.Document {
	t.Helper()
	d, problems := policy.Parse(raw, policy.IdentityPolicy, policy.Options{MaxBytes: len(raw) + 1})
	if len(problems) > 0 {
		t.Fatalf("parse: %v\n%s", problems, raw)
	}
	return d
}

func analyze(t testing.TB, docs ...string) *policy.Analysis {
	t.Helper()
	var srcs []policy.Source
	for i, d := range docs {
		srcs = append(srcs, policy.Source{Name: fmt.Sprintf("doc%d", i), Doc: identity(t, d)})
	}
	return policy.Analyze(srcs...)
}

func v12(stmts ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
}

// allowed reports whether action is granted on a wide resource.
func allowedWide(a *policy.Analysis, action string, typeWide bool) bool {
	for _, g := range a.Allowed(action) {
		if g.Unconstrained() || typeWide && g.TypeWide() {
			return true
		}
	}
	return false
}

func TestAnalyzeSemantics(t *testing.T) {
	tests := []struct {
		name     string
		docs     []string
		action   string
		typeWide bool
		want     bool
	}{
		// D1: case-insensitive action names.
		{"D1 case-insensitive", []string{v12(`{"Effect":"Allow","Action":"IAM:listaccesskeys","Resource":"*"}`)}, "iam:ListAccessKeys", false, true},
		// D2: '*' anywhere, '?' one character on the Allow side.
		{"D2 star in the middle", []string{v12(`{"Effect":"Allow","Action":"iam:*AccessKey*","Resource":"*"}`)}, "iam:CreateAccessKey", false, true},
		{"D2 question mark allows", []string{v12(`{"Effect":"Allow","Action":"iam:CreateAccess?ey","Resource":"*"}`)}, "iam:CreateAccessKey", false, true},
		{"D2 question mark never subtracts", []string{v12(`{"Effect":"Allow","Action":"iam:*","Resource":"*"}`, `{"Effect":"Deny","Action":"iam:CreateAccess?ey","Resource":"*"}`)}, "iam:CreateAccessKey", false, true},
		// D3/D4: NotAction.
		{"D3 NotAction allows the rest", []string{v12(`{"Effect":"Allow","NotAction":"s3:*","Resource":"*"}`)}, "iam:PassRole", false, true},
		{"D3 NotAction excludes", []string{v12(`{"Effect":"Allow","NotAction":"IAM:*","Resource":"*"}`)}, "iam:PassRole", false, false},
		{"D4 NotAction with a service resource stays in the service", []string{v12(`{"Effect":"Allow","NotAction":"s3:DeleteBucket","Resource":"arn:aws:s3:::b"}`)}, "iam:PassRole", false, false},
		// E1: effectively star.
		{"E1 arn:*", []string{v12(`{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:*"}`)}, "iam:PassRole", false, true},
		{"E1 arn:aws:*", []string{v12(`{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:*"}`)}, "iam:PassRole", false, true},
		{"E1 arn:*:*:*:*:*", []string{v12(`{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:*:*:*:*:*"}`)}, "iam:PassRole", false, true},
		{"E1 arn:aws:s3:::* for s3", []string{v12(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::*"}`)}, "s3:GetObject", false, true},
		{"E1 arn:aws:s3:::* is not every IAM resource", []string{v12(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::*"}`)}, "iam:PassRole", true, false},
		{"E1 NotResource with Allow", []string{v12(`{"Effect":"Allow","Action":"iam:PassRole","NotResource":"arn:aws:iam::1:role/x"}`)}, "iam:PassRole", false, true},
		{"E1 NotResource excluding the whole service grants nothing", []string{v12(`{"Effect":"Allow","Action":"iam:PassRole","NotResource":"arn:aws:iam::*:*"}`)}, "iam:PassRole", true, false},
		{"E1 NotResource of sts ARNs still grants AssumeRole on IAM roles", []string{v12(`{"Effect":"Allow","Action":"sts:AssumeRole","NotResource":"arn:aws:sts::*:*"}`)}, "sts:AssumeRole", false, true},
		{"E1 NotResource of every sts and IAM ARN grants no AssumeRole", []string{v12(`{"Effect":"Allow","Action":"sts:AssumeRole","NotResource":["arn:aws:sts::*:*","arn:aws:iam::*:*"]}`)}, "sts:AssumeRole", true, false},
		// E2: type-wide wildcards count only where asked.
		{"E2 role/* is type-wide", []string{v12(`{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::111122223333:role/*"}`)}, "iam:PassRole", true, true},
		{"E2 role/* is not unconstrained", []string{v12(`{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::111122223333:role/*"}`)}, "iam:PassRole", false, false},
		{"E2 a name prefix is not type-wide", []string{v12(`{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::111122223333:role/app-*"}`)}, "iam:PassRole", true, false},
		// E3: resources are case-sensitive.
		{"E3 ARN:* is not an ARN pattern", []string{v12(`{"Effect":"Allow","Action":"iam:PassRole","Resource":"ARN:*"}`)}, "iam:PassRole", true, false},
		// F3: Deny subtraction.
		{"F3 unconditional covering Deny subtracts", []string{v12(`{"Effect":"Allow","Action":"iam:*","Resource":"*"}`, `{"Effect":"Deny","Action":"iam:PassRole","Resource":"*"}`)}, "iam:PassRole", false, false},
		{"F3 Deny with arn:* covers *", []string{v12(`{"Effect":"Allow","Action":"iam:*","Resource":"*"}`, `{"Effect":"Deny","Action":"iam:PassRole","Resource":"arn:*"}`)}, "iam:PassRole", false, false},
		{"F3 conditional Deny does not subtract", []string{v12(`{"Effect":"Allow","Action":"iam:*","Resource":"*"}`, `{"Effect":"Deny","Action":"iam:PassRole","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}}`)}, "iam:PassRole", false, true},
		{"F3 narrower Deny does not subtract", []string{v12(`{"Effect":"Allow","Action":"iam:*","Resource":"*"}`, `{"Effect":"Deny","Action":"iam:PassRole","Resource":"arn:aws:iam::1:role/admin"}`)}, "iam:PassRole", false, true},
		{"F3 Deny NotAction covers what it does not list", []string{v12(`{"Effect":"Allow","Action":"iam:*","Resource":"*"}`, `{"Effect":"Deny","NotAction":"s3:*","Resource":"*"}`)}, "iam:PassRole", false, false},
		{"F3 Deny NotResource never covers *", []string{v12(`{"Effect":"Allow","Action":"iam:*","Resource":"*"}`, `{"Effect":"Deny","Action":"iam:*","NotResource":"arn:aws:iam::1:role/x"}`)}, "iam:PassRole", false, true},
		{"F3 Deny service-wide covers the service", []string{v12(`{"Effect":"Allow","Action":"iam:*","Resource":"*"}`, `{"Effect":"Deny","Action":"iam:*","Resource":"arn:aws:iam::*:*"}`)}, "iam:PassRole", false, false},
		{"F3 Deny on sts ARNs leaves AssumeRole on IAM roles", []string{v12(`{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}`, `{"Effect":"Deny","Action":"sts:AssumeRole","Resource":"arn:aws:sts::*:*"}`)}, "sts:AssumeRole", false, true},
		{"F3 Deny on sts ARNs leaves AssumeRole on NotResource", []string{v12(`{"Effect":"Allow","Action":"sts:AssumeRole","NotResource":"arn:aws:iam::1:role/x"}`, `{"Effect":"Deny","Action":"sts:*","Resource":"arn:aws:sts::*:*"}`)}, "sts:AssumeRole", false, true},
		{"F3 Deny on every sts and IAM ARN covers sts", []string{v12(`{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}`, `{"Effect":"Deny","Action":"sts:AssumeRole","Resource":["arn:aws:iam::*:*","arn:aws:sts::*:*"]}`)}, "sts:AssumeRole", false, false},
		// G1: union across documents, and a Deny in another document.
		{"G1 Deny in another document", []string{v12(`{"Effect":"Allow","Action":"iam:*","Resource":"*"}`), v12(`{"Effect":"Deny","Action":"iam:*","Resource":"*"}`)}, "iam:PassRole", false, false},
		// A6: a Deny with a policy variable covers only under a literal Version.
		{"A6 variable Deny does not cover under 2012", []string{v12(`{"Effect":"Allow","Action":"iam:CreateAccessKey","Resource":"arn:aws:iam::1:user/${aws:username}"}`, `{"Effect":"Deny","Action":"iam:*","Resource":"arn:aws:iam::1:user/${aws:username}"}`)}, "iam:CreateAccessKey", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := analyze(t, tt.docs...)
			if got := allowedWide(a, tt.action, tt.typeWide); got != tt.want {
				t.Errorf("allowed %s wide = %v, want %v (grants %+v)", tt.action, got, tt.want, a.Allowed(tt.action))
			}
		})
	}
}

func TestAnalyzePartialDeny(t *testing.T) {
	a := analyze(t, v12(`{"Effect":"Allow","Action":"s3:GetObject","Resource":["arn:aws:s3:::a/*","arn:aws:s3:::b/*"]}`,
		`{"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::a/*"}`))
	g := a.Allowed("s3:GetObject")
	if len(g) != 1 || len(g[0].Resources) != 1 || g[0].Resources[0] != "arn:aws:s3:::b/*" {
		t.Fatalf("grants = %+v", g)
	}
	// A variable in an Allow pattern is one value, never "unconstrained".
	a = analyze(t, v12(`{"Effect":"Allow","Action":"iam:CreateAccessKey","Resource":"arn:aws:iam::*:user/${aws:username}"}`))
	if allowedWide(a, "iam:CreateAccessKey", true) {
		t.Error("a self-scoped resource counted as wide")
	}
	// Under 2008 the same Deny pattern is literal and covers the literal.
	a = analyze(t, `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"iam:CreateAccessKey","Resource":"arn:aws:iam::1:user/${aws:username}"},{"Effect":"Deny","Action":"iam:*","Resource":"arn:aws:iam::1:user/${aws:username}"}]}`)
	if len(a.Allowed("iam:CreateAccessKey")) != 0 {
		t.Error("a literal Deny pattern did not cover the same literal")
	}
}

func TestConditions(t *testing.T) {
	cond := func(op, key string, vals ...string) policy.Condition {
		o, ok := policy.ParseOperator(op)
		if !ok {
			t.Fatalf("operator %s", op)
		}
		return policy.Condition{Operator: op, Op: o, Key: key, Values: vals}
	}
	for _, tt := range []struct {
		c    policy.Condition
		want bool
	}{
		{cond("StringEquals", "aws:SourceVpce", "vpce-1"), true},
		{cond("StringEqualsIfExists", "aws:SourceVpce", "vpce-1"), false},
		{cond("ForAllValues:StringEquals", "aws:TagKeys", "a"), false},
		{cond("StringNotEquals", "aws:SourceVpce", "vpce-1"), false},
		{cond("StringLike", "aws:SourceVpce", "*"), false},
		{cond("ForAnyValue:StringEquals", "aws:TagKeys", "a"), true},
		{cond("Null", "aws:TokenIssueTime", "false"), true},
	} {
		if got := tt.c.Constraining(); got != tt.want {
			t.Errorf("%s %s %v: Constraining = %v, want %v", tt.c.Operator, tt.c.Key, tt.c.Values, got, tt.want)
		}
	}
}

func TestTrustRestriction(t *testing.T) {
	parse := func(raw string) *policy.Statement {
		d, problems := policy.Parse(raw, policy.TrustPolicy, policy.Options{MaxBytes: 4096})
		if len(problems) > 0 {
			t.Fatalf("%v", problems)
		}
		return d.Statements[0]
	}
	tests := []struct {
		cond    string
		literal bool
		want    bool
	}{
		{`{"StringEquals":{"aws:PrincipalOrgID":"o-1"}}`, false, true},
		{`{"StringEquals":{"aws:PrincipalAccount":["111122223333","444455556666"]}}`, false, true},
		{`{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/ci"}}`, false, true},
		{`{"StringNotEquals":{"aws:PrincipalOrgID":"o-1"}}`, false, false},
		{`{"StringEqualsIfExists":{"aws:PrincipalOrgID":"o-1"}}`, false, false},
		{`{"ForAllValues:StringEquals":{"aws:PrincipalOrgID":"o-1"}}`, false, false},
		{`{"StringLike":{"aws:PrincipalOrgID":"o-*"}}`, false, false},
		{`{"StringEquals":{"aws:PrincipalArn":"arn:aws:iam::1:user/${aws:username}"}}`, false, false},
		{`{"StringEquals":{"aws:PrincipalArn":"arn:aws:iam::1:user/${aws:username}"}}`, true, true},
		{`{"StringEquals":{"aws:SourceIp":"203.0.113.0/24"}}`, false, false},
	}
	for _, tt := range tests {
		s := parse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":` + tt.cond + `}]}`)
		by := s.Reach(policy.TrustRestrictingKeys(), tt.literal).RestrictedBy
		if (by != nil) != tt.want {
			t.Errorf("%s (literal %v): restricted = %v, want %v", tt.cond, tt.literal, by != nil, tt.want)
		}
	}
	// B4: the string form is a parse problem in a trust policy; {"AWS":"*"} is not.
	if _, p := policy.Parse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}`, policy.TrustPolicy, policy.Options{}); len(p) == 0 {
		t.Error(`"Principal":"*" accepted in a trust policy`)
	}
	if s := parse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}`); !s.Principal.All() {
		t.Error(`{"AWS":"*"} is not everyone`)
	}
}

func TestResourceScope(t *testing.T) {
	for _, tt := range []struct {
		pattern, service              string
		star, unconstrained, typeWide bool
	}{
		{"*", "iam", true, true, true},
		{"arn:*", "iam", true, true, true},
		{"arn:aws:*", "s3", true, true, true},
		{"arn:aws-cn:*", "s3", true, true, true},
		{"arn:*:*:*:*:*", "ec2", true, true, true},
		{"arn:aws:s3:::*", "s3", false, true, true},
		{"arn:aws:s3:::*", "iam", false, false, false},
		{"arn:aws:iam::*:*", "iam", false, true, true},
		{"arn:aws:iam::*:*", "sts", false, true, true},
		{"arn:aws:ec2:*:*:*", "ec2", false, true, true},
		{"arn:aws:iam::111122223333:role/*", "iam", false, false, true},
		{"arn:aws:iam::*:user*", "iam", false, false, true},
		{"arn:aws:iam::111122223333:role/app", "iam", false, false, false},
		{"arn:aws:iam::111122223333:role/a?", "iam", false, false, false},
		{"arn:aws:s3:::bucket/*", "s3", false, false, true},
		{"arn:aws:iam::111122223333:*", "iam", false, false, true},
		{"arn:aws:iam::111122223333:role/*", "sts", false, false, true},
		{"arn:aws:iam::????????????:role/*", "iam", false, false, true},
		{"arn:aws:iam::111122223333:role/?*", "iam", false, false, true},
		{"arn:aws:s3:::bucket/*", "iam", false, false, false},
		// Patterns that match every ARN without spelling out its fields
		// (a resource "arn*" with Action "*" is administrator access).
		{"arn*", "iam", true, true, true},
		{"*:*", "s3", true, true, true},
		{"*:*:*", "ec2", true, true, true},
		{"a*", "sts", true, true, true},
		{"*n:aws:*", "kms", true, true, true},
		{"*:iam::*:*", "iam", false, true, true},
		{"*:iam::*:*", "sts", false, true, true},
		{"arn:aws:iam*", "iam", false, true, true},
		{"*s3:::*", "s3", false, true, true},
		{"*s3:::*", "iam", false, false, false},
		{"b*", "iam", false, false, false},
		{"*:role/*", "iam", false, false, true},
		{"*:role/*", "sts", false, false, true},
		{"*:iam::*:user/*", "iam", false, false, true},
		{"*:s3:::*", "iam", false, false, false},
		{"*:role/app", "iam", false, false, false},
		{"*role/*", "iam", false, false, true}, // no field boundary before the type: the wildcard takes them all
		{"*user*", "iam", false, false, true},
		{"*/*", "iam", false, false, true}, // every role, user, group and policy: it covers "*role/*"
		{"arn:aws:iam::111122223333:*/*", "iam", false, false, true},
		{"?*/*", "sts", false, false, true},
		{"?/*", "iam", false, false, false},
		{"*/app", "iam", false, false, false},
		{"*role/app", "iam", false, false, false},
		{"?:*", "iam", false, false, false},
		// A leading wildcard before a named account or region is type-wide in
		// that account as its "arn:" form is, and a type may end with ':'.
		{"*:111122223333:role/*", "iam", false, false, true},
		{"*:iam::111122223333:role/*", "iam", false, false, true},
		{"*:function:*", "lambda", false, false, true},
		{"*:eu-west-1:111122223333:function:*", "lambda", false, false, true},
		{"*:s3::111122223333:role/*", "iam", false, false, false},
		// An Allow's '?' is a wildcard (D2): a run of wildcards holding a
		// '*' takes what that '*' takes; a '?' alone still covers nothing.
		{"?*", "iam", true, true, true},
		{"arn:?*", "s3", true, true, true},
		{"arn:aws:s3:::?*", "s3", false, true, true},
		{"arn:aws:iam::*?:*", "iam", false, true, true},
		{"?*:role/*", "iam", false, false, true},
		{"arn:aws:s3:::?", "s3", false, false, false},
		// A '?' alone stands for one character of the ARN: in the partition
		// ("arn:?ws:*" is "arn:aws:*") or the service ("arn:aws:s?:::*" is
		// every bucket and object), never for what a '*' stands for.
		{"arn:?ws:*", "iam", true, true, true},
		{"arn:???:*", "kms", true, true, true},
		{"arn:aws-??:*", "iam", true, true, true},
		{"arn:a?:*", "iam", false, false, false},
		{"arn:aws:s?:::*", "s3", false, true, true},
		{"arn:aws:???:*", "s3", false, true, true}, // "s3:" then ":*": every bucket, as AWS matches it
		{"arn:aws:ec?:*", "s3", false, false, false},
		{"arn:aws:i?m::*:*", "iam", false, true, true},
	} {
		if got := policy.EffectivelyStar(tt.pattern); got != tt.star {
			t.Errorf("EffectivelyStar(%q) = %v", tt.pattern, got)
		}
		if got := policy.UnconstrainedFor(tt.pattern, tt.service); got != tt.unconstrained {
			t.Errorf("UnconstrainedFor(%q, %s) = %v", tt.pattern, tt.service, got)
		}
		if got := policy.TypeWide(tt.pattern, tt.service); got != tt.typeWide {
			t.Errorf("TypeWide(%q, %s) = %v", tt.pattern, tt.service, got)
		}
	}
	for p, want := range map[string]bool{"*": true, "*:*": true, "**": true, "s3:*": false, "?:*": false, "*:Get*": false,
		"?*:*": true, "*:?*": true, "*?:*?": true, "?:?": false, "s3:?*": false} {
		if policy.CoversAllActions(p) != want {
			t.Errorf("CoversAllActions(%q) != %v", p, want)
		}
	}
	for p, want := range map[string]string{"s3:*": "s3", "IAM:**": "iam", "s3:Get*": "", "*": "", "s*:*": "",
		"s3:?*": "s3", "IAM:*?": "iam", "s3:?": "", "s3:??": ""} {
		if got := policy.ServiceWildcard(p); got != want {
			t.Errorf("ServiceWildcard(%q) = %q, want %q", p, got, want)
		}
	}
	for p, want := range map[string]string{"I*:*": "i*", "s?s:**": "s?s", "*:*": "", "**:*": "", "s3:*": "", "i*:Get*": "", "i*": "", "i*:": "",
		"?*:*": "", "i*:?*": "i*"} {
		if got := policy.ServicesWildcard(p); got != want {
			t.Errorf("ServicesWildcard(%q) = %q, want %q", p, got, want)
		}
	}
}

func TestDecodeInline(t *testing.T) {
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/a+b"}]}`
	text, enc, plus, err := policy.DecodeInline(url.QueryEscape(doc))
	if err != nil || !enc || text != doc {
		t.Errorf("encoded: %q %v %v %v", text, enc, plus, err)
	}
	text, enc, plus, err = policy.DecodeInline(doc)
	if err != nil || enc || !plus || !strings.Contains(text, "a b") {
		t.Errorf("'+' is not read as a space as ACK does: %q %v %v %v", text, enc, plus, err)
	}
	if text, enc, _, err := policy.DecodeInline(readOnly); err != nil || enc || text != readOnly {
		t.Errorf("plain document changed: %q", text)
	}
	if _, _, _, err := policy.DecodeInline(`{"Resource":"100%"}`); err == nil {
		t.Error("invalid escape accepted")
	}
}

const readOnly = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`

func TestReferenceLists(t *testing.T) {
	l, err := policy.ReferenceLists()
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Escalation) < 28+20 || len(l.Credentials) == 0 || len(l.Exfiltration) == 0 || len(l.PermissionsManagement) == 0 || len(l.WriteVerbs) == 0 {
		t.Fatalf("lists incomplete: %d methods", len(l.Escalation))
	}
	rhino := 0
	for _, m := range l.Escalation {
		if strings.HasPrefix(m.Source, "rhino#") {
			rhino++
		}
	}
	if rhino != 28 {
		t.Errorf("%d Rhino methods, want 28", rhino)
	}
	for name, srcs := range l.Sources {
		if len(srcs) == 0 {
			t.Errorf("%s names no source", name)
		}
	}
	for a, want := range map[string]bool{"ec2:TerminateInstances": true, "s3:GetObject": false, "dynamodb:*Item": true, "*": true, "cloudwatch:PutMetricData": false, "ec2:Describe*": false} {
		if l.IsWriteAction(a) != want {
			t.Errorf("IsWriteAction(%q) != %v", a, want)
		}
	}
}

// analyzeAll exercises the analyzer the way the rules do.
func analyzeAll(a *policy.Analysis, l *policy.Lists) int {
	n := 0
	for _, m := range l.Escalation {
		for _, act := range m.Actions {
			for _, g := range a.Allowed(act) {
				if g.TypeWide() {
					n++
				}
			}
		}
	}
	for _, list := range [][]string{l.Credentials, l.Exfiltration, l.PermissionsManagement} {
		for _, act := range list {
			for _, g := range a.Allowed(act) {
				if g.Unconstrained() && !g.Statement.Conditional() {
					n++
				}
				_ = g.WideResources(true)
			}
		}
	}
	return n
}

func FuzzAnalyze(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Add(v12(`{"Effect":"Allow","Action":"*","NotResource":"arn:aws:iam::*:*"}`, `{"Effect":"Deny","NotAction":"?am:*","Resource":["arn:*","${aws:username}"]}`))
	l := policy.MustReferenceLists()
	f.Fuzz(func(t *testing.T, raw string) {
		if len(raw) > 1<<20 {
			return
		}
		start := time.Now()
		var srcs []policy.Source
		for _, kind := range []policy.Kind{policy.IdentityPolicy, policy.ResourcePolicy, policy.TrustPolicy} {
			d, _ := policy.Parse(raw, kind, policy.Options{MaxBytes: 1<<20 + 1})
			if d != nil {
				srcs = append(srcs, policy.Source{Name: kind.String(), Doc: d})
				for _, s := range d.Statements {
					_ = s.Reach(policy.TrustRestrictingKeys(), d.VariablesAreLiteral())
					_ = s.Conditional()
				}
			}
		}
		analyzeAll(policy.Analyze(srcs...), l)
		if _, _, _, err := policy.DecodeInline(raw); err == nil {
			_ = policy.NonSpaceLen(raw)
		}
		if el := time.Since(start); el > 10*time.Second {
			t.Fatalf("analysis of %d bytes took %v", len(raw), el)
		}
	})
}

// fiftyStatements is a realistic 50-statement identity policy.
func fiftyStatements() string {
	var stmts []string
	for i := 0; i < 50; i++ {
		switch i % 5 {
		case 0:
			stmts = append(stmts, fmt.Sprintf(`{"Sid":"Read%d","Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::bucket-%d","arn:aws:s3:::bucket-%d/*"]}`, i, i, i))
		case 1:
			stmts = append(stmts, fmt.Sprintf(`{"Sid":"Pass%d","Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::111122223333:role/app-%d","Condition":{"StringEquals":{"iam:PassedToService":"lambda.amazonaws.com"}}}`, i, i))
		case 2:
			stmts = append(stmts, fmt.Sprintf(`{"Sid":"Dyn%d","Effect":"Allow","Action":["dynamodb:GetItem","dynamodb:PutItem","dynamodb:Query"],"Resource":"arn:aws:dynamodb:eu-west-1:111122223333:table/t%d"}`, i, i))
		case 3:
			stmts = append(stmts, fmt.Sprintf(`{"Sid":"Logs%d","Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"arn:aws:logs:*:111122223333:log-group:/aws/lambda/f%d:*"}`, i, i))
		default:
			stmts = append(stmts, fmt.Sprintf(`{"Sid":"Deny%d","Effect":"Deny","NotAction":["s3:Get*","dynamodb:*"],"Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}`, i))
		}
	}
	return v12(stmts...)
}

func BenchmarkAnalyze50Statements(b *testing.B) {
	raw := fiftyStatements()
	l := policy.MustReferenceLists()
	b.ReportAllocs()
	for b.Loop() {
		d, problems := policy.Parse(raw, policy.IdentityPolicy, policy.Options{MaxBytes: len(raw) + 1})
		if len(problems) > 0 {
			b.Fatal(problems)
		}
		analyzeAll(policy.Analyze(policy.Source{Name: "p", Doc: d}), l)
	}
}

func TestAnalyzeLargeInput(t *testing.T) {
	if testing.Short() {
		t.Skip("large input")
	}
	stmt := `{"Effect":"Allow","Action":["iam:Pass*","s3:*Object"],"Resource":["arn:aws:iam::*:role/app-*","arn:aws:s3:::b/*"]},{"Effect":"Deny","NotAction":"s3:?et*","NotResource":"arn:aws:s3:::b/*"}`
	parts := make([]string, (1<<20-64)/(len(stmt)+1))
	for i := range parts {
		parts[i] = stmt
	}
	raw := v12(parts...)
	start := time.Now()
	d, problems := policy.Parse(raw, policy.IdentityPolicy, policy.Options{MaxBytes: len(raw) + 1})
	if len(problems) > 0 {
		t.Fatal(problems[0])
	}
	analyzeAll(policy.Analyze(policy.Source{Name: "big", Doc: d}), policy.MustReferenceLists())
	// A sanity bound only; speed targets live in the benchmark.
	if el := time.Since(start); el > 2*time.Minute {
		t.Fatalf("analysis of 1 MiB took %v", el)
	}
}
