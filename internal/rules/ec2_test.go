package rules_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/view"
)

// perm builds an ingress or egress rule; each source is a CIDR (IPv6 when
// it holds a colon), every range described. from and to may be nil.
func perm(proto string, from, to any, cidrs ...string) map[string]any {
	r := map[string]any{"ipProtocol": proto}
	if from != nil {
		r["fromPort"] = from
	}
	if to != nil {
		r["toPort"] = to
	}
	var v4, v6 []any
	for _, c := range cidrs {
		if strings.Contains(c, ":") {
			v6 = append(v6, map[string]any{"cidrIPv6": c, "description": "range " + c})
		} else {
			v4 = append(v4, map[string]any{"cidrIP": c, "description": "range " + c})
		}
	}
	if v4 != nil {
		r["ipRanges"] = v4
	}
	if v6 != nil {
		r["ipv6Ranges"] = v6
	}
	return r
}

// sg builds a SecurityGroup with the given ingress rules and a quiet
// egress rule.
func sg(ingress ...any) map[string]any {
	return ackObject(view.SecurityGroupGVK, map[string]any{
		"name":         "web",
		"description":  "web servers",
		"vpcID":        "vpc-0abc",
		"ingressRules": ingress,
		"egressRules":  []any{perm("tcp", int64(443), int64(443), "0.0.0.0/0")},
	})
}

// cidrPath is the path of range j of ingress rule i.
func cidrPath(i, j int, v6 bool) string {
	if v6 {
		return fmt.Sprintf("spec.ingressRules[%d].ipv6Ranges[%d].cidrIPv6", i, j)
	}
	return fmt.Sprintf("spec.ingressRules[%d].ipRanges[%d].cidrIP", i, j)
}

func TestEC2SecureGroupPasses(t *testing.T) {
	obj := sg(
		perm("tcp", int64(443), int64(443), "0.0.0.0/0", "::/0"),
		perm("tcp", int64(22), int64(22), "10.0.0.0/8", "2001:db8::/32"),
		perm("icmp", int64(8), int64(0), "0.0.0.0/0"),
	)
	if got := rules.Default().Evaluate(obj, rules.Config{}); len(got) != 0 {
		t.Errorf("findings for a secure group:\n%s", texts(got))
	}
}

