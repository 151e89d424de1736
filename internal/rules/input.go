package rules

import (
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/ackguard/ackguard/internal/policy"
	"github.com/ackguard/ackguard/internal/view"
)

// Input is one object under evaluation, with its views decoded lazily and
// shared by every rule.
type Input struct {
	// Object is the decoded object; rules must not modify it.
	Object map[string]any
	Meta   view.Meta
	Config Config

	specObj  view.Object
	specRead bool
	bucket   *view.Bucket
	// bucketPol is spec.policy, read and parsed once (readBucketPolicy).
	bucketPol     bucketPolicy
	bucketPolRead bool
	bucketCfg     *view.BucketConfig
	// directory is whether a Bucket is a directory bucket, read once for
	// the rules that skip them (isDirectoryBucket).
	directory, directoryRead bool
	// bucketRoom and cfgRoom are the Bucket views of the last
	// evaluations, cleared and read again (view.Bucket.Read,
	// view.BucketConfig.Read) rather than allocated anew: a Bucket's are
	// the views read most, and they outlive release, empty.
	bucketRoom *view.Bucket
	cfgRoom    *view.BucketConfig
	// roomsUsed is set before a room is read, so that release clears the
	// rooms even when the reading panicked (runCheck recovers) before it
	// returned the view.
	roomsUsed bool
	sg        *view.SecurityGroup
	// sgIn and sgOut are the group's rule lists with the public reach of
	// each range (ec2_exposure.go).
	sgIn, sgOut *sgExposure
	// docs are the documents parsed for this evaluation: a handful at
	// most, so a list searched in order (no map to allocate and hash).
	docs []parsedDoc
	iam  *iamState // IAM documents and their analysis (iam_common.go)
	// bucketDocs is a Bucket's policy as policyDocs returns it.
	bucketDocs []*iamDoc
}

type docKey struct {
	raw  string
	kind policy.Kind
	opts policy.Options // the options change the verdict (size limit, CanonicalUser)
}

type parsedDoc struct {
	key      docKey
	doc      *policy.Document
	problems []policy.Problem
}

// NewInput prepares an object for evaluation.
func NewInput(obj map[string]any, cfg Config) *Input {
	in := new(Input)
	in.prepare(obj, cfg)
	return in
}

// prepare sets up in, an Input fresh from new or release, for obj under
// cfg, keeping the room of its document list.
func (in *Input) prepare(obj map[string]any, cfg Config) {
	in.Object, in.Meta, in.Config = obj, view.ReadMeta(obj), cfg
}

// release drops every reference an evaluation left in in, so that a kept
// Input holds no object, view or document, and keeps only the room of its
// document list and its Bucket views, cleared. Findings never point
// into an Input: their paths, messages and subjects live in the views'
// path chunks, the documents and the strings they were built from, never
// in the memory of a view itself.
func (in *Input) release() {
	clear(in.docs)
	if in.roomsUsed {
		if in.bucketRoom != nil {
			in.bucketRoom.Clear()
		}
		if in.cfgRoom != nil {
			in.cfgRoom.Clear()
		}
	}
	*in = Input{docs: in.docs[:0], bucketRoom: in.bucketRoom, cfgRoom: in.cfgRoom}
}

// GroupKind is the object's group and kind.
func (in *Input) GroupKind() schema.GroupKind { return in.Meta.GVK.GroupKind() }

// Partition is the object's AWS partition (view.Meta.AWSPartition), the
// configured one when the object does not tell.
func (in *Input) Partition() string { return in.Meta.AWSPartition(in.Config.Partition) }

// Bucket returns the object's Bucket view.
func (in *Input) Bucket() *view.Bucket {
	if in.bucket == nil {
		if in.bucketRoom == nil {
			in.bucketRoom = new(view.Bucket)
		}
		in.roomsUsed = true
		in.bucket = in.bucketRoom.Read(in.Object, in.Meta)
	}
	return in.bucket
}

// BucketPublicAccessBlock is the Bucket view's PublicAccessBlock, read
// alone (a handful of lookups, nothing allocated) unless the whole view
// is already built: the rules that need only it do not build the rest.
func (in *Input) BucketPublicAccessBlock() view.PublicAccessBlock {
	if in.bucket != nil {
		return in.bucket.PublicAccessBlock
	}
	return view.BucketPublicAccessBlock(in.spec())
}

// BucketPolicy is the Bucket view's Policy, read alone unless the whole
// view is already built.
func (in *Input) BucketPolicy() view.String {
	if in.bucket != nil {
		return in.bucket.Policy
	}
	return view.BucketPolicy(in.spec())
}

// spec is the object's spec, read once for the parts of views read alone.
func (in *Input) spec() view.Object {
	if !in.specRead {
		in.specObj, in.specRead = view.Spec(in.Object), true
	}
	return in.specObj
}

// BucketConfig returns the object's Bucket configuration view (S3-008 …
// S3-015), read once per evaluation.
func (in *Input) BucketConfig() *view.BucketConfig {
	if in.bucketCfg == nil {
		if in.cfgRoom == nil {
			in.cfgRoom = new(view.BucketConfig)
		}
		in.roomsUsed = true
		in.bucketCfg = in.cfgRoom.Read(in.Object)
	}
	return in.bucketCfg
}

// SecurityGroup returns the object's SecurityGroup view, read once per
// evaluation whichever EC2 rules ask for it.
func (in *Input) SecurityGroup() *view.SecurityGroup {
	if in.sg == nil {
		in.sg = view.NewSecurityGroup(in.Object)
	}
	return in.sg
}

// ingressExposure returns the group's ingress rules with the public reach
// of each range, computed once per evaluation.
func (in *Input) ingressExposure() *sgExposure {
	if in.sgIn == nil {
		in.sgIn = newSGExposure(in.SecurityGroup().Ingress)
	}
	return in.sgIn
}

// egressExposure is ingressExposure for the egress rules.
func (in *Input) egressExposure() *sgExposure {
	if in.sgOut == nil {
		in.sgOut = newSGExposure(in.SecurityGroup().Egress)
	}
	return in.sgOut
}

// Document parses a policy document once per evaluation, whichever rules
// ask for it, and once across evaluations when the configuration carries a
// document cache.
func (in *Input) Document(raw string, kind policy.Kind, opts policy.Options) (*policy.Document, []policy.Problem) {
	k := docKey{raw, kind, opts}
	for i := range in.docs {
		if in.docs[i].key == k {
			return in.docs[i].doc, in.docs[i].problems
		}
	}
	doc, problems := in.Config.Documents.Parse(raw, kind, opts)
	in.docs = append(in.docs, parsedDoc{k, doc, problems})
	return doc, problems
}
