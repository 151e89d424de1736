package scan

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	"k8s.io/apimachinery/pkg/util/validation/field"
	openapierrors "k8s.io/kube-openapi/pkg/validation/errors"
	"k8s.io/kube-openapi/pkg/validation/strfmt"
	"k8s.io/kube-openapi/pkg/validation/validate"

	"github.com/ackguard/ackguard/config/crd"
)

// The API server checks a GuardrailPolicy or GuardrailException against the
// OpenAPI schema of its CRD before anything else; a scan has no API server,
// so it checks the same schema, read from the CRDs ackguard installs
// (config/crd), with the validators the API server uses: the OpenAPI
// schema validator of k8s.io/kube-openapi on the structural schema, and
// the list-type checks of k8s.io/apiextensions-apiserver (unique items of
// sets, unique keys of maps), worded as the API server words them. Without
// this check a value the cluster refuses, such as the action "enforce",
// would reach the governance engine, which treats an action it does not
// know as no action at all.
//
// (The API server's own entry point, apiserver/validation, would bring in
// k8s.io/apiserver and CEL; the scan evaluates the few CEL rules of the
// CRDs natively instead, see celRules.)

// fieldProblem is one schema violation at a field path.
type fieldProblem struct {
	path string // "spec.rules[0].action"; "" for the object itself
	msg  string
}

func (p fieldProblem) String() string {
	if p.path == "" {
		return p.msg
	}
	return p.path + ": " + p.msg
}

// schemasOf indexes the schemas of the versions of crds that keep
// accepts by key.
func schemasOf[K comparable](crds []*apiextensionsv1.CustomResourceDefinition, keep func(apiextensionsv1.CustomResourceDefinitionVersion) bool, key func(*apiextensionsv1.CustomResourceDefinition) K) map[K]*apiextensionsv1.JSONSchemaProps {
	out := map[K]*apiextensionsv1.JSONSchemaProps{}
	for _, c := range crds {
		for _, v := range c.Spec.Versions {
			if keep(v) && v.Schema != nil && v.Schema.OpenAPIV3Schema != nil {
				out[key(c)] = v.Schema.OpenAPIV3Schema
			}
		}
	}
	return out
}

// ownSchemas are the v1alpha1 schemas of ackguard's own kinds, by kind,
// read once.
var ownSchemas = sync.OnceValues(func() (map[string]*apiextensionsv1.JSONSchemaProps, error) {
	crds, err := crd.Own()
	if err != nil {
		return nil, err
	}
	return schemasOf(crds, func(v apiextensionsv1.CustomResourceDefinitionVersion) bool { return v.Name == governanceVersion },
		func(c *apiextensionsv1.CustomResourceDefinition) string { return c.Spec.Names.Kind }), nil
})

// crdSchema returns the v1alpha1 schema of one of ackguard's own kinds.
func crdSchema(kind string) (*apiextensionsv1.JSONSchemaProps, error) {
	schemas, err := ownSchemas()
	if err != nil {
		return nil, err
	}
	s := schemas[kind]
	if s == nil {
		return nil, fmt.Errorf("no %s schema for %s among ackguard's CRDs", governanceVersion, kind)
	}
	return s, nil
}

// celRules are the x-kubernetes-validations rules of ackguard's CRDs. A
// scan cannot run CEL: it evaluates the rules it knows natively, and
// leaves the ones governance validation already checks (with its own
// message) to it. TestCRDValidationRulesKnown fails when a CRD gains a
// rule missing here.
var celRules = map[string]func(v any) (ok, checked bool){
	"self.from <= self.to": func(v any) (bool, bool) {
		m, ok := v.(map[string]any)
		if !ok {
			return true, false
		}
		from, ok1 := number(m["from"])
		to, ok2 := number(m["to"])
		if !ok1 || !ok2 {
			return true, false
		}
		return from <= to, true
	},
	// A positive Go duration (spec.exceptions.maxDuration), as the API
	// server's CEL reads it; a value its pattern refuses is reported by
	// the pattern alone (the rule passes it, so that duration() is not
	// handed what is no duration).
	"!self.matches('^([0-9]+([.][0-9]+)?(ns|us|µs|ms|s|m|h))+$') || duration(self) > duration('0s')": func(v any) (bool, bool) {
		s, ok := v.(string)
		if !ok {
			return true, false
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			return true, false
		}
		return d > 0, true
	},
	// Checked by governance.ValidateException (spec.reason).
	"self.trim().size() > 0": nil,
	// Checked by governance.ValidateException (spec.resources[i]).
	"has(self.name) != has(self.selector)": nil,
}

// schemaProblems checks v against the schema s, as the API server does
// when an object is created: nulls in fields that are not nullable are
// dropped first, then the OpenAPI schema (types, enums, patterns, formats,
// bounds, required fields), the list types and the validation rules the
// scan knows (celRules) are checked. It does not report unknown fields:
// the typed decoding does, for metadata too.
func schemaProblems(s *apiextensionsv1.JSONSchemaProps, v any) []fieldProblem {
	sv, err := validatorFor(s)
	if err != nil {
		return []fieldProblem{{msg: fmt.Sprintf("internal error: cannot use the CRD schema: %v; report this to the ackguard maintainers", err)}}
	}
	obj, err := copyJSON(v)
	if err != nil {
		return []fieldProblem{{msg: err.Error()}}
	}
	pruneNulls(obj, sv.structural)

	var out []fieldProblem
	for _, e := range sv.openAPI.Validate(obj).Errors {
		out = append(out, openAPIProblem(e))
	}
	var errs field.ErrorList
	if m, ok := obj.(map[string]any); ok {
		errs = listtype.ValidateListSetsAndMaps(nil, sv.structural, m)
	}
	checkRules(nil, sv.structural, obj, &errs)
	for _, e := range errs {
		out = append(out, fieldProblem{path: pathString(e.Field), msg: e.ErrorBody()})
	}
	slices.SortStableFunc(out, func(a, b fieldProblem) int {
		return cmp.Or(cmp.Compare(a.path, b.path), cmp.Compare(a.msg, b.msg))
	})
	return slices.Compact(out)
}

