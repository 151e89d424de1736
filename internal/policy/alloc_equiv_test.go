package policy

import (
	"regexp"
	"strings"
	"testing"
)

// The allocation-free forms of IsWriteAction, isPartition, TypeWide and
// ResourceServices must answer as the strings.ToLower / strings.Split
// forms they replaced; these are those forms, kept as the reference.

func refIsWriteName(l *Lists, action string) bool {
	for _, x := range l.WriteExcluded {
		if strings.EqualFold(x, action) {
			return false
		}
	}
	svc, name, ok := strings.Cut(action, ":")
	if !ok {
		return action != "" && strings.Trim(action, "*") == ""
	}
	if svc == "" {
		return false
	}
	lower := strings.ToLower(name)
	for _, v := range l.WriteVerbs {
		lv := strings.ToLower(v)
		if strings.HasPrefix(lower, lv) {
			return true
		}
		if i := strings.IndexAny(lower, "*?"); i >= 0 && strings.HasPrefix(lv, lower[:i]) {
			return true
		}
	}
	return false
}

func refIsPartition(s string) bool {
	rest, ok := strings.CutPrefix(s, "aws")
	if !ok {
		return false
	}
	for _, part := range strings.Split(rest, "-")[1:] {
		if part == "" || strings.Trim(part, "abcdefghijklmnopqrstuvwxyz") != "" {
			return false
		}
	}
	return rest == "" || rest[0] == '-'
}

var typeWideRe = regexp.MustCompile(`^([A-Za-z0-9_?-]+[/:]?|[*?]*\*[*?]*[/:])?[*?]*\*[*?]*$`)

