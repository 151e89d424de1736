// Package ruledoc renders the rule registry for people: the `ackguard rules`
// listing (table, Markdown, JSON), `ackguard explain RULE-ID` and the
// generated docs/rules.md. Everything it says comes from the registry and
// each rule's Docs; the examples it shows are judged and fixed by the
// engine itself, so the documentation cannot drift from the code.
package ruledoc

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/ackguard/ackguard/api/v1alpha1"
	"github.com/ackguard/ackguard/internal/cmdutil"
	"github.com/ackguard/ackguard/internal/governance"
	"github.com/ackguard/ackguard/internal/resolve"
	"github.com/ackguard/ackguard/internal/rules"
)

// ExampleOwnerAccount is the AWS account the examples' resources belong
// to (the Config the examples are judged under).
const ExampleOwnerAccount = "111122223333"

// Summary is one rule in `ackguard rules -o json`.
type Summary struct {
	ID       string         `json:"id"`
	Title    string         `json:"title"`
	Severity rules.Severity `json:"severity"`
	Kinds    []Kind         `json:"kinds"`
	// Admission is the webhook's default: deny or warn.
	Admission rules.Action `json:"admission"`
	// Remediation is the reconciler's default: fix or audit; Fixable says
	// whether a policy can turn a fix on at all.
	Remediation    rules.Remediation `json:"remediation"`
	Fixable        bool              `json:"fixable"`
	BaselineAction string            `json:"baselineAction"`
	DefaultOn      bool              `json:"defaultOn"`
	References     rules.References  `json:"references"`
}

// Kind is an API group and kind a rule judges.
type Kind struct {
	Group string `json:"group"`
	Kind  string `json:"kind"`
}

// Summarize returns the registry entry of r.
func Summarize(r *rules.Rule) Summary {
	s := Summary{
		ID: r.ID, Title: r.Title, Severity: r.Severity, Admission: r.Admission,
		Remediation: r.Remediation, Fixable: r.Fixer != nil,
		BaselineAction: string(governance.CatalogAction(r)), DefaultOn: r.OnByDefault(),
		References: r.References,
	}
	for _, k := range r.Kinds {
		s.Kinds = append(s.Kinds, Kind{Group: k.Group, Kind: k.Kind})
	}
	return s
}

// Explanation is everything `ackguard explain` says about one rule.
type Explanation struct {
	Summary
	rules.Docs
	// Findings are what the rule finds in the insecure example.
	Findings []Finding `json:"findings"`
	// FixChanges are what the rule's fix writes on the insecure example
	// (none when the rule has no fix).
	FixChanges []Change `json:"fixChanges,omitempty"`
}

// Finding is one finding of the rule on the insecure example.
type Finding struct {
	Action  rules.Action `json:"action"`
	Path    string       `json:"path"`
	Message string       `json:"message"`
	Remedy  string       `json:"remedy,omitempty"`
}

// Change is one field the fix writes on the insecure example.
type Change struct {
	Path string `json:"path"`
	// Old and New are JSON; empty when the field is absent.
	Old string `json:"old,omitempty"`
	New string `json:"new,omitempty"`
	// Diff, for a string field holding a JSON document (a policy), lists
	// the document's lines, indented, each led by "  ", "- " or "+ ".
	Diff []string `json:"diff,omitempty"`
}

// Explain judges the rule's examples with reg and returns the explanation.
// It fails when the documentation is missing or its examples do not show
// the rule: the insecure example must draw a conclusive finding of the
// rule, the secure one none, and a fix must clear the insecure one.
func Explain(reg *rules.Registry, r *rules.Rule) (*Explanation, error) {
	docs, err := r.Docs()
	if err != nil {
		return nil, err
	}
	e := &Explanation{Summary: Summarize(r), Docs: docs}
	for _, need := range []struct{ name, text string }{
		{"description", docs.Description}, {"rationale", docs.Rationale}, {"fix", docs.Fix},
		{"reconciler", docs.Reconciler}, {"insecure", docs.Insecure}, {"secure", docs.Secure},
	} {
		if strings.TrimSpace(need.text) == "" {
			return nil, fmt.Errorf("rule %s: documentation has no %s", r.ID, need.name)
		}
	}
	params, err := parameters(docs.Parameters)
	if err != nil {
		return nil, fmt.Errorf("rule %s: parameters: %w", r.ID, err)
	}
	insecure, cfg, err := example(docs.Insecure, params)
	if err != nil {
		return nil, fmt.Errorf("rule %s: insecure example: %w", r.ID, err)
	}
	for _, f := range findingsOf(reg, r, insecure, cfg) {
		if f.Inconclusive {
			return nil, fmt.Errorf("rule %s: insecure example: the rule cannot judge it: %s", r.ID, f.Message)
		}
		e.Findings = append(e.Findings, Finding{Action: f.Action, Path: f.Path.String(), Message: f.Message, Remedy: f.Remedy})
	}
	if len(e.Findings) == 0 {
		return nil, fmt.Errorf("rule %s: the rule finds nothing in the insecure example", r.ID)
	}
	secure, scfg, err := example(docs.Secure, params)
	if err != nil {
		return nil, fmt.Errorf("rule %s: secure example: %w", r.ID, err)
	}
	if found := findingsOf(reg, r, secure, scfg); len(found) > 0 {
		return nil, fmt.Errorf("rule %s: the rule finds %q in the secure example", r.ID, found[0].Text())
	}
	if r.Fixer != nil {
		plan, err := reg.Remediate(insecure, cfg, []string{r.ID})
		if err != nil {
			return nil, fmt.Errorf("rule %s: fixing the insecure example: %w", r.ID, err)
		}
		if len(plan.Changes) == 0 {
			return nil, fmt.Errorf("rule %s: the fix changes nothing in the insecure example", r.ID)
		}
		if left := findingsOf(reg, r, plan.Object, cfg); len(left) > 0 {
			return nil, fmt.Errorf("rule %s: the fixed insecure example still has %q", r.ID, left[0].Text())
		}
		for _, c := range plan.Changes {
			ch := Change{Path: c.Path.String()}
			if c.OldPresent {
				ch.Old = compactJSON(c.Old)
			}
			if c.NewPresent {
				ch.New = compactJSON(c.New)
			}
			ch.Diff = documentDiff(c)
			e.FixChanges = append(e.FixChanges, ch)
		}
	}
	return e, nil
}

