package policy_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/ackguard/ackguard/internal/policy"
)

// actionStmt is an identity statement with the given action element, e.g.
// `"Action":"s3:Get*"` or `"NotAction":["s3:Get*"]`.
func actionStmt(t *testing.T, effect, actionElem string) *policy.Statement {
	t.Helper()
	return statement(t, policy.IdentityPolicy, `{"Effect":"`+effect+`",`+actionElem+`,"Resource":"*"}`)
}

// TestAllowsAction covers D1 (case-insensitive), D2 ('*' and '?') and D3
// (NotAction).
func TestAllowsAction(t *testing.T) {
	tests := []struct {
		name   string
		elem   string
		action string
		want   bool
	}{
		{"D1 exact", `"Action":"s3:GetObject"`, "s3:GetObject", true},
		{"D1 action case-insensitive", `"Action":"s3:GetObject"`, "S3:getobject", true},
		{"D1 pattern case-insensitive", `"Action":"IAM:listaccesskeys"`, "iam:ListAccessKeys", true},
		{"D1 different action", `"Action":"s3:GetObject"`, "s3:GetObjectAcl", false},
		{"D2 * alone", `"Action":"*"`, "ec2:RunInstances", true},
		{"D2 service wildcard", `"Action":"s3:*"`, "s3:PutBucketPolicy", true},
		{"D2 service wildcard other service", `"Action":"s3:*"`, "s3control:PutPublicAccessBlock", false},
		{"D2 prefix glob", `"Action":"s3:Get*"`, "s3:GetObjectVersion", true},
		{"D2 prefix glob miss", `"Action":"s3:Get*"`, "s3:PutObject", false},
		{"D2 infix glob", `"Action":"iam:*AccessKey*"`, "iam:CreateAccessKey", true},
		{"D2 infix glob plural", `"Action":"iam:*AccessKey*"`, "iam:ListAccessKeys", true},
		{"D2 infix glob miss", `"Action":"iam:*AccessKey*"`, "iam:CreateUser", false},
		{"D2 ? matches one character", `"Action":"s3:Get?bject"`, "s3:GetObject", true},
		{"D2 ? does not match two", `"Action":"s3:Get?bject"`, "s3:GetXObject", false},
		{"D2 ? does not match none", `"Action":"s3:Get?Object"`, "s3:GetObject", false},
		{"array: any pattern", `"Action":["ec2:*","s3:List*"]`, "s3:ListBucket", true},
		{"array: no pattern", `"Action":["ec2:*","s3:List*"]`, "s3:GetObject", false},
		{"D3 NotAction excludes a match", `"NotAction":["s3:Get*"]`, "s3:GetObject", false},
		{"D3 NotAction allows the rest of the service", `"NotAction":["s3:Get*"]`, "s3:PutObject", true},
		{"D3 NotAction allows other services", `"NotAction":"s3:*"`, "iam:CreateUser", true},
		{"D3 NotAction case-insensitive", `"NotAction":"S3:*"`, "s3:DeleteBucket", false},
		{"D3 NotAction ? never withholds (D2 over-approximation, as NotResource)", `"NotAction":"s3:Get?bject"`, "s3:GetObject", true},
		{"D3 NotAction ?* never withholds either", `"NotAction":"iam:?*"`, "iam:CreateUser", true},
		{"D3 NotAction without ? still withholds beside one with", `"NotAction":["s3:Get?bject","s3:Get*"]`, "s3:GetObject", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := actionStmt(t, "Allow", tt.elem)
			if got := s.AllowsAction(tt.action); got != tt.want {
				t.Errorf("AllowsAction(%q) with %s = %v, want %v", tt.action, tt.elem, got, tt.want)
			}
		})
	}
}

