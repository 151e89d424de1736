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

// The exported paths of the references are the very fields the views
// read, so code that follows a reference by its path finds what the
// rules judge.
func TestReferencePathsAreTheViewsFields(t *testing.T) {
	iam := decodeJSON(t, `{"metadata":{"namespace":"ns"},"spec":{"policyRefs":[{"from":{"name":"p"}}],"policies":["arn:aws:iam::111122223333:policy/x"]}}`)
	fn := decodeJSON(t, `{"metadata":{"namespace":"ns"},"spec":{"roleRef":{"from":{"name":"exec"}}}}`)
	inst := decodeJSON(t, `{"spec":{"dbParameterGroupRef":{"from":{"name":"g"}},"dbParameterGroupName":"pg"}}`)
	clus := decodeJSON(t, `{"spec":{"dbClusterParameterGroupRef":{"from":{"name":"cg"}},"dbClusterParameterGroupName":"cpg"}}`)
	r, u, g := NewRole(iam), NewUser(iam), NewGroup(iam)
	d, c := NewDBInstance(inst), NewDBCluster(clus)
	cases := []struct {
		name       string
		exported   Path
		read       Path
		obj        map[string]any
		refTarget  string // the reference read at the exported path
		nameTarget string // the string read at the exported path
	}{
		{"Role policyRefs", PolicyRefsPath, r.PolicyRefs[0].Path[:2], iam, "p", ""},
		{"User policyRefs", PolicyRefsPath, u.PolicyRefs[0].Path[:2], iam, "p", ""},
		{"Group policyRefs", PolicyRefsPath, g.PolicyRefs[0].Path[:2], iam, "p", ""},
		{"Role policies", PoliciesPath, r.PoliciesField.Path, iam, "", ""},
		{"Function roleRef", FunctionRoleRefPath, NewFunctionRole(fn).RoleRef.Path, fn, "exec", ""},
		{"DBInstance parameter group ref", DBParameterGroupRefPath, d.ParameterGroup.Ref.Path, inst, "g", ""},
		{"DBInstance parameter group name", DBParameterGroupNamePath, d.ParameterGroup.Name.Path, inst, "", "pg"},
		{"DBCluster parameter group ref", DBClusterParameterGroupRefPath, c.ParameterGroup.Ref.Path, clus, "cg", ""},
		{"DBCluster parameter group name", DBClusterParameterGroupNamePath, c.ParameterGroup.Name.Path, clus, "", "cpg"},
	}
	for _, tc := range cases {
		if !tc.exported.Equal(tc.read) {
			t.Errorf("%s: exported path %s, the view reads %s", tc.name, tc.exported, tc.read)
		}
		if len(tc.exported) != cap(tc.exported) {
			t.Errorf("%s: an exported path must have len == cap, so appending to it copies", tc.name)
		}
		if tc.refTarget != "" {
			refs := RefsAt(tc.obj, tc.exported...)
			if len(refs) != 1 {
				t.Errorf("%s: RefsAt = %+v", tc.name, refs)
			} else if _, n, ok := refs[0].Target("ns"); !ok || n != tc.refTarget {
				t.Errorf("%s: reference names %q (%v), want %q", tc.name, n, ok, tc.refTarget)
			}
		}
		if got := StringAt(tc.obj, tc.exported...); got != tc.nameTarget {
			t.Errorf("%s: StringAt = %q, want %q", tc.name, got, tc.nameTarget)
		}
	}
}

func TestFunctionRoleARN(t *testing.T) {
	cases := []struct {
		name, obj, want string
	}{
		{"role by ARN", `{"spec":{"role":"arn:aws:iam::111122223333:role/exec"}}`, "arn:aws:iam::111122223333:role/exec"},
		{"role by reference only", `{"spec":{"roleRef":{"from":{"name":"exec"}}}}`, ""},
		{"no spec", `{}`, ""},
		{"spec not an object", `{"spec":"arn:aws:iam::111122223333:role/exec"}`, ""},
		{"role not a string", `{"spec":{"role":{"arn":"arn:aws:iam::111122223333:role/exec"}}}`, ""},
		{"role null", `{"spec":{"role":null}}`, ""},
	}
	for _, tc := range cases {
		obj := decodeJSON(t, tc.obj)
		if got := FunctionRoleARN(obj); got != tc.want {
			t.Errorf("%s: FunctionRoleARN = %q, want %q", tc.name, got, tc.want)
		}
		// The view reads the same field.
		if f := NewFunctionRole(obj); f.Role.Err == nil && f.Role.Value != tc.want {
			t.Errorf("%s: the view reads spec.role as %q, FunctionRoleARN %q", tc.name, f.Role.Value, tc.want)
		}
	}
}
