package rules_test

import (
	"encoding/json"
	"reflect"
	"sort"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/ackguard/ackguard/internal/rules"
)

// rdsFixDefaults are the RDS rules whose reconciler default is fix.
var rdsFixDefaults = []string{"RDS-001", "RDS-004", "RDS-005", "RDS-006", "RDS-007", "RDS-011"}

func TestRemediateRDSInstance(t *testing.T) {
	spec := with(secureInstanceSpec(),
		"publiclyAccessible", nil, // absent: the fix writes the explicit false
		"deletionProtection", false,
		"backupRetentionPeriod", int64(3),
		"autoMinorVersionUpgrade", false,
		"enableIAMDatabaseAuthentication", nil,
		"copyTagsToSnapshot", false,
		"storageEncrypted", false, // immutable: reported, never patched
		"masterUsername", "admin", // immutable: reported, never patched
		"futureField", map[string]any{"x": int64(1)},
	)
	obj := dbInstance(spec)
	orig := runtime.DeepCopyJSON(obj)
	plan, err := rules.Default().Remediate(obj, rules.Config{}, rdsFixDefaults)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(obj, orig) {
		t.Fatal("Remediate modified its input")
	}
	want := map[string]any{
		"publiclyAccessible": false, "deletionProtection": true, "backupRetentionPeriod": int64(7),
		"autoMinorVersionUpgrade": true, "enableIAMDatabaseAuthentication": true, "copyTagsToSnapshot": true,
	}
	patch := plan.MergePatch()
	if got, _ := json.Marshal(patch); !reflect.DeepEqual(patch, map[string]any{"spec": want}) {
		t.Errorf("merge patch = %s", got)
	}
	var ids []string
	ids = append(ids, plan.Rules...)
	sort.Strings(ids)
	if !reflect.DeepEqual(ids, rdsFixDefaults) {
		t.Errorf("plan.Rules = %v", plan.Rules)
	}
	// Everything else is untouched, and the fixed rules have no fixable
	// finding left; the immutable findings remain.
	fixedSpec := plan.Object["spec"].(map[string]any)
	for k, v := range spec {
		if _, fixed := want[k]; !fixed && !reflect.DeepEqual(fixedSpec[k], v) {
			t.Errorf("spec.%s changed: %v → %v", k, v, fixedSpec[k])
		}
	}
	left := map[string]bool{}
	for _, f := range rules.Default().Evaluate(plan.Object, rules.Config{}) {
		left[f.RuleID] = true
		if f.Fixable {
			t.Errorf("fixable finding left: %s", f.Text())
		}
	}
	for _, id := range []string{"RDS-002", "RDS-013"} {
		if !left[id] {
			t.Errorf("%s finding gone after remediation; immutable fields must not be patched", id)
		}
	}
}

func TestRemediateRDSNeverLowersOrEnablesFromZero(t *testing.T) {
	for _, tc := range []struct {
		name  string
		value any
	}{{"zero", int64(0)}, {"absent", nil}, {"above", int64(30)}, {"wrong type", "3"}} {
		t.Run(tc.name, func(t *testing.T) {
			plan, err := rules.Default().Remediate(dbInstance(with(secureInstanceSpec(), "backupRetentionPeriod", tc.value)), rules.Config{}, []string{"RDS-005"})
			if err != nil || !plan.Empty() {
				t.Errorf("plan = %+v, %v; want no change", plan.Changes, err)
			}
		})
	}
}

// RDS Custom refuses automatic minor version upgrades (ModifyDBInstance
// returns an error when they are enabled): RDS-006 never writes true there.
func TestRemediateRDSCustomKeepsMinorUpgradesOff(t *testing.T) {
	spec := with(secureInstanceSpec(), "engine", "custom-oracle-ee", "autoMinorVersionUpgrade", false)
	plan, err := rules.Default().Remediate(dbInstance(spec), rules.Config{}, []string{"RDS-006"})
	if err != nil || !plan.Empty() {
		t.Errorf("plan = %v, %v; want no change", plan.MergePatch(), err)
	}
}

