package rules

import (
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/ackguard/ackguard/internal/view"
)

// RDS-002 and RDS-003: storage encrypted, on the instance and on the
// cluster.
//
// Storage encryption is fixed when the database is created (rule catalog
// §2.4): fixing it is a migration (snapshot, encrypted copy, restore), never
// a patch. Admission denies, the reconciler only reports, and there is no
// fixer. The finding's Subject is "unencrypted" whether the field is absent
// or false, so that ACK late-initializing an absent field to false (or any
// update that leaves the encryption alone) is not a new finding: the
// webhook denies only a CREATE, or an UPDATE that turns encryption off.
// An RDS Custom instance without the field is encrypted: AWS encrypts
// its storage always and refuses storageEncrypted false.
func rds002() *Rule {
	return &Rule{
		ID:          "RDS-002",
		Title:       "DB instance storage is encrypted (storageEncrypted: true)",
		Severity:    Medium,
		Kinds:       []schema.GroupKind{dbInstanceKind},
		Admission:   Deny,
		Remediation: Audit, // immutable after create
		References: References{
			FSBP:    []string{"RDS.3"},
			Config:  []string{"rds-storage-encrypted"},
			Checkov: []string{"CKV_AWS_16"},
			CIS:     []string{"v5.0.0 2.2.1", "v3.0.0 2.3.1", "v1.4.0 2.3.1"},
		},
		// Aurora members: storage encryption belongs to the cluster (RDS-003).
		Check: clusterOwned(checkStorageEncrypted),
	}
}

func rds003() *Rule {
	return &Rule{
		ID:          "RDS-003",
		Title:       "DB cluster storage is encrypted (storageEncrypted: true)",
		Severity:    Medium,
		Kinds:       []schema.GroupKind{dbClusterKind},
		Admission:   Deny,
		Remediation: Audit, // immutable after create
		References: References{
			FSBP:    []string{"RDS.27"},
			Config:  []string{"rds-cluster-encrypted-at-rest"},
			Checkov: []string{"CKV_AWS_96"},
		},
		Check: clusterOwned(checkStorageEncrypted),
	}
}

const unencryptedSubject = "unencrypted"

func checkStorageEncrypted(_ *Input, db dbObject) []Finding {
	if db.Cluster != nil && db.Cluster.EngineMode.Err == nil && db.Cluster.EngineMode.Value == "serverless" {
		return nil // Aurora Serverless v1 storage is always encrypted
	}
	se := db.StorageEncrypted
	remedy := "storage encryption cannot be changed after create: create the " + db.kind() +
		" with spec.storageEncrypted: true (optionally spec.kmsKeyID), or migrate through an encrypted snapshot copy"
	var msg string
	switch {
	case se.Err != nil:
		return []Finding{fieldErrorFinding(se.Err)}
	case se.IsTrue():
		return nil
	case !se.Present && rdsCustom(db):
		return nil // RDS Custom storage is always encrypted (AWS refuses false)
	case !se.Present:
		msg = "storageEncrypted is not set: AWS creates the storage unencrypted"
		if inheritsEncryption(db) {
			msg = "storageEncrypted is not set: the storage inherits the encryption of its source, which ackguard cannot see"
		}
	default:
		msg = "storageEncrypted is false: the storage is not encrypted at rest"
	}
	return []Finding{{Path: se.Path, Message: msg, Remedy: remedy, Subject: unencryptedSubject}}
}

// inheritsEncryption reports whether the database is restored or copied
// from a source whose encryption it inherits.
func inheritsEncryption(db dbObject) bool {
	var srcs []view.String
	if i := db.Instance; i != nil {
		srcs = []view.String{i.DBSnapshotIdentifier, i.SourceDBInstanceIdentifier}
	}
	if c := db.Cluster; c != nil {
		srcs = []view.String{c.SnapshotIdentifier, c.SourceDBClusterIdentifier}
	}
	for _, s := range srcs {
		if s.NonEmpty() {
			return true
		}
	}
	return false
}
