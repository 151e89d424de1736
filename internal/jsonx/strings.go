package jsonx

// StringState follows a well-formed JSON text byte by byte, for code that
// rewrites the text outside its strings (dropping whitespace, or members)
// and must copy the strings as they are.
type StringState struct {
	in, escaped bool
}

// Step reads the next byte c and reports whether it belongs to a string:
// its opening quote, its content (escapes included) or its closing quote.
func (s *StringState) Step(c byte) bool {
	switch {
	case s.escaped:
		s.escaped = false
	case s.in && c == '\\':
		s.escaped = true
	case s.in && c == '"':
		s.in = false
	case s.in:
	case c == '"':
		s.in = true
	default:
		return false
	}
	return true
}
