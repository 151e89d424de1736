package view

import (
	"encoding/json"
	"testing"
)

func TestRoleView(t *testing.T) {
	r := NewRole(decodeJSON(t, `{"apiVersion":"iam.services.k8s.aws/v1alpha1","kind":"Role","metadata":{"name":"r","namespace":"ns"},
		"spec":{"name":"app","assumeRolePolicyDocument":"{}","maxSessionDuration":3600,"unknown":{"x":1},
		"inlinePolicies":{"b":"{}","a admin":"{}","n":null},"policies":["arn:aws:iam::aws:policy/ReadOnlyAccess",7],
		"policyRefs":[{"from":{"name":"p"}},{"from":{"name":"q","namespace":"other"}},"bad"],
		"permissionsBoundaryRef":{"from":{"name":"boundary"}}}}`))
	if r.GVK != RoleGVK || r.Name.Value != "app" || !r.AssumeRolePolicyDocument.Present || r.MaxSessionDuration.Value != 3600 {
		t.Fatalf("role = %+v", r)
	}
	if len(r.InlinePolicies) != 2 || r.InlinePolicies[0].Name != "a admin" || r.InlinePolicies[1].Document.Path.String() != "spec.inlinePolicies.b" ||
		r.InlinePolicies[0].Document.Path.String() != `spec.inlinePolicies["a admin"]` {
		t.Errorf("inline = %+v", r.InlinePolicies)
	}
	if len(r.Policies) != 2 || r.Policies[0].Value != "arn:aws:iam::aws:policy/ReadOnlyAccess" || r.Policies[1].Err == nil || r.Policies[1].Err.Error() != "spec.policies[1]: must be a string, found number" {
		t.Errorf("policies = %+v", r.Policies)
	}
	if ns, n, ok := r.PolicyRefs[0].Target("ns"); !ok || ns != "ns" || n != "p" {
		t.Errorf("ref 0 = %s/%s %v", ns, n, ok)
	}
	if ns, n, ok := r.PolicyRefs[1].Target("ns"); !ok || ns != "other" || n != "q" {
		t.Errorf("ref 1 = %s/%s %v", ns, n, ok)
	}
	if _, _, ok := r.PolicyRefs[2].Target("ns"); ok || r.PolicyRefs[2].Err == nil || r.PolicyRefs[2].Path.String() != "spec.policyRefs[2]" {
		t.Errorf("ref 2 = %+v", r.PolicyRefs[2])
	}
	if _, n, ok := r.PermissionsBoundaryRef.Target("ns"); !ok || n != "boundary" || r.PermissionsBoundary.Present {
		t.Errorf("boundary = %+v", r.PermissionsBoundaryRef)
	}
	if len(r.Errors) != 0 {
		t.Errorf("errors = %v", r.Errors)
	}
}

func TestIAMViewsWrongTypes(t *testing.T) {
	u := NewUser(decodeJSON(t, `{"spec":{"inlinePolicies":"x","policies":{},"policyRefs":3}}`))
	if len(u.Errors) != 3 || u.InlinePolicies != nil || u.Policies != nil {
		t.Errorf("user errors = %v", u.Errors)
	}
	g := NewGroup(decodeJSON(t, `{"spec":"oops"}`))
	if len(g.Errors) != 1 || g.Errors[0].Path.String() != "spec" {
		t.Errorf("group errors = %v", g.Errors)
	}
	p := NewPolicy(decodeJSON(t, `{"spec":{"policyDocument":5}}`))
	if p.PolicyDocument.Err == nil || p.PolicyDocument.Err.Error() != "spec.policyDocument: must be a string, found number" {
		t.Errorf("policy = %+v", p.PolicyDocument)
	}
	if p := NewPolicy(decodeJSON(t, `{"spec":{}}`)); p.PolicyDocument.Present {
		t.Error("absent document present")
	}
	f := NewFunctionRole(decodeJSON(t, `{"metadata":{"namespace":"ns"},"spec":{"role":"arn:aws:iam::111122223333:role/x","roleRef":{"from":{"name":"exec"}}}}`))
	if _, n, ok := f.RoleRef.Target(f.Namespace); !ok || n != "exec" || f.Role.Value == "" {
		t.Errorf("function = %+v", f)
	}
	if f := NewFunctionRole(decodeJSON(t, `{"spec":{"roleRef":{"from":"x"}}}`)); f.RoleRef.Err == nil {
		t.Error("from string accepted")
	}
}

func FuzzNewRole(f *testing.F) {
	f.Add(`{"spec":{"inlinePolicies":{"a":"{}"},"policyRefs":[{"from":{"name":"p"}}],"policies":["x"]}}`)
	f.Add(`{"spec":{"inlinePolicies":[],"policyRefs":[{"from":[]}],"permissionsBoundaryRef":"x"}}`)
	f.Fuzz(func(t *testing.T, s string) {
		var m map[string]any
		if json.Unmarshal([]byte(s), &m) != nil {
			return
		}
		r := NewRole(m)
		for _, ref := range r.PolicyRefs {
			_, _, _ = ref.Target("ns")
		}
		_ = NewPolicy(m)
		_ = NewFunctionRole(m)
	})
}
