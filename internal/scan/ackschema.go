package scan

import (
	"encoding/json"
	"fmt"
	"sync"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/ackguard/ackguard/internal/ackcrds"
	"github.com/ackguard/ackguard/internal/view"
)

// The API server checks an ACK object's metadata, and the object against
// its CRD's schema, before any admission webhook sees it: a manifest with
// fromPort: "22" or publiclyAccessible: "true" is refused as invalid and
// never judged. A scan judging it would give a verdict (a denial, or a
// pass) the cluster never gives, so it checks the object first, with the
// validators it uses for ackguard's own kinds (schemaProblems), against
// the schemas of internal/ackcrds: they type every field the rules read
// as ACK's CRDs type it, and require what ACK's CRDs require among them
// (TestMinimalAgreesWithACK). A field no rule reads is not checked.

// ackSchemas are the schemas of the served versions of the guarded ACK
// kinds, by group and kind, read once.
var ackSchemas = sync.OnceValues(func() (map[schema.GroupKind]*apiextensionsv1.JSONSchemaProps, error) {
	crds, err := ackcrds.Minimal()
	if err != nil {
		return nil, err
	}
	return schemasOf(crds, func(v apiextensionsv1.CustomResourceDefinitionVersion) bool { return v.Served },
		func(c *apiextensionsv1.CustomResourceDefinition) schema.GroupKind {
			return schema.GroupKind{Group: c.Spec.Group, Kind: c.Spec.Names.Kind}
		}), nil
})

// ackSchema returns the schema of a guarded ACK kind, nil when there is
// none.
func ackSchema(gk schema.GroupKind) (*apiextensionsv1.JSONSchemaProps, error) {
	schemas, err := ackSchemas()
	return schemas[gk], err
}

// refused returns why the API server would refuse to create obj, a
// guarded resource, before admission: metadata that does not decode or
// is invalid (a label that is not a string, a name that is not a DNS
// subdomain), a field the rules read with the wrong type or value, or a
// required one missing. The status is not checked: the API server drops
// it on creation.
func (s *scanner) refused(obj map[string]any, meta view.Meta) []string {
	out := metadataProblems(obj, s.namespaced(meta.GVK.GroupKind()))
	sch, err := ackSchema(meta.GVK.GroupKind())
	if err != nil {
		return append(out, fmt.Sprintf("internal error: cannot read the CRD schema: %v; report this to the ackguard maintainers", err))
	}
	if sch != nil {
		for _, p := range schemaProblems(sch, view.WithoutStatus(obj)) {
			out = append(out, p.String())
		}
	}
	return out
}

// metadataProblems decodes and validates metadata as the API server does
// for a custom resource it creates (a generateName is a name once
// generated).
func metadataProblems(obj map[string]any, namespaced bool) []string {
	var om metav1.ObjectMeta
	if md, ok := obj["metadata"]; ok && md != nil {
		b, err := json.Marshal(md)
		if err == nil {
			err = json.Unmarshal(b, &om)
		}
		if err != nil {
			return []string{"metadata: cannot decode: " + err.Error()}
		}
	}
	if om.Name == "" && om.GenerateName != "" {
		om.Name = om.GenerateName + "x"
	}
	var out []string
	for _, e := range apivalidation.ValidateObjectMeta(&om, namespaced, apivalidation.NameIsDNSSubdomain, field.NewPath("metadata")) {
		out = append(out, e.Error())
	}
	return out
}
