package jsonx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
)

// toAny converts a node tree to the representation encoding/json produces
// when decoding into any with Decoder.UseNumber.
func toAny(n *Node) any {
	switch n.Kind {
	case Null:
		return nil
	case Bool:
		return n.Bool
	case Number:
		return json.Number(n.Str)
	case String:
		return n.Str
	case Array:
		v := make([]any, 0, len(n.Items))
		for _, it := range n.Items {
			v = append(v, toAny(it))
		}
		return v
	case Object:
		v := make(map[string]any, len(n.Members))
		for _, m := range n.Members {
			v[m.Key] = toAny(m.Value)
		}
		return v
	}
	panic(fmt.Sprintf("bad kind %d", n.Kind))
}

// decodeStd decodes data with encoding/json the way the tests compare
// against: into any, with numbers kept as json.Number.
func decodeStd(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("trailing data after value: %v", err)
	}
	return v, nil
}

// checkTree verifies the structural invariants of a parse result: every
// node's [Start, End) range lies within its parent's, siblings are in
// order, the text of scalars matches their values, and keys point at
// their quoted text.
func checkTree(t *testing.T, data []byte, n *Node, lo, hi int) {
	t.Helper()
	if n == nil {
		t.Fatalf("nil node")
	}
	if n.Start < lo || n.End > hi || n.Start >= n.End {
		t.Fatalf("%v node range [%d,%d) outside [%d,%d)", n.Kind, n.Start, n.End, lo, hi)
	}
	text := data[n.Start:n.End]
	first, last := text[0], text[len(text)-1]
	switch n.Kind {
	case Null:
		if string(text) != "null" {
			t.Fatalf("null text %q", text)
		}
	case Bool:
		if want := fmt.Sprint(n.Bool); string(text) != want {
			t.Fatalf("bool text %q, want %q", text, want)
		}
	case Number:
		if string(text) != n.Str {
			t.Fatalf("number text %q, Str %q", text, n.Str)
		}
	case String:
		// The decoding itself is compared with encoding/json elsewhere;
		// here it is enough that the text is exactly this one string.
		sub, err := Parse(text, Limits{})
		if err != nil || sub.Kind != String || sub.Str != n.Str || sub.Start != 0 || sub.End != len(text) {
			t.Fatalf("string text %q parses to %+v (%v), Str is %q", text, sub, err, n.Str)
		}
	case Array:
		if first != '[' || last != ']' {
			t.Fatalf("array text %q", text)
		}
		pos := n.Start + 1
		for _, it := range n.Items {
			checkTree(t, data, it, pos, n.End-1)
			pos = it.End
		}
	case Object:
		if first != '{' || last != '}' {
			t.Fatalf("object text %q", text)
		}
		pos := n.Start + 1
		for _, m := range n.Members {
			if m.KeyPos < pos || m.KeyPos >= m.Value.Start || data[m.KeyPos] != '"' {
				t.Fatalf("key %q at bad offset %d", m.Key, m.KeyPos)
			}
			// Between the key's text and the value there must be only
			// whitespace and the colon.
			between := string(data[m.KeyPos:m.Value.Start])
			dec := json.NewDecoder(strings.NewReader(between))
			var key string
			err := dec.Decode(&key)
			end := int(dec.InputOffset())
			if err != nil || key != m.Key || strings.Trim(between[end:], " \t\r\n") != ":" {
				t.Fatalf("key text %q decodes to %q (%v), Key is %q", between, key, err, m.Key)
			}
			checkTree(t, data, m.Value, m.KeyPos+1, n.End-1)
			pos = m.Value.End
		}
	default:
		t.Fatalf("bad kind %d", n.Kind)
	}
}

// depth returns the container nesting depth of n (0 for scalars).
func depth(n *Node) int {
	d := 0
	for _, it := range n.Items {
		d = max(d, depth(it))
	}
	for _, m := range n.Members {
		d = max(d, depth(m.Value))
	}
	if n.Kind == Object || n.Kind == Array {
		d++
	}
	return d
}

func TestKindString(t *testing.T) {
	want := map[Kind]string{Null: "null", Bool: "boolean", Number: "number", String: "string", Object: "object", Array: "array", 42: "Kind(42)"}
	for k, s := range want {
		if got := k.String(); got != s {
			t.Errorf("Kind(%d).String() = %q, want %q", k, got, s)
		}
	}
}

