package jsonx

import "testing"

func TestStringState(t *testing.T) {
	text := `{"a\"b\\":"x y", "c" : 1}`
	// Marks under each byte of text: s inside a string (quotes included).
	want := ` ssssssss sssss  sss     `
	var st StringState
	for i := 0; i < len(text); i++ {
		if got := st.Step(text[i]); got != (want[i] == 's') {
			t.Errorf("byte %d (%q): in a string %v, want %v", i, text[i], got, !got)
		}
	}
}
