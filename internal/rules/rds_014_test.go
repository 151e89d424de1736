package rules_test

import (
	"testing"

	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/view"
)

// paramGroup builds a DBParameterGroup (or, with cluster, a
// DBClusterParameterGroup) named name in team-a.
func paramGroup(cluster bool, name, family string, overrides map[string]any) map[string]any {
	gvk := view.DBParameterGroupGVK
	if cluster {
		gvk = view.DBClusterParameterGroupGVK
	}
	spec := map[string]any{"name": name, "family": family, "description": "d"}
	if overrides != nil {
		spec["parameterOverrides"] = overrides
	}
	o := ackObject(gvk, spec)
	o["metadata"].(map[string]any)["name"] = name
	return o
}

func groups(objs ...map[string]any) objects {
	o := objects{objs: map[string]map[string]any{}, fail: map[string]bool{}}
	for _, obj := range objs {
		m := view.ReadMeta(obj)
		o.objs[m.GVK.Kind+"/"+m.Namespace+"/"+m.Name] = obj
	}
	return o
}

func instanceWith(kv ...any) map[string]any { return dbInstance(with(secureInstanceSpec(), kv...)) }

func TestRDS014(t *testing.T) {
	forced := paramGroup(false, "pg14-tls", "postgres14", map[string]any{"rds.force_ssl": "1"})
	lax := paramGroup(false, "pg14-lax", "postgres14", map[string]any{"rds.force_ssl": "0"})
	mysqlOn := paramGroup(false, "mysql-tls", "mysql8.0", map[string]any{"require_secure_transport": "ON"})
	res := groups(forced, lax, mysqlOn)
	const name, ref = "spec.dbParameterGroupName", "spec.dbParameterGroupRef"
	runKindCases(t, "RDS-014", []kindCase{
		// The parameter groups themselves, judged by their family.
		{name: "secure group: postgres14 forces SSL", obj: forced},
		{name: "secure group: postgres16 default forces SSL", obj: paramGroup(false, "pg16", "postgres16", nil)},
		{name: "insecure group: rds.force_ssl 0", obj: lax, action: rules.Warn,
			want: []want{{`spec.parameterOverrides["rds.force_ssl"]`, `family postgres14: rds.force_ssl is "0"`}}},
		{name: "insecure group: mysql without require_secure_transport", obj: paramGroup(false, "m", "mysql8.0", map[string]any{"max_connections": "100"}),
			want: []want{{"spec.parameterOverrides.require_secure_transport", "require_secure_transport is not set (engine default: OFF)"}}},
		{name: "tricky group: MariaDB 10.4 has no require_secure_transport", obj: paramGroup(false, "m", "mariadb10.4", nil)},
		{name: "secure group: MariaDB 11.8 requires TLS by default", obj: paramGroup(false, "m", "mariadb11.8", nil)},
		{name: "insecure group: MariaDB 11.4 defaults to OFF", obj: paramGroup(false, "m", "mariadb11.4", nil),
			want: []want{{"spec.parameterOverrides.require_secure_transport", "require_secure_transport is not set (engine default: OFF)"}}},
		{name: "insecure group: MariaDB 11.8 turned off", obj: paramGroup(false, "m", "mariadb11.8", map[string]any{"require_secure_transport": "0"}),
			want: []want{{"spec.parameterOverrides.require_secure_transport", `require_secure_transport is "0"`}}},
		{name: "secure group: MySQL 9.7 requires TLS by default", obj: paramGroup(false, "m", "mysql9.7", nil)},
		{name: "tricky group: SQL Server edition family", obj: paramGroup(false, "s", "sqlserver-se-15.0", map[string]any{"RDS.FORCE_SSL": "1"})},
		{name: "insecure cluster group: Aurora MySQL audit logging off", obj: paramGroup(true, "a", "aurora-mysql8.0", map[string]any{"server_audit_logging": "1"}),
			want: []want{{"spec.parameterOverrides.server_audit_events", "server_audit_events is not set"}}},
		{name: "tricky cluster group: the deprecated parameters list is never applied by ACK", obj: func() map[string]any {
			o := paramGroup(true, "a", "aurora-mysql8.0", map[string]any{"server_audit_logging": "1"})
			o["spec"].(map[string]any)["parameters"] = []any{map[string]any{"parameterName": "server_audit_events", "parameterValue": "CONNECT,QUERY_DDL"}}
			return o
		}(), want: []want{{"spec.parameterOverrides.server_audit_events", "server_audit_events is not set"}}},
		{name: "wrong type: parameterOverrides", obj: func() map[string]any {
			o := paramGroup(false, "x", "postgres14", nil)
			o["spec"].(map[string]any)["parameterOverrides"] = "rds.force_ssl=1"
			return o
		}(), want: []want{{"spec.parameterOverrides", "must be an object"}}},

		// DBInstances joined to their group.
		{name: "secure: by reference", obj: instanceWith("engineVersion", "14.9", "dbParameterGroupRef", map[string]any{"from": map[string]any{"name": "pg14-tls"}}), cfg: rules.Config{Resolver: res}},
		{name: "secure: by AWS name", obj: instanceWith("engineVersion", "14.9", "dbParameterGroupName", "pg14-tls"), cfg: rules.Config{Resolver: res}},
		{name: "insecure: by reference to a lax group", obj: instanceWith("engineVersion", "14.9", "dbParameterGroupRef", map[string]any{"from": map[string]any{"name": "pg14-lax"}}), cfg: rules.Config{Resolver: res},
			action: rules.Warn, want: []want{{ref, `parameter group DBParameterGroup team-a/pg14-lax: rds.force_ssl is "0"`}}},
		{name: "insecure: PostgreSQL 14 on the default group", obj: instanceWith("engineVersion", "14.9"),
			want: []want{{name, "uses the engine's default parameter group, where rds.force_ssl is not set (engine default: 0)"}}},
		{name: "insecure: MySQL on a named default group", obj: instanceWith("engine", "mysql", "engineVersion", "8.0.35", "dbParameterGroupName", "default.mysql8.0"),
			want: []want{{name, "the default parameter group default.mysql8.0"}}},
		{name: "secure: MariaDB 11.8 on the default group", obj: instanceWith("engine", "mariadb", "engineVersion", "11.8.3")},
		{name: "insecure: MariaDB without a version on the default group", obj: instanceWith("engine", "mariadb", "engineVersion", nil),
			want: []want{{name, "require_secure_transport is not set (engine default: OFF)"}}},
		{name: "tricky: the group's family decides, not the instance's version", obj: instanceWith("engineVersion", "16.4", "dbParameterGroupName", "pg14-lax"), cfg: rules.Config{Resolver: res},
			want: []want{{name, `rds.force_ssl is "0"`}}},
		{name: "tricky: group not known yet is inconclusive", obj: instanceWith("engineVersion", "14.9", "dbParameterGroupRef", map[string]any{"from": map[string]any{"name": "later"}}), cfg: rules.Config{Resolver: res},
			want: []want{{ref, "was not found (or not known yet)"}}},
		{name: "tricky: no resolver is inconclusive", obj: instanceWith("dbParameterGroupName", "pg14-lax"),
			want: []want{{name, "could not be read (no cluster access"}}},
		{name: "tricky: an Aurora member is judged on its cluster", obj: dbInstance(memberSpec())},
		{name: "tricky: Oracle has no TLS parameter in the catalog", obj: instanceWith("engine", "oracle-ee", "dbParameterGroupName", "default.oracle-ee-19")},

		// DBClusters.
		{name: "insecure cluster: Aurora MySQL without audit logging", obj: dbCluster(with(secureClusterSpec(), "engine", "aurora-mysql", "engineVersion", "8.0.mysql_aurora.3.05.2")),
			want: []want{{"spec.dbClusterParameterGroupName", "server_audit_logging is not set (engine default: 0); server_audit_events is not set"}}},
		{name: "secure cluster: Aurora PostgreSQL has no RDS-014 parameter", obj: dbCluster(secureClusterSpec())},
	})
}

func TestRDS014Inconclusive(t *testing.T) {
	res := groups(paramGroup(false, "other-name", "postgres14", nil))
	res.objs["DBParameterGroup/team-a/renamed"] = paramGroup(false, "aws-name", "postgres14", nil)
	res.objs["DBParameterGroup/team-a/renamed"]["metadata"].(map[string]any)["name"] = "renamed"
	res.fail["DBParameterGroup/team-a/flaky"] = true
	for name, obj := range map[string]map[string]any{
		"missing":    instanceWith("engineVersion", "14.9", "dbParameterGroupName", "nowhere"),
		"renamed":    instanceWith("engineVersion", "14.9", "dbParameterGroupName", "renamed"),
		"read error": instanceWith("engineVersion", "14.9", "dbParameterGroupName", "flaky"),
	} {
		f := findingsOf(obj, rules.Config{Resolver: res}, "RDS-014")
		if len(f) != 1 || !f[0].Inconclusive || f[0].Action != rules.Warn {
			t.Errorf("%s: findings = %+v, want one inconclusive warning", name, f)
		}
	}
}