// RDS for MariaDB supports IAM database authentication from 10.11 only:
// ModifyDBInstance refuses to enable it on an earlier version, so RDS-007
// never writes it there.
func TestRemediateRDSMariaDBBefore1011KeepsIAMAuth(t *testing.T) {
	spec := with(secureInstanceSpec(), "engine", "mariadb", "engineVersion", "10.5.25", "enableIAMDatabaseAuthentication", false)
	plan, err := rules.Default().Remediate(dbInstance(spec), rules.Config{}, []string{"RDS-007"})
	if err != nil || !plan.Empty() {
		t.Errorf("plan = %v, %v; want no change", plan.MergePatch(), err)
	}
}

func TestRemediateRDSAuroraMember(t *testing.T) {
	// A member's cluster-owned fields are left alone; only what the
	// instance owns is fixed.
	spec := with(memberSpec(), "publiclyAccessible", true, "autoMinorVersionUpgrade", false)
	plan, err := rules.Default().Remediate(dbInstance(spec), rules.Config{}, rdsFixDefaults)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"spec": map[string]any{"publiclyAccessible": false, "autoMinorVersionUpgrade": true}}
	if got := plan.MergePatch(); !reflect.DeepEqual(got, want) {
		t.Errorf("merge patch = %v, want %v", got, want)
	}
}

// RDS-008's opt-in fix adds the missing log types to the list, keeping
// those there, and leaves alone a list it cannot read and the members of
// an Aurora cluster (the cluster owns their exports).
func TestRemediateRDSLogExports(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec map[string]any
		want any // the list after the fix; nil: no change
	}{
		{"postgres missing upgrade", with(secureInstanceSpec(), "engine", "postgres", "enableCloudwatchLogsExports", []any{"postgresql"}),
			[]any{"postgresql", "upgrade"}},
		{"mysql with one of its own", with(secureInstanceSpec(), "engine", "mysql", "enableCloudwatchLogsExports", []any{"error", "iam-db-auth-error"}),
			[]any{"error", "iam-db-auth-error", "audit", "general", "slowquery"}},
		{"none listed", with(secureInstanceSpec(), "engine", "postgres", "enableCloudwatchLogsExports", nil),
			[]any{"postgresql", "upgrade"}},
		{"an element not a string", with(secureInstanceSpec(), "engine", "postgres", "enableCloudwatchLogsExports", []any{int64(1)}), nil},
		{"SQL Server Express (no agent log)", with(secureInstanceSpec(), "engine", "sqlserver-ex", "enableCloudwatchLogsExports", nil),
			[]any{"error"}},
		{"an Aurora member", with(secureInstanceSpec(), "engine", "aurora-postgresql", "dbClusterIdentifier", "c", "enableCloudwatchLogsExports", nil), nil},
		{"RDS Custom (no log exports)", with(secureInstanceSpec(), "engine", "custom-sqlserver-ee", "enableCloudwatchLogsExports", nil), nil},
	} {
		plan, err := rules.Default().Remediate(dbInstance(tc.spec), rules.Config{}, []string{"RDS-008"})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if tc.want == nil {
			if !plan.Empty() {
				t.Errorf("%s: patched %v", tc.name, plan.MergePatch())
			}
			continue
		}
		if got := plan.MergePatch(); !reflect.DeepEqual(got, map[string]any{"spec": map[string]any{"enableCloudwatchLogsExports": tc.want}}) {
			t.Errorf("%s: merge patch %v, want the list %v", tc.name, got, tc.want)
		}
		for _, f := range rules.Default().EvaluateOnly(plan.Object, rules.Config{}, func(r *rules.Rule) bool { return r.ID == "RDS-008" }) {
			t.Errorf("%s: finding left: %s", tc.name, f.Text())
		}
	}
}
