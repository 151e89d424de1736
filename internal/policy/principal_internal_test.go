package policy

import (
	"regexp"
	"testing"
)

// What isPrincipalARN and IsAccountID match, as regular expressions: the
// hand-written matchers must accept exactly what these accept.
var (
	accountIDRe    = regexp.MustCompile(`^[0-9]{12}$`)
	principalARNRe = regexp.MustCompile(`^arn:aws[a-zA-Z-]*:(iam|sts)::([0-9]{12}|aws|cloudfront):.+$`)
)

var principalSeeds = []string{
	"", "*", "111122223333", "11112222333", "1111222233334", "11112222333a", "١١١١٢٢٢٢٣٣٣٣",
	"arn:aws:iam::111122223333:root", "arn:aws:iam::111122223333:role/app", "arn:aws:sts::111122223333:assumed-role/r/s",
	"arn:aws-cn:iam::111122223333:user/u", "arn:aws-us-gov:iam::aws:policy/x", "arn:aws:iam::cloudfront:user/CloudFront",
	"arn:aws:iam::111122223333:", "arn:aws:iam::111122223333:a\nb", "arn:aws:iam::111122223333:\n", "arn:aws:iam::111122223333:a\n",
	"arn:aws:s3:::bucket", "arn:aws:iam:us-east-1:111122223333:root", "arn:aws9:iam::111122223333:root", "arn:aws_x:iam::aws:x",
	"arn:aws:iam::awsx:root", "arn:aws:iam::11112222333:root", "arn:aws::iam::111122223333:root", "arn:aws:iam::111122223333:\xff",
	"xarn:aws:iam::111122223333:root", "arn:aws:iam::111122223333:root:extra", "arn:aws-:iam::aws::", "arn:awsAZ-z:sts::cloudfront:r",
}

// TestIsPrincipalARNMatchesItsRegexp: the hand-written matchers accept
// exactly what their regular expressions accept.
func TestIsPrincipalARNMatchesItsRegexp(t *testing.T) {
	for _, s := range principalSeeds {
		checkPrincipalMatchers(t, s)
	}
}

func FuzzPrincipalMatchers(f *testing.F) {
	for _, s := range principalSeeds {
		f.Add(s)
	}
	f.Fuzz(checkPrincipalMatchers)
}

func checkPrincipalMatchers(t *testing.T, s string) {
	if got, want := isPrincipalARN(s), principalARNRe.MatchString(s); got != want {
		t.Fatalf("isPrincipalARN(%q) = %v, the expression says %v", s, got, want)
	}
	if got, want := IsAccountID(s), accountIDRe.MatchString(s); got != want {
		t.Fatalf("IsAccountID(%q) = %v, the expression says %v", s, got, want)
	}
}