func TestEC2001(t *testing.T) {
	p00 := cidrPath(0, 0, false)
	runKindCases(t, "EC2-001", []kindCase{
		{name: "secure: private source", obj: sg(perm("tcp", int64(22), int64(22), "10.0.0.0/8"))},
		{name: "secure: public on 443", obj: sg(perm("tcp", int64(443), int64(443), "0.0.0.0/0"))},
		{name: "insecure: 0.0.0.0/0 to 22", obj: sg(perm("tcp", int64(22), int64(22), "0.0.0.0/0")), action: rules.Deny, fixable: yes, want: []want{
			{p00, "ipRanges 0.0.0.0/0 allows tcp 22 from 0.0.0.0/0 (public), which includes port 22"},
		}},
		{name: "tricky: host bits masked 10.1.2.3/0", obj: sg(perm("tcp", int64(22), int64(22), "10.1.2.3/0")), want: []want{{p00, "from 0.0.0.0/0 (public)"}}},
		{name: "tricky: 0.0.0.0/1 + 128.0.0.0/1", obj: sg(perm("tcp", int64(3389), int64(3389), "0.0.0.0/1", "128.0.0.0/1")), want: []want{
			{p00, "0.0.0.0/1"}, {cidrPath(0, 1, false), "128.0.0.0/1"},
		}},
		{name: "tricky: prefix shorter than /8 is public", obj: sg(perm("tcp", int64(22), int64(22), "12.0.0.0/7")), want: []want{{p00, "12.0.0.0/7"}}},
		{name: "secure: a /8 alone is not public", obj: sg(perm("tcp", int64(22), int64(22), "12.0.0.0/8"))},
		{name: "secure: a named network next to 0.0.0.0/0 on another rule is not reported", obj: sg(perm("tcp", int64(22), int64(22), "203.0.113.0/24"), perm("tcp", int64(443), int64(443), "0.0.0.0/0"))},
		{name: "tricky: protocol number 6", obj: sg(perm("6", int64(22), int64(22), "0.0.0.0/0")), want: []want{{p00, "tcp 22"}}},
		{name: "tricky: protocol name in upper case", obj: sg(perm("TCP", int64(22), int64(22), "0.0.0.0/0")), want: []want{{p00, "tcp 22"}}},
		{name: "tricky: udp 3389 (17)", obj: sg(perm("17", int64(3389), int64(3389), "0.0.0.0/0")), want: []want{{p00, "udp 3389"}}},
		{name: "tricky: -1 with ports 443 is every port", obj: sg(perm("-1", int64(443), int64(443), "0.0.0.0/0")), want: []want{{p00, "all protocols and ports"}}},
		{name: "tricky: all", obj: sg(perm("all", nil, nil, "0.0.0.0/0")), want: []want{{p00, "(public), which includes ports 22, 3389"}}},
		{name: "tricky: icmp type 22 is not port 22", obj: sg(perm("icmp", int64(22), int64(22), "0.0.0.0/0"))},
		{name: "tricky: protocol 1 (icmp) with -1", obj: sg(perm("1", int64(-1), int64(-1), "0.0.0.0/0"))},
		{name: "tricky: range 20-25 includes 22", obj: sg(perm("tcp", int64(20), int64(25), "0.0.0.0/0")), want: []want{{p00, "tcp 20-25"}}},
		{name: "tricky: tcp without ports is every port", obj: sg(perm("tcp", nil, nil, "0.0.0.0/0")), want: []want{{p00, "tcp 0-65535"}}},
		{name: "tricky: tcp -1 to -1 is every port", obj: sg(perm("tcp", int64(-1), int64(-1), "0.0.0.0/0")), want: []want{{p00, "tcp 0-65535"}}},
		{name: "tricky: fromPort 22 without toPort reaches 22", obj: sg(perm("tcp", int64(22), nil, "0.0.0.0/0")), want: []want{{p00, "tcp 22-65535"}}},
		{name: "secure: 23-3388 straddles neither port", obj: sg(perm("tcp", int64(23), int64(3388), "0.0.0.0/0"))},
		{name: "invalid input: a zero-padded prefix length", obj: sg(perm("tcp", int64(22), int64(22), "0.0.0.0/00")), fixable: no, want: []want{{p00, `invalid input: "0.0.0.0/00" is not a CIDR`}}},
		{name: "tricky: ESP (50) opens no TCP port", obj: sg(perm("50", nil, nil, "0.0.0.0/0"))},
		{name: "not this rule: IPv6 ::/0 is EC2-002", obj: sg(perm("tcp", int64(22), int64(22), "::/0"))},
		{name: "tricky: JSON numbers", obj: sg(perm("tcp", float64(22), float64(22), "0.0.0.0/0")), want: []want{{p00, "tcp 22"}}},
		{name: "tricky: other sources are never public", obj: sg(map[string]any{"ipProtocol": "tcp", "fromPort": int64(22), "toPort": int64(22),
			"prefixListIDs":    []any{map[string]any{"prefixListID": "pl-1", "description": "corp"}},
			"userIDGroupPairs": []any{map[string]any{"groupID": "sg-1", "description": "bastion"}}})},
		{name: "invalid input: not a CIDR", obj: sg(perm("tcp", int64(22), int64(22), "0.0.0.0/33")), fixable: no, want: []want{{p00, `invalid input: "0.0.0.0/33" is not a CIDR`}}},
		{name: "invalid input: ingressRules not a list", obj: ackObject(view.SecurityGroupGVK, map[string]any{"name": "x", "description": "x", "ingressRules": "all"}), fixable: no, want: []want{
			{"spec.ingressRules", "must be an array, found string"},
		}},
		{name: "invalid input: port as a string", obj: sg(perm("tcp", "22", int64(22), "0.0.0.0/0")), want: []want{
			{"spec.ingressRules[0].fromPort", "must be an integer"},
			{p00, "tcp 0-22"}, // read as wide as it could be
		}},
	})
}

