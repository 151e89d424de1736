package controllers

import (
	"errors"
	"slices"
	"testing"

	"github.com/ackguard/ackguard/internal/rules"
)

// narrow keeps, of a refused plan, the parts check accepts with those
// accepted before them, and says why each other part was left out; a plan
// of one part is refused whole, and check's error ends it.
func TestNarrowKeepsWhatCheckAccepts(t *testing.T) {
	obj := map[string]any{
		"apiVersion": "s3.services.k8s.aws/v1alpha1", "kind": "Bucket",
		"metadata": map[string]any{"name": "b", "namespace": "ns"},
		"spec":     map[string]any{"name": "b", "acl": "public-read", "publicAccessBlock": map[string]any{"blockPublicACLs": false}},
	}
	plan, err := rules.Default().Remediate(obj, rules.Config{}, []string{"S3-001", "S3-004"})
	if err != nil || !slices.Equal(plan.Rules, []string{"S3-001", "S3-004"}) {
		t.Fatalf("plan %v, %v", plan.Rules, err)
	}
	var checked [][]string
	refuseACL := func(p rules.Plan) (string, error) {
		checked = append(checked, p.Rules)
		if slices.Contains(p.Rules, "S3-004") {
			return "the ACL is refused", nil
		}
		return "", nil
	}
	kept, skipped, err := narrow(plan, "refused whole", refuseACL)
	if err != nil || !slices.Equal(kept.Rules, []string{"S3-001"}) || len(skipped) != 1 ||
		!slices.Equal(skipped[0].part.Rules, []string{"S3-004"}) || skipped[0].why != "the ACL is refused" {
		t.Fatalf("kept %v, skipped %+v, %v", kept.Rules, skipped, err)
	}
	if len(checked) != 2 || !slices.Equal(checked[1], []string{"S3-001", "S3-004"}) {
		t.Errorf("checked %v: each part with those accepted before it", checked)
	}
	if v := kept.Object["spec"].(map[string]any)["acl"]; v != "public-read" {
		t.Errorf("the kept plan's object has acl %v", v)
	}
	if got := describeSkipped(skipped); got != "the fix of S3-004 (spec.acl) the ACL is refused" {
		t.Errorf("described as %q", got)
	}

	acl := plan.Keep(func(_ int, c rules.Change) bool { return slices.Contains(c.Rules, "S3-004") })
	kept, skipped, err = narrow(acl, "refused whole", refuseACL)
	if err != nil || !kept.Empty() || len(skipped) != 1 || skipped[0].why != "refused whole" {
		t.Errorf("one part: kept %v, skipped %+v, %v", kept.Rules, skipped, err)
	}

	boom := errors.New("boom")
	if _, _, err := narrow(plan, "refused whole", func(rules.Plan) (string, error) { return "", boom }); !errors.Is(err, boom) {
		t.Errorf("check's error: %v", err)
	}
}
