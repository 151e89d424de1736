package view

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestAliasView(t *testing.T) {
	a := NewAlias(decodeJSON(t, `{"apiVersion":"lambda.services.k8s.aws/v1alpha1","kind":"Alias","metadata":{"name":"live","namespace":"ns"},
		"spec":{"name":"live","functionRef":{"from":{"name":"orders"}},"functionVersion":"3",
		"permissions":[{"principal":"*","action":"lambda:InvokeFunction","sourceAccount":"111122223333","statementID":"s"},"junk",{"principal":7,"functionURLAuthType":"NONE"}]}}`))
	if len(a.Permissions.Raw) != 3 || len(a.Permissions.Items) != 2 || len(a.Errors) != 1 {
		t.Fatalf("permissions = %+v, errors %v", a.Permissions, a.Errors)
	}
	p := a.Permissions.Items[0]
	if p.Principal.Value != "*" || p.SourceAccount.Value != "111122223333" || p.StatementID.Value != "s" || p.Path.String() != "spec.permissions[0]" {
		t.Errorf("permission 0 = %+v", p)
	}
	q := a.Permissions.Items[1]
	if q.Index != 2 || q.Principal.Err == nil || q.FunctionURLAuthType.Value != "NONE" {
		t.Errorf("permission 2 = %+v", q)
	}
	if ns, name, ok := a.FunctionRef.Target("ns"); !ok || ns != "ns" || name != "orders" {
		t.Errorf("functionRef = %+v", a.FunctionRef)
	}
}

func TestParameterGroupViews(t *testing.T) {
	g := NewParameterGroup(decodeJSON(t, `{"apiVersion":"rds.services.k8s.aws/v1alpha1","kind":"DBClusterParameterGroup","metadata":{"name":"k8s-name"},
		"spec":{"name":"aws-name","family":"aurora-mysql8.0","parameterOverrides":{"server_audit_logging":"1","Server_Audit_Events":"CONNECT"},
		"parameters":[{"parameterName":"server_audit_logging","parameterValue":"0"},{"parameterName":"x","parameterValue":"y"},3]}}`))
	if !g.Cluster || g.AWSName() != "aws-name" || len(g.Errors) != 0 {
		t.Fatalf("group = %+v", g)
	}
	if v := g.Parameter("server_audit_logging"); v.Value != "1" || v.Path.String() != "spec.parameterOverrides.server_audit_logging" {
		t.Errorf("overrides must be read: %+v", v)
	}
	if v := g.Parameter("x"); v.Present {
		t.Errorf("the deprecated parameters[] is never applied by ACK and must not count: %+v", v)
	}
	if v := g.Parameter("server_audit_events"); v.Value != "CONNECT" {
		t.Errorf("parameter names are matched without case: %+v", v)
	}
	if v := g.Parameter("rds.force_ssl"); v.Present || v.Path.String() != `spec.parameterOverrides["rds.force_ssl"]` {
		t.Errorf("absent parameter = %+v", v)
	}
	d := NewDBInstance(decodeJSON(t, `{"apiVersion":"rds.services.k8s.aws/v1alpha1","kind":"DBInstance","spec":{"dbParameterGroupName":"default.postgres14"}}`))
	if !d.ParameterGroup.Set() || d.ParameterGroup.GVK != DBParameterGroupGVK || !IsDefaultGroupName(d.ParameterGroup.Name.Value) {
		t.Errorf("instance link = %+v", d.ParameterGroup)
	}
	c := NewDBCluster(decodeJSON(t, `{"apiVersion":"rds.services.k8s.aws/v1alpha1","kind":"DBCluster","spec":{"dbClusterParameterGroupRef":{"from":{"name":"g"}}}}`))
	if !c.ParameterGroup.Ref.Present || c.ParameterGroup.GVK != DBClusterParameterGroupGVK || c.ParameterGroup.Ref.Path.String() != "spec.dbClusterParameterGroupRef" {
		t.Errorf("cluster link = %+v", c.ParameterGroup)
	}
	p := NewDBProxy(decodeJSON(t, `{"apiVersion":"rds.services.k8s.aws/v1alpha1","kind":"DBProxy","spec":{"requireTLS":"yes"}}`))
	if !p.RequireTLS.Present || p.RequireTLS.Err == nil {
		t.Errorf("requireTLS = %+v", p.RequireTLS)
	}
}

func TestNetworkACLView(t *testing.T) {
	n := NewNetworkACL(decodeJSON(t, `{"apiVersion":"ec2.services.k8s.aws/v1alpha1","kind":"NetworkACL","spec":{"vpcID":"vpc-1",
		"entries":[{"ruleNumber":100,"ruleAction":"allow","protocol":"6","cidrBlock":"0.0.0.0/0","portRange":{"from":22,"to":22}},
		{"ruleNumber":"x","egress":true,"portRange":[]},5]}}`))
	if len(n.Entries) != 2 || len(n.Errors) != 2 {
		t.Fatalf("entries = %+v, errors %v", n.Entries, n.Errors)
	}
	e := n.Entries[0]
	if e.RuleNumber.Value != 100 || e.From.Value != 22 || e.To.Path.String() != "spec.entries[0].portRange.to" || e.Egress.Present {
		t.Errorf("entry 0 = %+v", e)
	}
	if f := n.Entries[1]; f.RuleNumber.Err == nil || !f.Egress.IsTrue() || f.From.Present {
		t.Errorf("entry 1 = %+v", f)
	}
}

// FuzzNewKindViews decodes arbitrary objects through the Alias, parameter
// group, DBProxy and NetworkACL views: none may panic, and every error
// names a field under spec.
func FuzzNewKindViews(f *testing.F) {
	f.Add(`{"spec":{"permissions":[{"principal":"*"},1,{"sourceARN":[]}],"functionRef":{"from":"x"}}}`)
	f.Add(`{"kind":"DBClusterParameterGroup","spec":{"parameterOverrides":{"a":1},"parameters":[{"parameterName":2},{}],"family":3}}`)
	f.Add(`{"spec":{"entries":[{"ruleNumber":1.5,"portRange":{"from":"22"}},{"egress":"yes"}],"requireTLS":1}}`)
	f.Add(`{"spec":[],"status":{"ackResourceMetadata":"x"}}`)
	f.Fuzz(func(t *testing.T, s string) {
		var m map[string]any
		if json.Unmarshal([]byte(s), &m) != nil {
			return
		}
		check := func(kind string, errs []*FieldError) {
			for _, e := range errs {
				if !strings.HasPrefix(e.Path.String(), "spec") {
					t.Fatalf("%s: error without a spec path: %v", kind, e)
				}
			}
		}
		a := NewAlias(m)
		check("Alias", a.Errors)
		for _, p := range a.Permissions.Items {
			_ = p.Strings()
		}
		g := NewParameterGroup(m)
		check("ParameterGroup", g.Errors)
		_, _ = g.Parameter("rds.force_ssl"), g.AWSName()
		check("DBProxy", NewDBProxy(m).Errors)
		check("NetworkACL", NewNetworkACL(m).Errors)
		_ = NewDBInstance(m).ParameterGroup.Set()
	})
}