func TestEC2001UnionOfSlash8s(t *testing.T) {
	// 256 /8 networks cover the IPv4 space: every one that is not private
	// is public; 10/8 and 127/8 are private and stay.
	var cidrs []string
	for i := 0; i < 256; i++ {
		cidrs = append(cidrs, fmt.Sprintf("%d.0.0.0/8", i))
	}
	got := findingsOf(sg(perm("tcp", int64(22), int64(22), cidrs...)), rules.Config{}, "EC2-001")
	if len(got) != 254 {
		t.Fatalf("%d findings, want 254", len(got))
	}
	for _, f := range got {
		if strings.Contains(f.Message, " 10.0.0.0/8 ") || strings.Contains(f.Message, " 127.0.0.0/8 ") {
			t.Errorf("private range reported: %s", f.Text())
		}
	}
	plan, err := rules.Default().Remediate(sg(perm("tcp", int64(22), int64(22), cidrs...)), rules.Config{}, []string{"EC2-001"})
	if err != nil {
		t.Fatal(err)
	}
	if left := findingsOf(plan.Object, rules.Config{}, "EC2-001"); len(left) != 0 {
		t.Errorf("findings after the fix:\n%s", texts(left))
	}
	// Without one /8 the rest does not cover the space: not public.
	if got := findingsOf(sg(perm("tcp", int64(22), int64(22), cidrs[1:]...)), rules.Config{}, "EC2-001"); len(got) != 0 {
		t.Errorf("findings for 255 /8s:\n%s", texts(got))
	}
}

func TestEC2002(t *testing.T) {
	p := cidrPath(0, 0, true)
	runKindCases(t, "EC2-002", []kindCase{
		{name: "secure: documentation range", obj: sg(perm("tcp", int64(22), int64(22), "2001:db8::/32"))},
		{name: "insecure: ::/0 to 22", obj: sg(perm("tcp", int64(22), int64(22), "::/0")), action: rules.Deny, fixable: yes, want: []want{{p, "ipv6Ranges ::/0 allows tcp 22 from ::/0"}}},
		{name: "tricky: IPv6 host bits masked", obj: sg(perm("tcp", int64(3389), int64(3389), "2001:DB8::1/0")), want: []want{{p, "from ::/0"}}},
		{name: "tricky: shorter than /16 is public", obj: sg(perm("tcp", int64(22), int64(22), "2000::/3")), want: []want{{p, "2000::/3"}}},
		{name: "tricky: non-canonical 0:0::/0", obj: sg(perm("tcp", int64(22), int64(22), "0:0::/0")), want: []want{{p, "from ::/0"}}},
		{name: "tricky: ::/15 is public", obj: sg(perm("tcp", int64(22), int64(22), "::/15")), want: []want{{p, "::/15"}}},
		{name: "secure: a /16 alone is not public", obj: sg(perm("tcp", int64(22), int64(22), "::/16"))},
		{name: "tricky: ::/1 + 8000::/1", obj: sg(perm("tcp", int64(22), int64(22), "::/1", "8000::/1")), want: []want{{p, "::/1"}, {cidrPath(0, 1, true), "8000::/1"}}},
		{name: "tricky: IPv4-mapped ::ffff:0.0.0.0/96 is the IPv4 space", obj: sg(perm("tcp", int64(22), int64(22), "::ffff:0.0.0.0/96")), want: []want{{p, "from 0.0.0.0/0"}}},
		{name: "not this rule: IPv4", obj: sg(perm("tcp", int64(22), int64(22), "0.0.0.0/0"))},
		{name: "tricky: icmpv6 from ::/0", obj: sg(perm("icmpv6", nil, nil, "::/0"))},
	})
}

func TestEC2003(t *testing.T) {
	runKindCases(t, "EC2-003", []kindCase{
		{name: "secure: 443", obj: sg(perm("tcp", int64(443), int64(443), "0.0.0.0/0"))},
		{name: "insecure: 20-25", obj: sg(perm("tcp", int64(20), int64(25), "0.0.0.0/0")), action: rules.Deny, fixable: yes, want: []want{
			{cidrPath(0, 0, false), "(public), which includes the high-risk ports 20, 21, 22, 23, 25"},
		}},
		{name: "insecure: 5432 from ::/0", obj: sg(perm("tcp", int64(5432), int64(5432), "::/0")), want: []want{{cidrPath(0, 0, true), "(public), which includes the high-risk port 5432"}}},
		{name: "secure: 5432 from a private range", obj: sg(perm("tcp", int64(5432), int64(5432), "172.16.0.0/12"))},
		{name: "tricky: 9000-9199 misses 9200", obj: sg(perm("tcp", int64(9000), int64(9199), "0.0.0.0/0"))},
		{name: "tricky: icmp never matches", obj: sg(perm("icmp", int64(3306), int64(3306), "0.0.0.0/0"))},
	})
	// The port list is versioned data with its source (catalog §11.6),
	// and every port of it is judged.
	l := rules.HighRiskPorts()
	if l.Version == "" || !strings.Contains(l.Source, "EC2.19") || len(l.Ports) != 24 {
		t.Errorf("high-risk port list without version or source, or not the catalog's 24 ports: %+v", l)
	}
	for _, port := range l.Ports {
		if got := findingsOf(sg(perm("tcp", port, port, "0.0.0.0/0")), rules.Config{}, "EC2-003"); len(got) != 1 {
			t.Errorf("port %d: %d EC2-003 findings, want 1", port, len(got))
		}
	}
}

