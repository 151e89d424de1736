package scan

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
)

// aliasBomb is a Bucket whose tags repeat one large string through n
// aliases: linear in the text, n times the string once expanded.
func aliasBomb(size, n int) string {
	var b strings.Builder
	b.WriteString("apiVersion: s3.services.k8s.aws/v1alpha1\nkind: Bucket\nmetadata: {name: bomb}\nspec:\n  name: bomb\n  big: &big ")
	b.WriteString(strings.Repeat("x", size))
	b.WriteString("\n  tags:\n")
	for range n {
		b.WriteString("  - *big\n")
	}
	return b.String()
}

func TestAliasExpansionBounded(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // substring of the error; "" for none
	}{
		// 100 KB aliased 3,000 times: 300 MB expanded from 124 KB.
		{"many aliases to a large string", aliasBomb(100<<10, 3000), "refused as an alias bomb"},
		// Many aliases to a small scalar: more nodes than the document has.
		{"many aliases to a small mapping", "a: &a {b: c, d: e}\nl: [" + strings.Repeat("*a, ", 20000) + "*a]\n", "refused as an alias bomb"},
		// The exponential shape.
		{"billion laughs", `a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
`, "refused as an alias bomb"},
		// An alias inside the node it names.
		{"recursive alias", "a: &a [b, *a]\n", "refers to a node that contains it"},
		{"recursive merge", "a: &a {b: 1, c: {<<: *a}}\n", "refers to a node that contains it"},
		// Ordinary use of anchors stays valid.
		{"a few aliases", aliasBomb(10<<10, 20), ""},
		{"shared tags", "apiVersion: v1\nkind: ConfigMap\ndata: &d {a: b}\nmore: [*d, *d, *d]\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Run([]string{"-o", "json", "-"}, strings.NewReader(tt.in), &stdout, &stderr)
			switch {
			case tt.want == "" && strings.Contains(stderr.String(), "alias"):
				t.Errorf("refused: %s", stderr.String())
			case tt.want != "" && (code != 2 || !strings.Contains(stderr.String(), tt.want)):
				t.Errorf("exit code %d, stderr %.300s", code, stderr.String())
			}
		})
	}
}

// BenchmarkAliasBomb measures the time to refuse a 124 KB document whose
// aliases expand to 300 MB.
func BenchmarkAliasBomb(b *testing.B) {
	in := []byte(aliasBomb(100<<10, 3000))
	for b.Loop() {
		for _, d := range splitDocuments(in) {
			if d.err == nil {
				b.Fatal("accepted")
			}
		}
	}
}

// FuzzDecode feeds arbitrary bytes to the decoder: it must not panic,
// must refuse what aliases expand beyond the bounds before expanding it,
// and every field it locates must be inside the input.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		"a: 1\n", "a: &a x\nb: [*a, *a]\n", "a: &a {b: 1}\nc:\n  <<: *a\n", "--- {a: 1}\n...\n--- [1]\n",
		"{\"a\": [1, {\"b\": 2}]}\n{\"c\": 3}", "a: [\n", "a: *b\n", "&a [*a]", "- &x [&y a, *y]\n- *x\n",
		"{\"a\": \"\u2028\"} {\"b\": [1,],}\n---\nc: 3\n", "{\"a\": 1}\nb: 2\n", "{}\n{}\n{\"c\": 3,}",
		aliasBomb(1000, 50),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// Lines end at LF, CR, CRLF, NEL, LS or PS, as YAML counts them
		// (and the SARIF runs declare).
		lines := 1
		for rest := data; len(rest) > 0; lines++ {
			var line []byte
			if line, rest = cutLine(rest); len(rest) == 0 && len(bytes.TrimRight(line, "\r\n\u0085\u2028\u2029")) == len(line) {
				break // the last line, without a break
			}
		}
		for _, d := range splitDocuments(data) {
			if d.err != nil {
				if d.value != nil {
					t.Fatalf("value %v with error %v", d.value, d.err)
				}
				continue
			}
			// Locate every path the value has, and some it has not.
			var visit func(v any, p []string, depth int)
			visit = func(v any, p []string, depth int) {
				if depth > 20 {
					return
				}
				at := d.loc.find(p)
				if at.line < 0 || at.line > lines || at.col < 0 {
					t.Fatalf("path %q at %+v in %d lines", p, at, lines)
				}
				d.loc.find(append(p[:len(p):len(p)], "missing", "0"))
				switch v := v.(type) {
				case map[string]any:
					for k, e := range v {
						visit(e, append(p[:len(p):len(p)], k), depth+1)
					}
				case []any:
					for i, e := range v {
						visit(e, append(p[:len(p):len(p)], strconv.Itoa(i)), depth+1)
						d.loc.item(i).start()
					}
				}
			}
			visit(d.value, nil, 0)
		}
	})
}
