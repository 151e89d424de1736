package policy

import (
	"container/list"
	"slices"
	"sync"
	"sync/atomic"
)

// Cache keeps parsed documents, keyed by their text, kind and options, so
// that the same document is parsed once however often it is judged: the
// CREATE and every UPDATE of one Bucket, the drift reconciler's passes and
// its resyncs all carry the same policy string.
//
// A cached Document and its problems are shared by every caller and must
// be treated as read-only (as every rule already does). The cache is
// bounded by the number of documents and by the bytes of their text, and
// evicts the least recently used. It is safe for concurrent use. A nil
// *Cache parses every time.
//
// The cache is owned by whoever builds the engine's configuration (the
// manager); the engine holds no cache of its own.
type Cache struct {
	maxEntries int
	maxBytes   int

	mu      sync.Mutex
	entries map[cacheKey]*list.Element
	lru     list.List // of *cacheEntry, most recent first
	bytes   int

	hits, misses atomic.Int64
}

type cacheKey struct {
	raw  string
	kind Kind
	opts Options
}

type cacheEntry struct {
	key      cacheKey
	doc      *Document
	problems []Problem
}

// NewCache returns a cache holding at most maxEntries documents whose text
// totals at most maxBytes. Documents larger than maxBytes/4 are parsed but
// never kept, so one large document cannot empty the cache.
func NewCache(maxEntries, maxBytes int) *Cache {
	return &Cache{maxEntries: max(maxEntries, 1), maxBytes: max(maxBytes, 1), entries: map[cacheKey]*list.Element{}}
}

// Parse returns Parse(raw, kind, opts), from the cache when the same
// document was parsed with the same kind and options before.
func (c *Cache) Parse(raw string, kind Kind, opts Options) (*Document, []Problem) {
	if c == nil {
		return Parse(raw, kind, opts)
	}
	k := cacheKey{raw, kind, opts}
	c.mu.Lock()
	if el, ok := c.entries[k]; ok {
		c.lru.MoveToFront(el)
		e := el.Value.(*cacheEntry)
		c.mu.Unlock()
		c.hits.Add(1)
		return e.doc, e.problems
	}
	c.mu.Unlock()
	c.misses.Add(1)
	// Parse outside the lock: two goroutines may parse the same new
	// document at once, and the second simply replaces nothing.
	doc, problems := Parse(raw, kind, opts)
	// Callers may append to the problems they get; give them none of the
	// shared backing array's spare capacity.
	problems = slices.Clip(problems)
	if len(raw) > c.maxBytes/4 {
		return doc, problems
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[k]; ok {
		return doc, problems
	}
	c.entries[k] = c.lru.PushFront(&cacheEntry{key: k, doc: doc, problems: problems})
	c.bytes += len(raw)
	for len(c.entries) > c.maxEntries || c.bytes > c.maxBytes {
		old := c.lru.Back()
		e := old.Value.(*cacheEntry)
		c.lru.Remove(old)
		delete(c.entries, e.key)
		c.bytes -= len(e.key.raw)
	}
	return doc, problems
}

// CacheStats are a cache's counters.
type CacheStats struct {
	Hits, Misses int64
	Entries      int
	Bytes        int
}

// Stats returns the cache's counters (zero for a nil cache).
func (c *Cache) Stats() CacheStats {
	if c == nil {
		return CacheStats{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return CacheStats{Hits: c.hits.Load(), Misses: c.misses.Load(), Entries: len(c.entries), Bytes: c.bytes}
}
