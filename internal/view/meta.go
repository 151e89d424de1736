package view

import (
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
)

// Meta is what every ACK object has: identity, annotations and the status
// metadata ACK records after it created or adopted the AWS resource.
type Meta struct {
	GVK         schema.GroupVersionKind
	Namespace   string
	Name        string
	Annotations map[string]string
	// ARN and Partition from status.ackResourceMetadata; empty until ACK
	// has synced the resource.
	ARN       string
	Partition string
}

// ReadMeta extracts Meta from a decoded object. Malformed metadata is
// ignored: the API server validates metadata before any webhook sees it.
func ReadMeta(obj map[string]any) Meta {
	root := Root(obj)
	m := Meta{}
	if av := root.String("apiVersion"); av.Err == nil {
		if gv, err := schema.ParseGroupVersion(av.Value); err == nil {
			m.GVK = gv.WithKind(root.String("kind").Value)
		}
	}
	md := root.Object("metadata")
	m.Name = md.String("name").Value
	if m.Name == "" {
		m.Name = md.String("generateName").Value
	}
	m.Namespace = md.String("namespace").Value
	if ann := md.Object("annotations"); ann.Err == nil && ann.Fields != nil {
		m.Annotations = make(map[string]string, len(ann.Fields))
		for k, v := range ann.Fields {
			if s, ok := v.(string); ok {
				m.Annotations[k] = s
			}
		}
	}
	arm := root.Object("status").Object("ackResourceMetadata")
	m.ARN = arm.String("arn").Value
	m.Partition = arm.String("partition").Value
	return m
}

// ReadOnly reports whether ACK treats the object as read-only.
func (m Meta) ReadOnly() bool {
	return strings.EqualFold(strings.TrimSpace(m.Annotations[AnnotationReadOnly]), "true")
}

// AWSPartition returns the AWS partition of the object: from its status
// when ACK recorded one, else derived from its region annotation, else
// "aws".
func (m Meta) AWSPartition() string {
	if m.Partition != "" {
		return m.Partition
	}
	if parts := strings.SplitN(m.ARN, ":", 3); len(parts) == 3 && parts[0] == "arn" && parts[1] != "" {
		return parts[1]
	}
	region := m.Annotations[AnnotationRegion]
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
	default:
		return "aws"
	}
}

// Identity is what selects an object for policies and exceptions: its
// kind, namespace, name and labels.
type Identity struct {
	GroupKind schema.GroupKind
	Namespace string
	// Name is metadata.name only: an object created with generateName has
	// none yet, and no exception names it.
	Name   string
	Labels map[string]string
}

// ReadIdentity extracts an object's Identity. Labels that are not strings
// are left out; a malformed apiVersion leaves the group empty.
func ReadIdentity(obj map[string]any) Identity {
	root := Root(obj)
	id := Identity{}
	if av := root.String("apiVersion"); av.Err == nil && av.Value != "" {
		if gv, err := schema.ParseGroupVersion(av.Value); err == nil {
			id.GroupKind.Group = gv.Group
		}
	}
	id.GroupKind.Kind = root.String("kind").Value
	md := root.Object("metadata")
	id.Namespace = md.String("namespace").Value
	id.Name = md.String("name").Value
	if l := md.Object("labels"); l.Err == nil && l.Fields != nil {
		id.Labels = make(map[string]string, len(l.Fields))
		for k, v := range l.Fields {
			if s, ok := v.(string); ok {
				id.Labels[k] = s
			}
		}
	}
	return id
}
