package rules_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/view"
)

// ec2FixDefaults are the EC2 rules whose reconciler default is fix.
var ec2FixDefaults = []string{"EC2-001", "EC2-002", "EC2-003", "EC2-005"}

func TestRemediateSecurityGroup(t *testing.T) {
	const ingressJSON = `[
	  {"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "futureKey": {"keep": true},
	   "ipRanges": [{"cidrIP": "0.0.0.0/0", "description": "anyone"}, {"cidrIP": "10.0.0.0/8", "description": "office"}],
	   "ipv6Ranges": [{"cidrIPv6": "::/0", "description": "anyone v6"}]},
	  {"ipProtocol": "tcp", "fromPort": 443, "toPort": 443,
	   "ipRanges": [{"cidrIP": "0.0.0.0/0", "description": "public https"}]},
	  {"ipProtocol": "6", "fromPort": 3389, "toPort": 3389,
	   "ipRanges": [{"cidrIP": "10.1.2.3/0", "description": "rdp anyone"}]},
	  {"ipProtocol": "tcp", "fromPort": 22, "toPort": 22,
	   "ipRanges": [{"cidrIP": "0.0.0.0/0"}],
	   "userIDGroupPairs": [{"groupID": "sg-0bastion", "description": "bastion"}]},
	  {"ipProtocol": "-1",
	   "ipRanges": [{"cidrIP": "0.0.0.0/1"}, {"cidrIP": "192.168.0.0/16", "description": "lab"}, {"cidrIP": "128.0.0.0/1"}]},
	  {"ipProtocol": "icmp", "fromPort": 8, "toPort": 0, "ipRanges": [{"cidrIP": "0.0.0.0/0", "description": "ping"}]}
	]`
	const egressJSON = `[{"ipProtocol": "-1", "ipRanges": [{"cidrIP": "0.0.0.0/0", "description": "all out"}]}]`
	var ingress, egress []any
	if err := json.Unmarshal([]byte(ingressJSON), &ingress); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(egressJSON), &egress); err != nil {
		t.Fatal(err)
	}
	obj := ackObject(view.SecurityGroupGVK, map[string]any{
		"name": "web", "description": "web", "vpcID": "vpc-1",
		"ingressRules": ingress, "egressRules": egress,
		"tags": []any{map[string]any{"key": "team", "value": "web"}},
	})
	orig := runtime.DeepCopyJSON(obj)

	plan, err := rules.Default().Remediate(obj, rules.Config{}, ec2FixDefaults)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(obj, orig) {
		t.Fatal("Remediate modified its input")
	}
	if len(plan.Changes) != 1 || plan.Changes[0].Path.String() != "spec.ingressRules" {
		t.Fatalf("changes = %+v, want only spec.ingressRules", plan.Changes)
	}
	got := plan.Object["spec"].(map[string]any)["ingressRules"].([]any)
	at := func(i int) map[string]any { return ingress[i].(map[string]any) }
	rangesOf := func(i int, key string, keep ...int) []any {
		var out []any
		for _, j := range keep {
			out = append(out, at(i)[key].([]any)[j])
		}
		return out
	}
	// Rule 0 keeps 10.0.0.0/8 and its other fields; its IPv6 list is gone.
	rule0 := map[string]any{"ipProtocol": "tcp", "fromPort": at(0)["fromPort"], "toPort": at(0)["toPort"], "futureKey": at(0)["futureKey"],
		"ipRanges": rangesOf(0, "ipRanges", 1)}
	// Rule 1 (public 443) is not these rules' business; rule 2 had only
	// the public source and is dropped; rule 3 keeps the bastion group;
	// rule 4 keeps the lab network; rule 5 (ICMP) stays.
	rule3 := map[string]any{"ipProtocol": "tcp", "fromPort": at(3)["fromPort"], "toPort": at(3)["toPort"], "userIDGroupPairs": at(3)["userIDGroupPairs"]}
	rule4 := map[string]any{"ipProtocol": "-1", "ipRanges": rangesOf(4, "ipRanges", 1)}
	want := []any{rule0, ingress[1], rule3, rule4, ingress[5]}
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", " ")
		w, _ := json.MarshalIndent(want, "", " ")
		t.Errorf("ingressRules =\n%s\nwant\n%s", g, w)
	}
	// Every kept rule and range is the same JSON value as before.
	for _, i := range []int{1, 5} {
		a, _ := json.Marshal(ingress[i])
		b, _ := json.Marshal(got[map[int]int{1: 1, 5: 4}[i]])
		if string(a) != string(b) {
			t.Errorf("rule %d changed: %s → %s", i, a, b)
		}
	}
	// The egress rule and every other spec field are untouched.
	for _, k := range []string{"egressRules", "tags", "name", "description", "vpcID"} {
		if !reflect.DeepEqual(plan.Object["spec"].(map[string]any)[k], orig["spec"].(map[string]any)[k]) {
			t.Errorf("spec.%s changed", k)
		}
	}
	for _, f := range rules.Default().Evaluate(plan.Object, rules.Config{}) {
		for _, id := range ec2FixDefaults {
			if f.RuleID == id {
				t.Errorf("finding left after the fix: %s %s", f.Path, f.Text())
			}
		}
	}
}

func TestRemediateSecurityGroupOnlyRuleGone(t *testing.T) {
	// A group whose only rule had only a public source ends with an
	// explicit empty list (ACK treats the list as authoritative).
	plan, err := rules.Default().Remediate(sg(perm("tcp", int64(22), int64(22), "0.0.0.0/0")), rules.Config{}, []string{"EC2-001"})
	if err != nil {
		t.Fatal(err)
	}
	if got := plan.MergePatch(); !reflect.DeepEqual(got, map[string]any{"spec": map[string]any{"ingressRules": []any{}}}) {
		t.Errorf("merge patch = %v", got)
	}
}

func TestRemediateSecurityGroupEachRuleAlone(t *testing.T) {
	// EC2-001 removes only the IPv4 range of an SSH rule; the IPv6 range
	// is EC2-002's.
	obj := sg(perm("tcp", int64(22), int64(22), "0.0.0.0/0", "::/0"))
	plan, err := rules.Default().Remediate(obj, rules.Config{}, []string{"EC2-001"})
	if err != nil {
		t.Fatal(err)
	}
	got := plan.Object["spec"].(map[string]any)["ingressRules"].([]any)[0].(map[string]any)
	if _, ok := got["ipRanges"]; ok {
		t.Errorf("ipRanges kept: %v", got)
	}
	if !reflect.DeepEqual(got["ipv6Ranges"], perm("tcp", int64(22), int64(22), "::/0")["ipv6Ranges"]) {
		t.Errorf("ipv6Ranges changed: %v", got["ipv6Ranges"])
	}
}