func TestParseValid(t *testing.T) {
	tests := []struct {
		in   string
		kind Kind
		str  string // expected Str for scalars
	}{
		{`null`, Null, ""},
		{`true`, Bool, ""},
		{`false`, Bool, ""},
		{` 0 `, Number, "0"},
		{`-0`, Number, "-0"},
		{`1.5e3`, Number, "1.5e3"},
		{`-12.25E-07`, Number, "-12.25E-07"},
		{`1e+9`, Number, "1e+9"},
		{`123456789012345678901234567890`, Number, "123456789012345678901234567890"},
		{`""`, String, ""},
		{`"abc"`, String, "abc"},
		{"\t\r\n \"h\u00e9llo \u4e16\u754c \U0001F600\" \n", String, "h\u00e9llo \u4e16\u754c \U0001F600"},
		{`"a\"b\\c\/d\be\ff\ng\rh\ti"`, String, "a\"b\\c/d\be\ff\ng\rh\ti"},
		{`"\u0041\u00e9\u4E16\ud83d\ude00"`, String, "A\u00e9\u4e16\U0001F600"},
		{`[]`, Array, ""},
		{`{}`, Object, ""},
		{` [ 1 , "two" , [ ] , { } , null ] `, Array, ""},
		{`{"z":1,"a":{"y":[true,false]},"m":"x"}`, Object, ""},
		{`[[[[[[[[[[]]]]]]]]]]`, Array, ""},
		{`{"":"", "\u0000":0, "a\u0000b":1}`, Object, ""},
		{iamPolicy, Object, ""},
	}
	for _, tt := range tests {
		n, err := Parse([]byte(tt.in), Limits{})
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if n.Kind != tt.kind {
			t.Errorf("Parse(%q).Kind = %v, want %v", tt.in, n.Kind, tt.kind)
		}
		if (tt.kind == String || tt.kind == Number) && n.Str != tt.str {
			t.Errorf("Parse(%q).Str = %q, want %q", tt.in, n.Str, tt.str)
		}
		if trimmed := strings.Trim(tt.in, " \t\r\n"); tt.in[n.Start:n.End] != trimmed {
			t.Errorf("Parse(%q): root text %q, want %q", tt.in, tt.in[n.Start:n.End], trimmed)
		}
		checkTree(t, []byte(tt.in), n, 0, len(tt.in))
		want, err := decodeStd([]byte(tt.in))
		if err != nil {
			t.Fatalf("encoding/json rejects %q: %v", tt.in, err)
		}
		if got := toAny(n); !reflect.DeepEqual(got, want) {
			t.Errorf("Parse(%q) = %#v, encoding/json = %#v", tt.in, got, want)
		}
	}
}

