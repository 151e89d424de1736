package view

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Path is the location of a field inside an object, as JSON keys and array
// indexes ("spec", "rules", "0", "objectOwnership").
type Path []string

// NewPath returns a path made of the given segments.
func NewPath(segments ...string) Path { return Path(segments) }

// Child returns a new path with the segments appended; p is not modified.
func (p Path) Child(segments ...string) Path {
	out := make(Path, 0, len(p)+len(segments))
	out = append(out, p...)
	return append(out, segments...)
}

// Index returns a new path for element i of the list at p.
func (p Path) Index(i int) Path { return p.Child(strconv.Itoa(i)) }

// String renders the path the way Kubernetes field errors do:
// spec.rules[0].objectOwnership. Keys that are not identifiers are bracketed
// and quoted: spec.inlinePolicies["my policy"].
func (p Path) String() string { return p.render(true) }

// Unindexed renders the path as String does with every list index left
// out: spec.ingressRules[].ipRanges[].cidrIP; and so is the name of an
// inline policy (spec.inlinePolicies[]): the name a Role, User or Group
// gives a document of its own is no more what its findings are about than
// the place of a list's element.
func (p Path) Unindexed() string { return p.render(false) }

func (p Path) render(indexes bool) string {
	var b strings.Builder
	for i, s := range p {
		switch {
		case !indexes && i == 2 && p[0] == "spec" && p[1] == "inlinePolicies":
			b.WriteString("[]")
		case IsIndex(s) && indexes:
			b.WriteString("[" + s + "]")
		case IsIndex(s):
			b.WriteString("[]")
		case IsIdent(s):
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s)
		default:
			b.WriteString("[" + strconv.Quote(s) + "]")
		}
	}
	return b.String()
}

// Equal reports whether two paths name the same field.
func (p Path) Equal(q Path) bool {
	if len(p) != len(q) {
		return false
	}
	for i := range p {
		if p[i] != q[i] {
			return false
		}
	}
	return true
}

// IsIndex reports whether a path segment is a list index.
func IsIndex(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// IsIdent reports whether a path segment is a key that needs no quoting.
func IsIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		ok := r == '_' || r == '-' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (i > 0 && r >= '0' && r <= '9')
		if !ok {
			return false
		}
	}
	return true
}

// FieldError says that a field holds a value of the wrong JSON type.
type FieldError struct {
	Path     Path
	Expected string // "string", "boolean", "integer", "object", "array"
	Found    string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("%s: must be %s, found %s", e.Path, e.Want(), e.Found)
}

// Want names the expected type with its article: "a string", "an integer".
func (e *FieldError) Want() string { return article(e.Expected) + " " + e.Expected }

func article(s string) string {
	if s != "" && strings.ContainsRune("aeiou", rune(s[0])) {
		return "an"
	}
	return "a"
}

// TypeName names the JSON type of a value decoded by encoding/json or
// unstructured.
func TypeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case int, int32, int64, float32, float64:
		return "number"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// LookupJSON renders the value at p in obj as "=" and its JSON, map keys
// in order ("" where there is none): what admission pairs an UPDATE's
// findings on list elements by, and SARIF fingerprints them by.
func LookupJSON(obj map[string]any, p Path) string {
	v, ok := Lookup(obj, p)
	if !ok {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return "=" + string(b)
}

// Lookup returns the value at p in obj (maps by key, lists by index) and
// whether it is there. The value is obj's own, not a copy.
func Lookup(obj map[string]any, p Path) (any, bool) {
	var cur any = obj
	for _, seg := range p {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[seg]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || !IsIndex(seg) || i >= len(c) {
				return nil, false
			}
			cur = c[i]
		default:
			return nil, false
		}
	}
	return cur, true
}
