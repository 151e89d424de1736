package rules_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ackguard/ackguard/internal/resolve"
	"github.com/ackguard/ackguard/internal/rules"
)

// TestACKIAMSamplesJudged judges ACK's IAM samples ($ACK_CRDS_DIR/../samples/iam)
// with a Resolver built from the samples themselves, as scan does: no
// internal error, role_referring.yaml's policyRefs resolve to
// policy_simple.yaml, and policy_adopt_or_create.yaml's invalid JSON gives
// POL-001, not a crash.
func TestACKIAMSamplesJudged(t *testing.T) {
	dir := os.Getenv("ACK_CRDS_DIR")
	if dir == "" {
		t.Skip("ACK_CRDS_DIR not set: ACK's samples are not available")
	}
	files, err := filepath.Glob(filepath.Join(dir, "..", "samples", "iam", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no IAM samples under %s: %v", dir, err)
	}
	objs := map[string]map[string]any{}
	var all []map[string]any
	for _, f := range files {
		o := loadACKSample(t, f)
		objs[filepath.Base(f)] = o
		all = append(all, o)
	}
	cfg := rules.Config{Resolver: resolve.Objects(all), OwnerAccounts: []string{"111122223333"}}
	reg := rules.Default()
	for name, obj := range objs {
		t.Run(name, func(t *testing.T) {
			found := reg.Evaluate(obj, cfg)
			for _, f := range found {
				t.Logf("%s [%s] %s: %s", f.RuleID, f.Action, f.Path, f.Message)
				if strings.Contains(f.Message, "internal error") {
					t.Errorf("%s: %s", f.RuleID, f.Message)
				}
				if strings.HasPrefix(f.Subject, "unresolved") {
					t.Errorf("reference not resolved among the samples: %s", f.Message)
				}
			}
			var pol001 int
			for _, f := range found {
				if f.RuleID == "POL-001" {
					pol001++
				}
			}
			switch name {
			case "policy_adopt_or_create.yaml":
				if pol001 == 0 {
					t.Error("invalid JSON gave no POL-001 finding")
				}
			default:
				if pol001 != 0 {
					t.Errorf("%d POL-001 findings for a valid sample", pol001)
				}
			}
		})
	}
}
