package rules

import (
	"bytes"
	"embed"
	"fmt"
	"strings"

	"sigs.k8s.io/yaml"
)

// docsFS holds one file per rule, docs/<ID>.yaml, decoded into Docs.
//
//go:embed docs/*.yaml
var docsFS embed.FS

// Docs is what "ackguard explain" and docs/rules.md say about a rule beyond
// its registry entry (title, severity, kinds, actions, references). The
// examples are ACK manifests the engine judges in tests: the rule must
// find something in Insecure and nothing in Secure.
type Docs struct {
	// Description says what the rule checks, in more words than the title,
	// including where ackguard reads stricter than AWS.
	Description string `json:"description"`
	// Rationale says why it matters: what an attacker or an accident can
	// do when the rule fails.
	Rationale string `json:"rationale"`
	// Fix says what to change in the manifest.
	Fix string `json:"fix"`
	// Reconciler says what the drift reconciler writes when it fixes the
	// rule, or why it never does.
	Reconciler string `json:"reconciler"`
	// Insecure and Secure are YAML streams; their first document is the
	// object judged, the others are objects it references (a Role's
	// Policies, a Function's Role).
	Insecure string `json:"insecure"`
	Secure   string `json:"secure"`
}

// Docs returns the rule's documentation, from docs/<ID>.yaml; an error
// when there is none or it does not decode.
func (r *Rule) Docs() (Docs, error) {
	var d Docs
	data, err := docsFS.ReadFile("docs/" + r.ID + ".yaml")
	if err != nil {
		return d, fmt.Errorf("rule %s has no documentation (internal/rules/docs/%s.yaml)", r.ID, r.ID)
	}
	if err := yaml.UnmarshalStrict(data, &d); err != nil {
		return d, fmt.Errorf("internal/rules/docs/%s.yaml: %w", r.ID, err)
	}
	for _, s := range []*string{&d.Description, &d.Rationale, &d.Fix, &d.Reconciler} {
		*s = strings.TrimSpace(*s)
	}
	for _, s := range []*string{&d.Insecure, &d.Secure} {
		*s = string(bytes.TrimLeft([]byte(*s), "\n"))
	}
	return d, nil
}

// DocumentedIDs returns the IDs that have a documentation file, so a test
// can find files no rule owns.
func DocumentedIDs() []string {
	entries, _ := docsFS.ReadDir("docs")
	var ids []string
	for _, e := range entries {
		if id, ok := strings.CutSuffix(e.Name(), ".yaml"); ok {
			ids = append(ids, id)
		}
	}
	return ids
}

