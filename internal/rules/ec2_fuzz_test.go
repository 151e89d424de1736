package rules_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/view"
)

// FuzzSecurityGroup feeds arbitrary spec.ingressRules JSON to the engine:
// evaluation and remediation must not panic, and the fixed object must
// re-evaluate without a fixable finding of the fixed rules.
func FuzzSecurityGroup(f *testing.F) {
	for _, seed := range []string{
		`[{"ipProtocol":"tcp","fromPort":22,"toPort":22,"ipRanges":[{"cidrIP":"0.0.0.0/0"}]}]`,
		`[{"ipProtocol":"-1","ipRanges":[{"cidrIP":"0.0.0.0/1"},{"cidrIP":"128.0.0.0/1"},{"cidrIP":"10.0.0.0/8"}]}]`,
		`[{"ipProtocol":"6","fromPort":20,"toPort":25,"ipv6Ranges":[{"cidrIPv6":"::/0"},{"cidrIPv6":"::ffff:0.0.0.0/96"}],"userIDGroupPairs":[{}]}]`,
		`[{"ipProtocol":"icmp","fromPort":22,"toPort":22,"ipRanges":[{"cidrIP":"10.1.2.3/0"}]},"junk",null,{"ipRanges":"x"}]`,
		`[{"ipProtocol":"50","fromPort":-1,"toPort":-1,"ipRanges":[{"cidrIP":"0.0.0.0/0"},{"cidrIP":"nope"},{"cidrIP":1}]}]`,
		`[{"ipProtocol":"udp","fromPort":65535,"toPort":0,"ipRanges":[{"cidrIP":"2.0.0.0/7"},{}]}]`,
		`{"not":"a list"}`,
		`[]`,
	} {
		f.Add([]byte(seed))
	}
	reg := rules.Default()
	f.Fuzz(func(t *testing.T, data []byte) {
		var ingress any
		if json.Unmarshal(data, &ingress) != nil {
			return
		}
		obj := ackObject(view.SecurityGroupGVK, map[string]any{"name": "fuzz", "description": "fuzz", "ingressRules": ingress})
		for _, f := range reg.Evaluate(obj, rules.Config{}) {
			if strings.Contains(f.Message, "internal error") {
				t.Fatalf("%s: %s", f.RuleID, f.Message)
			}
		}
		plan, err := reg.Remediate(obj, rules.Config{}, ec2FixDefaults)
		if err != nil {
			t.Fatalf("Remediate: %v", err)
		}
		for _, f := range reg.Evaluate(plan.Object, rules.Config{}) {
			if strings.Contains(f.Message, "internal error") {
				t.Fatalf("after the fix, %s: %s", f.RuleID, f.Message)
			}
			for _, id := range ec2FixDefaults {
				if f.RuleID == id && f.Fixable {
					t.Fatalf("after the fix, %s still finds %s at %s (plan %+v)", id, f.Message, f.Path, plan.Changes)
				}
			}
		}
	})
}
