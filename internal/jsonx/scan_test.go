package jsonx

import (
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
)

// parseBoth parses data by the scanner alone and by the tokenizer alone,
// each with a parser of its own.
func parseBoth(data []byte, lim Limits) (scanned *Node, scanOK bool, tokenized *Node, err error) {
	ps := &parser{dec: new(jsontext.Decoder)}
	ps.s, ps.maxDepth = string(data), lim.MaxDepth
	if ps.maxDepth <= 0 {
		ps.maxDepth = DefaultMaxDepth
	}
	ps.maxDepth = min(ps.maxDepth, tokenizerMaxDepth)
	ps.nodeChunk, ps.slabChunk = 4, 4
	scanned, scanOK = ps.scan()
	if scanOK && len(ps.fixups) > 0 {
		decoded := string(ps.arena)
		for _, f := range ps.fixups {
			f.node.Str = decoded[f.lo:f.hi]
		}
	}
	pt := &parser{dec: new(jsontext.Decoder), tokensOnly: true}
	tokenized, err = pt.run(string(data), data, lim)
	return scanned, scanOK, tokenized, err
}

// checkScanMatches fails unless the scanner builds exactly the
// tokenizer's tree for data (offsets included) and gives up on exactly
// the documents the tokenizer refuses.
func checkScanMatches(t *testing.T, data []byte, lim Limits) {
	t.Helper()
	scanned, ok, tokenized, err := parseBoth(data, lim)
	switch {
	case err != nil && ok:
		t.Fatalf("%q: the scanner accepted what the tokenizer refuses (%v)", data, err)
	case err == nil && !ok:
		t.Fatalf("%q: the scanner gave up on a document the tokenizer accepts", data)
	case err == nil && !reflect.DeepEqual(scanned, tokenized):
		t.Fatalf("%q: trees differ\nscanner:   %s\ntokenizer: %s", data, dump(scanned), dump(tokenized))
	}
}

// dump renders a tree with its offsets, for failure messages.
func dump(n *Node) string {
	var b strings.Builder
	var walk func(*Node)
	walk = func(n *Node) {
		b.WriteString(n.Kind.String())
		b.WriteString("[")
		b.WriteString(strconv.Itoa(n.Start) + "," + strconv.Itoa(n.End))
		b.WriteString("]")
		switch n.Kind {
		case String, Number:
			b.WriteString(" " + n.Str)
		case Bool:
			if n.Bool {
				b.WriteString(" true")
			}
		}
		for _, m := range n.Members {
			b.WriteString(" {" + m.Key + "@" + strconv.Itoa(m.KeyPos) + ": ")
			walk(m.Value)
			b.WriteString("}")
		}
		for _, it := range n.Items {
			b.WriteString(" (")
			walk(it)
			b.WriteString(")")
		}
	}
	walk(n)
	return b.String()
}

// TestScanMatchesTokenizer runs the fuzz seeds and the cases the scanner
// decides on its own (every separator, literal and escape) through both
// paths.
func TestScanMatchesTokenizer(t *testing.T) {
	cases := []string{
		`{"a":1,"b":[true,false,null,"x",-0.5e+3,{}]}`, `[]`, `{}`, `[[],{}]`, ` [ 1 , 2 ] `,
		`[1,,2]`, `[,]`, `[1 2]`, `{"a":1,,"b":2}`, `{,"a":1}`, `{"a"}`, `{"a":}`, `{"a":1:2}`, `{"a" :1 , }`,
		`[1]]`, `{}}`, `[}`, `{]`, `{"a":1]`, `["a":1]`, `tru`, `truex`, `[nul]`, `[falsey]`, `nullnull`,
		`"\u00e9\n\t\"\\\/"`, `"\u12"`, `"\q"`, "\"a\x1fb\"", `"\ud800"`, "\"\xff\xfe\"", `"unterminated`,
		`-`, `-a`, `0.`, `0e`, `0e+`, `1e5`, `-0`, `00`, `[01]`, `1.0e-2`, `[1.5E3,2]`,
		`{"k":"v","k":"w"}`, `{"k":{"k":1},"j":[{"k":1,"k\u0000":2}]}`, `{"\u006b":1,"k":2}`,
		strings.Repeat("[", 65) + strings.Repeat("]", 65), strings.Repeat("[", 64) + strings.Repeat("]", 64),
		"\ufeff{}", "[\v]", "", " ", "\n{\r\n\"a\"\t:\n1\n}\n",
	}
	for _, c := range cases {
		checkScanMatches(t, []byte(c), Limits{})
	}
	// Limits the scanner must give up at, as the tokenizer path refuses.
	checkScanMatches(t, []byte(`[[[1]]]`), Limits{MaxDepth: 2})
	checkScanMatches(t, []byte(`[[[1]]]`), Limits{MaxDepth: 3})
	for i := range 3 {
		checkScanMatches(t, []byte(buildPolicy(i+1)), Limits{})
	}
	checkScanMatches(t, []byte(iamPolicy), Limits{})
}

// FuzzScanMatchesTokenizer: for any input the scanner builds the
// tokenizer's tree, or gives up exactly where the tokenizer reports an
// error (whose text then comes from the tokenizer path alone).
func FuzzScanMatchesTokenizer(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		checkScanMatches(t, data, Limits{})
		checkScanMatches(t, data, Limits{MaxDepth: 3})
	})
}

// TestScanGivingUpLeavesNoTrace: a document the scanner gives up on
// half-way (only a refused one: it accepts every other) is refused with
// the tokenizer path's own error, and the parser it leaves behind, reset
// as the pool's are, reads the next document as a fresh one would.
func TestScanGivingUpLeavesNoTrace(t *testing.T) {
	next := buildPolicy(2)
	_, _, want, _ := parseBoth([]byte(next), Limits{})
	for _, doc := range []string{
		`{"Statement":[{"Effect":"Allow","Sid":"caf\u00e9"}],"Statement":1}`, // a duplicate late
		`{"a":[1,2,3,{"b":"\u0041"}],"c":[1,]}`,                              // a syntax error late
		strings.Repeat(`{"a":[`, 40) + strings.Repeat(`]}`, 40),              // too deep for 64
	} {
		_, _, _, wantErr := parseBoth([]byte(doc), Limits{})
		for _, lent := range []bool{false, true} {
			// One parser, as the pool would hand it out twice.
			p := &parser{dec: new(jsontext.Decoder), lent: lent}
			var data []byte
			if !lent {
				data = []byte(doc)
			}
			if _, err := p.run(doc, data, Limits{}); err == nil || wantErr == nil || err.Error() != wantErr.Error() {
				t.Errorf("%.40q (lent %v): error %v, want %v", doc, lent, err, wantErr)
			}
			if p.reset(); p.text != nil && !lent {
				t.Errorf("%.40q: a given document was copied", doc)
			}
			p.lent = true
			root, err := p.run(next, nil, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(root, want) {
				t.Errorf("after %.40q (lent %v): tree %s, want %s", doc, lent, dump(root), dump(want))
			}
			p.reset()
		}
	}
}
