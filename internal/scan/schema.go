package scan

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	"github.com/ackguard/ackguard/config/crd"
)

// The API server checks a GuardrailPolicy or GuardrailException against the
// OpenAPI schema of its CRD before anything else; a scan has no API server,
// so it checks the same schema, read from the CRDs ackguard installs
// (config/crd). Without this check a value the cluster refuses, such as
// the action "enforce", would reach the governance engine, which treats an
// action it does not know as no action at all.

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

var (
	schemasOnce sync.Once
	schemas     map[string]*apiextensionsv1.JSONSchemaProps // by kind
	schemasErr  error
)

// crdSchema returns the v1alpha1 schema of one of ackguard's own kinds.
func crdSchema(kind string) (*apiextensionsv1.JSONSchemaProps, error) {
	schemasOnce.Do(func() {
		crds, err := crd.Own()
		if err != nil {
			schemasErr = err
			return
		}
		schemas = map[string]*apiextensionsv1.JSONSchemaProps{}
		for _, c := range crds {
			for _, v := range c.Spec.Versions {
				if v.Name == governanceVersion && v.Schema != nil && v.Schema.OpenAPIV3Schema != nil {
					schemas[c.Spec.Names.Kind] = v.Schema.OpenAPIV3Schema
				}
			}
		}
	})
	if schemasErr != nil {
		return nil, schemasErr
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
		from, ok1 := m["from"].(float64)
		to, ok2 := m["to"].(float64)
		if !ok1 || !ok2 {
			return true, false
		}
		return from <= to, true
	},
	// Checked by governance.ValidateException (spec.reason).
	"self.trim().size() > 0": nil,
	// Checked by governance.ValidateException (spec.resources[i]).
	"has(self.name) != has(self.selector)": nil,
}

// schemaProblems checks v against the schema s, as the API server's
// OpenAPI validation does. It does not report unknown fields: the typed
// decoding does, for metadata too.
func schemaProblems(s *apiextensionsv1.JSONSchemaProps, v any) []fieldProblem {
	var out []fieldProblem
	checkSchema(s, v, "", &out)
	return out
}

func checkSchema(s *apiextensionsv1.JSONSchemaProps, v any, path string, out *[]fieldProblem) {
	add := func(format string, args ...any) {
		*out = append(*out, fieldProblem{path, fmt.Sprintf(format, args...)})
	}
	if v == nil {
		if !s.Nullable {
			add("Invalid value: null: must be of type %s", typeName(s))
		}
		return
	}
	if !hasType(s.Type, v) {
		add("Invalid value: %s: must be of type %s", describeValue(v), s.Type)
		return
	}
	if len(s.Enum) > 0 && !inEnum(s.Enum, v) {
		var allowed []string
		for _, e := range s.Enum {
			allowed = append(allowed, string(e.Raw))
		}
		add("Unsupported value: %s: supported values: %s", describeValue(v), strings.Join(allowed, ", "))
	}
	switch x := v.(type) {
	case string:
		n := int64(utf8.RuneCountInString(x))
		if s.MinLength != nil && n < *s.MinLength {
			add("Invalid value: %s: should be at least %d chars long", describeValue(v), *s.MinLength)
		}
		if s.MaxLength != nil && n > *s.MaxLength {
			add("Too long: may not be more than %d characters", *s.MaxLength)
		}
		if s.Pattern != "" {
			if re, err := compilePattern(s.Pattern); err == nil && !re.MatchString(x) {
				add("Invalid value: %s: should match '%s'", describeValue(v), s.Pattern)
			}
		}
		if s.Format == "date-time" {
			if _, err := time.Parse(time.RFC3339, x); err != nil {
				add("Invalid value: %s: must be a date-time such as 2026-01-31T00:00:00Z (RFC 3339)", describeValue(v))
			}
		}
	case float64:
		if s.Minimum != nil && (x < *s.Minimum || s.ExclusiveMinimum && x == *s.Minimum) {
			add("Invalid value: %s: should be greater than or equal to %s", describeValue(v), describeValue(*s.Minimum))
		}
		if s.Maximum != nil && (x > *s.Maximum || s.ExclusiveMaximum && x == *s.Maximum) {
			add("Invalid value: %s: should be less than or equal to %s", describeValue(v), describeValue(*s.Maximum))
		}
		if s.Format == "int32" && (x < math.MinInt32 || x > math.MaxInt32) {
			add("Invalid value: %s: must fit in a 32-bit integer", describeValue(v))
		}
	case []any:
		n := int64(len(x))
		if s.MinItems != nil && n < *s.MinItems {
			add("Invalid value: %d: should have at least %d items", n, *s.MinItems)
		}
		if s.MaxItems != nil && n > *s.MaxItems {
			add("Too many: %d: must have at most %d items", n, *s.MaxItems)
		}
		if s.XListType != nil && *s.XListType == "set" {
			for i := range x {
				for j := 0; j < i; j++ {
					if reflect.DeepEqual(x[i], x[j]) {
						*out = append(*out, fieldProblem{index(path, i), "Duplicate value: " + describeValue(x[i])})
						break
					}
				}
			}
		}
		if s.Items != nil && s.Items.Schema != nil {
			for i, it := range x {
				checkSchema(s.Items.Schema, it, index(path, i), out)
			}
		}
	case map[string]any:
		for _, r := range s.Required {
			if x[r] == nil { // null is pruned: as good as missing
				*out = append(*out, fieldProblem{child(path, r), "Required value"})
			}
		}
		for _, k := range sortedKeys(x) {
			fv := x[k]
			if fs, ok := s.Properties[k]; ok {
				if fv == nil && !fs.Nullable {
					continue // pruned
				}
				checkSchema(&fs, fv, child(path, k), out)
				continue
			}
			if s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil {
				checkSchema(s.AdditionalProperties.Schema, fv, path+"["+k+"]", out)
			}
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
			add("Invalid value: %s: %s", describeValue(v), msg)
		}
	}
}

func typeName(s *apiextensionsv1.JSONSchemaProps) string {
	if s.Type == "" {
		return "any"
	}
	return s.Type
}

func hasType(t string, v any) bool {
	switch t {
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "number":
		_, ok := v.(float64)
		return ok
	case "integer":
		f, ok := v.(float64)
		return ok && f == math.Trunc(f) && !math.IsInf(f, 0)
	}
	return true // no type: anything goes
}

func inEnum(enum []apiextensionsv1.JSON, v any) bool {
	for _, e := range enum {
		var ev any
		if json.Unmarshal(e.Raw, &ev) == nil && reflect.DeepEqual(ev, v) {
			return true
		}
	}
	return false
}

var patterns sync.Map // string → *regexp.Regexp

func compilePattern(p string) (*regexp.Regexp, error) {
	if re, ok := patterns.Load(p); ok {
		return re.(*regexp.Regexp), nil
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, err
	}
	patterns.Store(p, re)
	return re, nil
}

// describeValue renders a value in a problem message: scalars as JSON
// (long strings shortened), objects and arrays by their type.
func describeValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		if utf8.RuneCountInString(x) > 80 {
			x = string([]rune(x)[:80]) + "…"
		}
		return strconv.Quote(x)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case map[string]any:
		return `"object"`
	case []any:
		return `"array"`
	}
	return fmt.Sprintf("%v", v)
}

func child(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}
