package view

import (
	"encoding/json"
	"testing"
)

func TestDBInstanceAbsentIsNotFalse(t *testing.T) {
	d := NewDBInstance(decodeJSON(t, `{"apiVersion":"rds.services.k8s.aws/v1alpha1","kind":"DBInstance","metadata":{"name":"db"},
		"spec":{"engine":"Aurora-PostgreSQL","dbClusterIdentifier":"c1","storageEncrypted":false,"backupRetentionPeriod":0,
		"enableCloudwatchLogsExports":["postgresql",3],"future":{"x":1}}}`))
	if d.PubliclyAccessible.Present || d.PubliclyAccessible.Path.String() != "spec.publiclyAccessible" {
		t.Errorf("publiclyAccessible = %+v, want absent with its path", d.PubliclyAccessible)
	}
	if se := d.StorageEncrypted; !se.Present || se.Value || se.Err != nil {
		t.Errorf("storageEncrypted = %+v, want present false", se)
	}
	if b := d.BackupRetentionPeriod; !b.Present || b.Value != 0 {
		t.Errorf("backupRetentionPeriod = %+v, want present 0", b)
	}
	if !d.ClusterMember() || !d.IsAurora() || d.EngineName() != "aurora-postgresql" {
		t.Error("Aurora member not recognised")
	}
	if len(d.LogExports) != 2 || d.LogExports[1].Err == nil || d.LogExports[1].Path.String() != "spec.enableCloudwatchLogsExports[1]" {
		t.Errorf("log exports = %+v", d.LogExports)
	}
	c := NewDBCluster(decodeJSON(t, `{"apiVersion":"rds.services.k8s.aws/v1alpha1","kind":"DBCluster","spec":{"engine":"postgres","dbClusterInstanceClass":"db.m6gd.large"}}`))
	if !c.MultiAZCluster() {
		t.Error("Multi-AZ DB cluster not recognised")
	}
}

// A DBCluster restored to a point in time names its source cluster; the
// view reads it as it reads the snapshot a restore starts from.
func TestDBClusterSourceCluster(t *testing.T) {
	cases := []struct {
		name, spec string
		nonEmpty   bool
		err        bool
	}{
		{"new cluster", `{"engine":"aurora-postgresql"}`, false, false},
		{"point-in-time restore", `{"sourceDBClusterIdentifier":"orders-prod","restoreType":"copy-on-write"}`, true, false},
		{"empty source", `{"sourceDBClusterIdentifier":""}`, false, false},
		{"source of the wrong type", `{"sourceDBClusterIdentifier":{"name":"orders-prod"}}`, false, true},
		{"restored from a snapshot instead", `{"snapshotIdentifier":"snap-1"}`, false, false},
	}
	for _, tc := range cases {
		c := NewDBCluster(decodeJSON(t, `{"apiVersion":"rds.services.k8s.aws/v1alpha1","kind":"DBCluster","spec":`+tc.spec+`}`))
		src := c.SourceDBClusterIdentifier
		if src.NonEmpty() != tc.nonEmpty || (src.Err != nil) != tc.err || src.Path.String() != "spec.sourceDBClusterIdentifier" {
			t.Errorf("%s: sourceDBClusterIdentifier = %+v", tc.name, src)
		}
	}
}

func TestSecurityGroupView(t *testing.T) {
	sg := NewSecurityGroup(decodeJSON(t, `{"apiVersion":"ec2.services.k8s.aws/v1alpha1","kind":"SecurityGroup","spec":{"name":"g","description":"d",
		"ingressRules":[{"ipProtocol":"6","fromPort":22,"toPort":22,"ipRanges":[{"cidrIP":"10.1.2.3/0"},"junk"],"ipv6Ranges":[{"cidrIPv6":"::/0","description":"v6"}]},7],
		"egressRules":"none"}}`))
	if len(sg.Ingress.Raw) != 2 || len(sg.Ingress.Rules) != 1 {
		t.Fatalf("ingress = %+v", sg.Ingress)
	}
	r := sg.Ingress.Rules[0]
	if r.FromPort.Value != 22 || r.IPProtocol.Value != "6" || len(r.IPRanges) != 1 || r.IPRanges[0].CIDR.Path.String() != "spec.ingressRules[0].ipRanges[0].cidrIP" {
		t.Errorf("rule = %+v", r)
	}
	if r.IPv6Ranges[0].List != "ipv6Ranges" || r.IPv6Ranges[0].Description.Value != "v6" {
		t.Errorf("ipv6 range = %+v", r.IPv6Ranges[0])
	}
	// The junk range, the junk rule and the egress string are each reported.
	if len(sg.Errors) != 3 {
		t.Errorf("errors = %v", sg.Errors)
	}
}

