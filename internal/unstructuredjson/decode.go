// Package unstructuredjson reads the JSON the API server sends for
// objects read as unstructured (the guarded ACK kinds) in one pass of
// go-json-experiment's jsontext decoder, straight into the maps
// client-go's unstructured types hold: integers as int64, other numbers as
// float64, as k8s.io/apimachinery's unstructured JSON scheme decodes them.
//
// client-go reads every watch event three times with encoding/json (once
// to find the frame, once for the event, once for the object); the drift
// reconciler's informers spent more CPU decoding watch events than
// ackguard spent judging the objects. The NegotiatedSerializer of this
// package keeps client-go's requests, retries and watch handling and
// replaces only the decoding.
package unstructuredjson

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// decoderOptions: the API server's output has no duplicate names, so
// they are not tracked (the last wins, as with encoding/json); invalid
// UTF-8 is replaced, as encoding/json does.
var decoderOptions = []jsontext.Options{jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true)}

// reader is a decoder over a byte slice, kept for reuse: a decoder's
// buffers cost more than the small objects it reads.
type reader struct {
	src bytes.Reader
	dec *jsontext.Decoder
}

var readers = sync.Pool{New: func() any {
	r := &reader{}
	r.dec = jsontext.NewDecoder(&r.src, decoderOptions...)
	return r
}}

// withDecoder runs fn with a decoder over data.
func withDecoder[T any](data []byte, fn func(*jsontext.Decoder) (T, error)) (T, error) {
	r := readers.Get().(*reader)
	r.src.Reset(data)
	r.dec.Reset(&r.src, decoderOptions...)
	defer func() {
		r.src.Reset(nil)
		r.dec.Reset(&r.src, decoderOptions...)
		readers.Put(r)
	}()
	return fn(r.dec)
}

// Decode reads one JSON object.
func Decode(data []byte) (map[string]any, error) {
	return withDecoder(data, func(dec *jsontext.Decoder) (map[string]any, error) { return decodeTop(dec, false, nil) })
}

func decodeTop(dec *jsontext.Decoder, dropBookkeeping bool, share *Subtrees) (map[string]any, error) {
	m, err := readTop(dec, dropBookkeeping, share)
	if err != nil {
		return nil, err
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		if err == nil {
			return nil, errors.New("unexpected data after the top-level object")
		}
		return nil, err
	}
	return m, nil
}

// readTop reads a value that must be an object. With dropBookkeeping, the
// bookkeeping of the object, or of each of its items when it is a list,
// is skipped instead of read (see LastAppliedAnnotation), and, with share
// too, the small subtrees of its spec (or theirs) are shared through it.
func readTop(dec *jsontext.Decoder, dropBookkeeping bool, share *Subtrees) (map[string]any, error) {
	at := atOther
	if dropBookkeeping {
		at = atTop
	} else {
		share = nil
	}
	return readObjectAt(dec, at, reading{intern: true, share: share})
}

// reading says how values are read: with intern, short string values come
// from the shared table; with share, the small subtrees of an object's
// spec come from it (see Subtrees).
type reading struct {
	intern bool
	share  *Subtrees
	// rescans counts the enclosing subtrees read again by share (see
	// Subtrees.read).
	rescans int
}

// readObjectAt reads a value that must be an object, at position at.
func readObjectAt(dec *jsontext.Decoder, at position, r reading) (map[string]any, error) {
	if k := dec.PeekKind(); k != '{' {
		if k == 0 {
			_, err := dec.ReadToken()
			return nil, err
		}
		return nil, fmt.Errorf("expected a JSON object, found %s", kindName(k))
	}
	v, err := readValue(dec, at, r)
	if err != nil {
		return nil, err
	}
	return v.(map[string]any), nil
}

// ReadObject reads the JSON object dec is at, as Decode reads one, under
// the decoder's own options (a strict decoder refuses duplicate names and
// invalid UTF-8), with its bookkeeping skipped (see LastAppliedAnnotation).
// Its member names come from the shared table (most are the schema's,
// which the informers' objects hold too: no allocation for them), its
// string values are its own: it serves objects read once (an admission
// request), whose values should not crowd the table the informer cache
// shares. With share, the small subtrees of its spec are read through it,
// as the informers read theirs (see Subtrees): an admission request's
// object is mostly the object the informers see next, so the two share
// its spec's maps instead of each decoding its own. Only an object nobody
// changes may be read so.
func ReadObject(dec *jsontext.Decoder, share *Subtrees) (map[string]any, error) {
	return readObjectAt(dec, atObject, reading{share: share})
}

