package view

// The Bucket fields of the configuration rules (S3-008 … S3-015):
// encryption, versioning, lifecycle, logging, Object Lock, notifications
// and replication. Each carries the errors of its own fields; none of
// them is added to Bucket.Errors, which S3-005 reports.

// EncryptionRule is one element of spec.encryption.rules.
type EncryptionRule struct {
	Object
	// Default is applyServerSideEncryptionByDefault.
	Default        Object
	SSEAlgorithm   String
	KMSMasterKeyID String
}

// LifecycleRule is one element of spec.lifecycle.rules.
type LifecycleRule struct {
	Object
	ID     String
	Status String // Enabled or Disabled
	// Abort is abortIncompleteMultipartUpload; AbortDays its
	// daysAfterInitiation.
	Abort     Object
	AbortDays Int
	// Prefixes are the prefixes that narrow the rule: the legacy
	// rule.prefix, filter.prefix and filter.and.prefix.
	Prefixes []String
	// Narrowed names the other filter criteria set (tag, and.tags,
	// objectSizeGreaterThan …), which also narrow the rule.
	Narrowed []string
	// Filter is the rule's filter (and filter.and), for their errors.
	Filter, FilterAnd Object
}

// ReplicationRule is one element of spec.replication.rules.
type ReplicationRule struct {
	Object
	Status            String // Enabled or Disabled
	Destination       Object
	DestinationBucket String // destination.bucket (an ARN)
}

// ObjectLock is spec.objectLockEnabledForBucket and the default retention
// of spec.objectLockConfiguration.rule.defaultRetention.
type ObjectLock struct {
	Enabled Bool
	// Configuration, Rule and DefaultRetention are the nested objects, for
	// their errors.
	Configuration, Rule, DefaultRetention Object
	Mode                                  String
	Days, Years                           Int
}

// Notification is spec.notification and its three target lists.
type Notification struct {
	Object
	Lambda, Queue, Topic Objects
}

// Lists returns the three target lists.
func (n Notification) Lists() []Objects { return []Objects{n.Lambda, n.Queue, n.Topic} }

// BucketConfig is the view of a Bucket's configuration fields.
type BucketConfig struct {
	Spec            Object
	Name            String // spec.name
	Encryption      Object
	EncryptionRules Objects
	Encryptions     []EncryptionRule
	Versioning      Object
	VersionStatus   String // spec.versioning.status
	Lifecycle       Object
	LifecycleRules  Objects
	Lifecycles      []LifecycleRule
	Logging         Object
	LoggingEnabled  Object
	LoggingTarget   String // spec.logging.loggingEnabled.targetBucket
	ObjectLock      ObjectLock
	Notification    Notification
	Replication     Object
	ReplRules       Objects
	Replications    []ReplicationRule

	paths pathArena // the fields' paths while the view is built
}

// lifecycleFilterCriteria are the filter fields besides prefix that
// narrow a lifecycle rule, as ACK names them.
var lifecycleFilterCriteria = []string{"tag", "objectSizeGreaterThan", "objectSizeLessThan"}

// NewBucketConfig decodes a Bucket's configuration fields.
func NewBucketConfig(obj map[string]any) *BucketConfig { return newBucketConfig(obj, true) }

// newBucketConfig is NewBucketConfig, with the paths taken from an arena
// or (arena false, for tests) each allocated on its own.
func newBucketConfig(obj map[string]any, arena bool) *BucketConfig {
	c := &BucketConfig{}
	if !arena {
		c.paths.seal()
	}
	spec := rootIn(obj, &c.paths).Object("spec")
	c.Spec, c.Name = spec, spec.String("name")

	c.Encryption = spec.Object("encryption")
	c.EncryptionRules = c.Encryption.Objects("rules")
	if n := len(c.EncryptionRules.Items); n > 0 {
		c.Encryptions = make([]EncryptionRule, 0, n)
	}
	for _, r := range c.EncryptionRules.Items {
		d := r.Object("applyServerSideEncryptionByDefault")
		c.Encryptions = append(c.Encryptions, EncryptionRule{Object: r, Default: d, SSEAlgorithm: d.String("sseAlgorithm"), KMSMasterKeyID: d.String("kmsMasterKeyID")})
	}

	c.Versioning = spec.Object("versioning")
	c.VersionStatus = c.Versioning.String("status")

	c.Lifecycle = spec.Object("lifecycle")
	c.LifecycleRules = c.Lifecycle.Objects("rules")
	if n := len(c.LifecycleRules.Items); n > 0 {
		c.Lifecycles = make([]LifecycleRule, 0, n)
	}
	for _, r := range c.LifecycleRules.Items {
		abort := r.Object("abortIncompleteMultipartUpload")
		lr := LifecycleRule{Object: r, ID: r.String("id"), Status: r.String("status"), Abort: abort, AbortDays: abort.Int("daysAfterInitiation")}
		lr.Filter = r.Object("filter")
		lr.FilterAnd = lr.Filter.Object("and")
		lr.Prefixes = []String{r.String("prefix"), lr.Filter.String("prefix"), lr.FilterAnd.String("prefix")}
		for _, k := range lifecycleFilterCriteria {
			if _, ok := lr.Filter.lookup(k); ok {
				lr.Narrowed = append(lr.Narrowed, "filter."+k)
			}
			if _, ok := lr.FilterAnd.lookup(k); ok {
				lr.Narrowed = append(lr.Narrowed, "filter.and."+k)
			}
		}
		if _, ok := lr.FilterAnd.lookup("tags"); ok {
			lr.Narrowed = append(lr.Narrowed, "filter.and.tags")
		}
		c.Lifecycles = append(c.Lifecycles, lr)
	}

	c.Logging = spec.Object("logging")
	c.LoggingEnabled = c.Logging.Object("loggingEnabled")
	c.LoggingTarget = c.LoggingEnabled.String("targetBucket")

	ol := ObjectLock{Enabled: spec.Bool("objectLockEnabledForBucket"), Configuration: spec.Object("objectLockConfiguration")}
	ol.Rule = ol.Configuration.Object("rule")
	ol.DefaultRetention = ol.Rule.Object("defaultRetention")
	ol.Mode = ol.DefaultRetention.String("mode")
	ol.Days = ol.DefaultRetention.Int("days")
	ol.Years = ol.DefaultRetention.Int("years")
	c.ObjectLock = ol

	n := spec.Object("notification")
	c.Notification = Notification{Object: n, Lambda: n.Objects("lambdaFunctionConfigurations"), Queue: n.Objects("queueConfigurations"), Topic: n.Objects("topicConfigurations")}

	c.Replication = spec.Object("replication")
	c.ReplRules = c.Replication.Objects("rules")
	if n := len(c.ReplRules.Items); n > 0 {
		c.Replications = make([]ReplicationRule, 0, n)
	}
	for _, r := range c.ReplRules.Items {
		d := r.Object("destination")
		c.Replications = append(c.Replications, ReplicationRule{Object: r, Status: r.String("status"), Destination: d, DestinationBucket: d.String("bucket")})
	}
	c.paths.seal()
	return c
}
