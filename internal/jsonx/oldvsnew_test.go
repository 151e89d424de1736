package jsonx

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// FuzzOldVsNew checks that the jsontext-based parser agrees with the
// hand-written one it replaces: both accept with identical trees, or both
// reject with the same kind of error. Duplicate-key and limit errors must
// be identical. Syntax errors must have the same offset, with one
// deliberate difference: a malformed escape is reported at its backslash
// (with the whole escape in the message) instead of at the bad character
// within it.
func FuzzOldVsNew(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, lim := range []Limits{{}, {MaxDepth: 3}, {MaxBytes: 64}} {
			compareOldNew(t, data, lim)
		}
	})
}

func compareOldNew(t *testing.T, data []byte, lim Limits) {
	t.Helper()
	oldN, oldErr := parseOld(data, lim)
	newN, newErr := Parse(data, lim)
	if (oldErr == nil) != (newErr == nil) {
		t.Fatalf("%q %+v: old error %v, new error %v", data, lim, oldErr, newErr)
	}
	if oldErr == nil {
		if !reflect.DeepEqual(oldN, newN) {
			t.Fatalf("%q %+v: trees differ\nold %#v\nnew %#v", data, lim, oldN, newN)
		}
		return
	}
	var oldSE, newSE *SyntaxError
	var oldDE, newDE *DuplicateKeyError
	var oldLE, newLE *LimitError
	switch {
	case errors.As(oldErr, &oldDE):
		if !errors.As(newErr, &newDE) || *oldDE != *newDE {
			t.Fatalf("%q %+v: old %#v, new %#v", data, lim, oldErr, newErr)
		}
	case errors.As(oldErr, &oldLE):
		if !errors.As(newErr, &newLE) || *oldLE != *newLE {
			t.Fatalf("%q %+v: old %#v, new %#v", data, lim, oldErr, newErr)
		}
	case errors.As(oldErr, &oldSE):
		if !errors.As(newErr, &newSE) {
			t.Fatalf("%q %+v: old %#v, new %#v", data, lim, oldErr, newErr)
		}
		off := newSE.Offset
		if strings.HasPrefix(newSE.Msg, "invalid escape sequence") || strings.HasPrefix(newSE.Msg, "invalid surrogate pair") {
			// The old parser named the bad character inside the escape.
			if data[off] != '\\' || oldSE.Offset < off || oldSE.Offset >= off+12 {
				t.Fatalf("%q %+v: old %v, new %v", data, lim, oldErr, newErr)
			}
			return
		}
		if off != oldSE.Offset || newSE.Line != oldSE.Line || newSE.Column != oldSE.Column {
			t.Fatalf("%q %+v: old %v, new %v", data, lim, oldErr, newErr)
		}
	default:
		t.Fatalf("old error %T", oldErr)
	}
}

func benchmarkPolicy(b *testing.B, parse func([]byte, Limits) (*Node, error)) {
	// About 20 KiB: 26 statements of the generated policy.
	data := []byte(buildPolicy(26))
	if _, err := parse(data, Limits{MaxBytes: 1 << 20}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parse(data, Limits{MaxBytes: 1 << 20}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPolicy20KiBOld(b *testing.B) { benchmarkPolicy(b, parseOld) }
func BenchmarkPolicy20KiBNew(b *testing.B) { benchmarkPolicy(b, Parse) }