// LastAppliedAnnotation is where `kubectl apply` (and the GitOps tools
// that apply as it does) keeps a copy of the whole object as last applied,
// as a JSON string: as large as the rest of the object. With
// metadata.managedFields, the API server's record of who set which field,
// it is the bookkeeping that a decoder told to drop it leaves out: no rule
// judges either, and neither is worth its memory in the informer cache.
// Admission requests and the cache both leave them out, so that what the
// webhook judged and what the reconciler finds cached compare equal.
const LastAppliedAnnotation = corev1.LastAppliedConfigAnnotation

// position tells readValue where a value is, as far as skipping the
// bookkeeping needs: the top object (an object or a list), the items of a
// list, an object's metadata, its annotations, or anywhere else.
type position uint8

const (
	atOther position = iota
	atTop
	atItems
	atObject
	atMetadata
	atAnnotations
	// atSpec is an object's spec, or a subtree of it too large to share
	// whole: its members and items may be shared (atShared).
	atSpec
	// atShared is a member or item of atSpec: shared whole when small.
	atShared
)

// member returns the position of an object's member.
func (at position) member(name string) position {
	switch {
	case at == atTop && name == "items":
		return atItems
	case (at == atTop || at == atObject) && name == "metadata":
		return atMetadata
	case at == atMetadata && name == "annotations":
		return atAnnotations
	case (at == atTop || at == atObject) && name == "spec":
		return atSpec
	case at == atSpec || at == atShared:
		return atShared
	}
	return atOther
}

// item returns the position of an array's item.
func (at position) item() position {
	switch at {
	case atItems:
		return atObject
	case atSpec, atShared:
		return atShared
	}
	return atOther
}

// skipped reports whether the member name at is bookkeeping to leave out.
func (at position) skipped(name string) bool {
	return at == atMetadata && name == "managedFields" || at == atAnnotations && name == LastAppliedAnnotation
}

// readValue reads one value, its member names from the shared table; its
// short strings and small spec subtrees too as r says.
func readValue(dec *jsontext.Decoder, at position, r reading) (any, error) {
	kind := dec.PeekKind()
	if at == atShared && r.share != nil && (kind == '{' || kind == '[') {
		return r.share.read(dec, r)
	}
	switch kind {
	case '{':
		if _, err := dec.ReadToken(); err != nil {
			return nil, err
		}
		m := map[string]any{}
		for dec.PeekKind() != '}' {
			k, err := readName(dec)
			if err != nil {
				return nil, err
			}
			if at.skipped(k) {
				if err := dec.SkipValue(); err != nil {
					return nil, err
				}
				continue
			}
			v, err := readValue(dec, at.member(k), r)
			if err != nil {
				return nil, err
			}
			m[k] = v
		}
		_, err := dec.ReadToken()
		return m, err
	case '[':
		if _, err := dec.ReadToken(); err != nil {
			return nil, err
		}
		item := at.item()
		l := []any{}
		for dec.PeekKind() != ']' {
			v, err := readValue(dec, item, r)
			if err != nil {
				return nil, err
			}
			l = append(l, v)
		}
		_, err := dec.ReadToken()
		return l, err
	case '"':
		if !r.intern {
			return readText(dec, nil)
		}
		return readText(dec, &values)
	case '0':
		raw, err := dec.ReadValue()
		if err != nil {
			return nil, err
		}
		return number(raw)
	default: // true, false, null, or an error
		t, err := dec.ReadToken()
		if err != nil {
			return nil, err
		}
		switch t.Kind() {
		case 't':
			return true, nil
		case 'f':
			return false, nil
		}
		return nil, nil
	}
}

// readString reads a string without the copies of a Token: the raw
// literal is unquoted only when it holds an escape.
func readString(dec *jsontext.Decoder) (string, error) {
	return readText(dec, nil)
}

// readName reads an object member's name, interned.
func readName(dec *jsontext.Decoder) (string, error) {
	return readText(dec, &names)
}

