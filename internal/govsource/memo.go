package govsource

import (
	"crypto/sha256"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/ackguard/ackguard/internal/governance"
	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/view"
)

// defaultMemoEntries bounds the judgements a Memo keeps.
const defaultMemoEntries = 1024

// Memo hands the judgement the webhook made of an admitted object to the
// reconciler, so that the watch event of a write the webhook just judged
// does not judge the same object again. An entry serves once, and only
// while everything the judgement depends on is unchanged: the same
// engine (policies and exceptions), the same spec, labels, annotations,
// namespace labels and ACK's record of the resource (its ARN, partition,
// owner account and finalizer), no exception expired since, and no related object
// read (a Role's Policies can change between the two). Judgements with a
// fix to make are never kept: the reconciler has work to do on them.
type Memo struct {
	mu      sync.Mutex
	entries map[memoKey]memoEntry
	// Max bounds the entries; 0 means 1024. Past it, new entries are
	// dropped until the reconciler takes some.
	Max int
	// hits and misses count take's answers.
	hits, misses atomic.Int64
}

type memoKey struct {
	gk   schema.GroupKind
	name types.NamespacedName
}

type memoEntry struct {
	fp  [sha256.Size]byte
	eng *governance.Engine
	j   *governance.Judgement
}

// put keeps j for obj; see Memo.
func (m *Memo) put(obj map[string]any, ns governance.Namespace, eng *governance.Engine, j *governance.Judgement) {
	if m == nil || len(j.FixRules()) > 0 {
		return
	}
	key, ok := keyOf(obj)
	if !ok {
		return
	}
	fp, ok := fingerprint(obj, ns)
	if !ok {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.entries == nil {
		m.entries = map[memoKey]memoEntry{}
	}
	limit := m.Max
	if limit <= 0 {
		limit = defaultMemoEntries
	}
	if _, replaces := m.entries[key]; !replaces && len(m.entries) >= limit {
		return
	}
	m.entries[key] = memoEntry{fp: fp, eng: eng, j: j}
}

// take returns the judgement kept for obj when it still holds at now, and
// forgets it either way.
func (m *Memo) take(obj map[string]any, ns governance.Namespace, eng *governance.Engine, now time.Time) *governance.Judgement {
	if m == nil {
		return nil
	}
	key, ok := keyOf(obj)
	if !ok {
		return nil
	}
	m.mu.Lock()
	e, found := m.entries[key]
	delete(m.entries, key)
	m.mu.Unlock()
	hit := found && e.eng == eng && (e.j.NextChange.IsZero() || now.Before(e.j.NextChange))
	if hit {
		fp, ok := fingerprint(obj, ns)
		hit = ok && fp == e.fp
	}
	if !hit {
		m.misses.Add(1)
		return nil
	}
	m.hits.Add(1)
	return e.j
}

// Stats returns how often the memo served a judgement and how often not.
func (m *Memo) Stats() (hits, misses int64) { return m.hits.Load(), m.misses.Load() }

func keyOf(obj map[string]any) (memoKey, bool) {
	meta := view.ReadIdentity(obj)
	if meta.Name == "" {
		return memoKey{}, false // a generated name is not known yet
	}
	return memoKey{gk: meta.GroupKind, name: types.NamespacedName{Namespace: meta.Namespace, Name: meta.Name}}, true
}

// fingerprint digests what a judgement depends on besides the engine:
// the spec, the labels and annotations (ackguard's own records aside), the
// namespace's labels and default region, and ACK's record of the synced resource. Equal content gives an equal digest whether it
// was decoded from a request (numbers as float64) or read from the cache
// (integers as int64); ok is false for a value of a type JSON does not
// produce, which is then never memoized.
func fingerprint(obj map[string]any, ns governance.Namespace) (sum [sha256.Size]byte, ok bool) {
	b := make([]byte, 0, 1024)
	if b, ok = appendCanonical(b, view.RawSpec(obj)); !ok {
		return sum, false
	}
	// The labels and annotations as view.ReadMeta reads them (string
	// values only), read in place rather than copied into new maps.
	labels, annotations := view.LabelsAndAnnotations(obj)
	b = appendStringFields(b, labels, "")
	b = appendStringFields(b, annotations, "ackguard.dev/")
	b = appendStringMap(b, ns.Labels, "")
	b = appendString(b, ns.DefaultRegion)
	// What ACK records of the resource it synced: a status write (the
	// partition of a bucket, from its region) or ACK's finalizer (adoption) coalesced
	// into the event after a create changes what the judgement draws on.
	arn, partition, region, owner, finalizer := view.ACKRecord(obj)
	b = appendString(appendString(appendString(appendString(b, arn), partition), region), owner)
	b = strconv.AppendBool(b, finalizer)
	return sha256.Sum256(b), true
}

// appendCanonical appends an unambiguous encoding of a decoded JSON value:
// a type tag, then strings and containers length-prefixed, map keys
// sorted, integral numbers as integers whatever their Go type.
func appendCanonical(b []byte, v any) ([]byte, bool) {
	switch x := v.(type) {
	case nil:
		return append(b, 'n'), true
	case bool:
		if x {
			return append(b, 't'), true
		}
		return append(b, 'f'), true
	case string:
		return appendString(append(b, 's'), x), true
	case int64:
		return strconv.AppendInt(append(b, 'i'), x, 10), true
	case int:
		return strconv.AppendInt(append(b, 'i'), int64(x), 10), true
	case int32:
		return strconv.AppendInt(append(b, 'i'), int64(x), 10), true
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<63 {
			return strconv.AppendInt(append(b, 'i'), int64(x), 10), true
		}
		return strconv.AppendFloat(append(b, 'd'), x, 'g', -1, 64), true
	case []any:
		b = strconv.AppendInt(append(b, '['), int64(len(x)), 10)
		for _, e := range x {
			var ok bool
			if b, ok = appendCanonical(append(b, ','), e); !ok {
				return b, false
			}
		}
		return b, true
	case map[string]any:
		b = strconv.AppendInt(append(b, '{'), int64(len(x)), 10)
		var buf [16]string // most objects' keys fit without allocating
		keys := buf[:0]
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			var ok bool
			if b, ok = appendCanonical(appendString(append(b, ','), k), x[k]); !ok {
				return b, false
			}
		}
		return b, true
	}
	return b, false
}

