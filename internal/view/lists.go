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
