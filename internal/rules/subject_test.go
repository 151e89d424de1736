package rules

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
)

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

// TestCanonicalStatement: a statement is the same whatever the order of
// its members, its whitespace or how its strings are escaped, and however
// it writes what ACK compares as equal (a one-element list, a Principal
// "*"); numbers keep their text.
func TestCanonicalStatement(t *testing.T) {
	for in, want := range map[string]string{
		`{"Effect":"Allow","Action":"*"}`:                                                    `{"Action":"*","Effect":"Allow"}`,
		"{\n  \"b\": {\"y\": 1, \"x\": [2, 1.0]},\n  \"a\": \"q x\"\n}":                      `{"a":"q x","b":{"x":[2,1.0],"y":1}}`,
		`{"a":"\u003c\u0041&"}`:                                                              `{"a":"<A&"}`,
		`{"Action":["s3:GetObject"],"Condition":{"Bool":{"aws:SecureTransport":["false"]}}}`: `{"Action":"s3:GetObject","Condition":{"Bool":{"aws:SecureTransport":"false"}}}`,
		`{"Principal":"*"}`:                                                                  `{"Principal":{"AWS":"*"}}`,
		`{"NotPrincipal":{"AWS":["*"]}}`:                                                     `{"NotPrincipal":{"AWS":"*"}}`,
		`{"Principal":{"Service":"*"}}`:                                                      `{"Principal":{"Service":"*"}}`,
		`{"Action":["s3:GetObject","s3:List*"]}`:                                             `{"Action":["s3:GetObject","s3:List*"]}`,
		`{"a": 1`:                                                                            `{"a":1`,
	} {
		if got := canonicalStatement(in); got != want {
			t.Errorf("canonicalStatement(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzCanonicalStatement: what canonicalStatement writes for a JSON text
// it can format says what the text says, as ACK compares it (decoded, it
// is the text decoded with every one-element list of a value unwrapped
// and a Principal or NotPrincipal "*" written as {"AWS":"*"}).
func FuzzCanonicalStatement(f *testing.F) {
	for _, s := range []string{
		`{"Sid":"A","Effect":"Allow","Principal":"*","Action":["s3:GetObject"],"Resource":"arn:aws:s3:::b/*"}`,
		`{"Principal":["*"],"NotPrincipal":{"AWS":["*","x"]},"Condition":{"Bool":{"aws:SecureTransport":[false]}},"n":[1.50],"e":"\u2028\t"}`,
		`{"b":{"y":[[1]],"x":[{"a":[true]}]},"a":"q\"x","c":[null]}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v := jsontext.Value(s)
		if v.Format(jsontext.ReorderRawObjects(true)) != nil {
			return // compactJSON's
		}
		got := canonicalStatement(s)
		want, err := decodeNumbers(s)
		if err != nil {
			return
		}
		have, err := decodeNumbers(got)
		if err != nil {
			t.Fatalf("canonicalStatement(%q) = %q, not JSON: %v", s, got, err)
		}
		if w := ackEquivalentValue(want); !reflect.DeepEqual(have, w) {
			t.Fatalf("canonicalStatement(%q) = %q: decodes to %#v, want %#v", s, got, have, w)
		}
	})
}

func decodeNumbers(s string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("more than one value")
	}
	return v, nil
}

// ackEquivalentValue is ackEquivalent on a decoded value.
func ackEquivalentValue(v any) any {
	switch x := v.(type) {
	case []any:
		if len(x) == 1 {
			switch x[0].(type) {
			case string, json.Number, bool:
				return x[0]
			}
		}
		for i, e := range x {
			x[i] = ackEquivalentValue(e)
		}
	case map[string]any:
		for k, e := range x {
			e = ackEquivalentValue(e)
			if (k == "Principal" || k == "NotPrincipal") && e == "*" {
				e = map[string]any{"AWS": "*"}
			}
			x[k] = e
		}
	}
	return v
}
