package rules_test

import (
	"testing"

	"github.com/ackguard/ackguard/internal/rules"
)

func TestLMB002(t *testing.T) {
	const p0 = "spec.permissions[0]"
	owner := rules.Config{OwnerAccounts: []string{"111122223333"}}
	runKindCases(t, "LMB-002", []kindCase{
		{name: "secure: S3 pinned by bucket ARN and source account", obj: alias(lperm("principal", "s3.amazonaws.com", "sourceARN", "arn:aws:s3:::orders-uploads", "sourceAccount", "111122223333"))},
		{name: "secure: a fixed ARN that names the account", obj: alias(lperm("principal", "sns.amazonaws.com", "sourceARN", "arn:aws:sns:eu-west-1:111122223333:uploads"))},
		// An S3 bucket ARN names no account: a bucket deleted and created
		// again under the same name in another account matches it
		// (AddPermission's SourceAccount; Lambda.1 fails S3 permissions
		// without AWS:SourceAccount).
		{name: "insecure: S3 bucket ARN without source account", obj: alias(lperm("principal", "s3.amazonaws.com", "sourceARN", "arn:aws:s3:::orders-uploads")), action: rules.Deny,
			want: []want{{p0, `sourceARN "arn:aws:s3:::orders-uploads" names no account ID`}}},
		{name: "tricky: a wildcard source account does not pin an S3 bucket ARN", obj: alias(lperm("principal", "s3.amazonaws.com", "sourceARN", "arn:aws:s3:::orders-uploads", "sourceAccount", "*")),
			want: []want{{p0, "no fixed sourceAccount"}}},
		{name: "tricky: a wildcard account in the ARN does not pin it", obj: alias(lperm("principal", "events.amazonaws.com", "sourceARN", "arn:aws:events:eu-west-1:*:rule/nightly")),
			want: []want{{p0, "names no account ID"}}},
		{name: "secure: pinned by source account", obj: alias(lperm("principal", "sns.amazonaws.com", "sourceAccount", "111122223333"))},
		{name: "secure: an account principal is not a service", obj: alias(lperm("principal", "111122223333"))},
		{name: "insecure: S3 with no source", obj: alias(lperm("principal", "s3.amazonaws.com")), action: rules.Deny, fixable: no,
			want: []want{{p0, "the service principal s3.amazonaws.com may invoke the function on behalf of any account's resources (no fixed sourceAccount and no sourceARN"}}},
		{name: "insecure: fixable with one owner account", obj: alias(lperm("principal", "s3.amazonaws.com")), cfg: owner, fixable: yes,
			want: []want{{p0, "s3.amazonaws.com"}}},
		{name: "tricky: wildcard S3 ARN names no account", obj: alias(lperm("principal", "s3.amazonaws.com", "sourceARN", "arn:aws:s3:::orders-*")),
			want: []want{{p0, "names no account ID"}}},
		{name: "tricky: wildcard after a fixed account pins it", obj: alias(lperm("principal", "events.amazonaws.com", "sourceARN", "arn:aws:events:eu-west-1:111122223333:rule/*"))},
		{name: "tricky: China partition service principal", obj: alias(lperm("principal", "s3.amazonaws.com.cn")), want: []want{{p0, "s3.amazonaws.com.cn"}}},
	})
}

func TestLMB002FixSetsTheOwnerAccount(t *testing.T) {
	obj := alias(lperm("principal", "s3.amazonaws.com", "statementID", "s3"), lperm("principal", "111122223333"))
	cfg := rules.Config{OwnerAccounts: []string{"444455556666"}}
	plan, err := rules.Default().Remediate(obj, cfg, []string{"LMB-002"})
	if err != nil {
		t.Fatal(err)
	}
	perms := plan.Object["spec"].(map[string]any)["permissions"].([]any)
	if perms[0].(map[string]any)["sourceAccount"] != "444455556666" || perms[1].(map[string]any)["sourceAccount"] != nil {
		t.Fatalf("permissions after the fix = %v", perms)
	}
	if got := findingsOf(plan.Object, cfg, "LMB-002"); len(got) != 0 {
		t.Errorf("findings after the fix:\n%s", texts(got))
	}
	if plan, _ := rules.Default().Remediate(obj, rules.Config{}, []string{"LMB-002"}); !plan.Empty() {
		t.Errorf("fixed without an owner account: %+v", plan.Changes)
	}
}

// An S3 permission pinned by its bucket ARN alone gets the owner account
// beside the ARN, which it keeps.
func TestLMB002FixKeepsTheBucketARN(t *testing.T) {
	obj := alias(lperm("principal", "s3.amazonaws.com", "statementID", "s3", "sourceARN", "arn:aws:s3:::orders-uploads"))
	cfg := rules.Config{OwnerAccounts: []string{"444455556666"}}
	plan, err := rules.Default().Remediate(obj, cfg, []string{"LMB-002"})
	if err != nil {
		t.Fatal(err)
	}
	perm := plan.Object["spec"].(map[string]any)["permissions"].([]any)[0].(map[string]any)
	if perm["sourceAccount"] != "444455556666" || perm["sourceARN"] != "arn:aws:s3:::orders-uploads" {
		t.Fatalf("permission after the fix = %v", perm)
	}
	if got := findingsOf(plan.Object, cfg, "LMB-002"); len(got) != 0 {
		t.Errorf("findings after the fix:\n%s", texts(got))
	}
}

// The remedy reads as two sentences, the fix's account beside the field it
// sets, not as asides in a row.
func TestLMB002Remedy(t *testing.T) {
	obj := alias(lperm("principal", "s3.amazonaws.com"))
	for _, tt := range []struct {
		cfg  rules.Config
		want string
	}{
		{rules.Config{}, "set sourceAccount to the account that owns the resource that calls the function, or sourceARN to that resource's ARN when the ARN names the account. " +
			"An S3 bucket ARN names none, so an S3 permission needs sourceAccount, with the bucket ARN in sourceARN"},
		{rules.Config{OwnerAccounts: []string{"111122223333"}}, "set sourceAccount to the account that owns the resource that calls the function (the fix sets 111122223333), or sourceARN to that resource's ARN when the ARN names the account. " +
			"An S3 bucket ARN names none, so an S3 permission needs sourceAccount, with the bucket ARN in sourceARN"},
	} {
		got := findingsOf(obj, tt.cfg, "LMB-002")
		if len(got) != 1 || got[0].Remedy != tt.want {
			t.Errorf("owner accounts %v: findings:\n%s\nwant the remedy %q", tt.cfg.OwnerAccounts, texts(got), tt.want)
		}
	}
}
