package view

import "strconv"

// String is an optional string field.
type String struct {
	Path    Path
	Present bool
	Value   string
	Err     *FieldError
}

// Bool is an optional boolean field.
type Bool struct {
	Path    Path
	Present bool
	Value   bool
	Err     *FieldError
}

// IsTrue reports whether the field is present, well-typed and true.
func (b Bool) IsTrue() bool { return b.Present && b.Err == nil && b.Value }

// Int is an optional integer field.
type Int struct {
	Path    Path
	Present bool
	Value   int64
	Err     *FieldError
}

// Object is a JSON object read from an unstructured map. The zero value is an
// absent object.
type Object struct {
	Path    Path
	Present bool
	Fields  map[string]any
	Err     *FieldError
	// paths gives the paths of the fields read through the object while
	// its view is being built (path_arena.go); nil otherwise.
	paths *pathArena
	// node is the object's place in the tree of fixed paths
	// (path_fixed.go); nil when its fields have none.
	node *pathNode
}

// child returns the path of the field at key, and its node in the tree of
// fixed paths when it has one.
func (o Object) child(key string) (Path, *pathNode) {
	if n := o.node.kid(key); n != nil {
		return n.path, n
	}
	return o.paths.child(o.Path, key), nil
}

// Root wraps a whole decoded object.
func Root(obj map[string]any) Object {
	return Object{Path: Path{}, Present: obj != nil, Fields: obj, node: fixedPaths}
}

// Spec returns a whole decoded object's spec, as the views read it.
func Spec(obj map[string]any) Object { return Root(obj).Object("spec") }

// Object returns the child object at key.
func (o Object) Object(key string) Object {
	p, n := o.child(key)
	v, ok := o.lookup(key)
	if !ok {
		return Object{Path: p, paths: o.paths, node: n}
	}
	m, isMap := v.(map[string]any)
	if !isMap {
		return Object{Path: p, Present: true, Err: &FieldError{Path: p, Expected: "object", Found: TypeName(v)}, paths: o.paths, node: n}
	}
	return Object{Path: p, Present: true, Fields: m, paths: o.paths, node: n}
}

// String returns the string field at key.
func (o Object) String(key string) String {
	p, present, v, err := scalar[string](o, key, "string")
	return String{Path: p, Present: present, Value: v, Err: err}
}

// Bool returns the boolean field at key.
func (o Object) Bool(key string) Bool {
	p, present, v, err := scalar[bool](o, key, "boolean")
	return Bool{Path: p, Present: present, Value: v, Err: err}
}

// scalar reads the field at key as a T, naming the expected JSON type in
// the error when it holds something else.
func scalar[T any](o Object, key, expected string) (p Path, present bool, val T, err *FieldError) {
	p, _ = o.child(key)
	v, ok := o.lookup(key)
	if !ok {
		return p, false, val, nil
	}
	t, isT := v.(T)
	if !isT {
		return p, true, val, &FieldError{Path: p, Expected: expected, Found: TypeName(v)}
	}
	return p, true, t, nil
}

// Int returns the integer field at key. JSON numbers decoded as float64 are
// accepted when they hold an integral value.
func (o Object) Int(key string) Int {
	p, _ := o.child(key)
	v, ok := o.lookup(key)
	if !ok {
		return Int{Path: p}
	}
	switch n := v.(type) {
	case int64:
		return Int{Path: p, Present: true, Value: n}
	case int:
		return Int{Path: p, Present: true, Value: int64(n)}
	case int32:
		return Int{Path: p, Present: true, Value: int64(n)}
	case float64:
		if n == float64(int64(n)) {
			return Int{Path: p, Present: true, Value: int64(n)}
		}
	}
	return Int{Path: p, Present: true, Err: &FieldError{Path: p, Expected: "integer", Found: TypeName(v)}}
}

// List returns the elements of the array field at key, each as an Object
// (elements that are not objects carry a FieldError), plus an error when the
// field itself is not an array.
func (o Object) List(key string) ([]Object, *FieldError) {
	return elements(o, key, o.objectElem)
}

// objectElem is List's element at path ip.
func (o Object) objectElem(ip Path, it any) Object {
	m, isMap := it.(map[string]any)
	if !isMap {
		return Object{Path: ip, Present: true, Err: &FieldError{Path: ip, Expected: "object", Found: TypeName(it)}, paths: o.paths}
	}
	return Object{Path: ip, Present: true, Fields: m, paths: o.paths}
}

// elements walks the array field at key, turning each element into a T;
// it reports a field that is not an array, and nothing for an absent one.
func elements[T any](o Object, key string, elem func(ip Path, it any) T) ([]T, *FieldError) {
	_, out, err := elementsAt(o, key, elem)
	return out, err
}

// elementsAt is elements that also returns the path of the field.
func elementsAt[T any](o Object, key string, elem func(ip Path, it any) T) (Path, []T, *FieldError) {
	p, _ := o.child(key)
	v, ok := o.lookup(key)
	if !ok {
		return p, nil, nil
	}
	items, isList := v.([]any)
	if !isList {
		return p, nil, &FieldError{Path: p, Expected: "array", Found: TypeName(v)}
	}
	out := make([]T, len(items))
	for i, it := range items {
		out[i] = elem(o.paths.child(p, strconv.Itoa(i)), it)
	}
	return p, out, nil
}

func (o Object) lookup(key string) (any, bool) {
	if o.Fields == nil {
		return nil, false
	}
	v, ok := o.Fields[key]
	if !ok || v == nil { // JSON null is treated as absent, as the API server does for optional fields
		return nil, false
	}
	return v, true
}