func TestEC2004(t *testing.T) {
	p00 := cidrPath(0, 0, false)
	runKindCases(t, "EC2-004", []kindCase{
		{name: "secure: tcp 443 and 80", obj: sg(perm("tcp", int64(443), int64(443), "0.0.0.0/0"), perm("tcp", int64(80), int64(80), "::/0"))},
		{name: "insecure: tcp 8443", obj: sg(perm("tcp", int64(8443), int64(8443), "0.0.0.0/0")), action: rules.Deny, fixable: no, want: []want{
			{p00, "not an authorized public port (authorized: tcp 80, tcp 443)"},
		}},
		{name: "insecure: 80-443 spans unauthorized ports", obj: sg(perm("tcp", int64(80), int64(443), "0.0.0.0/0")), want: []want{{p00, "tcp 80-443"}}},
		{name: "insecure: udp 443", obj: sg(perm("udp", int64(443), int64(443), "0.0.0.0/0")), want: []want{{p00, "udp 443"}}},
		{name: "insecure: all protocols", obj: sg(perm("-1", nil, nil, "::/0")), want: []want{{cidrPath(0, 0, true), "all protocols"}}},
		{name: "tricky: icmp is not judged", obj: sg(perm("icmp", int64(-1), int64(-1), "0.0.0.0/0"))},
		{name: "secure: private 8443", obj: sg(perm("tcp", int64(8443), int64(8443), "192.168.0.0/16"))},
		{name: "config: tcp 8000-9000 allowed", obj: sg(perm("tcp", int64(8443), int64(8443), "0.0.0.0/0")),
			cfg: rules.Config{AllowedPublicPorts: []rules.PortRange{{Protocol: "tcp", From: 8000, To: 9000}}}},
		{name: "config: adjacent ranges join", obj: sg(perm("6", int64(80), int64(90), "0.0.0.0/0")),
			cfg: rules.Config{AllowedPublicPorts: []rules.PortRange{{Protocol: "tcp", From: 85, To: 90}, {Protocol: "TCP", From: 80, To: 84}}}},
		{name: "config: empty allow-list", obj: sg(perm("tcp", int64(443), int64(443), "0.0.0.0/0")),
			cfg: rules.Config{AllowedPublicPorts: []rules.PortRange{}}, want: []want{{p00, "authorized: none"}}},
	})
}

