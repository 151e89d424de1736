package rules_test

import (
	"strings"
	"testing"

	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/view"
)

func alias(perms ...any) map[string]any {
	return ackObject(view.AliasGVK, map[string]any{"name": "live", "functionName": "orders", "functionVersion": "3", "permissions": perms})
}

func lperm(kv ...string) map[string]any {
	m := map[string]any{"action": "lambda:InvokeFunction"}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func TestLMB001(t *testing.T) {
	const p0, p1 = "spec.permissions[0]", "spec.permissions[1]"
	runKindCases(t, "LMB-001", []kindCase{
		{name: "secure: an account principal", obj: alias(lperm("principal", "111122223333", "statementID", "ops"))},
		{name: "secure: * restricted to the organization", obj: alias(lperm("principal", "*", "principalOrgID", "o-a1b2c3d4e5"))},
		{name: "secure: * restricted to a source account", obj: alias(lperm("principal", "*", "sourceAccount", "111122223333"))},
		{name: "secure: no permissions", obj: alias()},
		{name: "insecure: * without conditions", obj: alias(lperm("principal", "*", "statementID", "public")), action: rules.Deny, fixable: yes,
			want: []want{{p0, `permission "public": principal "*" with no fixed sourceAccount, sourceARN or principalOrgID grants lambda:InvokeFunction to everyone`}}},
		{name: "insecure: function URL with auth type NONE", obj: alias(lperm("principal", "*", "action", "lambda:InvokeFunctionUrl", "functionURLAuthType", "NONE")),
			want: []want{{p0, "functionURLAuthType NONE lets anyone on the internet call the function URL"}}},
		// lambda:FunctionUrlAuthType AWS_IAM admits only signed calls: the
		// statement is public to every AWS account, not to anonymous callers.
		{name: "insecure: * on URL calls with auth type AWS_IAM", obj: alias(lperm("principal", "*", "action", "lambda:InvokeFunctionUrl", "functionURLAuthType", "AWS_IAM")),
			want: []want{{p0, "grants lambda:InvokeFunctionUrl to every AWS principal of every account"}}},
		{name: "secure: * on URL calls with auth type AWS_IAM, restricted to the organization", obj: alias(lperm("principal", "*", "action", "lambda:InvokeFunctionUrl", "functionURLAuthType", "AWS_IAM", "principalOrgID", "o-a1b2c3d4e5"))},
		{name: "tricky: a wildcard source ARN does not restrict", obj: alias(lperm("principal", "*", "sourceARN", "arn:aws:s3:::*")),
			want: []want{{p0, "no fixed sourceAccount"}}},
		{name: "tricky: a policy variable does not restrict", obj: alias(lperm("principal", "*", "principalOrgID", "${aws:PrincipalOrgID}")),
			want: []want{{p0, "principal"}}},
		{name: "tricky: only the public entry of two is reported", obj: alias(lperm("principal", "s3.amazonaws.com", "sourceAccount", "111122223333"), lperm("principal", "*", "action", "lambda:*")),
			want: []want{{p1, "grants lambda:* to everyone"}}},
		{name: "tricky: URL auth NONE is public even with a source", obj: alias(lperm("principal", "*", "functionURLAuthType", "none", "sourceAccount", "111122223333")),
			want: []want{{p0, "functionURLAuthType NONE"}}},
		{name: "wrong type: permissions", obj: ackObject(view.AliasGVK, map[string]any{"name": "live", "permissions": "all"}),
			want: []want{{"spec.permissions", "must be an array"}}},
		{name: "wrong type: principal", obj: alias(map[string]any{"principal": 7}),
			want: []want{{"spec.permissions[0].principal", "must be a string"}}},
	})
}

func TestLMB001FixRemovesOnlyPublicEntries(t *testing.T) {
	obj := alias(lperm("principal", "events.amazonaws.com", "sourceARN", "arn:aws:events:eu-west-1:111122223333:rule/nightly"), lperm("principal", "*"))
	plan, err := rules.Default().Remediate(obj, rules.Config{}, []string{"LMB-001"})
	if err != nil {
		t.Fatal(err)
	}
	perms := plan.Object["spec"].(map[string]any)["permissions"].([]any)
	if len(perms) != 1 || perms[0].(map[string]any)["principal"] != "events.amazonaws.com" {
		t.Fatalf("permissions after the fix = %v", perms)
	}
	if got := findingsOf(plan.Object, rules.Config{}, "LMB-001"); len(got) != 0 {
		t.Errorf("findings after the fix:\n%s", texts(got))
	}
}

// A function URL permission with auth type NONE stays public whatever
// source it names: its remedy must not offer a source restriction alone,
// which would leave the denial in place.
func TestLMB001RemedyFitsTheCase(t *testing.T) {
	for _, tc := range []struct {
		name      string
		obj       map[string]any
		want, not []string
	}{
		{name: "URL auth type NONE", obj: alias(lperm("principal", "*", "action", "lambda:InvokeFunctionUrl", "functionURLAuthType", "NONE")),
			want: []string{"remove the permission", "set functionURLAuthType to AWS_IAM"}, not: []string{"or restrict it with"}},
		{name: "principal * without a source", obj: alias(lperm("principal", "*")),
			want: []string{"remove the permission", "restrict it with sourceAccount, sourceARN or principalOrgID"}, not: []string{"functionURLAuthType"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := findingsOf(tc.obj, rules.Config{}, "LMB-001")
			if len(got) != 1 {
				t.Fatalf("findings:\n%s", texts(got))
			}
			for _, w := range tc.want {
				if !strings.Contains(got[0].Remedy, w) {
					t.Errorf("remedy %q does not say %q", got[0].Remedy, w)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(got[0].Remedy, n) {
					t.Errorf("remedy %q says %q", got[0].Remedy, n)
				}
			}
		})
	}
}
