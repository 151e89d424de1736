package policy

import (
	"testing"
	"unsafe"
)

// TestPlainLen compares the eight-bytes-at-a-time scan with a byte loop
// for every byte value at every position of strings of 1 to 17 bytes, so
// each lane of a word and the tail are covered.
func TestPlainLen(t *testing.T) {
	want := func(s string) int {
		for i := 0; i < len(s); i++ {
			if c := s[i]; c < 0x20 || c >= 0x80 || c == '\\' || c == '"' {
				return i
			}
		}
		return len(s)
	}
	for n := 1; n <= 17; n++ {
		for pos := range n {
			for c := range 256 {
				b := []byte("abcdefghijklmnopq"[:n])
				b[pos] = byte(c)
				if got, w := plainLen(string(b)), want(string(b)); got != w {
					t.Fatalf("plainLen(%q) = %d, want %d", b, got, w)
				}
			}
		}
	}
	// Two bytes near the edges of the classes in one word: a borrow from
	// one lane must not hide or invent another.
	edges := []byte{0, 1, 0x1f, 0x20, 0x21, '"', 0x23, 0x5b, '\\', 0x5d, 0x7e, 0x7f, 0x80, 0xff}
	for i := range 8 {
		for j := range 8 {
			for _, a := range edges {
				for _, c := range edges {
					b := []byte("abcdefghij")
					b[i], b[j] = a, c
					if got, w := plainLen(string(b)), want(string(b)); got != w {
						t.Fatalf("plainLen(%q) = %d, want %d", b, got, w)
					}
				}
			}
		}
	}
	if plainLen("") != 0 {
		t.Error("the empty string has no plain prefix")
	}
}

// TestOneStatementHasNoHeader keeps a one-statement document's piece
// within 512 bytes: past that, the allocator gives an object with
// pointers a header and sets its type bits on every allocation.
func TestOneStatementHasNoHeader(t *testing.T) {
	if size := unsafe.Sizeof(oneStatement{}); size > 512 {
		t.Errorf("oneStatement is %d bytes", size)
	}
}
