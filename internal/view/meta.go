package view

import (
	"maps"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// ACK annotations the engine and its adapters read.
const (
	// AnnotationReadOnly marks an ACK object that ACK only reads from AWS.
	AnnotationReadOnly = "services.k8s.aws/read-only"
	// AnnotationRegion is the AWS region of an ACK object.
	AnnotationRegion = "services.k8s.aws/region"
	// AnnotationAdoptionPolicy asks ACK to adopt an existing resource
	// ("adopt") or to adopt it or create it ("adopt-or-create").
	AnnotationAdoptionPolicy = "services.k8s.aws/adoption-policy"
	// AnnotationAdopted is set by ACK once it adopted an existing resource.
	AnnotationAdopted = "services.k8s.aws/adopted"
	// AnnotationOwnerAccountID, on a Namespace, names the AWS account ACK
	// creates the namespace's resources in.
	AnnotationOwnerAccountID = "services.k8s.aws/owner-account-id"
	// AnnotationDefaultRegion, on a Namespace, names the region ACK
	// creates the namespace's resources in when they name none.
	AnnotationDefaultRegion = "services.k8s.aws/default-region"
)

// NamespaceDefaultRegion returns the region a Namespace's annotations
// give its ACK resources that name none ("" when they give none).
func NamespaceDefaultRegion(annotations map[string]string) string {
	return annotations[AnnotationDefaultRegion]
}

// NamespaceOwnerAccount returns the account a Namespace's annotations
// assign its ACK resources to ("" when they name none). The value is
// returned as written: whether it is an account ID is the caller's to
// judge.
func NamespaceOwnerAccount(annotations map[string]string) string {
	return annotations[AnnotationOwnerAccountID]
}

// Meta is what every ACK object has: identity, annotations and the status
// metadata ACK records after it created or adopted the AWS resource.
type Meta struct {
	GVK         schema.GroupVersionKind
	Namespace   string
	Name        string
	Labels      Strings
	Annotations Strings
	// ARN, Partition and Region from status.ackResourceMetadata; empty
	// until ACK has synced the resource.
	ARN       string
	Partition string
	Region    string
	// OwnerAccountID is the account ACK created or adopted the resource
	// in (status.ackResourceMetadata.ownerAccountID); empty until synced.
	OwnerAccountID string
	// ACKFinalizer is true when ACK's finalizer for the kind
	// (finalizers.<group>/<Kind>) is on the object: ACK manages it.
	ACKFinalizer bool
}

// ReadMeta extracts Meta from a decoded object. Malformed metadata is
// ignored: the API server validates metadata before any webhook sees it.
func ReadMeta(obj map[string]any) Meta {
	// Read straight from the maps, as Root(obj).String(…).Value would
	// read them, without building the paths no one reports.
	m := Meta{}
	if av, isString := obj["apiVersion"].(string); isString || obj["apiVersion"] == nil {
		if gv, err := schema.ParseGroupVersion(av); err == nil {
			m.GVK = gv.WithKind(stringOf(obj, "kind"))
		}
	}
	md := objectOf(obj, "metadata")
	m.Name = stringOf(md, "name")
	if m.Name == "" {
		m.Name = stringOf(md, "generateName")
	}
	m.Namespace = stringOf(md, "namespace")
	m.Labels = objectOf(md, "labels")
	m.Annotations = objectOf(md, "annotations")
	m.ARN, m.Partition, m.Region, m.OwnerAccountID = ackSync(obj)
	m.ACKFinalizer = hasACKFinalizer(md, m.GVK.Group)
	return m
}

// ackSync reads what ACK records of the resource it synced
// (status.ackResourceMetadata): its ARN, partition, region and owner
// account.
func ackSync(obj map[string]any) (arn, partition, region, owner string) {
	arm := objectOf(objectOf(obj, "status"), "ackResourceMetadata")
	return stringOf(arm, "arn"), stringOf(arm, "partition"), stringOf(arm, "region"), stringOf(arm, "ownerAccountID")
}

// hasACKFinalizer reports whether metadata md holds ACK's finalizer for a
// kind of group (finalizers.<group>/<Kind>).
func hasACKFinalizer(md map[string]any, group string) bool {
	fs, ok := md["finalizers"].([]any)
	if !ok || group == "" {
		return false
	}
	want := "finalizers." + group + "/"
	for _, f := range fs {
		if s, ok := f.(string); ok && strings.HasPrefix(s, want) {
			return true
		}
	}
	return false
}

// ACKRecord returns, read in place, what Meta reads of ACK's record of
// the object: the ARN, partition, region and owner account it synced, and
// whether ACK's finalizer is on it.
func ACKRecord(obj map[string]any) (arn, partition, region, owner string, finalizer bool) {
	arn, partition, region, owner = ackSync(obj)
	return arn, partition, region, owner, hasACKFinalizer(objectOf(obj, "metadata"), groupOf(obj))
}

// groupOf returns the API group of obj's apiVersion ("" for the core
// group or a malformed apiVersion).
func groupOf(obj map[string]any) string {
	if av := stringOf(obj, "apiVersion"); av != "" {
		if gv, err := schema.ParseGroupVersion(av); err == nil {
			return gv.Group
		}
	}
	return ""
}

// OwnerAccountID is status.ackResourceMetadata.ownerAccountID alone: the
// account ACK created or adopted the resource in ("" until synced).
func OwnerAccountID(obj map[string]any) string {
	return stringOf(objectOf(objectOf(obj, "status"), "ackResourceMetadata"), "ownerAccountID")
}

// RawSpec returns obj's spec as decoded, whatever its type (nil when it
// has none). It is obj's own, not a copy.
func RawSpec(obj map[string]any) any { return obj["spec"] }

// LabelsAndAnnotations returns, in place, the objects ReadMeta reads
// metadata.labels and metadata.annotations from (nil when absent or not
// objects): ReadMeta keeps their string values only. They are obj's own,
// not copies.
func LabelsAndAnnotations(obj map[string]any) (labels, annotations map[string]any) {
	md := objectOf(obj, "metadata")
	return objectOf(md, "labels"), objectOf(md, "annotations")
}

// stringOf is Object{Fields: m}.String(key).Value: the string at key, or
// "" when it is absent or not a string.
func stringOf(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

// objectOf is Object{Fields: m}.Object(key).Fields: the object at key, or
// nil when it is absent or not an object.
func objectOf(m map[string]any, key string) map[string]any {
	o, _ := m[key].(map[string]any)
	return o
}

// Strings is an object field of string values (labels, annotations),
// read in place: a value that is not a string is absent. It is a
// k8s.io/apimachinery/pkg/labels.Labels, so a label selector matches it
// without a copy.
type Strings map[string]any

// Lookup returns the string at key and whether there is one.
func (s Strings) Lookup(key string) (string, bool) {
	v, ok := s[key].(string)
	return v, ok
}

// Get returns the string at key, "" when there is none.
func (s Strings) Get(key string) string { return stringOf(s, key) }

// Has reports whether there is a string at key.
func (s Strings) Has(key string) bool {
	_, ok := s[key].(string)
	return ok
}

// AdoptsOnly reports whether the object asks ACK to adopt an existing AWS
// resource without creating one (adoption-policy "adopt"): its spec is a
// placeholder that ACK overwrites with the live state.
func (m Meta) AdoptsOnly() bool { return adoptsOnly(m.Annotations.Get(AnnotationAdoptionPolicy)) }

// AdoptsOnly is Meta.AdoptsOnly of a decoded object, reading the
// annotation in place rather than building the Meta.
func AdoptsOnly(obj map[string]any) bool { return adoptsOnly(AdoptionPolicy(obj)) }

// AdoptionPolicy returns the adoption-policy annotation of a decoded
// object, read in place ("" when it has none).
func AdoptionPolicy(obj map[string]any) string {
	return stringOf(objectOf(objectOf(obj, "metadata"), "annotations"), AnnotationAdoptionPolicy)
}

func adoptsOnly(policy string) bool { return strings.TrimSpace(policy) == "adopt" }

// AwaitsAdoption reports whether the object is such a placeholder that
// ACK has not adopted yet: no services.k8s.aws/adopted "true", and
// nothing that shows ACK manages it (status.ackResourceMetadata, ACK's
// finalizer). Its spec is not the resource's until ACK fills it. (An
// adopt annotation added to an object ACK already manages changes
// nothing: ACK does not adopt what it manages.)
func (m Meta) AwaitsAdoption() bool {
	return m.AdoptsOnly() && !strings.EqualFold(strings.TrimSpace(m.Annotations.Get(AnnotationAdopted)), "true") &&
		m.ARN == "" && m.OwnerAccountID == "" && !m.ACKFinalizer
}

// WithLabelsOf returns a shallow copy of obj whose metadata.labels are
// those of from (absent when from has none); obj is not modified.
func WithLabelsOf(obj, from map[string]any) map[string]any {
	out := make(map[string]any, len(obj))
	for k, v := range obj {
		out[k] = v
	}
	md := map[string]any{}
	if old, ok := obj["metadata"].(map[string]any); ok {
		for k, v := range old {
			md[k] = v
		}
	}
	delete(md, "labels")
	if newMD, ok := from["metadata"].(map[string]any); ok {
		if l, ok := newMD["labels"]; ok {
			md["labels"] = l
		}
	}
	out["metadata"] = md
	return out
}

// WithoutStatus returns obj without its status: a shallow copy when it
// has one (obj is not modified), obj itself when it has none.
func WithoutStatus(obj map[string]any) map[string]any {
	if _, ok := obj["status"]; !ok {
		return obj
	}
	out := maps.Clone(obj)
	delete(out, "status")
	return out
}

// WithStatusOf returns obj with the status of old, or with none when old
// has none: a shallow copy that shares old's status (obj is not
// modified), obj itself when neither has a status.
func WithStatusOf(obj, old map[string]any) map[string]any {
	st, ok := old["status"]
	if !ok {
		return WithoutStatus(obj)
	}
	out := maps.Clone(obj)
	out["status"] = st
	return out
}

// ReadOnly reports whether ACK treats the object as read-only.
func (m Meta) ReadOnly() bool { return readOnly(m.Annotations.Get(AnnotationReadOnly)) }

// ReadOnly reports, reading obj in place, whether ACK treats it as
// read-only: Meta.ReadOnly without building the Meta.
func ReadOnly(obj map[string]any) bool {
	return readOnly(stringOf(objectOf(objectOf(obj, "metadata"), "annotations"), AnnotationReadOnly))
}

// readOnly reads the annotation's value as ACK's runtime does (IsReadOnly:
// the value lowercased equals "true", nothing trimmed). A value ACK does
// not take for read-only (" true") leaves the object managed, its spec
// pushed to AWS: reading it as read-only would exempt it from every fix.
func readOnly(v string) bool { return strings.EqualFold(v, "true") }

// AWSRegion returns the object's AWS region: the one ACK recorded, else
// its region annotation ("" when neither names one).
func (m Meta) AWSRegion() string {
	if m.Region != "" {
		return m.Region
	}
	return m.Annotations.Get(AnnotationRegion)
}

// AWSPartition returns the AWS partition of the object: from its status
// when ACK recorded one, else from its region (the one ACK recorded, else
// the region annotation) when that names a partition, else from the ARN
// ACK recorded, else fallback (the partition of the region ACK creates the
// object in when it names none: its namespace's default region's, else
// the configured one), else "aws". The region comes before
// the ARN: ACK writes every Bucket's ARN as arn:aws:s3:::<name>, whatever
// the partition (s3-controller's bucketARN), and leaves the partition out
// of the status.
func (m Meta) AWSPartition(fallback string) string {
	if m.Partition != "" {
		return m.Partition
	}
	if p := RegionPartition(m.AWSRegion()); p != "" {
		return p
	}
	// arn:<partition>:… (strings.SplitN(m.ARN, ":", 3) with three parts).
	if head, rest, ok := strings.Cut(m.ARN, ":"); ok && head == "arn" {
		if partition, _, ok := strings.Cut(rest, ":"); ok && partition != "" {
			return partition
		}
	}
	if fallback != "" {
		return fallback
	}
	return "aws"
}

// RegionPartition returns the partition of a region ("" for a value that
// is no region of a known partition), by the region prefixes of the AWS
// SDKs' partition table.
func RegionPartition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "us-iso-"):
		return "aws-iso"
	case strings.HasPrefix(region, "us-isob-"):
		return "aws-iso-b"
	case strings.HasPrefix(region, "eu-isoe-"):
		return "aws-iso-e"
	case strings.HasPrefix(region, "us-isof-"):
		return "aws-iso-f"
	case strings.HasPrefix(region, "eusc-"):
		return "aws-eusc"
	}
	// The aws partition's regions: ^(us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+$.
	for _, p := range []string{"us-", "eu-", "ap-", "sa-", "ca-", "me-", "af-", "il-", "mx-"} {
		if strings.HasPrefix(region, p) {
			return "aws"
		}
	}
	return ""
}

// Identity is what selects an object for policies and exceptions: its
// kind, namespace, name and labels.
type Identity struct {
	GroupKind schema.GroupKind
	Namespace string
	// Name is metadata.name only: an object created with generateName has
	// none yet, and no exception names it.
	Name   string
	Labels Strings
}

// ReadIdentity extracts an object's Identity. Labels that are not strings
// are left out; a malformed apiVersion leaves the group empty.
func ReadIdentity(obj map[string]any) Identity {
	id := Identity{}
	id.GroupKind.Group = groupOf(obj)
	id.GroupKind.Kind = stringOf(obj, "kind")
	md := objectOf(obj, "metadata")
	id.Namespace = stringOf(md, "namespace")
	id.Name = stringOf(md, "name")
	id.Labels = objectOf(md, "labels")
	return id
}
