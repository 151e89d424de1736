package jsonx

import (
	"fmt"
	"strconv"
)

// Kind is the type of a JSON value.
type Kind uint8

// The kinds of JSON values.
const (
	Null Kind = iota
	Bool
	Number
	String
	Object
	Array
)

// String returns the JSON name of the kind: "null", "boolean", "number",
// "string", "object" or "array".
func (k Kind) String() string {
	switch k {
	case Null:
		return "null"
	case Bool:
		return "boolean"
	case Number:
		return "number"
	case String:
		return "string"
	case Object:
		return "object"
	case Array:
		return "array"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Member is one key/value pair of an object, in document order.
type Member struct {
	Key    string // decoded key
	KeyPos int    // byte offset of the opening quote of the key
	Value  *Node
}

// Node is a parsed JSON value. All offsets refer to the input given to
// [Parse]: data[n.Start:n.End] is exactly the text of the value.
type Node struct {
	Kind Kind
	// Str is the decoded string for String and the literal text of the
	// number (for example "1.5e3") for Number. It is empty otherwise.
	Str string
	// Bool is the value of a Bool node.
	Bool bool
	// Members are the members of an Object in document order; nil if the
	// object is empty. Keys are unique.
	Members []Member
	// Items are the elements of an Array; nil if the array is empty.
	Items []*Node
	Start int // byte offset of the first byte of the value
	End   int // byte offset just past the last byte of the value
}

// Get returns the value of the member whose key equals key exactly
// (case-sensitive), or nil if n is nil, not an object, or has no such
// member.
func (n *Node) Get(key string) *Node {
	if n == nil || n.Kind != Object {
		return nil
	}
	for i := range n.Members {
		if n.Members[i].Key == key {
			return n.Members[i].Value
		}
	}
	return nil
}

// Limits bounds the resources Parse may spend on a document.
type Limits struct {
	// MaxBytes is the maximum input size in bytes; 0 (or negative) means
	// no limit.
	MaxBytes int
	// MaxDepth is the maximum nesting depth of objects and arrays, where
	// the top-level value is at depth 1 and scalars do not add depth.
	// 0 (or negative) means the default of 64; limits above 10000 (the
	// tokenizer's own bound) mean 10000.
	MaxDepth int
}

// DefaultMaxDepth is the nesting limit used when Limits.MaxDepth is 0.
const DefaultMaxDepth = 64

// SyntaxError reports malformed JSON.
type SyntaxError struct {
	Offset       int // byte offset of the offending byte (len(data) at end of input)
	Line, Column int // 1-based; Column counts bytes
	Msg          string
}

// Error returns the message prefixed with the position, e.g.
// "line 3, column 7: invalid character '}' after object key".
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// DuplicateKeyError reports an object that contains the same key twice.
// Keys are compared exactly (case-sensitive) after decoding escapes, so
// "a" and "\u0061" are duplicates.
type DuplicateKeyError struct {
	Key          string // the decoded key
	Offset       int    // byte offset of the opening quote of the second occurrence
	Line, Column int    // 1-based position of Offset; Column counts bytes
	// Path locates the duplicated member, e.g.
	// Statement[1].Condition.StringEquals. Keys that are not identifiers
	// are written as ["aws:SourceIp"].
	Path string
}

func (e *DuplicateKeyError) Error() string {
	return fmt.Sprintf("line %d, column %d: duplicate key %q at %s", e.Line, e.Column, e.Key, e.Path)
}

// LimitError reports a document that exceeds one of the [Limits].
type LimitError struct {
	What   string // "size" or "depth"
	Limit  int    // the configured limit
	Actual int    // the document size, or the depth that would have been reached
	Offset int    // byte offset at which the limit was exceeded
}

func (e *LimitError) Error() string {
	if e.What == "size" {
		return fmt.Sprintf("document size %d bytes exceeds limit of %d bytes", e.Actual, e.Limit)
	}
	return fmt.Sprintf("offset %d: nesting depth %d exceeds limit of %d", e.Offset, e.Actual, e.Limit)
}