func TestEC2005(t *testing.T) {
	p00 := cidrPath(0, 0, false)
	runKindCases(t, "EC2-005", []kindCase{
		{name: "secure: 443", obj: sg(perm("tcp", int64(443), int64(443), "0.0.0.0/0"))},
		{name: "insecure: -1", obj: sg(perm("-1", nil, nil, "0.0.0.0/0")), action: rules.Deny, fixable: yes, want: []want{{p00, "allows all protocols and ports from 0.0.0.0/0 (public), which is every port"}}},
		{name: "insecure: tcp 0-65535", obj: sg(perm("tcp", int64(0), int64(65535), "0.0.0.0/0")), want: []want{{p00, "tcp 0-65535"}}},
		{name: "insecure: udp 1-65535", obj: sg(perm("udp", int64(1), int64(65535), "::/0")), want: []want{{cidrPath(0, 0, true), "udp 1-65535"}}},
		{name: "insecure: protocol 50 opens all of it", obj: sg(perm("50", int64(-1), int64(-1), "0.0.0.0/0")), want: []want{{p00, "allows protocol 50 (all of it) from 0.0.0.0/0 (public), which is all its traffic: the protocol has no ports"}}},
		{name: "secure: tcp 1024-65535 is not the full range", obj: sg(perm("tcp", int64(1024), int64(65535), "0.0.0.0/0"))},
		{name: "secure: tcp 2-65535 is not the full range", obj: sg(perm("tcp", int64(2), int64(65535), "0.0.0.0/0"))},
		{name: "tricky: icmp from everywhere opens no port", obj: sg(perm("icmp", int64(-1), int64(-1), "0.0.0.0/0"))},
		{name: "tricky: the full tcp range split across two rules", obj: sg(perm("tcp", int64(0), int64(32767), "0.0.0.0/0"), perm("tcp", int64(32768), int64(65535), "::/0", "0.0.0.0/0")), want: []want{
			{p00, "which with the group's other rules opens every tcp port to the internet"},
			{cidrPath(1, 0, false), "every tcp port"},
			// ::/0 reaches only the upper ports: the IPv6 internet does not get every port.
		}},
		{name: "secure: the upper tcp ports only from a private range", obj: sg(perm("tcp", int64(0), int64(32767), "0.0.0.0/0"), perm("tcp", int64(32768), int64(65535), "10.0.0.0/8"))},
		{name: "secure: -1 from a private range", obj: sg(perm("-1", nil, nil, "10.0.0.0/8"))},
	})
}

