package rules_test

import (
	"testing"

	"github.com/ackguard/ackguard/internal/rules"
)

func TestLMB002(t *testing.T) {
	const p0 = "spec.permissions[0]"
	owner := rules.Config{OwnerAccounts: []string{"111122223333"}}
	runKindCases(t, "LMB-002", []kindCase{
		{name: "secure: S3 pinned by bucket ARN", obj: alias(lperm("principal", "s3.amazonaws.com", "sourceARN", "arn:aws:s3:::orders-uploads"))},
		{name: "secure: pinned by source account", obj: alias(lperm("principal", "sns.amazonaws.com", "sourceAccount", "111122223333"))},
		{name: "secure: an account principal is not a service", obj: alias(lperm("principal", "111122223333"))},
		{name: "insecure: S3 with no source", obj: alias(lperm("principal", "s3.amazonaws.com")), action: rules.Deny, fixable: no,
			want: []want{{p0, "the service principal s3.amazonaws.com may invoke the function on behalf of any account's resources"}}},
		{name: "insecure: fixable with one owner account", obj: alias(lperm("principal", "s3.amazonaws.com")), cfg: owner, fixable: yes,
			want: []want{{p0, "s3.amazonaws.com"}}},
		{name: "tricky: wildcard S3 ARN names no account", obj: alias(lperm("principal", "s3.amazonaws.com", "sourceARN", "arn:aws:s3:::orders-*")),
			want: []want{{p0, "no sourceARN or sourceAccount"}}},
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
