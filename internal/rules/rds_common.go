package rules

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/ackguard/ackguard/internal/view"
)

var (
	dbInstanceKind = view.DBInstanceGVK.GroupKind()
	dbClusterKind  = view.DBClusterGVK.GroupKind()
	// dbKinds are DBInstance and DBCluster.
	dbKinds = []schema.GroupKind{dbInstanceKind, dbClusterKind}
)

// dbObject is a DBInstance or a DBCluster, seen through the settings both
// kinds share.
type dbObject struct {
	view.DBSettings
	Spec     view.Object
	Instance *view.DBInstance // nil for a cluster
	Cluster  *view.DBCluster  // nil for an instance
	Errors   []*view.FieldError
}

// readDB returns the object's RDS view; ok is false for other kinds.
func readDB(in *Input) (db dbObject, ok bool) {
	switch in.GroupKind() {
	case dbInstanceKind:
		i := view.NewDBInstance(in.Object)
		return dbObject{DBSettings: i.DBSettings, Spec: i.Spec, Instance: i, Errors: i.Errors}, true
	case dbClusterKind:
		c := view.NewDBCluster(in.Object)
		return dbObject{DBSettings: c.DBSettings, Spec: c.Spec, Cluster: c, Errors: c.Errors}, true
	}
	return dbObject{}, false
}

// kind names the object's kind in messages.
func (db dbObject) kind() string {
	if db.Cluster != nil {
		return "DBCluster"
	}
	return "DBInstance"
}

// member reports whether the object is a DBInstance inside a DB cluster:
// the cluster's settings then apply, and AWS ignores (or rejects) the
// instance's own value for cluster-level settings.
func (db dbObject) member() bool { return db.Instance != nil && db.Instance.ClusterMember() }

// clusterOwned runs check only where a cluster-level setting belongs to
// the object: on a DBCluster and on a standalone DBInstance, not on a
// cluster member (judged on its DBCluster). A spec that is not an object is
// reported by RDS-001 only.
func clusterOwned(check func(in *Input, db dbObject) []Finding) func(*Input) []Finding {
	return func(in *Input) []Finding {
		db, ok := readDB(in)
		if !ok || db.Spec.Err != nil || db.member() {
			return nil
		}
		return check(in, db)
	}
}

// requireBool reports a boolean setting that is not `want`. absentIs is the
// AWS default that applies when the field is absent ("" when an absent
// field passes). fixable says whether the rule's fixer writes the secure
// value.
func requireBool(b view.Bool, want bool, absentIs string, fixable bool, remedy string) []Finding {
	name := b.Path[len(b.Path)-1]
	switch {
	case b.Err != nil:
		f := fieldErrorFinding(b.Err)
		f.Fixable = fixable
		return []Finding{f}
	case !b.Present:
		if absentIs == "" {
			return nil
		}
		return []Finding{{Path: b.Path, Message: fmt.Sprintf("%s is not set (%s)", name, absentIs), Remedy: remedy, Subject: "absent", Fixable: fixable}}
	case b.Value != want:
		return []Finding{{Path: b.Path, Message: fmt.Sprintf("%s is %t", name, b.Value), Remedy: remedy, Subject: fmt.Sprint(b.Value), Fixable: fixable}}
	}
	return nil
}

// setBoolFixer writes want to the field field() picks when it is not
// already want, on objects where applies() holds.
func setBoolFixer(field func(view.DBSettings) view.Bool, want bool, applies func(dbObject) bool) func(*Mutation) error {
	return func(m *Mutation) error {
		db, ok := readDB(m.Input())
		if !ok || db.Spec.Err != nil || !applies(db) {
			return nil
		}
		b := field(db.DBSettings)
		if b.Present && b.Err == nil && b.Value == want {
			return nil
		}
		return m.Set(b.Path, want)
	}
}

// notMember is the applies() of cluster-owned settings.
func notMember(db dbObject) bool { return !db.member() }

// rdsCustom reports whether the engine is an RDS Custom engine
// (custom-oracle-*, custom-sqlserver-*). RDS Custom exports no logs to
// CloudWatch, has no Enhanced Monitoring, and must keep automatic minor
// version upgrades off (ModifyDBInstance returns an error when they are
// enabled): the rules about those settings do not apply to it.
func rdsCustom(db dbObject) bool { return strings.HasPrefix(db.EngineName(), "custom-") }

// engineFamily maps an RDS engine name to the family the engine-specific
// rules key on: mysql, mariadb, postgres, oracle, sqlserver, db2,
// aurora-mysql, aurora-postgresql; "" when unknown.
func engineFamily(engine string) string {
	e := strings.ToLower(strings.TrimSpace(engine))
	switch {
	case e == "aurora" || e == "aurora-mysql":
		return "aurora-mysql"
	case e == "aurora-postgresql":
		return "aurora-postgresql"
	case e == "mysql":
		return "mysql"
	case e == "mariadb":
		return "mariadb"
	case e == "postgres":
		return "postgres"
	case strings.HasPrefix(e, "oracle"), strings.HasPrefix(e, "custom-oracle"):
		return "oracle"
	case strings.HasPrefix(e, "sqlserver"), strings.HasPrefix(e, "custom-sqlserver"):
		return "sqlserver"
	case strings.HasPrefix(e, "db2"):
		return "db2"
	}
	return ""
}
