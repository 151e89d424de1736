package policy

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// The reference lists of the least-privilege rules live as versioned data
// in data/*.json, each naming its source and the commit it was read at
// (catalog §11.6: they drift, so they are data, not code).
//
//go:embed data/*.json
var dataFS embed.FS

// EscalationMethod is one privilege-escalation combination: allowing every
// action of it on unconstrained resources lets an identity raise its own
// privileges.
type EscalationMethod struct {
	Name    string   `json:"name"`
	Source  string   `json:"source"`
	Actions []string `json:"actions"`
}

// Lists are the reference lists, as loaded from data/.
type Lists struct {
	// Escalation are the privilege-escalation methods (IAM-003).
	Escalation []EscalationMethod
	// Credentials are actions that return credentials (IAM-007).
	Credentials []string
	// Exfiltration are read actions that export data (IAM-008).
	Exfiltration []string
	// PermissionsManagement are resource-exposure actions (IAM-006).
	PermissionsManagement []string
	// WriteVerbs start the names of Write and Tagging actions (IAM-009);
	// WriteExcluded are actions that cannot be resource-restricted.
	WriteVerbs    []string
	WriteExcluded []string
	// Sources names each file's sources, for reports.
	Sources map[string][]string
}

type listFile struct {
	Name        string             `json:"name"`
	Description string             `json:"description"`
	Sources     []string           `json:"sources"`
	Transcribed string             `json:"transcribed"`
	Version     string             `json:"version"`
	Methods     []EscalationMethod `json:"methods"`
	Actions     []string           `json:"actions"`
	Verbs       []string           `json:"verbs"`
	Exclude     []string           `json:"exclude"`
}

var (
	listsOnce sync.Once
	lists     *Lists
	listsErr  error
)

// ReferenceLists returns the embedded reference lists, loaded and
// validated once. The lists are fixed at build time and a test loads them,
// so an error here is a build defect.
func ReferenceLists() (*Lists, error) {
	listsOnce.Do(func() { lists, listsErr = LoadLists(dataFS) })
	return lists, listsErr
}

// MustReferenceLists is ReferenceLists for callers that cannot proceed
// without them.
func MustReferenceLists() *Lists {
	l, err := ReferenceLists()
	if err != nil {
		panic(err)
	}
	return l
}

type readFS interface {
	ReadFile(name string) ([]byte, error)
}

var (
	concreteActionRe = regexp.MustCompile(`^[a-z0-9-]+:[A-Za-z0-9]+$`)
	verbRe           = regexp.MustCompile(`^[A-Z][a-z]+$`)
)

