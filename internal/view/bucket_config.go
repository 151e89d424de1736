package view

import "slices"

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
	Prefixes [3]String
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

// VersioningValue returns a new spec.versioning value with that status,
// for a fix to write whole.
func VersioningValue(status string) map[string]any { return map[string]any{"status": status} }

// lifecycleFilterCriteria are the filter fields besides prefix that
// narrow a lifecycle rule, as ACK names them, with the names
// LifecycleRule.Narrowed gives them in filter and in filter.and.
var lifecycleFilterCriteria = []struct{ key, inFilter, inAnd string }{
	{"tag", "filter.tag", "filter.and.tag"},
	{"objectSizeGreaterThan", "filter.objectSizeGreaterThan", "filter.and.objectSizeGreaterThan"},
	{"objectSizeLessThan", "filter.objectSizeLessThan", "filter.and.objectSizeLessThan"},
}

// NewBucketConfig decodes a Bucket's configuration fields.
func NewBucketConfig(obj map[string]any) *BucketConfig {
	return newBucketConfig(new(BucketConfig), obj, true)
}

// Read decodes obj's configuration fields into c, as NewBucketConfig
// does, reusing the room of the lists of c's last reading. It starts over
// whatever c holds (a reading, or part of one that panicked). Paths read
// from the view stay valid after c is cleared and read again: none of
// them lies in c's own memory. It is for a caller that builds the view
// once per evaluation and keeps nothing of c itself after the evaluation
// (rules.Input).
func (c *BucketConfig) Read(obj map[string]any) *BucketConfig {
	*c = BucketConfig{Encryptions: c.Encryptions[:0], Lifecycles: c.Lifecycles[:0], Replications: c.Replications[:0]}
	return newBucketConfig(c, obj, true)
}

// Clear drops every reference c holds (objects, views, paths), so that a
// kept BucketConfig keeps no object alive, and keeps the room of its
// lists for the next Read.
func (c *BucketConfig) Clear() {
	*c = BucketConfig{Encryptions: emptied(c.Encryptions), Lifecycles: emptied(c.Lifecycles), Replications: emptied(c.Replications)}
}

// emptied zeroes s's elements, to its capacity (a reading started over
// may have left some past its length), and returns it with length 0 and
// its room.
func emptied[T any](s []T) []T {
	clear(s[:cap(s)])
	return s[:0]
}

// newBucketConfig is NewBucketConfig into c (new or cleared), with the
// paths taken from an arena or (arena false, for tests) each allocated on
// its own.
func newBucketConfig(c *BucketConfig, obj map[string]any, arena bool) *BucketConfig {
	if !arena {
		c.paths.seal()
	}
	spec := rootIn(obj, &c.paths).Object("spec")
	c.Spec, c.Name = spec, BucketSpecName(spec)

	c.Encryption = spec.Object("encryption")
	c.EncryptionRules = c.Encryption.Objects("rules")
	c.Encryptions = slices.Grow(c.Encryptions, len(c.EncryptionRules.Items))
	for _, r := range c.EncryptionRules.Items {
		d := r.Object("applyServerSideEncryptionByDefault")
		c.Encryptions = append(c.Encryptions, EncryptionRule{Object: r, Default: d, SSEAlgorithm: d.String("sseAlgorithm"), KMSMasterKeyID: d.String("kmsMasterKeyID")})
	}

	c.Versioning = spec.Object("versioning")
	c.VersionStatus = c.Versioning.String("status")

	c.Lifecycle = spec.Object("lifecycle")
	c.LifecycleRules = c.Lifecycle.Objects("rules")
	c.Lifecycles = slices.Grow(c.Lifecycles, len(c.LifecycleRules.Items))
	for _, r := range c.LifecycleRules.Items {
		abort := r.Object("abortIncompleteMultipartUpload")
		lr := LifecycleRule{Object: r, ID: r.String("id"), Status: r.String("status"), Abort: abort, AbortDays: abort.Int("daysAfterInitiation")}
		lr.Filter = r.Object("filter")
		lr.FilterAnd = lr.Filter.Object("and")
		lr.Prefixes = [3]String{r.String("prefix"), lr.Filter.String("prefix"), lr.FilterAnd.String("prefix")}
		for _, k := range lifecycleFilterCriteria {
			if _, ok := lr.Filter.lookup(k.key); ok {
				lr.Narrowed = append(lr.Narrowed, k.inFilter)
			}
			if _, ok := lr.FilterAnd.lookup(k.key); ok {
				lr.Narrowed = append(lr.Narrowed, k.inAnd)
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
	c.Replications = slices.Grow(c.Replications, len(c.ReplRules.Items))
	for _, r := range c.ReplRules.Items {
		d := r.Object("destination")
		c.Replications = append(c.Replications, ReplicationRule{Object: r, Status: r.String("status"), Destination: d, DestinationBucket: d.String("bucket")})
	}
	c.paths.seal()
	return c
}