func TestEC2006To008(t *testing.T) {
	defaultSG := func(ingress, egress []any) map[string]any {
		spec := map[string]any{"name": "default", "description": "default VPC security group"}
		if ingress != nil {
			spec["ingressRules"] = ingress
		}
		if egress != nil {
			spec["egressRules"] = egress
		}
		return ackObject(view.SecurityGroupGVK, spec)
	}
	runKindCases(t, "EC2-006", []kindCase{
		{name: "secure: default group without rules", obj: defaultSG(nil, nil)},
		{name: "secure: other group with rules", obj: sg(perm("tcp", int64(443), int64(443), "10.0.0.0/8"))},
		{name: "insecure: default group with rules", obj: defaultSG([]any{perm("-1", nil, nil, "10.0.0.0/8")}, []any{perm("-1", nil, nil, "0.0.0.0/0")}), action: rules.Warn, want: []want{
			{"spec.ingressRules[0]", "the VPC default security group has an ingress rule (all protocols and ports from 10.0.0.0/8)"},
			{"spec.egressRules[0]", "the VPC default security group has an egress rule (all protocols and ports to 0.0.0.0/0)"},
		}},
		// One finding per rule, so that an UPDATE adding a rule to a
		// default group that has one is a finding it introduces.
		{name: "insecure: each rule is a finding", obj: defaultSG([]any{perm("tcp", int64(443), int64(443), "10.0.0.0/8"), perm("tcp", int64(22), int64(22), "10.0.0.0/8")}, []any{perm("-1", nil, nil, "0.0.0.0/0")}), action: rules.Warn, want: []want{
			{"spec.ingressRules[0]", "ingress rule (tcp 443 from 10.0.0.0/8)"},
			{"spec.ingressRules[1]", "ingress rule (tcp 22 from 10.0.0.0/8)"},
			{"spec.egressRules[0]", "egress rule (all protocols and ports to 0.0.0.0/0)"},
		}},
		// Rules that differ only by their sources read apart.
		{name: "insecure: each rule names its sources", obj: defaultSG([]any{
			perm("tcp", int64(443), int64(443), "10.0.0.0/8"),
			map[string]any{"ipProtocol": "tcp", "fromPort": int64(443), "toPort": int64(443),
				"prefixListIDs":    []any{map[string]any{"prefixListID": "pl-1", "description": "s3"}},
				"userIDGroupPairs": []any{map[string]any{"groupID": "sg-1"}, map[string]any{"groupName": "web", "userID": "123456789012"}},
			},
			map[string]any{"ipProtocol": "tcp", "fromPort": int64(443), "toPort": int64(443),
				"ipRanges":   []any{map[string]any{"cidrIP": "10.1.0.0/16"}, map[string]any{"cidrIP": "10.2.0.0/16"}, map[string]any{"cidrIP": "10.3.0.0/16"}},
				"ipv6Ranges": []any{map[string]any{"cidrIPv6": "fd00::/8"}, map[string]any{"cidrIPv6": "fd01::/16"}},
			},
			perm("tcp", int64(443), int64(443)),
		}, nil), action: rules.Warn, want: []want{
			{"spec.ingressRules[0]", "the VPC default security group has an ingress rule (tcp 443 from 10.0.0.0/8)"},
			{"spec.ingressRules[1]", "the VPC default security group has an ingress rule (tcp 443 from prefix list pl-1, group sg-1, group web)"},
			{"spec.ingressRules[2]", "the VPC default security group has an ingress rule (tcp 443 from 10.1.0.0/16, 10.2.0.0/16, 10.3.0.0/16 and 2 more)"},
			{"spec.ingressRules[3]", "the VPC default security group has an ingress rule (tcp 443)"},
		}},
		{name: "insecure: a rule that is not an object is a rule", obj: defaultSG([]any{"tcp 22"}, nil), action: rules.Warn, want: []want{
			{"spec.ingressRules[0]", "the VPC default security group has an ingress rule"},
		}},
	})
	egress := func(rules ...any) map[string]any {
		return ackObject(view.SecurityGroupGVK, map[string]any{"name": "x", "description": "x", "egressRules": rules})
	}
	runKindCases(t, "EC2-007", []kindCase{
		{name: "secure: tcp 443 to the internet", obj: egress(perm("tcp", int64(443), int64(443), "0.0.0.0/0"))},
		{name: "secure: all to a private range", obj: egress(perm("-1", nil, nil, "10.0.0.0/8"))},
		{name: "insecure: all to 0.0.0.0/0 (ACK sample allproto)", obj: egress(perm("-1", int64(0), int64(0), "0.0.0.0/0")), action: rules.Warn, want: []want{
			{"spec.egressRules[0].ipRanges[0].cidrIP", "egress allows all protocols and ports to 0.0.0.0/0"},
		}},
		{name: "insecure: all to ::/0", obj: egress(perm("all", nil, nil, "::/0")), want: []want{{"spec.egressRules[0].ipv6Ranges[0].cidrIPv6", "::/0"}}},
		{name: "invalid input: egress CIDR", obj: egress(perm("tcp", int64(443), int64(443), "internet")), want: []want{{"spec.egressRules[0].ipRanges[0].cidrIP", "invalid input"}}},
	})
	runKindCases(t, "EC2-008", []kindCase{
		{name: "secure", obj: sg(perm("tcp", int64(443), int64(443), "0.0.0.0/0"))},
		{name: "insecure: undescribed range, prefix list and group", obj: ackObject(view.SecurityGroupGVK, map[string]any{
			"name": "x", "description": "",
			"ingressRules": []any{map[string]any{"ipProtocol": "tcp", "fromPort": int64(443), "toPort": int64(443),
				"ipRanges":      []any{map[string]any{"cidrIP": "10.0.0.0/8"}},
				"prefixListIDs": []any{map[string]any{"prefixListID": "pl-1"}},
			}},
		}), action: rules.Warn, want: []want{
			{"spec.description", "the security group has no description"},
			{"spec.ingressRules[0].ipRanges[0].description", "the range has no description"},
			{"spec.ingressRules[0].prefixListIDs[0].description", "the source has no description"},
		}},
	})
}

// slash8s returns the /8 networks from..to (inclusive): 0..255 together
// cover the IPv4 space, while each /8 alone is not public.
func slash8s(from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, fmt.Sprintf("%d.0.0.0/8", i))
	}
	return out
}