// TestAppliesToAction checks the reading AWS applies: '?' is one character
// in NotAction too.
func TestAppliesToAction(t *testing.T) {
	tests := []struct {
		elem   string
		action string
		want   bool
	}{
		{`"Action":"s3:Get?bject"`, "s3:GetObject", true},
		{`"Action":"s3:Get?bject"`, "s3:PutObject", false},
		{`"NotAction":"s3:Get?bject"`, "s3:GetObject", false},
		{`"NotAction":"s3:Get?bject"`, "s3:PutObject", true},
	}
	for _, tt := range tests {
		s := actionStmt(t, "Deny", tt.elem)
		if got := s.AppliesToAction(tt.action); got != tt.want {
			t.Errorf("AppliesToAction(%q) with %s = %v, want %v", tt.action, tt.elem, got, tt.want)
		}
	}
}

// TestCoversAction checks the under-approximation used for Deny (D2): a
// '?' pattern never subtracts.
func TestCoversAction(t *testing.T) {
	tests := []struct {
		name   string
		elem   string
		action string
		want   bool
	}{
		{"exact", `"Action":"s3:PutBucketPolicy"`, "s3:PutBucketPolicy", true},
		{"case-insensitive", `"Action":"S3:putbucketpolicy"`, "s3:PutBucketPolicy", true},
		{"service wildcard", `"Action":"s3:*"`, "s3:DeleteBucketPolicy", true},
		{"infix wildcard", `"Action":"s3:*BucketPolicy"`, "s3:GetBucketPolicy", true},
		{"? never subtracts", `"Action":"s3:Get?ucketPolicy"`, "s3:GetBucketPolicy", false},
		{"? pattern ignored, other pattern counts", `"Action":["s3:Get?ucketPolicy","s3:GetBucket*"]`, "s3:GetBucketPolicy", true},
		{"NotAction covers what it cannot exclude", `"NotAction":"s3:Get*"`, "s3:PutBucketPolicy", true},
		{"NotAction does not cover an excluded action", `"NotAction":"s3:Get*"`, "s3:GetBucketPolicy", false},
		{"NotAction with ? may exclude, so no cover", `"NotAction":"s3:Get?ucketPolicy"`, "s3:GetBucketPolicy", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := actionStmt(t, "Deny", tt.elem)
			if got := s.CoversAction(tt.action); got != tt.want {
				t.Errorf("CoversAction(%q) with %s = %v, want %v", tt.action, tt.elem, got, tt.want)
			}
		})
	}
}

