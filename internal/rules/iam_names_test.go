package rules_test

import (
	"net/url"
	"testing"

	"github.com/ackguard/ackguard/internal/rules"
)

// TestDocumentNamedOnce pins how the IAM and policy rules name the document
// a finding is about. Every output prints a finding's path before its
// message (the webhook's field error, scan's text, SARIF and JUnit), so a
// message names the document only where the path does not: a referenced
// Policy (the path is the reference), another document than the path's (an
// IAM-003 union), a Role's document in a Function's finding (LMB-012).
// There it is named as paths render it: spec.inlinePolicies.admin.
func TestDocumentNamedOnce(t *testing.T) {
	exec := resolverWith()
	role := iamObj("Role", roleWith("admin", adminDoc))
	role["metadata"].(map[string]any)["name"] = "exec"
	exec.objs["Role/team-a/exec"] = role
	execRef := withRecordedARN(resolverWith("managed", readDoc), "managed", "arn:aws:iam::aws:policy/AdministratorAccess")
	refRole := iamObj("Role", with(roleWith(), "policyRefs", refsTo("managed")))
	refRole["metadata"].(map[string]any)["name"] = "exec"
	execRef.objs["Role/team-a/exec"] = refRole
	tests := []struct {
		name, kind, rule string
		spec             map[string]any
		cfg              rules.Config
		path, msg        string
	}{
		{name: "an inline policy", rule: "IAM-001", spec: roleWith("admin", adminDoc),
			path: inl("admin"), msg: `Statement[0] (Sid "Admin") allows Action "*" on Resource "*": every action on every resource (administrator access)`},
		{name: "a Policy's document", rule: "IAM-001", kind: "Policy", spec: policySpec(adminDoc),
			path: "spec.policyDocument", msg: `Statement[0] (Sid "Admin") allows Action "*" on Resource "*": every action on every resource (administrator access)`},
		{name: "a trust policy", rule: "IAM-010", spec: with(roleWith(), "assumeRolePolicyDocument", trust(`{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}`)),
			path: "spec.assumeRolePolicyDocument", msg: `Statement[0] trusts {"AWS": "*"} with no condition pinning aws:PrincipalOrgID, aws:PrincipalAccount or aws:PrincipalArn to fixed values: any AWS principal could assume the role`},
		{name: "a referenced Policy is named by the Policy, the path being the reference", rule: "IAM-001", spec: with(roleWith(), "policyRefs", refsTo("admin")), cfg: rules.Config{Resolver: resolverWith("admin", adminDoc)},
			path: "spec.policyRefs[0]", msg: `Policy team-a/admin: Statement[0] (Sid "Admin") allows Action "*"`},
		{name: "a URL-encoded inline policy says how it was read", rule: "IAM-001", spec: roleWith("enc", url.QueryEscape(adminDoc)),
			path: inl("enc"), msg: `the inline policy (URL-encoded; judged decoded, as ACK applies it): Statement[0] (Sid "Admin") allows Action "*"`},
		{name: "IAM-003 names the other documents of a union", rule: "IAM-003", spec: roleWith("pass", idp(allow(`"iam:PassRole"`, star)), "zlambda", idp(allow(`["lambda:CreateFunction","lambda:InvokeFunction"]`, star))),
			path: inl("pass"), msg: `Statement[0] and Statement[0] of spec.inlinePolicies.zlambda together allow privilege escalation on unconstrained resources: PassExistingRoleToNewLambdaThenInvoke`},
		{name: "IAM-003 names a referenced Policy by the Policy and the reference", rule: "IAM-003", spec: with(roleWith("pass", idp(allow(`"iam:PassRole"`, star))), "policyRefs", refsTo("lambda")),
			cfg:  rules.Config{Resolver: resolverWith("lambda", idp(allow(`["lambda:CreateFunction","lambda:InvokeFunction"]`, star)))},
			path: inl("pass"), msg: `Statement[0] and Statement[0] of Policy team-a/lambda (referenced by spec.policyRefs[0]) together allow privilege escalation`},
		{name: "LMB-012 names the Role's document, which its path does not", rule: "LMB-012", kind: "Function", spec: map[string]any{"name": "f", "roleRef": map[string]any{"from": map[string]any{"name": "exec"}}}, cfg: rules.Config{Resolver: exec},
			path: "spec.roleRef", msg: `the execution role Role team-a/exec: spec.inlinePolicies.admin: Statement[0] (Sid "Admin") allows Action "*"`},
		{name: "IAM-014 names a referenced Policy by the Policy, the path being the reference", rule: "IAM-014", spec: with(roleWith(), "policyRefs", refsTo("managed")),
			cfg:  rules.Config{Resolver: withRecordedARN(resolverWith("managed", readDoc), "managed", "arn:aws:iam::aws:policy/AdministratorAccess")},
			path: "spec.policyRefs[0]", msg: `Policy team-a/managed is the AWS managed policy arn:aws:iam::aws:policy/AdministratorAccess (the ARN ACK recorded for it and attaches), which allows every action on every resource`},
		{name: "LMB-012 names the Role's reference, which its path does not", rule: "LMB-012", kind: "Function", spec: map[string]any{"name": "f", "roleRef": map[string]any{"from": map[string]any{"name": "exec"}}}, cfg: rules.Config{Resolver: execRef},
			path: "spec.roleRef", msg: `the execution role Role team-a/exec: spec.policyRefs[0]: Policy team-a/managed is the AWS managed policy arn:aws:iam::aws:policy/AdministratorAccess`},
		{name: "POL-001", rule: "POL-001", spec: roleWith("bad", `{"Version":"2012-10-17","Statement":[}`),
			path: inl("bad"), msg: `invalid inline policy: not valid JSON`},
		{name: "POL-002 on a bucket policy", rule: "POL-002", kind: "Bucket", spec: map[string]any{"name": "b", "policy": idp(`{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`)},
			path: "spec.policy", msg: `Statement[0] uses NotPrincipal with Effect Allow`},
		{name: "POL-004", rule: "POL-004", spec: roleWith("v", `{"Statement":[`+allow(`"s3:GetObject"`, `"arn:aws:s3:::b/*"`)+`]}`),
			path: inl("v"), msg: `the inline policy has no Version, so policy variables such as ${aws:username} are literal text`},
		{name: "an invalid document another rule cannot judge", rule: "IAM-001", spec: roleWith("bad", `{"Version":"2012-10-17","Statement":[}`),
			path: inl("bad"), msg: `cannot evaluate: the inline policy is invalid (see POL-001)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind := tt.kind
			if kind == "" {
				kind = "Role"
			}
			obj := iamObj(kind, tt.spec)
			if kind == "Bucket" {
				obj["apiVersion"] = "s3.services.k8s.aws/v1alpha1"
			}
			got := findingsOf(obj, tt.cfg, tt.rule)
			for _, f := range got {
				if f.Path.String() == tt.path && len(f.Message) >= len(tt.msg) && f.Message[:len(tt.msg)] == tt.msg {
					return
				}
			}
			t.Errorf("no %s finding at %s whose message begins %q\nfindings:\n%s", tt.rule, tt.path, tt.msg, texts(got))
		})
	}
}
