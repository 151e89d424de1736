package rules_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/ackguard/ackguard/internal/rules"
)

// sampleValues are typed stand-ins for the $VARIABLES of ACK's samples, so
// that a substituted sample has the types the ACK CRDs declare; any other
// variable becomes a name-like string.
var sampleValues = map[string]string{
	"COPY_TAGS_TO_SNAPSHOT":          "true",
	"USE_LATEST_RESTORABLE_TIME":     "true",
	"RESERVED_CONCURRENT_EXECUTIONS": "2",
	"MAXIMUM_EVENT_AGE_IN_SECONDS":   "3600",
	"MAXIMUM_RETRY_ATTEMPTS":         "1",
	"FROM_PORT":                      "443",
	"TO_PORT":                        "443",
	"IP_PROTOCOL":                    "tcp",
	"CIDR_IP":                        "10.0.0.0/16",
	"AUTH_TYPE":                      "AWS_IAM",
	"AWS_REGION":                     "eu-west-1",
	"ARCHITECTURES":                  "x86_64",
	"RESTORE_TYPE":                   "copy-on-write",
}

// TestACKSamplesJudged judges ACK's own RDS, EC2 and Lambda samples
// ($ACK_CRDS_DIR/../samples): every rule must evaluate them without an
// internal error and without an invalid-input finding, which would mean
// ackguard misreads a shape ACK itself uses.
func TestACKSamplesJudged(t *testing.T) {
	dir := os.Getenv("ACK_CRDS_DIR")
	if dir == "" {
		t.Skip("ACK_CRDS_DIR not set: ACK's samples are not available")
	}
	reg := rules.Default()
	judged := 0
	for _, service := range []string{"rds", "ec2", "lambda"} {
		files, err := filepath.Glob(filepath.Join(dir, "..", "samples", service, "*.yaml"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no %s samples under %s: %v", service, dir, err)
		}
		for _, file := range files {
			t.Run(service+"/"+filepath.Base(file), func(t *testing.T) {
				obj := loadACKSample(t, file)
				if !reg.Guards(rules.NewInput(obj, rules.Config{}).GroupKind()) {
					t.Skipf("kind %v is not guarded", obj["kind"])
				}
				judged++
				for _, f := range reg.Evaluate(obj, rules.Config{}) {
					if strings.Contains(f.Message, "internal error") || strings.Contains(f.Message, "invalid input") {
						t.Errorf("%s %s: %s", f.RuleID, f.Path, f.Message)
					}
					t.Logf("%s [%s] %s: %s", f.RuleID, f.Action, f.Path, f.Message)
				}
			})
		}
	}
	if judged == 0 {
		t.Error("no sample judged")
	}
}

func loadACKSample(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := os.Expand(string(data), func(v string) string {
		if s, ok := sampleValues[v]; ok {
			return s
		}
		return "sample-" + strings.ToLower(strings.ReplaceAll(v, "_", "-"))
	})
	obj := map[string]any{}
	if err := yaml.Unmarshal([]byte(text), &obj); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return obj
}