// Each of SourceFields is a list the view reads sources from, and the
// range lists are named as IPRange.List names them.
func TestSecurityGroupSourceFields(t *testing.T) {
	cases := []struct {
		name, rule string
		sources    int
		list       string // IPRange.List of the one range, if any
	}{
		{"public IPv4 range", `{"ipRanges":[{"cidrIP":"0.0.0.0/0"}]}`, 1, IPRangesField},
		{"public IPv6 range", `{"ipv6Ranges":[{"cidrIPv6":"::/0"}]}`, 1, IPv6RangesField},
		{"prefix list", `{"prefixListIDs":[{"prefixListID":"pl-1"}]}`, 1, ""},
		{"security group pair", `{"userIDGroupPairs":[{"groupID":"sg-1"}]}`, 1, ""},
		{"no source", `{"ipProtocol":"tcp","fromPort":22,"toPort":22}`, 0, ""},
		{"a field that names no source", `{"description":"0.0.0.0/0","cidrIP":"0.0.0.0/0"}`, 0, ""},
	}
	for _, tc := range cases {
		sg := NewSecurityGroup(decodeJSON(t, `{"spec":{"ingressRules":[`+tc.rule+`]}}`))
		p := sg.Ingress.Rules[0]
		ranges := append(append([]IPRange{}, p.IPRanges...), p.IPv6Ranges...)
		if n := len(ranges) + len(p.PrefixListIDs) + len(p.UserIDGroupPairs); n != tc.sources {
			t.Errorf("%s: %d sources read, want %d", tc.name, n, tc.sources)
		}
		// A range's path is spec.ingressRules[0].<list>[0].
		if tc.list != "" && (len(ranges) != 1 || ranges[0].List != tc.list || ranges[0].Path[3] != tc.list) {
			t.Errorf("%s: ranges %+v, want one in %s", tc.name, ranges, tc.list)
		}
		// The fields that named a source are among SourceFields.
		var rule map[string]any
		if err := json.Unmarshal([]byte(tc.rule), &rule); err != nil {
			t.Fatal(err)
		}
		named := 0
		for _, f := range SourceFields {
			if _, ok := rule[f]; ok {
				named++
			}
		}
		if named != tc.sources {
			t.Errorf("%s: %d of SourceFields set, %d sources read", tc.name, named, tc.sources)
		}
	}
}

func TestDescribedNamed(t *testing.T) {
	cases := []struct {
		name, rule string
		want       string
	}{
		{"prefix list with a description", `{"prefixListIDs":[{"prefixListID":"pl-1","description":"office"}]}`, `{"prefixListID":"pl-1"}`},
		{"pair without a description", `{"userIDGroupPairs":[{"groupID":"sg-1","userID":"111122223333"}]}`, `{"groupID":"sg-1","userID":"111122223333"}`},
		{"only a description", `{"prefixListIDs":[{"description":"office"}]}`, `{}`},
		{"description of the wrong type is still the description", `{"prefixListIDs":[{"prefixListID":"pl-1","description":7}]}`, `{"prefixListID":"pl-1"}`},
	}
	for _, tc := range cases {
		sg := NewSecurityGroup(decodeJSON(t, `{"spec":{"ingressRules":[`+tc.rule+`]}}`))
		p := sg.Ingress.Rules[0]
		d := append(append([]Described{}, p.PrefixListIDs...), p.UserIDGroupPairs...)[0]
		before := len(d.Fields)
		got, _ := json.Marshal(d.Named())
		if string(got) != tc.want {
			t.Errorf("%s: Named = %s, want %s", tc.name, got, tc.want)
		}
		if len(d.Fields) != before {
			t.Errorf("%s: Named changed the element: %v", tc.name, d.Fields)
		}
	}
}

func TestFunctionViews(t *testing.T) {
	f := NewFunction(decodeJSON(t, `{"apiVersion":"lambda.services.k8s.aws/v1alpha1","kind":"Function","spec":{"name":"f","packageType":"Image",
		"environment":{"variables":{"b.key":"x","A":"y","N":1}},"tracingConfig":{}}}`))
	if !f.IsImage() || f.TracingMode.Present || f.TracingMode.Path.String() != "spec.tracingConfig.mode" {
		t.Errorf("function = %+v", f)
	}
	if len(f.Env) != 3 || f.Env[0].Name != "A" || f.Env[2].Value.Path.String() != `spec.environment.variables["b.key"]` || f.Env[1].Value.Err == nil {
		t.Errorf("env = %+v", f.Env)
	}
	u := NewFunctionURLConfig(decodeJSON(t, `{"apiVersion":"lambda.services.k8s.aws/v1alpha1","kind":"FunctionURLConfig","spec":{"authType":"NONE",
		"cors":{"allowOrigins":["*"],"allowCredentials":true}}}`))
	if u.AuthType.Value != "NONE" || !u.CORS.AllowCredentials.IsTrue() || len(u.CORS.AllowOrigins) != 1 || u.CORS.AllowOrigins[0].Path.String() != "spec.cors.allowOrigins[0]" {
		t.Errorf("url config = %+v", u)
	}
}