// appendStringMap appends a string map in key order, leaving out the keys
// with the given prefix (none when it is empty).
func appendStringMap(b []byte, m map[string]string, skipPrefix string) []byte {
	var buf [16]string // most objects' labels fit without allocating
	keys := buf[:0]
	for k := range m {
		if skipPrefix == "" || !strings.HasPrefix(k, skipPrefix) {
			keys = append(keys, k)
		}
	}
	return appendSortedStrings(b, keys, func(k string) string { return m[k] })
}

// appendStringFields is appendStringMap for the string members of a
// decoded JSON object (those view.ReadMeta keeps), the others left out.
func appendStringFields(b []byte, m map[string]any, skipPrefix string) []byte {
	var buf [16]string
	keys := buf[:0]
	for k, v := range m {
		if _, isString := v.(string); isString && (skipPrefix == "" || !strings.HasPrefix(k, skipPrefix)) {
			keys = append(keys, k)
		}
	}
	return appendSortedStrings(b, keys, func(k string) string { return m[k].(string) })
}

// appendSortedStrings sorts keys and appends them with their values, as
// appendStringMap encodes a map.
func appendSortedStrings(b []byte, keys []string, value func(string) string) []byte {
	slices.Sort(keys)
	b = strconv.AppendInt(append(b, 'm'), int64(len(keys)), 10)
	for _, k := range keys {
		b = appendString(appendString(append(b, ','), k), value(k))
	}
	return b
}

func appendString(b []byte, s string) []byte {
	b = strconv.AppendInt(b, int64(len(s)), 10)
	return append(append(b, ':'), s...)
}

// trackingResolver records whether a rule read a related object.
type trackingResolver struct {
	rules.Resolver
	used bool
}

func (t *trackingResolver) Get(gvk schema.GroupVersionKind, namespace, name string) (map[string]any, bool, error) {
	t.used = true
	return t.Resolver.Get(gvk, namespace, name)
}

// List lists through the wrapped Resolver when it can list.
func (t *trackingResolver) List(gvk schema.GroupVersionKind) ([]map[string]any, error) {
	t.used = true
	l, ok := t.Resolver.(rules.Lister)
	if !ok {
		return nil, fmt.Errorf("listing %s is not supported here", gvk.Kind)
	}
	return l.List(gvk)
}
