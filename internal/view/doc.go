// Package view decodes ACK custom resources, read as unstructured JSON, into
// small typed views. It is the only code that knows the JSON shape of ACK
// objects (compare Cluster API's internal/contract).
//
// Every value in a view remembers the field path it came from, so that a rule
// can report "spec.publicAccessBlock.blockPublicACLs" and a fix can write to
// exactly that path. Absent fields stay absent: an optional boolean is a
// *Bool whose Present reports whether the field was set, never a zero false.
// Unknown fields are ignored. A field of the wrong JSON type is kept as a
// *FieldError naming the path, the expected type and the type found, so a
// rule can refuse to judge it instead of guessing.
//
// The few values a fix writes whole, where a field is absent or of the
// wrong type (a spec.publicAccessBlock with every flag set, a
// spec.versioning with its status), are built here too, so that no fix
// spells an ACK field name.
package view
