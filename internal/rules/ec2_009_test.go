package rules_test

import (
	"fmt"
	"testing"

	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/view"
)

func nacl(entries ...any) map[string]any {
	return ackObject(view.NetworkACLGVK, map[string]any{"vpcID": "vpc-1", "entries": entries})
}

// naclEntry is an inbound entry; kv adds or overrides fields.
func naclIn(number int64, action, protocol, cidr string, from, to int64, kv ...any) map[string]any {
	e := map[string]any{"ruleNumber": number, "ruleAction": action, "protocol": protocol, "cidrBlock": cidr, "egress": false,
		"portRange": map[string]any{"from": from, "to": to}}
	for i := 0; i+1 < len(kv); i += 2 {
		e[kv[i].(string)] = kv[i+1]
	}
	return e
}

func TestEC2009(t *testing.T) {
	p := func(i string) string { return "spec.entries[" + i + "].cidrBlock" }
	runKindCases(t, "EC2-009", []kindCase{
		{name: "secure: HTTPS from anywhere, SSH from the office", obj: nacl(
			naclIn(100, "allow", "6", "0.0.0.0/0", 443, 443),
			naclIn(110, "allow", "6", "203.0.113.0/24", 22, 22))},
		{name: "secure: a lower-numbered deny shadows the allow", obj: nacl(
			naclIn(200, "allow", "-1", "0.0.0.0/0", 0, 0),
			naclIn(100, "deny", "6", "0.0.0.0/0", 22, 22),
			naclIn(101, "deny", "6", "0.0.0.0/0", 3389, 3389),
			naclIn(102, "deny", "17", "0.0.0.0/0", 22, 22),
			naclIn(103, "deny", "17", "0.0.0.0/0", 3389, 3389))},
		{name: "insecure: SSH from anywhere", obj: nacl(naclIn(100, "allow", "6", "0.0.0.0/0", 22, 22)), action: rules.Warn,
			want: []want{{p("0"), "inbound entry 100 allows tcp 22 from 0.0.0.0/0, so the internet reaches tcp 22"}}},
		{name: "insecure: all traffic over IPv6", obj: nacl(map[string]any{"ruleNumber": int64(100), "ruleAction": "allow", "protocol": "-1", "ipv6CIDRBlock": "::/0"}),
			want: []want{{"spec.entries[0].ipv6CIDRBlock", "reaches tcp 22, udp 22 ("}, {"spec.entries[0].ipv6CIDRBlock", "reaches tcp 3389, udp 3389 ("}}},
		{name: "tricky: a deny numbered after the allow does not help", obj: nacl(
			naclIn(100, "allow", "6", "0.0.0.0/0", 0, 65535),
			naclIn(200, "deny", "6", "0.0.0.0/0", 22, 22)),
			want: []want{{p("0"), "reaches tcp 22 ("}, {p("0"), "reaches tcp 3389 ("}}},
		{name: "tricky: a deny of part of the internet still leaves it open", obj: nacl(
			naclIn(90, "deny", "6", "198.51.100.0/24", 22, 22),
			naclIn(100, "allow", "6", "0.0.0.0/0", 22, 22)),
			want: []want{{p("1"), "tcp 22"}}},
		{name: "tricky: two halves together are the internet", obj: nacl(
			naclIn(100, "allow", "6", "0.0.0.0/1", 3389, 3389),
			naclIn(110, "allow", "6", "128.0.0.0/1", 3389, 3389)),
			want: []want{{p("0"), "tcp 3389"}, {p("1"), "tcp 3389"}}},
		{name: "tricky: a named network before an allow of everything is not reported with it", obj: nacl(
			naclIn(100, "allow", "6", "203.0.113.0/24", 22, 22),
			naclIn(200, "allow", "-1", "0.0.0.0/0", 0, 0)),
			want: []want{{p("1"), "inbound entry 200 allows all protocols and ports from 0.0.0.0/0, so the internet reaches tcp 22, udp 22"},
				{p("1"), "inbound entry 200 allows all protocols and ports from 0.0.0.0/0, so the internet reaches tcp 3389, udp 3389"}}},
		{name: "tricky: /8 entries that together cover the space, private ones not reported", obj: nacl(slash8Entries()...),
			want: slash8Wants()},
		{name: "tricky: deny halves shadow an allow of everything", obj: nacl(
			naclIn(10, "deny", "-1", "0.0.0.0/1", 0, 0),
			naclIn(20, "deny", "-1", "128.0.0.0/1", 0, 0),
			naclIn(100, "allow", "-1", "0.0.0.0/0", 0, 0))},
		{name: "tricky: egress entries are not ingress", obj: nacl(naclIn(100, "allow", "-1", "0.0.0.0/0", 0, 0, "egress", true))},
		{name: "tricky: ICMP never matches a port", obj: nacl(naclIn(100, "allow", "1", "0.0.0.0/0", 0, 0))},
		{name: "invalid: a protocol name, judged as the protocol when it allows", obj: nacl(naclIn(100, "allow", "tcp", "0.0.0.0/0", 1, 1024)), want: []want{
			{"spec.entries[0].protocol", `protocol "tcp" is not a number`}, {p("0"), "tcp 1-1024"}}},
		// EC2 takes only protocol numbers in a network ACL entry (the AWS
		// CLI maps tcp, udp, icmp and all to them itself): a deny that
		// names its protocol is refused and blocks nothing.
		{name: "invalid: a deny naming all protocols shadows nothing", obj: nacl(
			naclIn(50, "deny", "all", "0.0.0.0/0", 0, 0),
			naclIn(100, "allow", "6", "0.0.0.0/0", 22, 22)),
			want: []want{{"spec.entries[0].protocol", `protocol "all" is not a number`}, {p("1"), "inbound entry 100 allows tcp 22"}}},
		{name: "invalid: a deny naming tcp shadows nothing", obj: nacl(
			naclIn(50, "deny", "TCP", "0.0.0.0/0", 3389, 3389),
			naclIn(100, "allow", "6", "0.0.0.0/0", 3389, 3389)),
			want: []want{{"spec.entries[0].protocol", `protocol "TCP" is not a number`}, {p("1"), "inbound entry 100 allows tcp 3389"}}},
		{name: "tricky: host bits are masked", obj: nacl(naclIn(100, "allow", "6", "10.1.2.3/0", 22, 22)), want: []want{{p("0"), "from 0.0.0.0/0"}}},
		{name: "invalid: no ruleNumber, judged first", obj: nacl(
			naclIn(100, "deny", "6", "0.0.0.0/0", 22, 22),
			map[string]any{"ruleAction": "allow", "protocol": "6", "cidrBlock": "0.0.0.0/0", "portRange": map[string]any{"from": int64(22), "to": int64(22)}}),
			want: []want{{"spec.entries[1].ruleNumber", "has no ruleNumber"}, {p("1"), "inbound entry without a ruleNumber allows tcp 22"}}},
		// EC2 refuses a ruleNumber outside 1-32766: such a deny blocks
		// nothing in AWS, so it must not shadow the allow after it.
		{name: "invalid: a deny numbered 0 shadows nothing", obj: nacl(
			naclIn(0, "deny", "-1", "0.0.0.0/0", 0, 0),
			naclIn(100, "allow", "6", "0.0.0.0/0", 22, 22)),
			want: []want{{"spec.entries[0].ruleNumber", "ruleNumber 0 is outside 1-32766"}, {p("1"), "inbound entry 100 allows tcp 22"}}},
		{name: "invalid: a negative ruleNumber on a deny shadows nothing", obj: nacl(
			naclIn(-5, "deny", "6", "0.0.0.0/0", 3389, 3389),
			naclIn(100, "allow", "6", "0.0.0.0/0", 3389, 3389)),
			want: []want{{"spec.entries[0].ruleNumber", "ruleNumber -5 is outside"}, {p("1"), "inbound entry 100 allows tcp 3389"}}},
		{name: "invalid: an allow numbered past 32766 is judged first", obj: nacl(
			naclIn(100, "deny", "6", "0.0.0.0/0", 22, 22),
			naclIn(40000, "allow", "6", "0.0.0.0/0", 22, 22)),
			want: []want{{"spec.entries[1].ruleNumber", "ruleNumber 40000 is outside"}, {p("1"), "inbound entry 40000 (a ruleNumber EC2 refuses) allows tcp 22"}}},
		{name: "secure: ruleNumber 1 and 32766 are valid", obj: nacl(
			naclIn(1, "deny", "-1", "0.0.0.0/0", 0, 0),
			naclIn(32766, "allow", "6", "0.0.0.0/0", 22, 22))},
		{name: "secure: AWS's default deny-all entry 32767 written in the spec is not invalid", obj: nacl(
			naclIn(100, "allow", "6", "10.0.0.0/8", 22, 22),
			naclIn(32767, "deny", "-1", "0.0.0.0/0", 0, 0))},
		// AWS's IPv6 default entry is numbered 32768: an adopted network
		// ACL of a VPC with IPv6 carries it in spec.entries as ACK read it.
		{name: "secure: AWS's default IPv6 deny-all entry 32768 written in the spec is not invalid", obj: nacl(
			naclIn(100, "allow", "6", "10.0.0.0/8", 22, 22),
			naclIn(32767, "deny", "-1", "0.0.0.0/0", 0, 0),
			map[string]any{"ruleNumber": int64(32768), "ruleAction": "deny", "protocol": "-1", "ipv6CIDRBlock": "::/0", "egress": false})},
		{name: "invalid: a ruleNumber past AWS's default entries", obj: nacl(
			naclIn(32769, "deny", "-1", "0.0.0.0/0", 0, 0)),
			want: []want{{"spec.entries[0].ruleNumber", "ruleNumber 32769 is outside 1-32766"}}},
		// EC2 refuses an entry without a protocol, or a tcp/udp entry
		// without a port range: such a deny blocks nothing in AWS, so it
		// must not shadow the allow after it.
		{name: "invalid: a deny without a port range shadows nothing", obj: nacl(
			map[string]any{"ruleNumber": int64(50), "ruleAction": "deny", "protocol": "6", "cidrBlock": "0.0.0.0/0"},
			naclIn(100, "allow", "6", "0.0.0.0/0", 22, 22)),
			want: []want{{"spec.entries[0].portRange", "needs portRange.from and portRange.to"}, {p("1"), "inbound entry 100 allows tcp 22"}}},
		{name: "invalid: a deny without a protocol shadows nothing", obj: nacl(
			map[string]any{"ruleNumber": int64(50), "ruleAction": "deny", "cidrBlock": "0.0.0.0/0"},
			naclIn(100, "allow", "6", "0.0.0.0/0", 3389, 3389)),
			want: []want{{"spec.entries[0].protocol", "has no protocol"}, {p("1"), "inbound entry 100 allows tcp 3389"}}},
		{name: "wrong type: entries", obj: ackObject(view.NetworkACLGVK, map[string]any{"entries": map[string]any{}}), want: []want{{"spec.entries", "must be an array"}}},
		{name: "wrong type: cidrBlock", obj: nacl(naclIn(100, "allow", "6", "x", 22, 22, "cidrBlock", 7)), want: []want{{p("0"), "must be a string"}}},
		{name: "invalid: cidrBlock", obj: nacl(naclIn(100, "allow", "6", "any", 22, 22)), want: []want{{p("0"), `"any" is not`}}},
	})
}

// slash8Entries allows SSH from each of the 256 /8 networks, one entry
// each: together the whole IPv4 space.
func slash8Entries() []any {
	var out []any
	for i, c := range slash8s(0, 255) {
		out = append(out, naclIn(int64(100+i), "allow", "6", c, 22, 22))
	}
	return out
}

// slash8Wants are the findings of slash8Entries: every entry but the
// private 10/8 and 127/8.
func slash8Wants() []want {
	var out []want
	for i := 0; i < 256; i++ {
		if i != 10 && i != 127 {
			out = append(out, want{fmt.Sprintf("spec.entries[%d].cidrBlock", i), fmt.Sprintf("from %d.0.0.0/8, so the internet reaches tcp 22", i)})
		}
	}
	return out
}
