package unstructuredjson

import "sync"

// The informer cache keeps every guarded object for as long as it exists,
// and most of the strings of ten thousand Buckets are the same few: the
// member names of the kind's schema and of Kubernetes metadata, and short
// values such as the apiVersion, the kind, the namespace, an enum
// ("Enabled", "aws:kms"), a region or an account ID. Decoded strings are
// shared through two bounded tables instead of each object holding its own
// copies (Go strings are immutable: sharing one changes nothing a reader
// sees). A table stops growing when full; what it holds then stays shared.
var (
	names  = interner{maxEntries: 8192, maxLen: 64}
	values = interner{maxEntries: 8192, maxLen: 32}
)

// interner shares strings of at most maxLen bytes, holding at most
// maxEntries of them.
type interner struct {
	maxEntries int
	maxLen     int

	mu sync.RWMutex
	m  map[string]string
}

// intern returns b as a string: the table's copy when it holds one.
func (t *interner) intern(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > t.maxLen {
		return string(b)
	}
	t.mu.RLock()
	s, ok := t.m[string(b)] // no allocation for the lookup
	t.mu.RUnlock()
	if ok {
		return s
	}
	s = string(b)
	t.mu.Lock()
	defer t.mu.Unlock()
	if have, ok := t.m[s]; ok {
		return have
	}
	if len(t.m) < t.maxEntries {
		if t.m == nil {
			t.m = make(map[string]string)
		}
		t.m[s] = s
	}
	return s
}

// len returns how many strings the table holds.
func (t *interner) len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.m)
}