func TestParseStructure(t *testing.T) {
	in := "{\n  \"z\" : [1, -2.5e3, \"x\"],\n  \"a\": {\"k\": true},\n  \"m\": null\n}\n"
	n, err := Parse([]byte(in), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, m := range n.Members {
		keys = append(keys, m.Key)
		if want := strings.Index(in, `"`+m.Key+`"`); m.KeyPos != want {
			t.Errorf("KeyPos of %q = %d, want %d", m.Key, m.KeyPos, want)
		}
	}
	if want := []string{"z", "a", "m"}; !reflect.DeepEqual(keys, want) {
		t.Errorf("member order %q, want %q", keys, want)
	}
	text := func(n *Node) string { return in[n.Start:n.End] }
	z := n.Get("z")
	for _, c := range []struct{ got, want string }{
		{text(n), strings.TrimSpace(in)},
		{text(z), `[1, -2.5e3, "x"]`},
		{text(z.Items[0]), `1`},
		{text(z.Items[1]), `-2.5e3`},
		{text(z.Items[2]), `"x"`},
		{text(n.Get("a")), `{"k": true}`},
		{text(n.Get("a").Get("k")), `true`},
		{text(n.Get("m")), `null`},
	} {
		if c.got != c.want {
			t.Errorf("value text %q, want %q", c.got, c.want)
		}
	}
	if z.Items[2].Start != strings.Index(in, `"x"`) {
		t.Errorf("Start of \"x\" = %d", z.Items[2].Start)
	}
	// Slices are carved with exact capacity so appending to one never
	// overwrites a sibling.
	if cap(z.Items) != len(z.Items) || cap(n.Members) != len(n.Members) {
		t.Errorf("carved slices have spare capacity")
	}
}

func TestGet(t *testing.T) {
	n, err := Parse([]byte(`{"Effect":"Allow","effect":"Deny","Action":["s3:*"]}`), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if got := n.Get("Effect"); got == nil || got.Str != "Allow" {
		t.Errorf("Get(Effect) = %+v", got)
	}
	if got := n.Get("effect"); got == nil || got.Str != "Deny" {
		t.Errorf("Get(effect) = %+v", got)
	}
	if got := n.Get("EFFECT"); got != nil {
		t.Errorf("Get(EFFECT) = %+v, want nil", got)
	}
	if got := n.Get("Action").Get("x"); got != nil {
		t.Errorf("Get on array = %+v, want nil", got)
	}
	var nilNode *Node
	if nilNode.Get("x") != nil {
		t.Errorf("Get on nil node returned non-nil")
	}
}

// TestStringsMatchEncodingJSON checks escape, surrogate and invalid UTF-8
// handling against encoding/json.
func TestStringsMatchEncodingJSON(t *testing.T) {
	lits := []string{
		`""`,
		`"plain ascii"`,
		`"\"\\\/\b\f\n\r\t"`,
		`"\u0000\u001f\u007f\u0080\u07ff\u0800\uffff"`,
		`"\uD83D\uDE00"`,          // surrogate pair
		`"\ud83d\ude00x"`,         // lower case hex
		`"\uD83D"`,                // lone high surrogate
		`"\uDE00"`,                // lone low surrogate
		`"\uDE00\uD83D"`,          // reversed pair
		`"\uD83D\uD83D\uDE00"`,    // high, then a valid pair
		`"\uD83Dx\uDE00"`,         // pair interrupted
		`"\uD83D\n"`,              // high followed by another escape
		`"\uD83D\u0041"`,          // high followed by non-surrogate escape
		`"\uDBFF\uDFFF"`,          // U+10FFFF
		`"\uD800\uDC00"`,          // U+10000
		`"a\uD83D"`,               // lone surrogate at end
		"\"\xff\"",                // invalid byte
		"\"a\xffb\xfe\"",          // several invalid bytes
		"\"\xc0\x80\"",            // overlong NUL
		"\"\xed\xa0\x80\"",        // UTF-8 encoded surrogate
		"\"\xe2\x82\"",            // truncated sequence
		"\"\xf4\x90\x80\x80\"",    // beyond U+10FFFF
		"\"\xf4\x8f\xbf\xbf\"",    // U+10FFFF
		"\"\xef\xbf\xbd\"",        // literal U+FFFD
		"\"\xff\\n\"",             // invalid byte then escape
		"\"\\n\xff\"",             // escape then invalid byte
		"\"caf\xc3\xa9 \\u00e9\"", // valid multibyte and escape
		"\"\u2028\u2029\"",        // separators are allowed raw
		`"\u00E9\u00e9"`,          // hex case
		`"` + strings.Repeat(`\u00e9`, 100) + `"`,
		`"` + strings.Repeat("\xff", 100) + `"`,
	}
	for _, lit := range lits {
		var want string
		if err := json.Unmarshal([]byte(lit), &want); err != nil {
			t.Fatalf("encoding/json rejects %q: %v", lit, err)
		}
		n, err := Parse([]byte(lit), Limits{})
		if err != nil {
			t.Errorf("Parse(%q): %v", lit, err)
			continue
		}
		if n.Kind != String || n.Str != want {
			t.Errorf("Parse(%q) = %v %q, encoding/json = %q", lit, n.Kind, n.Str, want)
		}
		// The same string as an object key.
		doc := `{` + lit + `:1}`
		n, err = Parse([]byte(doc), Limits{})
		if err != nil || n.Members[0].Key != want {
			t.Errorf("Parse(%q) key = %+v, %v, want %q", doc, n, err, want)
		}
	}
}

func TestSyntaxErrors(t *testing.T) {
	tests := []struct {
		in        string
		off       int
		line, col int
		msg       string
	}{
		{``, 0, 1, 1, `unexpected end of input`},
		{"  \n ", 4, 2, 2, `unexpected end of input`},
		{`{`, 1, 1, 2, `unexpected end of input`},
		{`[1,`, 3, 1, 4, `unexpected end of input`},
		{`"abc`, 4, 1, 5, `unexpected end of input`},
		{`"abc\`, 5, 1, 6, `unexpected end of input`},
		{`"\u12`, 5, 1, 6, `unexpected end of input`},
		{`tru`, 3, 1, 4, `unexpected end of input`},
		{`-`, 1, 1, 2, `unexpected end of input`},
		{`1.`, 2, 1, 3, `unexpected end of input`},
		{`1e+`, 3, 1, 4, `unexpected end of input`},
		{`{"a"`, 4, 1, 5, `unexpected end of input`},
		{`{"a":`, 5, 1, 6, `unexpected end of input`},
		{`{"a":1`, 6, 1, 7, `unexpected end of input`},
		{"{\n  \"a\" }", 8, 2, 7, `invalid character '}' after object name (expecting ':')`},
		{`{"a":1 "b":2}`, 7, 1, 8, `invalid character '"' after object value (expecting ',' or '}')`},
		{`{"a":1,}`, 7, 1, 8, `invalid character '}' looking for beginning of object key string`},
		{`{a:1}`, 1, 1, 2, `invalid character 'a' looking for beginning of object key string`},
		{`{'a':1}`, 1, 1, 2, `invalid character '\'' looking for beginning of object key string`},
		{`[1,]`, 3, 1, 4, `invalid character ']' at start of value`},
		{`[1 2]`, 3, 1, 4, `invalid character '2' after array element (expecting ',' or ']')`},
		{`[1}`, 2, 1, 3, `invalid character '}' after array element (expecting ',' or ']')`},
		{`{"a":1]`, 6, 1, 7, `invalid character ']' after object value (expecting ',' or '}')`},
		{`1 2`, 2, 1, 3, `invalid character '2' after top-level value`},
		{`{} {}`, 3, 1, 4, `invalid character '{' after top-level value`},
		{`01`, 1, 1, 2, `invalid character '1' after top-level value`},
		{`[01]`, 2, 1, 3, `invalid character '1' after array element (expecting ',' or ']')`},
		{`-a`, 1, 1, 2, `invalid character 'a' in number (expecting digit)`},
		{`+1`, 0, 1, 1, `invalid character '+' at start of value`},
		{`.5`, 0, 1, 1, `invalid character '.' at start of value`},
		{`1.e5`, 2, 1, 3, `invalid character 'e' in number (expecting digit)`},
		{`1e`, 2, 1, 3, `unexpected end of input`},
		{`1ex`, 2, 1, 3, `invalid character 'x' in number (expecting digit)`},
		{`1e+-5`, 3, 1, 4, `invalid character '-' in number (expecting digit)`},
		{`NaN`, 0, 1, 1, `invalid character 'N' at start of value`},
		{`-Infinity`, 1, 1, 2, `invalid character 'I' in number (expecting digit)`},
		{`True`, 0, 1, 1, `invalid character 'T' at start of value`},
		{`trUe`, 2, 1, 3, `invalid character 'U' in literal true (expecting 'u')`},
		{`nul`, 3, 1, 4, `unexpected end of input`},
		{`nulll`, 4, 1, 5, `invalid character 'l' after top-level value`},
		{`fals e`, 4, 1, 5, `invalid character ' ' in literal false (expecting 'e')`},
		{"\"a\nb\"", 2, 1, 3, `invalid character '\n' in string (expecting non-control character)`},
		{"\"a\tb\"", 2, 1, 3, `invalid character '\t' in string (expecting non-control character)`},
		{"\"\\n\x01\"", 3, 1, 4, `invalid character '\x01' in string (expecting non-control character)`},
		{"\"\xff\x00\"", 2, 1, 3, `invalid character '\x00' in string (expecting non-control character)`},
		{`"\x41"`, 1, 1, 2, "invalid escape sequence `\\x` in string"},
		{`"\'"`, 1, 1, 2, "invalid escape sequence `\\'` in string"},
		{`"\U0041"`, 1, 1, 2, "invalid escape sequence `\\U` in string"},
		{`"\u00g1"`, 1, 1, 2, "invalid escape sequence `\\u00g1` in string"},
		{`"\uD83D\uZZZZ"`, 7, 1, 8, "invalid escape sequence `\\uZZZZ` in string"},
		{"\ufeff{}", 0, 1, 1, `invalid character '\ufeff' at start of value`},
		{"\xff", 0, 1, 1, `invalid character '\xff' at start of value`},
		{"\v1", 0, 1, 1, `invalid character '\v' at start of value`},
		{"[1,\f2]", 3, 1, 4, `invalid character '\f' at start of value`},
		{"1\u00a0", 1, 1, 2, `invalid character '\u00a0' after top-level value`},
		{`[,1]`, 1, 1, 2, `invalid character ',' at start of value`},
		{`{n`, 1, 1, 2, `invalid character 'n' looking for beginning of object key string`},
		{`{"a":1, tru`, 8, 1, 9, `invalid character 't' looking for beginning of object key string`},
		{`{[`, 1, 1, 2, `invalid character '[' looking for beginning of object key string`},
		{`{,}`, 1, 1, 2, `invalid character ',' looking for beginning of object key string`},
		{`{1:2}`, 1, 1, 2, `invalid character '1' looking for beginning of object key string`},
		{`{"a":1,  2:3}`, 9, 1, 10, `invalid character '2' looking for beginning of object key string`},
		{`{"a":,}`, 5, 1, 6, `invalid character ',' at start of value`},
		{`[1,,2]`, 3, 1, 4, `invalid character ',' at start of value`},
		{`{"a":1,,"b":2}`, 7, 1, 8, `invalid character ',' looking for beginning of object key string`},
		{`{"a":1:2}`, 6, 1, 7, `invalid character ':' after object value (expecting ',' or '}')`},
		{`[1:2]`, 2, 1, 3, `invalid character ':' after array element (expecting ',' or ']')`},
		{`"\uDE00\uD83D`, 13, 1, 14, `unexpected end of input`},
		{"{\n\"Statement\": [\n  {\"Effect\": \"Allow\",}\n]}", 38, 3, 22, `invalid character '}' looking for beginning of object key string`},
	}
	for _, tt := range tests {
		if json.Valid([]byte(tt.in)) {
			t.Fatalf("test input %q is valid JSON", tt.in)
		}
		_, err := Parse([]byte(tt.in), Limits{})
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q) error = %v, want *SyntaxError", tt.in, err)
			continue
		}
		if se.Offset != tt.off || se.Line != tt.line || se.Column != tt.col || se.Msg != tt.msg {
			t.Errorf("Parse(%q) = {Offset:%d Line:%d Column:%d Msg:%q}, want {%d %d %d %q}",
				tt.in, se.Offset, se.Line, se.Column, se.Msg, tt.off, tt.line, tt.col, tt.msg)
		}
	}
}

func TestDuplicateKeys(t *testing.T) {
	var big strings.Builder
	big.WriteString(`{`)
	for i := range 40 {
		fmt.Fprintf(&big, `"k%d":%d,`, i, i)
	}
	bigOK := big.String() + `"k40":40}`
	bigDup := big.String() + `"k7":0}`
	bigDupLate := big.String() + `"k40":40,"k41":1,"k40":2}`

	tests := []struct {
		in   string
		key  string
		path string
		off  int // -1: the last occurrence of "key"
	}{
		{`{"a":1,"a":2}`, "a", "a", 7},
		{`{"a":1,"b":2,"a":3}`, "a", "a", 13},
		{`{"a":1,"\u0061":2}`, "a", "a", 7},
		{"{\"\xff\":1,\"\xfe\":2}", "\ufffd", "[\"\ufffd\"]", 7},
		{`{"":1,"":2}`, "", `[""]`, 6},
		{`[{"x":1},{"y":1,"y":2}]`, "y", "[1].y", 16},
		{`{"Statement":[{"Sid":"1"},{"Condition":{"StringEquals":{},"StringEquals":{}}}]}`,
			"StringEquals", "Statement[1].Condition.StringEquals", -1},
		{`{"Statement":[{"Condition":{"IpAddress":{"aws:SourceIp":"1.2.3.4","aws:SourceIp":"0.0.0.0/0"}}}]}`,
			"aws:SourceIp", `Statement[0].Condition.IpAddress["aws:SourceIp"]`, -1},
		{`{"a":{"b":[0,0,{"c d":{"e":1,"e":2}}]}}`, "e", `a.b[2]["c d"].e`, -1},
		{"{\n  \"Version\": \"2012-10-17\",\n  \"Version\": \"2008-10-17\"\n}", "Version", "Version", -1},
		{bigDup, "k7", "k7", -1},
		{bigDupLate, "k40", "k40", -1},
		// The duplicate is reported even if the rest is malformed.
		{`{"a":1,"a":`, "a", "a", 7},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.in), Limits{})
		var de *DuplicateKeyError
		if !errors.As(err, &de) {
			t.Errorf("Parse(%q) error = %v, want *DuplicateKeyError", tt.in, err)
			continue
		}
		off := tt.off
		if off < 0 {
			off = strings.LastIndex(tt.in, `"`+tt.key+`"`)
		}
		line, col := position(tt.in, off)
		if de.Key != tt.key || de.Path != tt.path || de.Offset != off || de.Line != line || de.Column != col {
			t.Errorf("Parse(%q) = %+v, want key %q path %q offset %d", tt.in, de, tt.key, tt.path, off)
		}
	}

	// Case-sensitive, escape-distinct and large objects without
	// duplicates are fine.
	for _, in := range []string{`{"a":1,"A":2}`, `{"a":{"a":{"a":1}},"b":{"a":2}}`, `{"a\u0000":1,"a":2}`, bigOK,
		`[` + bigOK + `,` + bigOK + `,{"k0":{"k0":` + bigOK + `}}]`} {
		if _, err := Parse([]byte(in), Limits{}); err != nil {
			t.Errorf("Parse(%q): %v", in, err)
		}
	}

	// The real-world case: encoding/json silently keeps the last one.
	in := []byte(`{"Effect":"Deny","Effect":"Allow"}`)
	var v map[string]string
	if err := json.Unmarshal(in, &v); err != nil || v["Effect"] != "Allow" {
		t.Fatalf("encoding/json behaviour changed: %v %v", v, err)
	}
	if _, err := Parse(in, Limits{}); err == nil {
		t.Fatalf("duplicate Effect accepted")
	}
}

