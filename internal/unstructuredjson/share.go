package unstructuredjson

import (
	"sync"

	"github.com/go-json-experiment/json/jsontext"
)

// Subtrees shares the small subtrees of the objects' specs between the
// objects an informer cache holds. Resources made from one template (a
// Helm chart, a kustomize base) carry the same encryption, versioning,
// public access block, lifecycle or logging settings; decoded apart, each
// copy of such a subtree costs its own maps (a Go map costs about 340
// bytes however few members it holds), and with ten thousand Buckets the
// copies are most of the cache. A subtree of an object's spec whose JSON
// text is at most MaxBytes long is decoded once per distinct text and the
// same maps and slices are handed to every object that carries it.
//
// Only objects that nobody changes may be read this way: an informer
// cache's, which every reader must already treat as read-only (a reader
// that changes one writes into the cache). Subtrees under metadata are
// never shared (the cache's transform edits metadata), nor anything
// outside spec. The table holds at most MaxEntries texts; when full it
// starts over, so that it keeps following the objects of the day, and the
// objects decoded before keep sharing what they got. A Subtrees is safe
// for concurrent use.
type Subtrees struct {
	// MaxEntries bounds the distinct subtrees kept (default 4096);
	// MaxBytes the JSON text of one (default 512).
	MaxEntries, MaxBytes int

	mu sync.RWMutex
	m  map[string]any
}

// maxRescans bounds the levels of subtrees too long to share whole that
// are read again for their own small parts (see read).
const maxRescans = 2

// Default bounds of a Subtrees.
const (
	defaultSubtreeEntries = 4096
	defaultSubtreeBytes   = 512
)

// read reads the object or array dec is at: shared whole when its text is
// short, else decoded with its own members or items shared.
func (t *Subtrees) read(dec *jsontext.Decoder, r reading) (any, error) {
	raw, err := dec.ReadValue()
	if err != nil {
		return nil, err
	}
	maxBytes := t.MaxBytes
	if maxBytes <= 0 {
		maxBytes = defaultSubtreeBytes
	}
	if len(raw) > maxBytes {
		// Too long to share whole: read it again for its own small
		// parts. Each such reading scans the text once more, so only
		// maxRescans levels of long subtrees are read for their parts;
		// deeper ones are read plainly, and a deep spec costs a bounded
		// multiple of its plain reading, not one scan per level.
		at := atOther
		if r.rescans < maxRescans {
			at = atSpec
			r.rescans++
		}
		return withDecoder(raw, func(d *jsontext.Decoder) (any, error) { return readValue(d, at, r) })
	}
	t.mu.RLock()
	v, ok := t.m[string(raw)] // no allocation for the lookup
	t.mu.RUnlock()
	if ok {
		return v, nil
	}
	if v, err = withDecoder(raw, func(d *jsontext.Decoder) (any, error) { return readValue(d, atOther, r) }); err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if have, ok := t.m[string(raw)]; ok {
		return have, nil
	}
	maxEntries := t.MaxEntries
	if maxEntries <= 0 {
		maxEntries = defaultSubtreeEntries
	}
	if t.m == nil {
		t.m = make(map[string]any)
	} else if len(t.m) >= maxEntries {
		clear(t.m)
	}
	t.m[string(raw)] = v
	return v, nil
}

// Len returns how many subtrees the table holds.
func (t *Subtrees) Len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.m)
}