// readText reads a string, interned in table when one is given.
func readText(dec *jsontext.Decoder, table *interner) (string, error) {
	raw, err := dec.ReadValue()
	if err != nil {
		return "", err
	}
	if len(raw) < 2 || raw[0] != '"' {
		return "", fmt.Errorf("expected a JSON string, found %s", kindName(raw.Kind()))
	}
	if bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
		if table != nil {
			return table.intern(raw[1 : len(raw)-1]), nil
		}
		return string(raw[1 : len(raw)-1]), nil
	}
	// The decoder has checked the literal: the only error left is invalid
	// UTF-8, replaced as encoding/json replaces it. The text is unquoted
	// into a kept buffer, so that the string is the one allocation.
	buf := unquoting.Get().(*[]byte)
	b, _ := jsontext.AppendUnquote((*buf)[:0], raw)
	s := string(b)
	if cap(b) <= maxUnquoteBuffer {
		*buf = b
		unquoting.Put(buf)
	}
	return s, nil
}

// unquoting keeps the buffers escaped strings are unquoted in; one grown
// past maxUnquoteBuffer (a large policy document) is left to the
// collector.
var unquoting = sync.Pool{New: func() any { return new([]byte) }}

const maxUnquoteBuffer = 64 << 10

// number decodes a JSON number as the unstructured scheme does: an int64
// when it is written as an integer that fits, else a float64.
func number(raw []byte) (any, error) {
	s := string(raw)
	if !strings.ContainsAny(s, ".eE") {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i, nil
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, fmt.Errorf("the number %s: %w", s, err)
	}
	return f, nil
}

func kindName(k jsontext.Kind) string {
	switch k {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case '0':
		return "a number"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "nothing"
}

// decodeInto reads data into obj (an Unstructured, an UnstructuredList or
// a Status), or, with obj nil, into what the data holds: a Status for a
// v1 Status, a list when it has items, else an object. With
// dropBookkeeping, the object's (or the items') bookkeeping is left out
// (see LastAppliedAnnotation), and with share too their spec's small
// subtrees are shared (see Subtrees).
func decodeInto(data []byte, obj runtime.Object, dropBookkeeping bool, share *Subtrees) (runtime.Object, error) {
	m, err := withDecoder(data, func(dec *jsontext.Decoder) (map[string]any, error) { return decodeTop(dec, dropBookkeeping, share) })
	if err != nil {
		return nil, err
	}
	if obj == nil {
		switch {
		case m["kind"] == "Status" && m["apiVersion"] == "v1":
			obj = &metav1.Status{}
		case m["items"] != nil:
			obj = &unstructured.UnstructuredList{}
		default:
			obj = &unstructured.Unstructured{}
		}
	}
	switch x := obj.(type) {
	case *unstructured.Unstructured:
		x.Object = m
	case *unstructured.UnstructuredList:
		if err := toList(m, x); err != nil {
			return nil, err
		}
	default:
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(m, obj); err != nil {
			return nil, err
		}
		obj.GetObjectKind().SetGroupVersionKind((&unstructured.Unstructured{Object: m}).GroupVersionKind())
	}
	return obj, nil
}

// toList fills list from a decoded list: the items apart, each item
// missing its apiVersion and kind given the list's (as the API server
// leaves them out of typed lists).
func toList(m map[string]any, list *unstructured.UnstructuredList) error {
	items, _ := m["items"].([]any)
	if m["items"] != nil && items == nil {
		return fmt.Errorf("items is not an array")
	}
	delete(m, "items")
	list.Object = m
	apiVersion, _ := m["apiVersion"].(string)
	kind, _ := m["kind"].(string)
	itemKind := strings.TrimSuffix(kind, "List")
	list.Items = make([]unstructured.Unstructured, 0, len(items))
	for i, it := range items {
		o, ok := it.(map[string]any)
		if !ok {
			return fmt.Errorf("items[%d] is not an object", i)
		}
		u := unstructured.Unstructured{Object: o}
		if u.GetKind() == "" && u.GetAPIVersion() == "" {
			u.SetKind(itemKind)
			u.SetAPIVersion(apiVersion)
		}
		list.Items = append(list.Items, u)
	}
	return nil
}
