package rules_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/ackguard/ackguard/internal/rules"
)

// iamObj builds an ACK IAM object (Role, Policy, User, Group) or a Lambda
// Function in namespace team-a.
func iamObj(kind string, spec map[string]any) map[string]any {
	group := "iam.services.k8s.aws"
	if kind == "Function" {
		group = "lambda.services.k8s.aws"
	}
	if spec == nil {
		spec = map[string]any{}
	}
	return map[string]any{
		"apiVersion": group + "/v1alpha1",
		"kind":       kind,
		"metadata":   map[string]any{"name": "obj-" + strings.ToLower(kind), "namespace": "team-a"},
		"spec":       spec,
	}
}

// idp wraps statements in a 2012-10-17 identity policy.
func idp(statements ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(statements, ",") + `]}`
}

// allow is an Allow statement with the given action element (a JSON value)
// and resource element (a JSON value), plus an optional condition block.
func allow(action, resource string, condition ...string) string {
	s := `{"Effect":"Allow","Action":` + action + `,"Resource":` + resource
	if len(condition) > 0 {
		s += `,"Condition":` + condition[0]
	}
	return s + `}`
}

// ec2Trust is a harmless trust policy.
const ec2Trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// trust wraps trust statements.
func trust(statements ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(statements, ",") + `]}`
}

// roleWith is a Role with a harmless trust policy and the given inline
// policies (name, document pairs).
func roleWith(kv ...string) map[string]any {
	inline := map[string]any{}
	for i := 0; i < len(kv); i += 2 {
		inline[kv[i]] = kv[i+1]
	}
	spec := map[string]any{"name": "app", "assumeRolePolicyDocument": ec2Trust}
	if len(inline) > 0 {
		spec["inlinePolicies"] = inline
	}
	return spec
}

// policySpec is a Policy spec with the given document.
func policySpec(doc string) map[string]any {
	return map[string]any{"name": "p", "policyDocument": doc}
}

// objects is a Resolver over fixed objects, keyed "Kind/ns/name"; lookups
// named in fail return an error.
type objects struct {
	objs map[string]map[string]any
	fail map[string]bool
}

func (o objects) Get(gvk schema.GroupVersionKind, ns, name string) (map[string]any, bool, error) {
	k := gvk.Kind + "/" + ns + "/" + name
	if o.fail[k] {
		return nil, false, fmt.Errorf("cache not synced")
	}
	obj, ok := o.objs[k]
	return obj, ok, nil
}

// List returns the objects of a kind in key order; a kind named in fail
// ("Kind/") returns an error.
func (o objects) List(gvk schema.GroupVersionKind) ([]map[string]any, error) {
	if o.fail[gvk.Kind+"/"] {
		return nil, fmt.Errorf("cache not synced")
	}
	var keys []string
	for k := range o.objs {
		if strings.HasPrefix(k, gvk.Kind+"/") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	out := make([]map[string]any, len(keys))
	for i, k := range keys {
		out[i] = o.objs[k]
	}
	return out, nil
}

// getOnly is a Resolver that cannot list.
type getOnly struct{ objects }

func (g getOnly) List() {} // hides objects.List: not a rules.Lister

// resolverWith returns a Resolver holding Policies (name → document) in
// team-a.
func resolverWith(policies ...string) objects {
	o := objects{objs: map[string]map[string]any{}, fail: map[string]bool{}}
	for i := 0; i < len(policies); i += 2 {
		obj := iamObj("Policy", policySpec(policies[i+1]))
		obj["metadata"].(map[string]any)["name"] = policies[i]
		o.objs["Policy/team-a/"+policies[i]] = obj
	}
	return o
}

// withRecordedARN records arn as the ARN ACK synced for the Policy name
// in team-a (status.ackResourceMetadata), as for a Policy ACK adopted.
func withRecordedARN(o objects, name, arn string) objects {
	o.objs["Policy/team-a/"+name]["status"] = map[string]any{"ackResourceMetadata": map[string]any{"arn": arn, "ownerAccountID": "111122223333", "region": "us-east-1"}}
	return o
}

// refsTo is a spec.policyRefs value naming Policies in the object's
// namespace.
func refsTo(names ...string) []any {
	out := make([]any, len(names))
	for i, n := range names {
		out[i] = map[string]any{"from": map[string]any{"name": n}}
	}
	return out
}

// iamCase is one object judged by one rule.
type iamCase struct {
	name string
	kind string // default Role
	spec map[string]any
	cfg  rules.Config
	want []want
	// action, when set, is the admission action every finding must carry.
	action rules.Action
}

func runIAMCases(t *testing.T, ruleID string, tests []iamCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind := tt.kind
			if kind == "" {
				kind = "Role"
			}
			got := findingsOf(iamObj(kind, tt.spec), tt.cfg, ruleID)
			checkFindings(t, got, tt.want)
			for _, f := range got {
				if tt.action != "" && f.Action != tt.action {
					t.Errorf("finding %q has action %q, want %q", f.Text(), f.Action, tt.action)
				}
				if f.Severity == "" || f.Message == "" || f.Subject == "" {
					t.Errorf("finding without severity, message or subject: %+v", f)
				}
			}
		})
	}
}

// inl is the path of an inline policy as view.Path renders it, and as
// messages name it where the path does not.
func inl(name string) string { return `spec.inlinePolicies.` + name }