func TestLimits(t *testing.T) {
	doc := []byte(`{"a":[1,2,3]}`)
	if _, err := Parse(doc, Limits{MaxBytes: len(doc)}); err != nil {
		t.Errorf("document at the size limit: %v", err)
	}
	_, err := Parse(doc, Limits{MaxBytes: len(doc) - 1})
	var le *LimitError
	if !errors.As(err, &le) || *le != (LimitError{What: "size", Limit: len(doc) - 1, Actual: len(doc), Offset: len(doc) - 1}) {
		t.Errorf("size limit: got %#v", err)
	}
	// The size is checked before anything else, even syntax.
	if _, err := Parse([]byte(`}}}}`), Limits{MaxBytes: 2}); !errors.As(err, &le) || le.What != "size" {
		t.Errorf("size limit on invalid input: got %v", err)
	}

	nested := func(d int) []byte {
		return []byte(strings.Repeat(`{"a":[`, d) + strings.Repeat(`]}`, d))
	}
	for _, tc := range []struct {
		doc     []byte
		max     int
		wantErr bool
		off     int
	}{
		{[]byte(`1`), 1, false, 0},
		{[]byte(`[1]`), 1, false, 0},
		{[]byte(`[[1]]`), 1, true, 1},
		{[]byte(`[[1]]`), 2, false, 0},
		{[]byte(`[{"a":[]}]`), 2, true, 6},
		{nested(3), 6, false, 0},
		{nested(3), 5, true, 17},
		{[]byte(strings.Repeat("[", 64) + strings.Repeat("]", 64)), 0, false, 0},
		{[]byte(strings.Repeat("[", 65) + strings.Repeat("]", 65)), 0, true, 64},
		{[]byte(strings.Repeat("[", 65) + strings.Repeat("]", 65)), 65, false, 0},
	} {
		_, err := Parse(tc.doc, Limits{MaxDepth: tc.max})
		if !tc.wantErr {
			if err != nil {
				t.Errorf("Parse(%.40q, MaxDepth %d): %v", tc.doc, tc.max, err)
			}
			continue
		}
		limit := tc.max
		if limit == 0 {
			limit = DefaultMaxDepth
		}
		if !errors.As(err, &le) || *le != (LimitError{What: "depth", Limit: limit, Actual: limit + 1, Offset: tc.off}) {
			t.Errorf("Parse(%.40q, MaxDepth %d) error = %#v", tc.doc, tc.max, err)
		}
	}

	// The tokenizer bounds nesting at 10000 levels itself; larger limits
	// are capped at that, with the same error.
	for _, max := range []int{10000, 10001, 1 << 20} {
		deep := func(d int) []byte { return []byte(strings.Repeat(`[`, d) + `{"a":1}` + strings.Repeat(`]`, d)) }
		if _, err := Parse(deep(9999), Limits{MaxDepth: max}); err != nil {
			t.Errorf("depth 10000, MaxDepth %d: %v", max, err)
		}
		_, err := Parse(deep(10000), Limits{MaxDepth: max})
		if !errors.As(err, &le) || *le != (LimitError{What: "depth", Limit: 10000, Actual: 10001, Offset: 10000}) {
			t.Errorf("depth 10001, MaxDepth %d: error = %#v", max, err)
		}
	}

	// 100,000 unclosed '[' (and '{"a":') must fail at depth 65 right away,
	// without touching the rest of the input or growing the stack: the
	// error offset lies within the first 65 levels, and parsing 100,000
	// levels allocates no more than parsing 66 (the counts wobble by a few
	// under the race detector, where sync.Pool drops entries at random,
	// so they are compared with a small margin rather than pinned).
	for _, unit := range []string{"[", `{"a":`, `[{"a":`} {
		doc := []byte(strings.Repeat(unit, 100000))
		_, err := Parse(doc, Limits{})
		if !errors.As(err, &le) || le.What != "depth" || le.Limit != DefaultMaxDepth || le.Actual != DefaultMaxDepth+1 {
			t.Fatalf("deep %q: got %v", unit, err)
		}
		if le.Offset >= 65*len(unit) {
			t.Errorf("deep %q: failed at offset %d, want within the first 65 levels", unit, le.Offset)
		}
		short := []byte(strings.Repeat(unit, DefaultMaxDepth+1))
		long := testing.AllocsPerRun(50, func() { _, _ = Parse(doc, Limits{}) })
		base := testing.AllocsPerRun(50, func() { _, _ = Parse(short, Limits{}) })
		if long > base+5 {
			t.Errorf("deep %q: %v allocations for 100,000 levels, %v for %d", unit, long, base, DefaultMaxDepth+1)
		}
	}
}

