package policy_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ackguard/ackguard/internal/policy"
)

// fuzzSeeds are realistic policies of every kind, plus a few broken ones.
var fuzzSeeds = []string{
	// S3: deny insecure transport, public read restricted to a VPC endpoint.
	`{
  "Version": "2012-10-17",
  "Id": "BucketPolicy",
  "Statement": [
    {
      "Sid": "AllowVpce",
      "Effect": "Allow",
      "Principal": "*",
      "Action": ["s3:GetObject", "s3:ListBucket"],
      "Resource": ["arn:aws:s3:::example-bucket", "arn:aws:s3:::example-bucket/*"],
      "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}
    },
    {
      "Sid": "AckguardDenyInsecureTransport",
      "Effect": "Deny",
      "Principal": "*",
      "Action": "s3:*",
      "Resource": ["arn:aws:s3:::example-bucket", "arn:aws:s3:::example-bucket/*"],
      "Condition": {"Bool": {"aws:SecureTransport": "false"}}
    }
  ]
}`,
	// S3: static website, single-object Statement.
	`{"Version":"2012-10-17","Statement":{"Sid":"PublicReadGetObject","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::www.example.com/*"}}`,
	// S3: CloudFront OAC, log delivery, cross-account with IP condition.
	`{"Version":"2012-10-17","Statement":[{"Sid":"AllowCloudFront","Effect":"Allow","Principal":{"Service":"cloudfront.amazonaws.com"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"AWS:SourceArn":"arn:aws:cloudfront::111122223333:distribution/EDFDVBD6EXAMPLE"}}},{"Effect":"Allow","Principal":{"Service":"logging.s3.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::b/logs/*","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::source"},"StringEquals":{"aws:SourceAccount":"111122223333"}}},{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::444455556666:root","777788889999"]},"Action":["s3:Get*","s3:List*"],"Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:db8::/32"]},"NotIpAddress":{"aws:SourceIp":"203.0.113.7/32"}}}]}`,
	// S3: NotPrincipal deny, canonical user, NotAction.
	`{"Version":"2008-10-17","Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111122223333:root","arn:aws:sts::111122223333:assumed-role/admin/me"]},"NotAction":["s3:Get*"],"NotResource":"arn:aws:s3:::b/public/*"},{"Effect":"Allow","Principal":{"CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"ForAnyValue:StringLikeIfExists":{"aws:userid":["AROAEXAMPLEID:*","${aws:username}"]},"NumericLessThan":{"s3:TlsVersion":1.2},"Null":{"s3:x-amz-server-side-encryption":true}}}]}`,
	// Identity policy.
	`{"Version":"2012-10-17","Statement":[{"Sid":"Admin","Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Allow","Action":["iam:PassRole"],"Resource":"arn:aws:iam::111122223333:role/app-*","Condition":{"StringEquals":{"iam:PassedToService":"ec2.amazonaws.com"}}},{"Effect":"Deny","NotAction":"iam:*","NotResource":"arn:aws:s3:::b"}]}`,
	// Trust policies.
	`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com","lambda.amazonaws.com"]},"Action":"sts:AssumeRole"}]}`,
	`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"},"StringLike":{"token.actions.githubusercontent.com:sub":"repo:org/repo:*"}}}]}`,
	`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}}]}`,
	// Broken.
	`{"Version":"2012-10-17","Statement":[{"Effect":"allow","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}`,
	`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::*:root"},"Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpce":"a","aws:sourcevpce":"b"}}}]}`,
	`[[[[[[[[[[[[[[[[[[[[`,
	`{"Statement":"\ud800\u0041\"","Version":1e999}`,
	``,
}

