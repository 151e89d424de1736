package rules_test

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/rules/rulestest"
	"github.com/ackguard/ackguard/internal/view"
)

// ackObject builds an ACK object of the given kind with the given spec.
func ackObject(gvk schema.GroupVersionKind, spec any) map[string]any {
	return map[string]any{
		"apiVersion": gvk.GroupVersion().String(),
		"kind":       gvk.Kind,
		"metadata":   map[string]any{"name": "test-object", "namespace": "team-a"},
		"spec":       spec,
	}
}

// kindCase is one object of any kind judged by one rule.
type kindCase struct {
	name string
	obj  map[string]any
	cfg  rules.Config
	want []want
	// action, when set, is the admission action every finding must carry.
	action rules.Action
	// fixable, when set, is the Fixable every finding must carry.
	fixable *bool
}

var (
	yes = ptr(true)
	no  = ptr(false)
)

func ptr[T any](v T) *T { return &v }

// runKindCases evaluates each case and compares the exact multiset of
// finding paths of the rule, each with a message substring.
func runKindCases(t *testing.T, ruleID string, tests []kindCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := findingsOf(tt.obj, tt.cfg, ruleID)
			checkFindings(t, got, tt.want)
			for _, f := range got {
				if tt.action != "" && f.Action != tt.action {
					t.Errorf("finding %q has action %q, want %q", f.Text(), f.Action, tt.action)
				}
				if tt.fixable != nil && f.Fixable != *tt.fixable {
					t.Errorf("finding %q has Fixable %v, want %v", f.Text(), f.Fixable, *tt.fixable)
				}
				if f.Severity == "" || f.Message == "" || f.Remedy == "" {
					t.Errorf("finding without severity, message or remedy: %+v", f)
				}
			}
		})
	}
}

// secureInstanceSpec is a standalone PostgreSQL DBInstance every RDS rule
// passes.
var secureInstanceSpec = rulestest.SecureDBInstanceSpec

// secureClusterSpec is an Aurora PostgreSQL DBCluster every RDS rule
// passes.
func secureClusterSpec() map[string]any {
	return map[string]any{
		"dbClusterIdentifier":             "orders",
		"engine":                          "aurora-postgresql",
		"engineVersion":                   "16.4",
		"storageEncrypted":                true,
		"deletionProtection":              true,
		"backupRetentionPeriod":           int64(7),
		"enableIAMDatabaseAuthentication": true,
		"copyTagsToSnapshot":              true,
		"port":                            int64(15432),
		"masterUsername":                  "orders_owner",
		"enableCloudwatchLogsExports":     []any{"postgresql"},
	}
}

// memberSpec is an Aurora member instance: it owns only what an instance
// in a cluster owns.
func memberSpec() map[string]any {
	return map[string]any{
		"dbInstanceIdentifier":    "orders-1",
		"dbInstanceClass":         "db.r6g.large",
		"engine":                  "aurora-postgresql",
		"dbClusterIdentifier":     "orders",
		"publiclyAccessible":      false,
		"autoMinorVersionUpgrade": true,
		"monitoringInterval":      int64(60),
		"monitoringRoleARN":       "arn:aws:iam::111122223333:role/rds-monitoring",
	}
}

func dbInstance(spec any) map[string]any { return ackObject(view.DBInstanceGVK, spec) }
func dbCluster(spec any) map[string]any  { return ackObject(view.DBClusterGVK, spec) }