func TestErrorStrings(t *testing.T) {
	_, err := Parse([]byte("{\n\"a\":1,\n  \"a\" }"), Limits{})
	if got, want := err.Error(), `line 3, column 3: duplicate key "a" at a`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	_, err = Parse([]byte("{\n\n  \"a\" }"), Limits{})
	if got, want := err.Error(), `line 3, column 7: invalid character '}' after object name (expecting ':')`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	_, err = Parse([]byte("[[1]]"), Limits{MaxDepth: 1})
	if got, want := err.Error(), `offset 1: nesting depth 2 exceeds limit of 1`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	_, err = Parse([]byte("[1]"), Limits{MaxBytes: 2})
	if got, want := err.Error(), `document size 3 bytes exceeds limit of 2 bytes`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestSharedInput checks that the result does not alias the input buffer.
func TestSharedInput(t *testing.T) {
	buf := []byte(`{"Effect":"Allow"}`)
	n, err := Parse(buf, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	copy(buf, bytes.Repeat([]byte("x"), len(buf)))
	if n.Members[0].Key != "Effect" || n.Members[0].Value.Str != "Allow" {
		t.Errorf("result changed with the input buffer: %+v", n.Members[0])
	}
}

// addSeeds adds the fuzz corpus shared by the fuzz targets.
func addSeeds(f *testing.F) {
	seeds := []string{
		``, ` `, `null`, `true`, `false`, `0`, `-0`, `-0.0e-0`, `1.5e3`, `1E+2`, `01`, `-`, `1.`, `.1`, `1e`, `+1`,
		`""`, `"abc"`, `"\u0041"`, `"\uD83D\uDE00"`, `"\uD83D"`, `"\uDE00\uD83D"`, `"\uD83D\u0041"`, `"\u00zz"`,
		"\"\xff\"", "\"\xed\xa0\x80\"", "\"\xc3\"", "\"a\x00\"", `"\/\b\f\n\r\t\"\\"`, `"\x"`,
		`[]`, `{}`, `[1,2,3]`, `[1,]`, `[,1]`, `{"a":1}`, `{"a":1,}`, `{"a" 1}`, `{"a":1 "b":2}`,
		`{"a":1,"a":2}`, `{"a":1,"\u0061":2}`, `{"a":{"b":[{"c":1,"c":2}]}}`,
		"{\"\xff\":1,\"\xfe\":2}", ` {"a" : [ true , false , null ] } `, `[1] x`, "\ufeff[]", "[\v]",
		strings.Repeat("[", 100) + strings.Repeat("]", 100),
		strings.Repeat("[", 64) + strings.Repeat("]", 64),
		strings.Repeat(`{"a":`, 70) + "1" + strings.Repeat("}", 70),
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`,
		`{"Statement":[{"Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1"},"StringEquals":{"aws:SourceVpce":"vpce-2"}}}]}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	// Realistic policies, compacted: minimizing inputs derived from large
	// seeds is slow, so keep them small.
	for _, s := range []string{iamPolicy, buildPolicy(1)} {
		var buf bytes.Buffer
		if err := json.Compact(&buf, []byte(s)); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
}

func FuzzParse(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := Parse(data, Limits{})
		valid := json.Valid(data)
		if err != nil {
			_ = err.Error()
			var se *SyntaxError
			var de *DuplicateKeyError
			var le *LimitError
			switch {
			case errors.As(err, &se):
				if valid {
					t.Fatalf("valid JSON rejected: %v", err)
				}
				if se.Offset < 0 || se.Offset > len(data) || se.Line < 1 || se.Column < 1 {
					t.Fatalf("bad position in %+v", se)
				}
			case errors.As(err, &de):
				if de.Offset < 0 || de.Offset >= len(data) || data[de.Offset] != '"' {
					t.Fatalf("duplicate key offset %d does not point at a key", de.Offset)
				}
				var key string
				if err := json.NewDecoder(bytes.NewReader(data[de.Offset:])).Decode(&key); err != nil || key != de.Key {
					t.Fatalf("duplicate key %q at %d, text decodes to %q (%v)", de.Key, de.Offset, key, err)
				}
			case errors.As(err, &le):
				if le.What != "depth" || le.Limit != DefaultMaxDepth || le.Offset < 0 || le.Offset >= len(data) ||
					(data[le.Offset] != '[' && data[le.Offset] != '{') {
					t.Fatalf("bad limit error %+v", le)
				}
			default:
				t.Fatalf("unexpected error type %T: %v", err, err)
			}
			return
		}
		if !valid {
			t.Fatalf("invalid JSON accepted: %q", data)
		}
		want, err := decodeStd(data)
		if err != nil {
			t.Fatalf("encoding/json: %v", err)
		}
		if got := toAny(n); !reflect.DeepEqual(got, want) {
			t.Fatalf("Parse = %#v\nencoding/json = %#v", got, want)
		}
		// Visit lends the same tree, twice in a row (the second on the
		// first one's recycled slabs).
		for range 2 {
			visited := false
			if err := Visit(string(data), Limits{}, func(root *Node) {
				visited = true
				if got := toAny(root); !reflect.DeepEqual(got, want) {
					t.Fatalf("Visit = %#v\nencoding/json = %#v", got, want)
				}
				checkTree(t, data, root, 0, len(data))
			}); err != nil || !visited {
				t.Fatalf("Visit: %v (called: %v)", err, visited)
			}
		}
		trimmed := bytes.Trim(data, " \t\r\n")
		if !bytes.Equal(data[n.Start:n.End], trimmed) {
			t.Fatalf("root text %q, want %q", data[n.Start:n.End], trimmed)
		}
		checkTree(t, data, n, 0, len(data))

		// The depth limit is exact and the size limit inclusive.
		d := depth(n)
		if d > 0 {
			if _, err := Parse(data, Limits{MaxDepth: d}); err != nil {
				t.Fatalf("MaxDepth %d (the actual depth): %v", d, err)
			}
		}
		if d > 1 {
			var le *LimitError
			if _, err := Parse(data, Limits{MaxDepth: d - 1}); !errors.As(err, &le) || le.What != "depth" {
				t.Fatalf("MaxDepth %d (below the actual depth %d): %v", d-1, d, err)
			}
		}
		if _, err := Parse(data, Limits{MaxBytes: len(data)}); err != nil {
			t.Fatalf("MaxBytes = len: %v", err)
		}
	})
}