// appendFor is a statement that is valid in a document of the kind.
func appendFor(kind policy.Kind) string {
	switch kind {
	case policy.IdentityPolicy:
		return `{"Effect":"Deny","Action":"s3:*","Resource":"*"}`
	case policy.TrustPolicy:
		return `{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}`
	}
	return `{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}`
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	kinds := []policy.Kind{policy.ResourcePolicy, policy.IdentityPolicy, policy.TrustPolicy}
	f.Fuzz(func(t *testing.T, raw string) {
		if len(raw) > 1<<20 {
			return
		}
		for _, kind := range kinds {
			// With the service limit, and with a limit that lets up to
			// 1 MiB through, both must return quickly.
			for _, opts := range []policy.Options{{}, {MaxBytes: 1<<20 + 1, AllowCanonicalUser: true}} {
				start := time.Now()
				d, problems := policy.Parse(raw, kind, opts)
				if el := time.Since(start); el > 5*time.Second {
					t.Fatalf("Parse of %d bytes took %v", len(raw), el)
				}
				if len(problems) > 0 {
					for _, p := range problems {
						if p.Message == "" {
							t.Fatalf("problem without a message: %+v", p)
						}
					}
					continue
				}
				if d == nil {
					t.Fatal("no problems but no document")
				}
				checkValidDoc(t, d, kind, opts)
			}
		}
	})
}

// checkValidDoc checks the invariants of a document without problems.
func checkValidDoc(t *testing.T, d *policy.Document, kind policy.Kind, opts policy.Options) {
	t.Helper()
	if len(d.Statements) == 0 {
		t.Fatal("valid document without statements")
	}
	for i, s := range d.Statements {
		if s.Start < 0 || s.End > len(d.Raw) || s.Start >= s.End {
			t.Fatalf("statement %d span [%d,%d) out of range", i, s.Start, s.End)
		}
		text := d.Raw[s.Start:s.End]
		if !json.Valid([]byte(text)) || text[0] != '{' {
			t.Fatalf("statement %d text is not a JSON object: %q", i, text)
		}
		if s.Index != i {
			t.Fatalf("statement %d has Index %d", i, s.Index)
		}
		// The interpreters must not panic on anything the parser accepts.
		_ = s.Reach(policy.S3RestrictingKeys(), false)
		_ = s.AllowsAction("s3:GetObject")
		_ = s.CoversAction("s3:PutBucketPolicy")
		_ = s.ResourceMatches("arn:aws:s3:::b/key")
		_ = s.ResourceCovers("arn:aws:s3:::b/*")
		_ = s.AllowedFrom(policy.ActionFamily{Globs: []string{"s3:get*"}, Members: []string{"s3:GetObject"}})
		_ = s.Ref()
	}
	if d.StatementStart < 0 || d.StatementEnd > len(d.Raw) || !json.Valid([]byte(d.Raw[d.StatementStart:d.StatementEnd])) {
		t.Fatalf("Statement span [%d,%d) is not JSON", d.StatementStart, d.StatementEnd)
	}

	// Appending keeps the document valid and adds exactly one statement.
	reparse := policy.Options{MaxBytes: len(d.Raw) + 4096, AllowCanonicalUser: opts.AllowCanonicalUser}
	out, err := policy.AppendStatement(d, appendFor(kind))
	if err != nil {
		t.Fatalf("AppendStatement: %v", err)
	}
	d2, problems := policy.Parse(out, kind, reparse)
	if len(problems) > 0 {
		t.Fatalf("after AppendStatement: %q\n%s", problems, out)
	}
	if len(d2.Statements) != len(d.Statements)+1 {
		t.Fatalf("after AppendStatement: %d statements, want %d", len(d2.Statements), len(d.Statements)+1)
	}
	for i, s := range d.Statements {
		if a, b := d.Raw[s.Start:s.End], out[d2.Statements[i].Start:d2.Statements[i].End]; a != b {
			t.Fatalf("AppendStatement changed statement %d: %q -> %q", i, a, b)
		}
	}
	if !strings.HasPrefix(out, d.Raw[:d.StatementStart]) || !strings.HasSuffix(out, d.Raw[d.StatementEnd:]) {
		t.Fatal("AppendStatement changed text outside the Statement value")
	}

	// Removing the first statement keeps the others and the validity.
	out, ok, err := policy.RemoveStatements(d, []int{0})
	if err != nil {
		t.Fatalf("RemoveStatements: %v", err)
	}
	if ok != (len(d.Statements) > 1) {
		t.Fatalf("RemoveStatements ok = %v with %d statements", ok, len(d.Statements))
	}
	if !ok {
		return
	}
	d3, problems := policy.Parse(out, kind, reparse)
	if len(problems) > 0 {
		t.Fatalf("after RemoveStatements: %q\n%s", problems, out)
	}
	if len(d3.Statements) != len(d.Statements)-1 {
		t.Fatalf("after RemoveStatements: %d statements, want %d", len(d3.Statements), len(d.Statements)-1)
	}
	for i, s := range d.Statements[1:] {
		if a, b := d.Raw[s.Start:s.End], out[d3.Statements[i].Start:d3.Statements[i].End]; a != b {
			t.Fatalf("RemoveStatements changed statement %d: %q -> %q", i+1, a, b)
		}
	}
}

