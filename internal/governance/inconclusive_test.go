package governance

import (
	"testing"
	"time"

	"github.com/ackguard/ackguard/api/v1alpha1"
)

// A rule that cannot judge its field (an invalid bucket policy) reports an
// inconclusive finding: it never denies, even when a policy enforces the
// rule. POL-001, which judges the document itself, decides admission.
func TestInconclusiveFindingsNeverDeny(t *testing.T) {
	obj := bucketWith("ns", "b", "policy", "{not json")
	for _, tc := range []struct {
		name      string
		pol001    v1alpha1.Action
		wantDeny  bool
		wantRules []string
	}{
		{"POL-001 enforced denies", v1alpha1.Enforce, true, []string{"POL-001"}},
		{"POL-001 audited: nothing denies", v1alpha1.Audit, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eng := New(reg, Defaults{}, []v1alpha1.GuardrailPolicy{
				policy("strict", defaultAction(v1alpha1.DefaultAction(v1alpha1.Enforce)), rule("POL-001", tc.pol001)),
			}, nil)
			j := eng.Judge(obj, nsOf("ns"), time.Now(), nil)
			var denied []string
			sawS3006 := false
			for _, r := range j.Results {
				if r.Denies() {
					denied = append(denied, r.RuleID)
				}
				if r.RuleID == "S3-006" {
					sawS3006 = true
					if !r.Inconclusive || r.Admission != AdmitWithWarning {
						t.Errorf("S3-006 on an invalid policy: inconclusive=%v admission=%v, want an inconclusive warning", r.Inconclusive, r.Admission)
					}
				}
			}
			if !sawS3006 {
				t.Error("S3-006 reported nothing for an invalid policy: it must never pass silently")
			}
			if len(denied) != len(tc.wantRules) || (len(denied) > 0 && denied[0] != tc.wantRules[0]) {
				t.Errorf("denied by %v, want %v", denied, tc.wantRules)
			}
		})
	}
}