// TestTreesOutliveReuse: parsers are reused between documents, and what a
// parse returned must not change when later ones, failed ones included,
// reuse the parser's stacks.
func TestTreesOutliveReuse(t *testing.T) {
	first := []byte(`{"k\u0065y":["v\u0061lue",{"n\u00e9sted":"\"quoted\"","plain":1}],"Policy":` + buildPolicy(3) + `}`)
	n, err := Parse(first, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	// encoding/json's reading shares no memory with the tree.
	want, err := decodeStd(first)
	if err != nil {
		t.Fatal(err)
	}
	if got := toAny(n); !reflect.DeepEqual(got, want) {
		t.Fatalf("Parse = %#v, encoding/json = %#v", got, want)
	}
	others := []string{
		buildPolicy(40),
		`{"a":[1,2,{"b":"\u0041\u0042"}],"a":3}`,             // a duplicate after a deep member
		`{"x":{"y":[[["\u0043` + strings.Repeat(`,"zz"`, 50), // ends inside open containers
		`{"p\u0071":"r\u0073","t":[` + strings.Repeat(`"\u0075",`, 300) + `1]}`,
		strings.Repeat(`[`, 2000) + strings.Repeat(`]`, 2000), // deeper than a kept stack
	}
	// Trees lent by Visit leave their slabs for the next parse; a tree
	// Parse gave must never be among them, nor must what a lent tree's
	// reader kept of its strings change.
	var keptStrings []string
	for range 3 {
		for _, o := range others {
			_, _ = Parse([]byte(o), Limits{MaxDepth: 3000})
			_ = Visit(o, Limits{MaxDepth: 3000}, func(root *Node) {
				for _, m := range root.Members {
					keptStrings = append(keptStrings, m.Key)
				}
			})
		}
	}
	if got := toAny(n); !reflect.DeepEqual(got, want) {
		t.Errorf("the first tree changed after other parses:\n got %#v\nwant %#v", got, want)
	}
	if want := []string{"Version", "Id", "Statement", "pq", "t"}; !reflect.DeepEqual(keptStrings[:len(want)], want) {
		t.Errorf("keys kept from lent trees: %q, want %q first", keptStrings, want)
	}
}

// TestVisitRecyclesSlabs: a tree Visit lent gives its slabs to the next
// one, so a reader that keeps nothing of it costs no tree per document,
// and a tree Parse gave afterwards owns its slabs alone.
func TestVisitRecyclesSlabs(t *testing.T) {
	doc := buildPolicy(2)
	var first []*Node
	if err := Visit(doc, Limits{}, func(root *Node) { first = append(first, root) }); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(20, func() {
		_ = Visit(doc, Limits{}, func(*Node) {})
	})
	// At most the decoded strings' copy (the tokenizer's copy of the
	// input is kept too); no node, member or item slab.
	if allocs > 1 && !raceEnabled {
		t.Errorf("Visit of a document seen before: %v allocations, want at most 1", allocs)
	}
	given, err := Parse([]byte(doc), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	want := toAny(given)
	for range 5 {
		_ = Visit(`{"overwrite":["every","slab",{"it":"can"}],"x":[1,2,3,4,5,6,7,8]}`, Limits{}, func(*Node) {})
	}
	if got := toAny(given); !reflect.DeepEqual(got, want) {
		t.Errorf("a tree Parse gave changed after Visits:\n got %#v\nwant %#v", got, want)
	}
}

func TestVisitErrors(t *testing.T) {
	called := false
	err := Visit(`{"a":1,"a":2}`, Limits{}, func(*Node) { called = true })
	var de *DuplicateKeyError
	if !errors.As(err, &de) || called {
		t.Errorf("Visit of a duplicate key: %v (use called: %v)", err, called)
	}
	var le *LimitError
	if err := Visit(`[1]`, Limits{MaxBytes: 2}, func(*Node) { called = true }); !errors.As(err, &le) || le.What != "size" || called {
		t.Errorf("Visit over the size limit: %v (use called: %v)", err, called)
	}
}

// iamPolicy is a small, realistic bucket policy.
const iamPolicy = `{
  "Version": "2012-10-17",
  "Id": "ExamplePolicy",
  "Statement": [
    {
      "Sid": "AllowSSLRequestsOnly",
      "Effect": "Deny",
      "Principal": "*",
      "Action": "s3:*",
      "Resource": ["arn:aws:s3:::example-bucket", "arn:aws:s3:::example-bucket/*"],
      "Condition": {"Bool": {"aws:SecureTransport": "false"}}
    },
    {
      "Sid": "AllowFromVPC",
      "Effect": "Allow",
      "Principal": {"AWS": ["arn:aws:iam::123456789012:root"]},
      "Action": ["s3:GetObject", "s3:PutObject"],
      "Resource": "arn:aws:s3:::example-bucket/home/${aws:username}/*",
      "Condition": {
        "StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"},
        "IpAddress": {"aws:SourceIp": ["192.0.2.0/24", "203.0.113.0/24"]},
        "NumericLessThanEquals": {"s3:max-keys": 10}
      }
    }
  ]
}`

// buildPolicy returns an indented IAM policy document with n statements.
func buildPolicy(n int) string {
	var b strings.Builder
	b.WriteString("{\n  \"Version\": \"2012-10-17\",\n  \"Id\": \"Policy\\/generated\",\n  \"Statement\": [")
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		effect := "Allow"
		if i%5 == 4 {
			effect = "Deny"
		}
		fmt.Fprintf(&b, `
    {
      "Sid": "Stmt%04d",
      "Effect": %q,
      "Principal": {"AWS": ["arn:aws:iam::1234567890%02d:root", "arn:aws:iam::1234567890%02d:role/app-%d"]},
      "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "kms:Decrypt"],
      "NotAction": [],
      "Resource": [
        "arn:aws:s3:::bucket-%d",
        "arn:aws:s3:::bucket-%d/home/${aws:username}/*"
      ],
      "Condition": {
        "StringEquals": {"aws:SourceVpce": "vpce-%08x", "s3:x-amz-acl": "bucket-owner-full-control"},
        "IpAddress": {"aws:SourceIp": ["192.0.2.0/24", "203.0.113.%d/32"]},
        "Bool": {"aws:SecureTransport": true},
        "NumericLessThanEquals": {"s3:max-keys": %d},
        "StringLike": {"s3:prefix": ["home/", "home/\u0024{aws:username}/", "caf\u00e9"]}
      }
    }`, i, effect, i%100, i%100, i, i, i, i*7919, i%256, 10+i)
	}
	b.WriteString("\n  ]\n}\n")
	return b.String()
}

func BenchmarkParse(b *testing.B) {
	data := []byte(buildPolicy(50))
	if _, err := Parse(data, Limits{MaxBytes: 1 << 20}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(data, Limits{MaxBytes: 1 << 20}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodingJSON is a reference point: encoding/json decoding the
// same document into any.
func BenchmarkEncodingJSON(b *testing.B) {
	data := []byte(buildPolicy(50))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			b.Fatal(err)
		}
	}
}

// TestChunksGetLeavesNoSlabBehind: a spare slab handed out leaves its
// slot empty, so a tree Parse carves from it is not kept alive by the
// pooled parser's spare list.
func TestChunksGetLeavesNoSlabBehind(t *testing.T) {
	var c chunks[Node]
	c.spare = append(c.spare, make([]Node, 0, 8))
	if got := c.get(4, false); cap(got) != 8 {
		t.Fatalf("get handed out a slab of capacity %d, want the spare one of 8", cap(got))
	}
	if old := c.spare[:1][0]; old != nil {
		t.Errorf("the spare list's old slot still holds a slab of capacity %d", cap(old))
	}
}