// TestEC2PublicUnionAcrossRules checks that the internet is recognised
// when the ranges that cover it are split across the rules of a group
// (catalog §0: a set of ranges whose union is the whole space is public).
func TestEC2PublicUnionAcrossRules(t *testing.T) {
	lower, upper := slash8s(0, 127), slash8s(128, 255)
	tcp := func(from, to int64, cidrs []string) map[string]any { return perm("tcp", from, to, cidrs...) }
	tests := []struct {
		name string
		obj  map[string]any
		rule string
		// n is the number of findings: every range that is not private
		// (10/8 and 127/8 are) when the union is public, else 0.
		n   int
		msg string
		// unfixable: the findings are reported, not fixed (ranges that
		// open every port only together: no one of them is the offender).
		unfixable bool
	}{
		{"insecure: two rules on port 22", sg(tcp(22, 22, lower), tcp(22, 22, upper)), "EC2-001", 254, "with the group's other rules open to the same traffic, the ranges cover the whole address space), which includes port 22", false},
		{"tricky: overlapping port ranges meet on 22", sg(tcp(0, 22, lower), tcp(22, 1000, upper)), "EC2-001", 254, "port 22", false},
		{"tricky: an all-protocol rule and a tcp 3389 rule", sg(perm("-1", nil, nil, lower...), tcp(3389, 3389, upper)), "EC2-001", 254, "port 3389", false},
		{"secure: halves on different ports", sg(tcp(22, 22, lower), tcp(23, 3388, upper)), "EC2-001", 0, "", false},
		{"secure: halves on different protocols", sg(tcp(22, 22, lower), perm("udp", int64(22), int64(22), upper...)), "EC2-001", 0, "", false},
		{"secure: one /8 missing", sg(tcp(22, 22, lower), tcp(22, 22, slash8s(129, 255))), "EC2-001", 0, "", false},
		{"insecure: high-risk 5432", sg(tcp(5432, 5432, lower), tcp(5000, 6000, upper)), "EC2-003", 254, "5432", false},
		{"insecure: tcp 8443 from two rules", sg(tcp(8443, 8443, lower), tcp(8443, 8443, upper)), "EC2-004", 254, "tcp 8443", false},
		{"secure: public only where the rules meet, on 443", sg(tcp(80, 8443, lower), tcp(443, 443, upper)), "EC2-004", 0, "", false},
		{"insecure: all protocols from two rules", sg(perm("-1", nil, nil, lower...), perm("-1", nil, nil, upper...)), "EC2-005", 254, "every port", false},
		{"tricky: every tcp port from two rules and two port ranges", sg(tcp(0, 40000, lower), tcp(0, 40000, upper), perm("tcp", int64(40001), int64(65535), "0.0.0.0/0")), "EC2-005", 255, "opens every tcp port", true},
		{"insecure: the full tcp range from two rules' addresses", sg(tcp(0, 65535, lower), tcp(0, 65535, upper)), "EC2-005", 254, "opens every tcp port", false},
		{"tricky: every tcp port from three public rules, 443 among them", sg(tcp(443, 443, []string{"0.0.0.0/0"}), tcp(0, 442, []string{"0.0.0.0/0"}), tcp(444, 65535, []string{"0.0.0.0/0"})), "EC2-005", 3, "opens every tcp port", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := findingsOf(tt.obj, rules.Config{}, tt.rule)
			if len(got) != tt.n {
				t.Fatalf("%d %s findings, want %d:\n%s", len(got), tt.rule, tt.n, texts(got[:min(len(got), 5)]))
			}
			for _, f := range got {
				if !strings.Contains(f.Message, tt.msg) {
					t.Fatalf("finding %q does not contain %q", f.Message, tt.msg)
				}
				if strings.Contains(f.Message, " 10.0.0.0/8 ") || strings.Contains(f.Message, " 127.0.0.0/8 ") {
					t.Errorf("private range reported: %s", f.Text())
				}
			}
			if tt.n == 0 || tt.rule == "EC2-004" {
				return
			}
			plan, err := rules.Default().Remediate(tt.obj, rules.Config{}, []string{tt.rule})
			if err != nil {
				t.Fatal(err)
			}
			if tt.unfixable {
				if got[0].Fixable || !plan.Empty() {
					t.Errorf("fixable %v, plan %+v: want the findings reported and nothing removed", got[0].Fixable, plan.Changes)
				}
				return
			}
			if left := findingsOf(plan.Object, rules.Config{}, tt.rule); len(left) != 0 {
				t.Errorf("findings after the fix:\n%s", texts(left))
			}
		})
	}
	egress := ackObject(view.SecurityGroupGVK, map[string]any{"name": "x", "description": "x",
		"egressRules": []any{perm("-1", nil, nil, lower...), perm("-1", nil, nil, upper...)}})
	if got := findingsOf(egress, rules.Config{}, "EC2-007"); len(got) != 254 {
		t.Errorf("EC2-007: %d findings for all-protocol egress split across two rules, want 254", len(got))
	}
}
