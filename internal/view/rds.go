package view

import (
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The ACK RDS kinds ackguard guards.
var (
	DBInstanceGVK = schema.GroupVersionKind{Group: "rds.services.k8s.aws", Version: "v1alpha1", Kind: "DBInstance"}
	DBClusterGVK  = schema.GroupVersionKind{Group: "rds.services.k8s.aws", Version: "v1alpha1", Kind: "DBCluster"}
)

// DBSettings are the spec fields DBInstance and DBCluster share under the
// same names. Each is optional: absent means "the AWS default", which the
// rules must name explicitly.
type DBSettings struct {
	Engine                          String
	EngineVersion                   String
	PubliclyAccessible              Bool
	StorageEncrypted                Bool
	KMSKeyID                        String
	KMSKeyRef                       Object
	DeletionProtection              Bool
	BackupRetentionPeriod           Int
	AutoMinorVersionUpgrade         Bool
	EnableIAMDatabaseAuthentication Bool
	CopyTagsToSnapshot              Bool
	MasterUsername                  String
	Port                            Int
	MonitoringInterval              Int
	MonitoringRoleARN               String
	MonitoringRoleRef               Object
	// LogExports is spec.enableCloudwatchLogsExports; LogExportsPath its
	// path (also when absent).
	LogExports     []String
	LogExportsPath Path
}

func readDBSettings(spec Object, errs *[]*FieldError) DBSettings {
	s := DBSettings{
		Engine:                          spec.String("engine"),
		EngineVersion:                   spec.String("engineVersion"),
		PubliclyAccessible:              spec.Bool("publiclyAccessible"),
		StorageEncrypted:                spec.Bool("storageEncrypted"),
		KMSKeyID:                        spec.String("kmsKeyID"),
		KMSKeyRef:                       spec.Object("kmsKeyRef"),
		DeletionProtection:              spec.Bool("deletionProtection"),
		BackupRetentionPeriod:           spec.Int("backupRetentionPeriod"),
		AutoMinorVersionUpgrade:         spec.Bool("autoMinorVersionUpgrade"),
		EnableIAMDatabaseAuthentication: spec.Bool("enableIAMDatabaseAuthentication"),
		CopyTagsToSnapshot:              spec.Bool("copyTagsToSnapshot"),
		MasterUsername:                  spec.String("masterUsername"),
		Port:                            spec.Int("port"),
		MonitoringInterval:              spec.Int("monitoringInterval"),
		MonitoringRoleARN:               spec.String("monitoringRoleARN"),
		MonitoringRoleRef:               spec.Object("monitoringRoleRef"),
		LogExportsPath:                  spec.Path.Child("enableCloudwatchLogsExports"),
	}
	logs, err := spec.StringList("enableCloudwatchLogsExports")
	if err != nil {
		*errs = append(*errs, err)
	}
	s.LogExports = logs
	return s
}

// EngineName is the engine in lower case, "" when absent or mistyped.
func (s DBSettings) EngineName() string {
	if s.Engine.Err != nil {
		return ""
	}
	return strings.ToLower(strings.TrimSpace(s.Engine.Value))
}

// IsAurora reports whether the engine is an Aurora engine ("aurora",
// "aurora-mysql", "aurora-postgresql").
func (s DBSettings) IsAurora() bool { return strings.HasPrefix(s.EngineName(), "aurora") }

// DBInstance is the view of an rds.services.k8s.aws/v1alpha1 DBInstance.
type DBInstance struct {
	Meta
	Spec Object
	DBSettings

	DBInstanceIdentifier String
	// DBClusterIdentifier is set on Aurora (and Multi-AZ DB cluster)
	// members: cluster-level settings are then judged on the DBCluster.
	DBClusterIdentifier        String
	MultiAZ                    Bool
	DBSnapshotIdentifier       String
	SourceDBInstanceIdentifier String
	// ParameterGroup is spec.dbParameterGroupName / spec.dbParameterGroupRef.
	ParameterGroup ParameterGroupLink
	// Errors lists fields of the wrong shape not carried by a typed field.
	Errors []*FieldError
}

// NewDBInstance decodes a DBInstance view from an unstructured object.
func NewDBInstance(obj map[string]any) *DBInstance {
	spec := Spec(obj)
	d := &DBInstance{Meta: ReadMeta(obj), Spec: spec}
	if spec.Err != nil {
		d.Errors = append(d.Errors, spec.Err)
	}
	d.DBSettings = readDBSettings(spec, &d.Errors)
	d.DBInstanceIdentifier = spec.String("dbInstanceIdentifier")
	d.DBClusterIdentifier = spec.String("dbClusterIdentifier")
	d.MultiAZ = spec.Bool("multiAZ")
	d.DBSnapshotIdentifier = spec.String("dbSnapshotIdentifier")
	d.SourceDBInstanceIdentifier = spec.String("sourceDBInstanceIdentifier")
	d.ParameterGroup = readParameterGroupLink(spec, DBParameterGroupGVK, "dbParameterGroupName", "dbParameterGroupRef")
	return d
}

// ClusterMember reports whether the instance belongs to a DB cluster.
func (d *DBInstance) ClusterMember() bool { return d.DBClusterIdentifier.NonEmpty() }

// DBCluster is the view of an rds.services.k8s.aws/v1alpha1 DBCluster.
type DBCluster struct {
	Meta
	Spec Object
	DBSettings

	DBClusterIdentifier String
	EngineMode          String
	// DBClusterInstanceClass is set only on Multi-AZ DB clusters (non-Aurora).
	DBClusterInstanceClass String
	SnapshotIdentifier     String
	// SourceDBClusterIdentifier is the cluster a point-in-time restore
	// copies.
	SourceDBClusterIdentifier String
	// ParameterGroup is spec.dbClusterParameterGroupName /
	// spec.dbClusterParameterGroupRef.
	ParameterGroup ParameterGroupLink
	Errors         []*FieldError
}

// NewDBCluster decodes a DBCluster view from an unstructured object.
func NewDBCluster(obj map[string]any) *DBCluster {
	spec := Spec(obj)
	c := &DBCluster{Meta: ReadMeta(obj), Spec: spec}
	if spec.Err != nil {
		c.Errors = append(c.Errors, spec.Err)
	}
	c.DBSettings = readDBSettings(spec, &c.Errors)
	c.DBClusterIdentifier = spec.String("dbClusterIdentifier")
	c.EngineMode = spec.String("engineMode")
	c.DBClusterInstanceClass = spec.String("dbClusterInstanceClass")
	c.SnapshotIdentifier = spec.String("snapshotIdentifier")
	c.SourceDBClusterIdentifier = spec.String("sourceDBClusterIdentifier")
	c.ParameterGroup = readParameterGroupLink(spec, DBClusterParameterGroupGVK, "dbClusterParameterGroupName", "dbClusterParameterGroupRef")
	return c
}

// MultiAZCluster reports whether the cluster is a Multi-AZ DB cluster (a
// non-Aurora engine), the only kind of cluster whose own
// publiclyAccessible and autoMinorVersionUpgrade AWS honours.
func (c *DBCluster) MultiAZCluster() bool {
	return c.EngineName() != "" && !c.IsAurora()
}
