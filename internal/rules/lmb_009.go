package rules

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strings"
)

// secretPatternsJSON is LMB-009's pattern list, shipped as versioned data.
//
//go:embed data/secret_patterns.json
var secretPatternsJSON []byte

// secretPattern is one entry of the list. A pattern matches a variable
// when its value matches Value (if set), its name matches Name (if set),
// and the value is at least MinLength long, with at least MinEntropy bits
// of Shannon entropy per character and MinClasses character classes (if
// set). Name-only patterns skip values that are references to a secret
// store (References) and variables named as references (ReferenceNames).
type secretPattern struct {
	ID          string  `json:"id"`
	Description string  `json:"description"`
	Name        string  `json:"name"`
	Value       string  `json:"value"`
	MinLength   int     `json:"minLength"`
	MinEntropy  float64 `json:"minEntropy"`
	MinClasses  int     `json:"minClasses"`

	name, value *regexp.Regexp
}

type secretPatterns struct {
	Version    string          `json:"version"`
	Source     string          `json:"source"`
	Patterns   []secretPattern `json:"patterns"`
	References string          `json:"references"`
	// ReferenceNames matches the names of variables that hold a pointer to
	// a secret (DB_SECRET_NAME, API_TOKEN_PARAM), which name-only patterns
	// skip.
	ReferenceNames string `json:"referenceNames"`
	Notes          string `json:"notes"`

	references, referenceNames *regexp.Regexp
}

func loadSecretPatterns() (*secretPatterns, error) {
	var sp secretPatterns
	if err := json.Unmarshal(secretPatternsJSON, &sp); err != nil {
		return nil, err
	}
	var err error
	if sp.references, err = regexp.Compile(sp.References); err != nil {
		return nil, fmt.Errorf("references: %w", err)
	}
	if sp.ReferenceNames == "" {
		// An empty expression would match every name and silence every
		// name-only pattern.
		return nil, fmt.Errorf("referenceNames is empty")
	}
	if sp.referenceNames, err = regexp.Compile(sp.ReferenceNames); err != nil {
		return nil, fmt.Errorf("referenceNames: %w", err)
	}
	for i := range sp.Patterns {
		p := &sp.Patterns[i]
		if p.Name == "" && p.Value == "" {
			return nil, fmt.Errorf("pattern %s matches nothing", p.ID)
		}
		if p.Name != "" {
			if p.name, err = regexp.Compile(p.Name); err != nil {
				return nil, fmt.Errorf("pattern %s: %w", p.ID, err)
			}
		}
		if p.Value != "" {
			if p.value, err = regexp.Compile(p.Value); err != nil {
				return nil, fmt.Errorf("pattern %s: %w", p.ID, err)
			}
		}
	}
	return &sp, nil
}

// match returns the first pattern a variable matches, or nil.
func (sp *secretPatterns) match(name, value string) *secretPattern {
	v := strings.TrimSpace(value)
	if v == "" {
		return nil
	}
	for i := range sp.Patterns {
		p := &sp.Patterns[i]
		if p.name != nil && !p.name.MatchString(name) {
			continue
		}
		if p.value != nil && !p.value.MatchString(v) {
			continue
		}
		if p.value == nil && (sp.references.MatchString(v) || sp.referenceNames.MatchString(name)) {
			continue // a pointer to the secret rather than the secret
		}
		if len(v) < p.MinLength || (p.MinEntropy > 0 && entropy(v) < p.MinEntropy) || charClasses(v) < p.MinClasses {
			continue
		}
		return p
	}
	return nil
}

// charClasses counts the classes among lower case, upper case, digit and
// other that s uses.
func charClasses(s string) int {
	var lower, upper, digit, other int
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z':
			lower = 1
		case r >= 'A' && r <= 'Z':
			upper = 1
		case r >= '0' && r <= '9':
			digit = 1
		default:
			other = 1
		}
	}
	return lower + upper + digit + other
}

// entropy is the Shannon entropy of s in bits per character.
func entropy(s string) float64 {
	if s == "" {
		return 0
	}
	counts := map[rune]int{}
	n := 0
	for _, r := range s {
		counts[r]++
		n++
	}
	var h float64
	for _, c := range counts {
		p := float64(c) / float64(n)
		h -= p * math.Log2(p)
	}
	return h
}

// LMB-009: no secrets in plaintext environment variables.
//
// Decision: admission warns (the catalog says deny; issue 4 asks for a
// warning, because a pattern list has false positives and a denied
// Function blocks a deployment on a guess). The finding names the variable
// and the pattern, never the value.
func lmb009() *Rule {
	sp, err := loadSecretPatterns()
	if err != nil {
		// The file is embedded at build time and covered by tests.
		panic(fmt.Sprintf("data/secret_patterns.json: %v", err))
	}
	return &Rule{
		ID:          "LMB-009",
		Title:       "No secrets in plaintext environment variables",
		Severity:    High,
		Kinds:       lambdaFunctionKind,
		Admission:   Warn,
		Remediation: Audit,
		References: References{
			Checkov: []string{"CKV_AWS_45"},
		},
		Check: func(in *Input) []Finding { return checkLMB009(in, sp) },
	}
}

func checkLMB009(in *Input, sp *secretPatterns) []Finding {
	f := lambdaFunctionFor(in)
	if f.Spec.Err != nil {
		return nil
	}
	var out []Finding
	for _, e := range f.Errors {
		if pathUnder(e.Path, f.EnvPath[:len(f.EnvPath)-1]) {
			out = append(out, fieldErrorFinding(e))
		}
	}
	for _, v := range f.Env {
		if v.Value.Err != nil {
			out = append(out, fieldErrorFinding(v.Value.Err))
			continue
		}
		p := sp.match(v.Name, v.Value.Value)
		if p == nil {
			continue
		}
		out = append(out, Finding{
			Path:    v.Value.Path,
			Message: fmt.Sprintf("environment variable %s looks like it holds a secret: %s (ackguard's pattern %s, secret pattern list %s)", v.Name, p.Description, p.ID, sp.Version),
			Remedy:  "keep the secret in AWS Secrets Manager or SSM Parameter Store and pass its ARN or name instead; rotate the exposed value",
			Subject: v.Name + "/" + p.ID,
		})
	}
	return out
}
