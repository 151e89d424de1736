package view

// StringList returns the elements of the array field at key, each as a
// String (elements that are not strings carry a FieldError), plus an error
// when the field itself is not an array. An absent field is an empty list.
func (o Object) StringList(key string) ([]String, *FieldError) {
	return elements(o, key, func(ip Path, it any) String {
		s, isString := it.(string)
		if !isString {
			return String{Path: ip, Present: it != nil, Err: &FieldError{Path: ip, Expected: "string", Found: TypeName(it)}}
		}
		return String{Path: ip, Present: true, Value: s}
	})
}

// StringMap returns the values of the object field at key, each as a String
// whose path ends in the map key, in no particular order. Values that are
// not strings carry a FieldError; the second result is set when the field
// itself is not an object.
func (o Object) StringMap(key string) (map[string]String, *FieldError) {
	obj := o.Object(key)
	if obj.Err != nil {
		return nil, obj.Err
	}
	if !obj.Present {
		return nil, nil
	}
	out := make(map[string]String, len(obj.Fields))
	for k := range obj.Fields {
		out[k] = obj.String(k)
	}
	return out, nil
}

// NonEmpty reports whether a string field is present, well-typed and not
// empty (ACK treats an empty string like an absent field for most ARNs and
// names).
func (s String) NonEmpty() bool { return s.Present && s.Err == nil && s.Value != "" }

// Objects is an array field of objects: the field itself and its
// elements (an element that is not an object carries its error).
type Objects struct {
	Path    Path
	Present bool
	// Err is set when the field is not an array.
	Err   *FieldError
	Items []Object
}

// Objects returns the array field of objects at key.
func (o Object) Objects(key string) Objects {
	_, present := o.lookup(key)
	p, items, err := elementsAt(o, key, o.objectElem)
	return Objects{Path: p, Present: present, Err: err, Items: items}
}

// FirstErr returns the first error among the objects (a chain of nested
// fields, outermost first), or nil.
func FirstErr(objs ...Object) *FieldError {
	for _, o := range objs {
		if o.Err != nil {
			return o.Err
		}
	}
	return nil
}
