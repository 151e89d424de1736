package view

import (
	"slices"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// BucketGVK is the ACK S3 Bucket kind.
var BucketGVK = schema.GroupVersionKind{Group: "s3.services.k8s.aws", Version: "v1alpha1", Kind: "Bucket"}

// Bucket is the view of an s3.services.k8s.aws/v1alpha1 Bucket that the
// rules read. Field names follow the ACK CRD.
type Bucket struct {
	Meta
	// Spec is the raw spec, for fields no rule reads typed yet.
	Spec Object

	Name              String // spec.name (the AWS bucket name)
	Policy            String // spec.policy, a JSON string
	PublicAccessBlock PublicAccessBlock
	ACL               String // spec.acl, canned ACL (ACK may write a "|"-joined list)
	Grants            []String
	OwnershipRules    []OwnershipRule // spec.ownershipControls.rules
	OwnershipControls Object          // spec.ownershipControls
	ObjectOwnership   String          // spec.objectOwnership (create-time only)
	// Errors lists fields of the wrong shape that are not carried by one of
	// the typed fields above (for example a rules element that is not an
	// object).
	Errors []*FieldError

	paths pathArena // the fields' paths while the view is built
}

// PublicAccessBlock is spec.publicAccessBlock.
type PublicAccessBlock struct {
	Object
	BlockPublicACLs       Bool
	IgnorePublicACLs      Bool
	BlockPublicPolicy     Bool
	RestrictPublicBuckets Bool
}

// Flags returns the four flags in the order S3 documents them.
func (p PublicAccessBlock) Flags() []Bool {
	return []Bool{p.BlockPublicACLs, p.IgnorePublicACLs, p.BlockPublicPolicy, p.RestrictPublicBuckets}
}

// OwnershipRule is one element of spec.ownershipControls.rules.
type OwnershipRule struct {
	ObjectOwnership String
}

// GrantFields are the spec fields holding S3 grant headers, in CRD order.
var GrantFields = []string{"grantFullControl", "grantRead", "grantReadACP", "grantWrite", "grantWriteACP"}

// NewBucket decodes a Bucket view from an unstructured object.
func NewBucket(obj map[string]any) *Bucket { return BucketWithMeta(obj, ReadMeta(obj)) }

// BucketWithMeta is NewBucket for a caller that has already read the
// object's metadata (the rule engine's Input), so it is read once.
func BucketWithMeta(obj map[string]any, meta Meta) *Bucket {
	return bucketWithMeta(new(Bucket), obj, meta, true)
}

// Read decodes obj into b, as BucketWithMeta does, reusing the room of
// the lists of b's last reading. It starts over whatever b holds (a
// reading, or part of one that panicked). As with BucketConfig.Read, no
// path read from the view lies in b's own memory, so paths handed out
// before stay valid.
func (b *Bucket) Read(obj map[string]any, meta Meta) *Bucket {
	*b = Bucket{Grants: b.Grants[:0], OwnershipRules: b.OwnershipRules[:0], Errors: b.Errors[:0]}
	return bucketWithMeta(b, obj, meta, true)
}

// Clear drops every reference b holds, keeping the room of its lists for
// the next Read.
func (b *Bucket) Clear() {
	*b = Bucket{Grants: emptied(b.Grants), OwnershipRules: emptied(b.OwnershipRules), Errors: emptied(b.Errors)}
}

// bucketWithMeta is BucketWithMeta into b (new or cleared), with the
// paths taken from an arena or (arena false, for tests) each allocated on
// its own.
func bucketWithMeta(b *Bucket, obj map[string]any, meta Meta, arena bool) *Bucket {
	b.Meta = meta
	if !arena {
		b.paths.seal()
	}
	spec := rootIn(obj, &b.paths).Object("spec")
	b.Spec = spec
	if spec.Err != nil {
		b.Errors = append(b.Errors, spec.Err)
	}
	b.Name = BucketSpecName(spec)
	b.Policy = BucketPolicy(spec)
	b.PublicAccessBlock = BucketPublicAccessBlock(spec)
	b.ACL = spec.String("acl")
	b.Grants = slices.Grow(b.Grants, len(GrantFields))
	for _, g := range GrantFields {
		b.Grants = append(b.Grants, spec.String(g))
	}
	b.OwnershipControls = spec.Object("ownershipControls")
	rules, err := b.OwnershipControls.List("rules")
	if err != nil {
		b.Errors = append(b.Errors, err)
	}
	b.OwnershipRules = slices.Grow(b.OwnershipRules, len(rules))
	for _, r := range rules {
		if r.Err != nil {
			b.Errors = append(b.Errors, r.Err)
			continue
		}
		b.OwnershipRules = append(b.OwnershipRules, OwnershipRule{ObjectOwnership: r.String("objectOwnership")})
	}
	b.ObjectOwnership = spec.String("objectOwnership")
	b.paths.seal()
	return b
}

// BucketPublicAccessBlock reads a Bucket's spec.publicAccessBlock from its
// spec (Spec): NewBucket reads it so, and a caller that needs nothing else
// of the view reads it alone.
func BucketPublicAccessBlock(spec Object) PublicAccessBlock {
	pab := spec.Object("publicAccessBlock")
	return PublicAccessBlock{
		Object:                pab,
		BlockPublicACLs:       pab.Bool("blockPublicACLs"),
		IgnorePublicACLs:      pab.Bool("ignorePublicACLs"),
		BlockPublicPolicy:     pab.Bool("blockPublicPolicy"),
		RestrictPublicBuckets: pab.Bool("restrictPublicBuckets"),
	}
}

// FullPublicAccessBlock returns a new spec.publicAccessBlock value with
// its four flags true, for a fix to write whole.
func FullPublicAccessBlock() map[string]any {
	return map[string]any{
		"blockPublicACLs": true, "ignorePublicACLs": true, "blockPublicPolicy": true, "restrictPublicBuckets": true,
	}
}

// OwnershipControlsValue returns a new spec.ownershipControls value of a
// single rule with that objectOwnership, for a fix to write whole.
func OwnershipControlsValue(objectOwnership string) map[string]any {
	return map[string]any{"rules": []any{map[string]any{"objectOwnership": objectOwnership}}}
}

// BucketPolicy reads a Bucket's spec.policy from its spec, as
// BucketPublicAccessBlock reads spec.publicAccessBlock.
func BucketPolicy(spec Object) String { return spec.String("policy") }

// BucketSpecName reads a Bucket's spec.name (the AWS bucket name) from
// its spec, as Bucket.Name and BucketConfig.Name hold it.
func BucketSpecName(spec Object) String { return spec.String("name") }

// BucketName returns the AWS bucket name: spec.name, or the object name
// when spec.name is missing (ACK requires spec.name; scan may see drafts).
func (b *Bucket) BucketName() string {
	if b.Name.Present && b.Name.Err == nil && b.Name.Value != "" {
		return b.Name.Value
	}
	return b.Meta.Name
}