// TestFuzzSeedsLarge runs the fuzz checks on inputs near the 1 MiB bound
// that the fuzzer is unlikely to build by itself.
func TestFuzzSeedsLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("large inputs")
	}
	stmt := `{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":["s3:GetObject","s3:ListBucket"],"Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:SourceVpce":["vpce-1","vpce-2"]}}}`
	parts := make([]string, (1<<20-64)/(len(stmt)+1))
	for i := range parts {
		parts[i] = stmt
	}
	huge := doc(parts...)
	inputs := map[string]string{
		"1 MiB valid policy":     huge,
		"1 MiB of nesting":       strings.Repeat("[", 1<<20),
		"1 MiB string":           `{"Version":"` + strings.Repeat("a", 1<<20-20) + `"}`,
		"1 MiB of escapes":       `{"Id":"` + strings.Repeat(`\u00e9`, (1<<20-20)/6) + `"}`,
		"1 MiB many keys":        `{"Statement":{"Condition":{"StringEquals":{` + manyKeys((1<<20-80)/16) + `}}}}`,
		"1 MiB of statement arr": `{"Statement":[` + strings.Repeat(`{},`, (1<<20-20)/3) + `{}]}`,
	}
	for name, raw := range inputs {
		t.Run(name, func(t *testing.T) {
			if len(raw) > 1<<20 {
				t.Fatalf("input is %d bytes", len(raw))
			}
			start := time.Now()
			d, problems := policy.Parse(raw, policy.ResourcePolicy, policy.Options{MaxBytes: 1<<20 + 1})
			// Generous: the machine may be shared; a quadratic parser
			// would take minutes here.
			if el := time.Since(start); el > 30*time.Second {
				t.Fatalf("Parse took %v", el)
			}
			if len(problems) == 0 {
				checkValidDoc(t, d, policy.ResourcePolicy, policy.Options{})
			}
		})
	}
}

func manyKeys(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"k`)
		b.WriteString(itoa(i))
		b.WriteString(`":"v"`)
	}
	return b.String()
}

func itoa(i int) string {
	const digits = "0123456789"
	if i == 0 {
		return "0"
	}
	var buf [20]byte
	n := len(buf)
	for i > 0 {
		n--
		buf[n] = digits[i%10]
		i /= 10
	}
	return string(buf[n:])
}

// FuzzParseIAMARN feeds arbitrary text to the IAM ARN parser (spec.role,
// spec.policies[], spec.permissionsBoundary): it must not panic, and what
// it accepts has a name and a path that NormalIAMPath leaves unchanged.
func FuzzParseIAMARN(f *testing.F) {
	for _, seed := range []string{
		"arn:aws:iam::111122223333:role/exec", "arn:aws-us-gov:iam::111122223333:policy/a/b/c",
		"arn:aws:iam::111122223333:role/", "arn:aws:iam::111122223333:role//x", "arn:aws:iam:::role/x/",
		"arn:aws:iam::*:role/x", "arn:aws:s3:::b", "", "arn:", "::::::",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, ok := policy.ParseIAMARN(s)
		if !ok {
			return
		}
		if a.Name == "" || strings.Contains(a.Name, "/") || policy.NormalIAMPath(a.Path) != a.Path && !strings.Contains(a.Path, "//") {
			t.Fatalf("ParseIAMARN(%q) = %+v", s, a)
		}
	})
}