// LoadLists reads and validates the list files from fsys (data/*.json).
func LoadLists(fsys readFS) (*Lists, error) {
	l := &Lists{Sources: map[string][]string{}}
	read := func(file string) (*listFile, error) {
		data, err := fsys.ReadFile("data/" + file)
		if err != nil {
			return nil, err
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		var f listFile
		if err := dec.Decode(&f); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if f.Name == "" || f.Version == "" || len(f.Sources) == 0 {
			return nil, fmt.Errorf("%s: needs a name, a version and its sources", file)
		}
		for _, s := range f.Sources {
			if !strings.Contains(s, "@") && !strings.Contains(s, "RULES.md") {
				return nil, fmt.Errorf("%s: source %q names no commit", file, s)
			}
		}
		l.Sources[f.Name] = f.Sources
		return &f, nil
	}
	checkActions := func(file string, acts []string) error {
		if len(acts) == 0 {
			return fmt.Errorf("%s: empty action list", file)
		}
		seen := map[string]bool{}
		for _, a := range acts {
			if !concreteActionRe.MatchString(a) {
				return fmt.Errorf("%s: %q is not a concrete service:Action name", file, a)
			}
			if seen[strings.ToLower(a)] {
				return fmt.Errorf("%s: %q is listed twice", file, a)
			}
			seen[strings.ToLower(a)] = true
		}
		return nil
	}

	f, err := read("escalation.json")
	if err != nil {
		return nil, err
	}
	if len(f.Methods) == 0 {
		return nil, fmt.Errorf("escalation.json: no methods")
	}
	names := map[string]bool{}
	for _, m := range f.Methods {
		if m.Name == "" || names[m.Name] {
			return nil, fmt.Errorf("escalation.json: method name %q empty or repeated", m.Name)
		}
		names[m.Name] = true
		if err := checkActions("escalation.json "+m.Name, m.Actions); err != nil {
			return nil, err
		}
	}
	l.Escalation = f.Methods

	for _, x := range []struct {
		file string
		dst  *[]string
	}{
		{"credentials.json", &l.Credentials},
		{"exfiltration.json", &l.Exfiltration},
		{"permissions_management.json", &l.PermissionsManagement},
	} {
		f, err := read(x.file)
		if err != nil {
			return nil, err
		}
		if err := checkActions(x.file, f.Actions); err != nil {
			return nil, err
		}
		*x.dst = f.Actions
	}

	f, err = read("write_access.json")
	if err != nil {
		return nil, err
	}
	if len(f.Verbs) == 0 {
		return nil, fmt.Errorf("write_access.json: no verbs")
	}
	for _, v := range f.Verbs {
		if !verbRe.MatchString(v) {
			return nil, fmt.Errorf("write_access.json: verb %q is not a capitalised word", v)
		}
	}
	if len(f.Exclude) > 0 {
		if err := checkActions("write_access.json exclude", f.Exclude); err != nil {
			return nil, err
		}
	}
	l.WriteVerbs, l.WriteExcluded = f.Verbs, f.Exclude
	return l, nil
}

// IsWriteAction reports whether the action name (service:Action, or a
// pattern) may be a Write or Tagging action: its name starts with a write
// verb, or it is a pattern whose wildcard could stand for one.
func (l *Lists) IsWriteAction(action string) bool {
	for _, x := range l.WriteExcluded {
		if strings.EqualFold(x, action) {
			return false
		}
	}
	svc, name, ok := strings.Cut(action, ":")
	if !ok {
		return action != "" && strings.Trim(action, "*") == "" // "*"
	}
	if svc == "" {
		return false
	}
	if !isASCII(name) || !allASCII(l.WriteVerbs) {
		return l.isWriteNameFolded(name)
	}
	// ASCII names and verbs: the comparisons below fold case byte by byte,
	// as strings.ToLower would, without allocating.
	wild := strings.IndexAny(name, "*?")
	for _, v := range l.WriteVerbs {
		// The name starts with the verb, or its literal prefix before the
		// first wildcard is a prefix of the verb ("Put*", "*", "Up?ate").
		if hasPrefixFoldASCII(name, v) {
			return true
		}
		if wild >= 0 && hasPrefixFoldASCII(v, name[:wild]) {
			return true
		}
	}
	return false
}

// isWriteNameFolded is IsWriteAction's verb test on lower-cased strings,
// for names or verbs that are not ASCII.
func (l *Lists) isWriteNameFolded(name string) bool {
	lower := strings.ToLower(name)
	for _, v := range l.WriteVerbs {
		lv := strings.ToLower(v)
		if strings.HasPrefix(lower, lv) {
			return true
		}
		if i := strings.IndexAny(lower, "*?"); i >= 0 && strings.HasPrefix(lv, lower[:i]) {
			return true
		}
	}
	return false
}

// hasPrefixFoldASCII is strings.HasPrefix(strings.ToLower(s),
// strings.ToLower(prefix)) for ASCII strings.
func hasPrefixFoldASCII(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		if LowerASCII(s[i]) != LowerASCII(prefix[i]) {
			return false
		}
	}
	return true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func allASCII(list []string) bool {
	for _, s := range list {
		if !isASCII(s) {
			return false
		}
	}
	return true
}
