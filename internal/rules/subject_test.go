package rules

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
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
		"{\n  \"b\": {\"y\": 1, \"x\": [2, 1.0]},\n  \"a\": \"q x\"\n}":                      `{"a":"q x","b":{"x":[1.0,2],"y":1}}`,
		`{"a":"\u003c\u0041&"}`:                                                              `{"a":"<A&"}`,
		`{"Action":["s3:GetObject"],"Condition":{"Bool":{"aws:SecureTransport":["false"]}}}`: `{"Action":"s3:getobject","Condition":{"Bool":{"aws:SecureTransport":"false"}}}`,
		`{"Principal":"*"}`:                                                                  `{"Principal":{"AWS":"*"}}`,
		`{"NotPrincipal":{"AWS":["*"]}}`:                                                     `{"NotPrincipal":{"AWS":"*"}}`,
		`{"Principal":{"Service":"*"}}`:                                                      `{"Principal":{"Service":"*"}}`,
		`{"Action":["s3:GetObject","s3:List*"]}`:                                             `{"Action":["s3:getobject","s3:list*"]}`,
		// What IAM reads alike: a Sid, the case of an action name, the
		// order of a list's values.
		`{"Sid":"A","Effect":"Allow"}`:                                                                         `{"Effect":"Allow"}`,
		`{"Action":["S3:ListBucket","s3:getObject"],"NotAction":"IAM:*"}`:                                      `{"Action":["s3:getobject","s3:listbucket"],"NotAction":"iam:*"}`,
		`{"Resource":["arn:aws:s3:::B/*","arn:aws:s3:::A"]}`:                                                   `{"Resource":["arn:aws:s3:::A","arn:aws:s3:::B/*"]}`,
		`{"Principal":{"AWS":["b","a"]},"Condition":{"IpAddress":{"aws:SourceIp":["2.0.0.0/8","1.0.0.0/8"]}}}`: `{"Condition":{"IpAddress":{"aws:SourceIp":["1.0.0.0/8","2.0.0.0/8"]}},"Principal":{"AWS":["a","b"]}}`,
		`{"Condition":{"StringEquals":{"aws:Action":"S3:X"}},"x":{"Sid":"kept"},"y":[{"b":1},{"a":2}]}`:        `{"Condition":{"StringEquals":{"aws:Action":"S3:X"}},"x":{"Sid":"kept"},"y":[{"b":1},{"a":2}]}`,
		`{"Sid":null,"a":[null,"x"],"b":null}`:                                                                 `{"a":[null,"x"],"b":null}`,
		`{"a": 1`:                                                                                              `{"a":1`,
	} {
		if got := canonicalStatement(in); got != want {
			t.Errorf("canonicalStatement(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzCanonicalStatement: what canonicalStatement writes for a JSON text
// it can format says what the text says, as ACK and IAM read it (decoded,
// it is the text decoded as ackEquivalentValue rewrites it).
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

// ackEquivalentValue is canonicalStatement on a decoded statement: its
// Sid left out, its action names lower-cased, every list of strings,
// numbers and booleans sorted (by their JSON text) and a one-element one
// unwrapped, and a Principal or NotPrincipal "*" written as {"AWS":"*"}.
func ackEquivalentValue(v any) any {
	if m, ok := v.(map[string]any); ok {
		delete(m, "Sid")
		for k, e := range m {
			e = canonicalModel(e, k == "Action" || k == "NotAction")
			if (k == "Principal" || k == "NotPrincipal") && e == "*" {
				e = map[string]any{"AWS": "*"}
			}
			m[k] = e
		}
		return m
	}
	return canonicalModel(v, false)
}

func canonicalModel(v any, action bool) any {
	switch x := v.(type) {
	case string:
		if action {
			return asciiLower(x)
		}
	case []any:
		scalars := len(x) > 0
		for i, e := range x {
			switch e.(type) {
			case string, json.Number, bool:
			default:
				scalars = false
			}
			x[i] = canonicalModel(e, action)
		}
		if !scalars {
			return x
		}
		text := func(e any) string {
			if s, ok := e.(string); ok {
				b, _ := jsontext.AppendQuote(nil, s)
				return string(b)
			}
			return fmt.Sprint(e)
		}
		slices.SortFunc(x, func(a, b any) int { return strings.Compare(text(a), text(b)) })
		if len(x) == 1 {
			return x[0]
		}
	case map[string]any:
		for k, e := range x {
			x[k] = canonicalModel(e, action)
		}
	}
	return v
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// canonicalSeeds are statements as policies write them and texts that
// test what canonicalStatement rewrites or leaves to jsontext.
var canonicalSeeds = []string{
	`{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::my-bucket","arn:aws:s3:::my-bucket/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}`,
	`{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::my-bucket/*"}`,
	`{"Sid":"A","Effect":"Allow","Principal":"*","Action":["s3:GetObject"],"Resource":"arn:aws:s3:::b/*"}`,
	`{"Principal":["*"],"NotPrincipal":{"AWS":["*","x"]},"Condition":{"Bool":{"aws:SecureTransport":[false]}},"n":[1.50],"e":"\u2028\t"}`,
	`{"b":{"y":[[1]],"x":[{"a":[true]}]},"a":"q\"x","c":[null]}`,
	`{"Effect":"Allow","Action":"*"}`,
	"{\n  \"b\": {\"y\": 1, \"x\": [2, 1.0]},\n  \"a\": \"q x\"\n}",
	`{"a":"\u003c\u0041&"}`,
	`{"a":"A","\u0061":"B"}`,
	`{"a":"x\/y","b":"x/y"}`,
	`{"Action":["s3:GetObject"],"Condition":{"Bool":{"aws:SecureTransport":["false"]}}}`,
	`{"Principal":"*"}`,
	`{"Principal":["*"]}`,
	`{"Principal":[["*"]]}`,
	`{"Principal":["*","*"]}`,
	`{"NotPrincipal":{"AWS":["*"]}}`,
	`{"Principal":{"Service":"*"}}`,
	`{"x":{"Principal":"*","Sid":"kept","Action":"KEPT"}}`,
	`{"Action":["s3:GetObject","s3:List*"]}`,
	`{"Sid":"A","Effect":"Allow"}`,
	`{"Sid":"A"}`,
	`{"Sid":"A","Sid":"B"}`,
	`{"a":1,"b":2,"a":3}`,
	`{"Action":["S3:ListBucket","s3:getObject"],"NotAction":"IAM:*"}`,
	`{"Action":["s3:b","S3:A",1,true,"s3:a",{"X":"Y"}]}`,
	`{"Action":["S3:X","s3:x","s3:X"]}`,
	`{"Action":{"b":["Z","y"],"a":"Q"}}`,
	`{"Resource":["arn:aws:s3:::B/*","arn:aws:s3:::A"]}`,
	`{"Principal":{"AWS":["b","a"]},"Condition":{"IpAddress":{"aws:SourceIp":["2.0.0.0/8","1.0.0.0/8"]}}}`,
	`{"Condition":{"StringEquals":{"aws:Action":"S3:X"}},"x":{"Sid":"kept"},"y":[{"b":1},{"a":2}]}`,
	`{"Condition":{"ForAnyValue:StringLike":{"s3:prefix":["home/","home/*"]},"NumericLessThan":{"s3:max-keys":[10,"10",1e2,1E2,-0,0.5]}}}`,
	`{"Sid":null,"a":[null,"x"],"b":null}`,
	`{"a":[1.0,1,10,1e1,-1,"1",true,false]}`,
	`{"a":[],"b":{},"c":[[]],"d":[{}]}`,
	`{"a b":1,"a":2,"a!":3,"A":4,"_":5,"~":6}`,
	`{"a":"é","b":"\u00e9","é":1}`,
	`{"a":"` + "\x7f" + `","b":"\ud83d\ude00","c":"😀"}`,
	"{\"a\":\"\xff\"}",
	" \t{\"a\" :\r\n1 } \n",
	`{"a": 1`,
	`{"a":01}`,
	`{"a":1.}`,
	`{"a":.5}`,
	`{"a":1e}`,
	`{"a":-}`,
	`{"a":truex}`,
	`{"a":1,}`,
	`[1,]`,
	`{"a":[1 2]}`,
	`{"a"}`,
	`"*"`,
	`["b","a"]`,
	`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["deep"]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`,
	``,
	`null`,
	`{} {}`,
}

// TestCanonicalPlain: statements as policies write them take the one
// pass.
func TestCanonicalPlain(t *testing.T) {
	for _, s := range canonicalSeeds[:3] {
		if _, ok := canonicalPlain(s); !ok {
			t.Errorf("canonicalPlain(%q) is not plain", s)
		}
	}
}

// FuzzCanonicalStatementPlain: canonicalStatement writes what
// canonicalFormatted, the jsontext pass, writes for any text, whether it
// takes the one pass of canonicalPlain or not.
func FuzzCanonicalStatementPlain(f *testing.F) {
	for _, s := range canonicalSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := canonicalStatement(s), canonicalFormatted(s); got != want {
			_, plain := canonicalPlain(s)
			t.Fatalf("canonicalStatement(%q) = %q (plain %v), canonicalFormatted writes %q", s, got, plain, want)
		}
	})
}