func refTypeWide(pattern, service string) bool {
	if UnconstrainedFor(pattern, service) {
		return true
	}
	parts := strings.SplitN(pattern, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return false
	}
	namespaces := []string{service}
	for _, t := range serviceARNTargets[strings.ToLower(service)] {
		namespaces = append(namespaces, strings.SplitN(t, ":", 2)[0])
	}
	for _, ns := range namespaces {
		re := regexp.MustCompile("(?i)^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(parts[2])) + "$")
		if re.MatchString(ns) {
			return typeWideRe.MatchString(parts[5])
		}
	}
	return false
}

func TestAllocFreeFormsAgree(t *testing.T) {
	l := MustReferenceLists()
	actions := []string{"", "*", "**", "s3:*", ":Put", "s3:PutObject", "s3:putobject", "S3:PUTOBJECT",
		"iam:Up?ate*", "iam:Cr*", "ec2:Describe*", "ec2:describeinstances", "s3:Get?bject", "s3:*Object",
		"iam:passrole", "iam:PassRole", "s3:", "s3:P", "s3:İnvoke", "s3:Put\u00e9", "lambda:*", "x:?", "x:Delete",
		"dynamodb:PutItem", "logs:CreateLogStream", "sts:AssumeRole", "s3:tag*", "s3:Tag", "s3:ta"}
	actions = append(actions, l.WriteExcluded...)
	for _, v := range l.WriteVerbs {
		actions = append(actions, "svc:"+v, "svc:"+strings.ToLower(v)+"x", "svc:"+strings.ToUpper(v[:1])+"*")
	}
	for _, a := range actions {
		if got, want := l.IsWriteAction(a), refIsWriteName(l, a); got != want {
			t.Errorf("IsWriteAction(%q) = %v, want %v", a, got, want)
		}
	}
	for _, s := range []string{"", "aws", "aws-", "aws--cn", "aws-cn", "aws-us-gov", "aws-iso-b", "awsx", "aws-cn-",
		"aws-CN", "aws-c1", "aws-\u00e9", "aw", "xaws", "aws-a-b-c", "aws*", "-aws"} {
		if got, want := isPartition(s), refIsPartition(s); got != want {
			t.Errorf("isPartition(%q) = %v, want %v", s, got, want)
		}
	}
	patterns := []string{"*", "arn:*", "arn:aws:*", "arn:aws:iam::111122223333:role/*", "arn:aws:iam::*:user/*",
		"arn:aws:iam::111122223333:role/x", "arn:aws:s3:::b/*", "arn:aws:s3:::*", "arn:aws:dynamodb:eu-west-1:1:table/*",
		"arn:aws:dynamodb:eu-west-1:1:table/t", "arn:aws:logs:eu-west-1:1:log-group:*", "arn:aws:*:*:*:role/*",
		"arn:aws:IAM::1:role/*", "arn:aws:iam::1", "arn:aws:iam::1:", "arn:aws:iam::1:role/?", "arn:aws-cn:iam::1:role/*",
		"arn:aws:lambda:*:*:function:*", "arn:a:b:c:d:e:f", "notarn:aws:iam::1:role/*",
		"arn:aws:iam::111122223333:*", "arn:aws:iam::????????????:role/*", "arn:aws:i?m::1:role/*", "arn:aws:?::1:*",
		"arn:aws:iam::1:role/?*", "arn:aws:sts::1:*", "arn:aws:IAM::1:*"}
	for _, r := range []string{"role/*", "role/**", "user*", "function:*", "table/*", "", "*", "/*", "role/", "role:",
		"role", "role/x*", "role/*x", "ro le/*", "role//*", "role:/*", "Role_1-a*", "réle/*", "role*/*", "role/*\n",
		"?", "?*", "*?", "role/?", "role/?*", "role/a?", "r?le/*", "??", "role?*", "role/*?", "?/*", ":*", "role:?*",
		"*/*", "?*/*", "*?/?*", "*:*", "*/", "*/x", "*/*/*", "**:?*", "*x/*"} {
		patterns = append(patterns, "arn:aws:iam::1:"+r)
		if got, want := typeWideResource(r), typeWideRe.MatchString(r); got != want {
			t.Errorf("typeWideResource(%q) = %v, want %v", r, got, want)
		}
	}
	for _, p := range patterns {
		for _, svc := range []string{"iam", "s3", "dynamodb", "logs", "lambda", "sts", "IAM", "*"} {
			if got, want := TypeWide(p, svc), refTypeWide(p, svc); got != want {
				t.Errorf("TypeWide(%q, %q) = %v, want %v", p, svc, got, want)
			}
		}
	}
}

// FuzzGlobsIntersect holds GlobsIntersect's shortcuts (a "*", a literal,
// two prefix-then-star patterns) to the general search over suffixes.
func FuzzGlobsIntersect(f *testing.F) {
	for _, s := range [][2]string{
		{"s3:*", "s3:get*"}, {"S3:Get*", "s3:g*"}, {"s3:put*", "s3:get*"}, {"*", "x"},
		{"s3:GetObject", "s3:get*"}, {"s3:getobject", "S3:GETOBJECT"}, {"s3:Get?bject", "s3:get*"},
		{"s3:*Object", "s3:get*"}, {"a*b", "a*c"}, {"", "*"}, {"", ""}, {"?", ""}, {"s3:ǅ*", "s3:ǆ*"},
		{"iam:Pass*", "iam:passrole"}, {"**", "a"}, {"a*", "*a"},
		{strings.Repeat("\u212a", 100), strings.Repeat("x", 300)}, {strings.Repeat("a", 300), strings.Repeat("b", 300)},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if len(a) > 600 || len(b) > 600 {
			return // long enough to cross the search's size bound
		}
		want := globsIntersectSearch(a, b)
		if got := GlobsIntersect(a, b); got != want {
			t.Fatalf("GlobsIntersect(%q, %q) = %v, the search says %v", a, b, got, want)
		}
		if got := GlobsIntersect(b, a); got != want {
			t.Fatalf("GlobsIntersect(%q, %q) = %v, the search says %v (swapped)", b, a, got, want)
		}
		// AllowedFrom's own shortcut for literal actions answers alike.
		s := &Statement{Action: []string{a}}
		inFamily := want || globsIntersectSearch(a, "x:y")
		if got := len(s.AllowedFrom(ActionFamily{Globs: []string{"x:y", b}})) > 0; got != inFamily {
			t.Fatalf("AllowedFrom: action %q in the family {x:y, %q} = %v, the search says %v", a, b, got, inFamily)
		}
	})
}
