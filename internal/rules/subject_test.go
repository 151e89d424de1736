package rules

import "testing"

// TestCompactJSON: whitespace between tokens goes, whitespace inside
// strings (escaped quotes and backslashes included) stays.
func TestCompactJSON(t *testing.T) {
	for in, want := range map[string]string{
		`{"a":1}`:                             `{"a":1}`,
		"{\n  \"a\" : [ 1 , 2 ]\r\n}":         `{"a":[1,2]}`,
		`{"Sid": "two words", "b": "x y"}`:    `{"Sid":"two words","b":"x y"}`,
		`{"a": "q\" x", "b": "\\", "c": " "}`: `{"a":"q\" x","b":"\\","c":" "}`,
	} {
		if got := compactJSON(in); got != want {
			t.Errorf("compactJSON(%q) = %q, want %q", in, got, want)
		}
	}
}