func TestAllowedFrom(t *testing.T) {
	read := policy.ActionFamily{
		Globs:   []string{"s3:get*", "s3:list*"},
		Members: []string{"s3:GetObject", "s3:ListBucket"},
	}
	write := policy.ActionFamily{
		Globs:   []string{"s3:put*", "s3:delete*"},
		Members: []string{"s3:PutObject", "s3:DeleteObject"},
	}
	tests := []struct {
		name   string
		elem   string
		family policy.ActionFamily
		want   []string
	}{
		{"own patterns that intersect", `"Action":["s3:*Object","ec2:*","s3:ListBucket"]`, read, []string{"s3:*Object", "s3:ListBucket"}},
		{"s3:* intersects", `"Action":"s3:*"`, write, []string{"s3:*"}},
		{"* intersects", `"Action":"*"`, write, []string{"*"}},
		{"no intersection", `"Action":["s3:GetObject","s3:ListBucket"]`, write, nil},
		{"? intersects", `"Action":"s3:?utObject"`, write, []string{"s3:?utObject"}},
		{"NotAction: members not excluded", `"NotAction":["s3:Get*"]`, write, []string{"s3:PutObject", "s3:DeleteObject"}},
		{"NotAction: all members excluded", `"NotAction":"s3:*"`, write, nil},
		{"NotAction: partly excluded", `"NotAction":"s3:Get*"`, read, []string{"s3:ListBucket"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := actionStmt(t, "Allow", tt.elem)
			got := s.AllowedFrom(tt.family)
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("AllowedFrom = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestMatchGlob(t *testing.T) {
	tests := []struct {
		pattern, s string
		fold       bool
		want       bool
	}{
		{"", "", false, true},
		{"", "a", false, false},
		{"*", "", false, true},
		{"*", "anything", false, true},
		{"**", "x", false, true},
		{"a*", "a", false, true},
		{"a*b", "ab", false, true},
		{"a*b", "axxb", false, true},
		{"a*b", "axxbc", false, false},
		{"a*b*c", "abbbcbc", false, true},
		{"?", "", false, false},
		{"?", "x", false, true},
		{"a?c", "abc", false, true},
		{"a?c", "ac", false, false},
		{"ABC", "abc", false, false},
		{"ABC", "abc", true, true},
		{"s3:Get*", "S3:GETOBJECT", true, true},
		{"arn:aws:s3:::Bucket/*", "arn:aws:s3:::bucket/x", false, false},
		// A '*' in the pattern stays a wildcard where the text holds a
		// literal '*'.
		{"*x", "*ax", false, true},
		{"a*c", "a*bc", false, true},
		{"arn:aws:s3:::b*", "arn:aws:s3:::b/*", false, true},
		{"arn:aws:s3:::b/*", "arn:aws:s3:::b/*", false, true},
		{"arn:aws:s3:::b/*x", "arn:aws:s3:::b/*", false, false},
		// Pathological input stays fast (no exponential backtracking).
		{strings.Repeat("*a", 50) + "b", strings.Repeat("a", 5000), false, false},
	}
	for _, tt := range tests {
		name := tt.pattern + " ~ " + tt.s
		if len(name) > 60 {
			name = name[:60]
		}
		t.Run(name, func(t *testing.T) {
			if got := policy.MatchGlob(tt.pattern, tt.s, tt.fold); got != tt.want {
				t.Errorf("MatchGlob(%q, %q, %v) = %v, want %v", tt.pattern, tt.s, tt.fold, got, tt.want)
			}
		})
	}
}

func TestGlobsIntersect(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"s3:*Object", "s3:get*", true},
		{"s3:Get*", "s3:get*", true},
		{"s3:Put*", "s3:get*", false},
		{"*", "s3:GetObject", true},
		{"*", "*", true},
		{"s3:*", "ec2:*", false},
		{"s3:*", "S3:PUTOBJECT", true},
		{"s3:Get?bject", "s3:getobject", true},
		{"s3:?", "s3:ab", false},
		{"s3:??", "s3:ab", true},
		{"s3:?*", "s3:", false},
		{"iam:*AccessKey*", "iam:create*", true},
		{"iam:*AccessKey", "iam:*User", false},
		{"a*b", "c*", false},
		{"a*", "*b", true},
		{"*a*", "*b*", true},
		{"ab*", "a*c", true},
		{"ab", "a*c", false},
		{"", "", true},
		{"", "*", true},
		{"", "a", false},
		{"s3:abortmultipartupload", "s3:AbortMultipartUpload", true},
		{"s3:Abort*", "s3:restoreobject", false},
		// Over the size bound the answer is "may intersect".
		{strings.Repeat("a", 300), strings.Repeat("b", 300), true},
	}
	for _, tt := range tests {
		name := tt.a + " & " + tt.b
		if len(name) > 60 {
			name = name[:60]
		}
		t.Run(name, func(t *testing.T) {
			if got := policy.GlobsIntersect(tt.a, tt.b); got != tt.want {
				t.Errorf("GlobsIntersect(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
			}
			if got := policy.GlobsIntersect(tt.b, tt.a); got != tt.want {
				t.Errorf("GlobsIntersect(%q, %q) = %v, want %v (symmetry)", tt.b, tt.a, got, tt.want)
			}
		})
	}
}

// resourceStmt is a Deny statement with the given resource element.
func resourceStmt(t *testing.T, resElem string) *policy.Statement {
	t.Helper()
	return statement(t, policy.ResourcePolicy, `{"Effect":"Deny","Principal":"*","Action":"s3:*",`+resElem+`}`)
}

// TestResourceMatches covers E3: ARNs compare case-sensitively.
func TestResourceMatches(t *testing.T) {
	tests := []struct {
		name string
		elem string
		arn  string
		want bool
	}{
		{"exact bucket", `"Resource":"arn:aws:s3:::b"`, "arn:aws:s3:::b", true},
		{"bucket ARN does not match an object", `"Resource":"arn:aws:s3:::b"`, "arn:aws:s3:::b/key", false},
		{"objects glob", `"Resource":"arn:aws:s3:::b/*"`, "arn:aws:s3:::b/a/b.txt", true},
		{"objects glob does not match the bucket", `"Resource":"arn:aws:s3:::b/*"`, "arn:aws:s3:::b", false},
		{"E3 case-sensitive", `"Resource":"arn:aws:s3:::Bucket/*"`, "arn:aws:s3:::bucket/key", false},
		{"E3 case-sensitive the other way", `"Resource":"arn:aws:s3:::bucket/*"`, "arn:aws:s3:::BUCKET/key", false},
		{"? matches (over-approximation)", `"Resource":"arn:aws:s3:::b?cket"`, "arn:aws:s3:::bucket", true},
		{"*", `"Resource":"*"`, "arn:aws:s3:::anything", true},
		{"array", `"Resource":["arn:aws:s3:::a","arn:aws:s3:::b"]`, "arn:aws:s3:::b", true},
		{"NotResource not listed", `"NotResource":"arn:aws:s3:::other/*"`, "arn:aws:s3:::b/key", true},
		{"NotResource listed", `"NotResource":["arn:aws:s3:::b/*"]`, "arn:aws:s3:::b/key", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := resourceStmt(t, tt.elem)
			if got := s.ResourceMatches(tt.arn); got != tt.want {
				t.Errorf("ResourceMatches(%q) with %s = %v, want %v", tt.arn, tt.elem, got, tt.want)
			}
		})
	}
}

// TestResourceCovers checks the under-approximation a counted-on Deny needs.
func TestResourceCovers(t *testing.T) {
	tests := []struct {
		name   string
		elem   string
		target string
		want   bool
	}{
		{"b* covers b/*", `"Resource":"arn:aws:s3:::b*"`, "arn:aws:s3:::b/*", true},
		{"b* covers b", `"Resource":"arn:aws:s3:::b*"`, "arn:aws:s3:::b", true},
		{"b/* covers b/*", `"Resource":"arn:aws:s3:::b/*"`, "arn:aws:s3:::b/*", true},
		{"b/* does not cover b", `"Resource":"arn:aws:s3:::b/*"`, "arn:aws:s3:::b", false},
		{"b does not cover b/*", `"Resource":"arn:aws:s3:::b"`, "arn:aws:s3:::b/*", false},
		{"a prefix does not cover every object", `"Resource":"arn:aws:s3:::b/public/*"`, "arn:aws:s3:::b/*", false},
		{"* covers", `"Resource":"*"`, "arn:aws:s3:::b/*", true},
		{"any-bucket objects cover", `"Resource":"arn:aws:s3:::*/*"`, "arn:aws:s3:::b/*", true},
		{"? never covers", `"Resource":"arn:aws:s3:::?"`, "arn:aws:s3:::b", false},
		{"? never covers b/*", `"Resource":"arn:aws:s3:::b/?*"`, "arn:aws:s3:::b/*", false},
		{"E3 case-sensitive", `"Resource":"arn:aws:s3:::B/*"`, "arn:aws:s3:::b/*", false},
		{"other partition", `"Resource":"arn:aws:s3:::b"`, "arn:aws-cn:s3:::b", false},
		{"one of several covers", `"Resource":["arn:aws:s3:::x","arn:aws:s3:::b","arn:aws:s3:::b/*"]`, "arn:aws:s3:::b", true},
		{"NotResource elsewhere covers", `"NotResource":"arn:aws:s3:::other/*"`, "arn:aws:s3:::b/*", true},
		{"NotResource carving out objects does not cover", `"NotResource":"arn:aws:s3:::b/secret/*"`, "arn:aws:s3:::b/*", false},
		{"NotResource overlapping case-insensitively does not cover", `"NotResource":"arn:aws:s3:::B/*"`, "arn:aws:s3:::b/*", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := resourceStmt(t, tt.elem)
			if got := s.ResourceCovers(tt.target); got != tt.want {
				t.Errorf("ResourceCovers(%q) with %s = %v, want %v", tt.target, tt.elem, got, tt.want)
			}
		})
	}
}

// TestGlobsExhaustive compares MatchGlob with a regular expression, and
// GlobsIntersect with a search for a common match, for every pattern of up
// to three characters over {a, b, *, ?}.
func TestGlobsExhaustive(t *testing.T) {
	words := func(alphabet string, maxLen int) []string {
		out := []string{""}
		prev := []string{""}
		for n := 1; n <= maxLen; n++ {
			var next []string
			for _, p := range prev {
				for _, c := range alphabet {
					next = append(next, p+string(c))
				}
			}
			out = append(out, next...)
			prev = next
		}
		return out
	}
	patterns := words("ab*?", 3)
	texts := words("ab*c", 6) // 6 = the longest shortest common match of two 3-character patterns; a literal * in the text too
	toRegexp := func(p string) *regexp.Regexp {
		var b strings.Builder
		b.WriteString("^")
		for _, c := range p {
			switch c {
			case '*':
				b.WriteString(".*")
			case '?':
				b.WriteString(".")
			default:
				b.WriteString(regexp.QuoteMeta(string(c)))
			}
		}
		b.WriteString("$")
		return regexp.MustCompile(b.String())
	}
	matches := make(map[string][]bool, len(patterns))
	for _, p := range patterns {
		re := toRegexp(p)
		m := make([]bool, len(texts))
		for i, s := range texts {
			m[i] = policy.MatchGlob(p, s, false)
			if want := re.MatchString(s); m[i] != want {
				t.Fatalf("MatchGlob(%q, %q) = %v, want %v", p, s, m[i], want)
			}
		}
		matches[p] = m
	}
	for _, a := range patterns {
		for _, b := range patterns {
			want := false
			for i := range texts {
				if matches[a][i] && matches[b][i] {
					want = true
					break
				}
			}
			if got := policy.GlobsIntersect(a, b); got != want {
				t.Fatalf("GlobsIntersect(%q, %q) = %v, want %v", a, b, got, want)
			}
		}
	}
}

// TestResourceCoversSound checks, for every pattern and target of up to
// three characters over {a, b, *}, that ResourceCovers never claims a
// cover that some ARN of the target escapes (a Deny counted on must really
// apply), and that it finds every cover a plain pattern can express.
func TestResourceCoversSound(t *testing.T) {
	var globs []string
	prev := []string{""}
	globs = append(globs, "")
	for n := 1; n <= 3; n++ {
		var next []string
		for _, p := range prev {
			for _, c := range "ab*" {
				next = append(next, p+string(c))
			}
		}
		globs = append(globs, next...)
		prev = next
	}
	var texts []string
	prev = []string{""}
	texts = append(texts, "")
	for n := 1; n <= 5; n++ {
		var next []string
		for _, p := range prev {
			for _, c := range "abc" {
				next = append(next, p+string(c))
			}
		}
		texts = append(texts, next...)
		prev = next
	}
	const prefix = "arn:aws:s3:::"
	for _, p := range globs {
		s := &policy.Statement{Resource: []string{prefix + p}}
		for _, target := range globs {
			covers := true // does every text matching target match p?
			for _, x := range texts {
				if policy.MatchGlob(target, x, false) && !policy.MatchGlob(p, x, false) {
					covers = false
					break
				}
			}
			got := s.ResourceCovers(prefix + target)
			if got && !covers {
				t.Errorf("ResourceCovers(%q ⊇ %q) = true, but some ARN escapes", p, target)
			}
			if !got && covers {
				t.Errorf("ResourceCovers(%q ⊇ %q) = false, want true", p, target)
			}
		}
	}
}