// schemaValidator checks objects against one CRD version's schema.
type schemaValidator struct {
	structural *structuralschema.Structural
	openAPI    *validate.SchemaValidator
}

var validators sync.Map // *apiextensionsv1.JSONSchemaProps → *schemaValidator

// validatorFor returns the validator of schema s, built once.
func validatorFor(s *apiextensionsv1.JSONSchemaProps) (*schemaValidator, error) {
	if v, ok := validators.Load(s); ok {
		return v.(*schemaValidator), nil
	}
	internal := &apiextensions.JSONSchemaProps{}
	if err := apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(s, internal, nil); err != nil {
		return nil, err
	}
	st, err := structuralschema.NewStructural(internal)
	if err != nil {
		return nil, err
	}
	v := &schemaValidator{
		structural: st,
		openAPI:    validate.NewSchemaValidator(st.ToKubeOpenAPI(), nil, "", strfmt.Default),
	}
	got, _ := validators.LoadOrStore(s, v)
	return got.(*schemaValidator), nil
}

// copyJSON returns a deep copy of the JSON value v, which pruning may
// change freely, with numbers as the API server decodes them: int64 for
// integers, float64 otherwise.
func copyJSON(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("cannot check the object against its schema: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("cannot check the object against its schema: %v", err)
	}
	return convertNumbers(out), nil
}

func convertNumbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, fv := range x {
			x[k] = convertNumbers(fv)
		}
	case []any:
		for i, it := range x {
			x[i] = convertNumbers(it)
		}
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	}
	return v
}

// number returns the value of a JSON number as copyJSON decodes it.
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// pruneNulls drops null values of fields that are not nullable, as the
// API server does before validating: such a null is as good as missing.
func pruneNulls(v any, s *structuralschema.Structural) {
	if s == nil {
		return
	}
	switch x := v.(type) {
	case map[string]any:
		for k, fv := range x {
			fs := fieldSchema(s, k)
			if fv == nil && fs != nil && !fs.Nullable {
				delete(x, k)
				continue
			}
			pruneNulls(fv, fs)
		}
	case []any:
		for _, it := range x {
			pruneNulls(it, s.Items)
		}
	}
}

// fieldSchema returns the schema of the object field k, or nil.
func fieldSchema(s *structuralschema.Structural, k string) *structuralschema.Structural {
	if fs, ok := s.Properties[k]; ok {
		return &fs
	}
	if s.AdditionalProperties != nil {
		return s.AdditionalProperties.Structural
	}
	return nil
}

// openAPIProblem converts an error of the OpenAPI schema validator into a
// problem worded as the API server words it (field.Error).
func openAPIProblem(err error) fieldProblem {
	ve, ok := err.(*openapierrors.Validation)
	if !ok {
		return fieldProblem{msg: err.Error()}
	}
	path := ""
	if ve.Name != "." {
		path = strings.TrimPrefix(ve.Name, ".")
	}
	var value any = ""
	if ve.Value != nil {
		value = ve.Value
	}
	var fe *field.Error
	switch ve.Code() {
	case openapierrors.RequiredFailCode:
		fe = field.Required(nil, "")
	case openapierrors.EnumFailCode:
		var allowed []string
		for _, a := range ve.Values {
			if s, ok := a.(string); ok {
				allowed = append(allowed, s)
			} else {
				b, _ := json.Marshal(a)
				allowed = append(allowed, string(b))
			}
		}
		fe = field.NotSupported(nil, ve.Value, allowed)
	case openapierrors.TooLongFailCode:
		limit, _ := ve.Valid.(int64)
		fe = field.TooLong(nil, "", int(limit))
	case openapierrors.MaxItemsFailCode, openapierrors.TooManyPropertiesCode:
		n, _ := ve.Value.(int64)
		limit, _ := ve.Valid.(int64)
		fe = field.TooMany(nil, int(n), int(limit))
	case openapierrors.InvalidTypeCode:
		fe = field.TypeInvalid(nil, value, ve.Error())
	default:
		fe = field.Invalid(nil, value, ve.Error())
	}
	return fieldProblem{path: path, msg: fe.ErrorBody()}
}

// checkRules evaluates the x-kubernetes-validations rules of s and its
// descendants on v that celRules evaluates natively.
func checkRules(path *field.Path, s *structuralschema.Structural, v any, errs *field.ErrorList) {
	if s == nil || v == nil {
		return
	}
	switch x := v.(type) {
	case map[string]any:
		for k, fv := range x {
			if _, ok := s.Properties[k]; ok {
				checkRules(path.Child(k), fieldSchema(s, k), fv, errs)
			} else {
				checkRules(path.Key(k), fieldSchema(s, k), fv, errs)
			}
		}
	case []any:
		for i, it := range x {
			checkRules(path.Index(i), s.Items, it, errs)
		}
	}
	for _, r := range s.XValidations {
		check := celRules[r.Rule]
		if check == nil {
			continue
		}
		if ok, checked := check(v); checked && !ok {
			msg := r.Message
			if msg == "" {
				msg = "failed rule: " + r.Rule
			}
			*errs = append(*errs, field.Invalid(path, s.Type, msg))
		}
	}
}

// pathString renders a field path; "" for the object itself.
func pathString(p string) string {
	if p == "<nil>" {
		return ""
	}
	return p
}