func findingsOf(reg *rules.Registry, r *rules.Rule, obj map[string]any, cfg rules.Config) []rules.Finding {
	return reg.EvaluateOnly(obj, cfg, func(x *rules.Rule) bool { return x.ID == r.ID })
}

// parameters decodes a rule's example parameters as a GuardrailPolicy's
// spec.parameters, refusing fields the policy does not have.
func parameters(m map[string]any) (v1alpha1.Parameters, error) {
	var p v1alpha1.Parameters
	if len(m) == 0 {
		return p, nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return p, err
	}
	err = yaml.UnmarshalStrict(b, &p)
	return p, err
}

// example decodes a YAML stream; the first document is the subject, and
// every document is visible to the rules' Resolver. It is judged under
// the example owner account and the parameters p.
func example(text string, p v1alpha1.Parameters) (map[string]any, rules.Config, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(strings.NewReader(text)))
	var objs []map[string]any
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, rules.Config{}, err
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		var obj map[string]any
		if err := yaml.UnmarshalStrict(doc, &obj); err != nil {
			return nil, rules.Config{}, err
		}
		if obj == nil {
			continue
		}
		objs = append(objs, obj)
	}
	if len(objs) == 0 {
		return nil, rules.Config{}, errors.New("no object")
	}
	cfg := governance.PolicyConfig(governance.Defaults{Config: rules.Config{OwnerAccounts: []string{ExampleOwnerAccount}}}, p)
	cfg.Resolver = resolve.Objects(objs)
	return objs[0], cfg, nil
}

// documentDiff returns the line diff of a string field that holds a JSON
// document before and after the fix (nil for any other field).
func documentDiff(c rules.Change) []string {
	doc := func(present bool, v any) ([]string, bool) {
		if !present {
			return nil, true
		}
		s, ok := v.(string)
		var buf bytes.Buffer
		if !ok || json.Indent(&buf, []byte(strings.TrimSpace(s)), "", "  ") != nil || !strings.HasPrefix(strings.TrimSpace(s), "{") {
			return nil, false
		}
		return strings.Split(buf.String(), "\n"), true
	}
	old, ok1 := doc(c.OldPresent, c.Old)
	cur, ok2 := doc(c.NewPresent, c.New)
	if !ok1 || !ok2 {
		return nil
	}
	return lineDiff(old, cur)
}

// lineDiff is a longest-common-subsequence diff of two short texts.
func lineDiff(a, b []string) []string {
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []string
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			out = append(out, "  "+a[i])
			i, j = i+1, j+1
		case j < len(b) && (i == len(a) || lcs[i][j+1] >= lcs[i+1][j]):
			out = append(out, "+ "+b[j])
			j++
		default:
			out = append(out, "- "+a[i])
			i++
		}
	}
	return out
}

func compactJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// Lookup finds a rule by ID, ignoring case and accepting an unpadded
// number ("s3-1" is S3-001). When there is none, the error names the
// closest IDs.
func Lookup(reg *rules.Registry, id string) (*rules.Rule, error) {
	want := normalize(id)
	if r := reg.Rule(want); r != nil {
		return r, nil
	}
	if near := Suggest(reg, want); len(near) > 0 {
		return nil, fmt.Errorf("no rule %q; did you mean %s? (`ackguard rules` lists them)", id, strings.Join(near, ", "))
	}
	return nil, fmt.Errorf("no rule %q (`ackguard rules` lists them)", id)
}

func normalize(id string) string {
	id = strings.ToUpper(strings.TrimSpace(id))
	prefix, num, ok := strings.Cut(id, "-")
	if ok && len(num) > 0 && len(num) < 3 && strings.Trim(num, "0123456789") == "" {
		id = prefix + "-" + strings.Repeat("0", 3-len(num)) + num
	}
	return id
}

// Suggest returns up to three registered IDs closest to id (edit
// distance at most 2), closest first, then in registry order.
func Suggest(reg *rules.Registry, id string) []string {
	type cand struct {
		id        string
		dist, gap int
	}
	prefix, num := splitID(id)
	var cands []cand
	for _, r := range reg.Rules() {
		if d := cmdutil.EditDistance(id, r.ID); d <= 2 {
			c := cand{id: r.ID, dist: d, gap: 1 << 20}
			if p, n := splitID(r.ID); p == prefix && num >= 0 {
				c.gap = max(n-num, num-n)
			}
			cands = append(cands, c)
		}
	}
	// Closest text first; among equals, the same prefix with the nearest
	// number ("S3-009": S3-007 before S3-001).
	slices.SortStableFunc(cands, func(a, b cand) int {
		if a.dist != b.dist {
			return a.dist - b.dist
		}
		return a.gap - b.gap
	})
	var out []string
	for _, c := range cands[:min(3, len(cands))] {
		out = append(out, c.id)
	}
	return out
}

// splitID splits "S3-007" into "S3" and 7 (-1 when the number does not
// parse).
func splitID(id string) (string, int) {
	prefix, num, _ := strings.Cut(id, "-")
	n, err := strconv.Atoi(num)
	if err != nil {
		n = -1
	}
	return prefix, n
}
