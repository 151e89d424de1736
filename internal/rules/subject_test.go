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
