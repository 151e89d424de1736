package rules

import (
	"fmt"
	"strings"
)

// defaultPorts are the engines' default ports (Security Hub RDS.23).
var defaultPorts = map[string]int64{
	"mysql": 3306, "mariadb": 3306, "aurora-mysql": 3306,
	"postgres": 5432, "aurora-postgresql": 5432,
	"oracle": 1521, "sqlserver": 1433, "db2": 50000,
}

// RDS-012: the database does not listen on its engine's default port
// (cluster-owned for Aurora members). An absent port is the default.
func rds012() *Rule {
	return &Rule{
		ID:          "RDS-012",
		Title:       "The database does not use its engine's default port",
		Severity:    Low,
		Kinds:       dbKinds,
		Admission:   Warn,
		Remediation: Audit, // clients' connection strings would break
		References: References{
			FSBP:   []string{"RDS.23"},
			Config: []string{"rds-no-default-ports"},
		},
		Check: clusterOwned(checkRDS012),
	}
}

func checkRDS012(_ *Input, db dbObject) []Finding {
	port := db.Port
	def, known := defaultPorts[engineFamily(db.EngineName())]
	const remedy = "choose a non-default spec.port when creating the database (changing it later breaks clients)"
	switch {
	case port.Err != nil:
		return []Finding{fieldErrorFinding(port.Err)}
	case !port.Present && known:
		return []Finding{{Path: port.Path, Subject: fmt.Sprint(def), Remedy: remedy,
			Message: fmt.Sprintf("port is not set, so the %s default port %d is used", db.EngineName(), def)}}
	case !port.Present:
		return nil
	case known && port.Value == def:
		return []Finding{{Path: port.Path, Subject: fmt.Sprint(def), Remedy: remedy,
			Message: fmt.Sprintf("port %d is the %s default port", def, db.EngineName())}}
	case !known:
		for _, p := range defaultPorts {
			if port.Value == p {
				return []Finding{{Path: port.Path, Subject: fmt.Sprint(p), Remedy: remedy,
					Message: fmt.Sprintf("port %d is a database engine default port", p)}}
			}
		}
	}
	return nil
}

// defaultMasterUsernames are the engine default administrator names that
// Security Hub RDS.24/RDS.25 reject. Compared case-insensitively (an
// ackguard decision, stricter than the engines, some of which compare
// user names case-sensitively).
var defaultMasterUsernames = map[string]bool{"admin": true, "postgres": true}

// RDS-013: the master username is not an engine default (cluster-owned for
// Aurora members).
//
// The master username is fixed at create: admission denies, the reconciler
// only reports, and there is no fixer. The Subject is the lower-cased
// name, so an update that keeps it is not a new finding.
func rds013() *Rule {
	return &Rule{
		ID:          "RDS-013",
		Title:       "The master username is not an engine default (admin, postgres)",
		Severity:    Medium,
		Kinds:       dbKinds,
		Admission:   Deny,
		Remediation: Audit, // immutable after create
		References: References{
			FSBP:   []string{"RDS.25", "RDS.24"},
			Config: []string{"rds-instance-default-admin-check", "rds-cluster-default-admin-check"},
		},
		Check: clusterOwned(checkRDS013),
	}
}

func checkRDS013(_ *Input, db dbObject) []Finding {
	u := db.MasterUsername
	switch {
	case u.Err != nil:
		return []Finding{fieldErrorFinding(u.Err)}
	case !u.Present:
		return nil // restored or replicated databases inherit it; ACK late-initializes it on a DBInstance
	}
	name := strings.ToLower(strings.TrimSpace(u.Value))
	if !defaultMasterUsernames[name] {
		return nil
	}
	return []Finding{{
		Path:    u.Path,
		Message: fmt.Sprintf("masterUsername %q is an engine default that attackers try first", u.Value),
		Remedy:  "the master username cannot be changed after create: create the " + db.kind() + " with another spec.masterUsername",
		Subject: name,
	}}
}
