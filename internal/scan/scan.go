package scan

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ackguard/ackguard/internal/resolve"
	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/view"
)

// MaxInputBytes is the largest file, or standard input, scan reads.
const MaxInputBytes = 16 << 20

// Output formats.
const (
	OutputText = "text"
	OutputJSON = "json"
)

// Options configure a scan.
type Options struct {
	// Output is OutputText or OutputJSON; Scan ignores it, Write uses it.
	Output string
	// Config is the cluster configuration the rules need.
	Config rules.Config
	// Registry is the rule set; nil means rules.Default().
	Registry *rules.Registry
}

// Report is the result of a scan; its JSON encoding is the published
// interface described in the package documentation.
type Report struct {
	Findings []Finding    `json:"findings"`
	Errors   []InputError `json:"errors"`
	Summary  Summary      `json:"summary"`
}

// Finding is one finding on one resource.
type Finding struct {
	Rule     string   `json:"rule"`
	Severity string   `json:"severity"`
	Action   string   `json:"action"` // "deny" or "warn"
	Resource Resource `json:"resource"`
	Path     string   `json:"path"`
	Message  string   `json:"message"`
	Remedy   string   `json:"remedy"`
	// Title is the rule's title (extension).
	Title string `json:"title"`
	// Fixable reports whether the rule's fix would resolve the finding
	// (extension).
	Fixable bool `json:"fixable"`
}

// Resource identifies a judged document.
type Resource struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace"`
	Name       string `json:"name"`
	// Source is where the document was read: "path", "path#N", "-",
	// "-#N", with "[i]" appended for list items.
	Source string `json:"source"`
}

// InputError is an input that could not be read or decoded.
type InputError struct {
	Source  string `json:"source"`
	Message string `json:"message"`
}

// Summary counts what the scan judged.
type Summary struct {
	// Resources is the number of guarded resources judged.
	Resources int `json:"resources"`
	// Findings is len(Report.Findings).
	Findings int `json:"findings"`
	// Denied is the number of resources with at least one deny finding.
	Denied int `json:"denied"`
	// Warned is the number of resources with warn findings and no deny
	// finding, which admission would admit with warnings (extension).
	Warned int `json:"warned"`
}

// MarshalJSON encodes the report with empty arrays rather than null.
func (r Report) MarshalJSON() ([]byte, error) {
	type plain Report // no MarshalJSON method
	p := plain(r)
	if p.Findings == nil {
		p.Findings = []Finding{}
	}
	if p.Errors == nil {
		p.Errors = []InputError{}
	}
	return json.Marshal(p)
}

// ExitCode is the process exit code for the report: 2 when an input could
// not be read or decoded, else 1 when a resource would be denied, else 0.
func (r Report) ExitCode() int {
	switch {
	case len(r.Errors) > 0:
		return 2
	case r.Summary.Denied > 0:
		return 1
	}
	return 0
}

// Scan judges the documents found at paths ("-" reads stdin) and returns
// the report. It never fails as a whole: inputs it cannot read or decode
// become Report.Errors. Scan stops early, with an error entry, when ctx is
// done.
func Scan(ctx context.Context, paths []string, stdin io.Reader, opts Options) Report {
	reg := opts.Registry
	if reg == nil {
		reg = rules.Default()
	}
	s := &scanner{ctx: ctx, reg: reg, cfg: opts.Config, stdin: stdin}
	s.rep.Findings = []Finding{}
	s.rep.Errors = []InputError{}
	for _, p := range paths {
		if s.done() {
			break
		}
		s.path(p)
	}
	// Judge once everything is read, so rules can resolve the objects a
	// resource refers to (a Role's Policies) among all the inputs.
	objs := make([]map[string]any, len(s.pending))
	for i, p := range s.pending {
		objs[i] = p.obj
	}
	s.cfg.Resolver = resolve.Objects(objs)
	for _, p := range s.pending {
		if s.done() {
			break
		}
		s.report(p.source, p.obj, p.meta)
	}
	s.rep.Summary.Findings = len(s.rep.Findings)
	return s.rep
}

// pendingResource is a guarded resource read and not yet judged.
type pendingResource struct {
	source string
	obj    map[string]any
	meta   view.Meta
}

type scanner struct {
	ctx     context.Context
	reg     *rules.Registry
	cfg     rules.Config
	stdin   io.Reader
	rep     Report
	stopped bool
	pending []pendingResource
}

// done reports whether the context is done, recording it once.
func (s *scanner) done() bool {
	if s.stopped {
		return true
	}
	if err := s.ctx.Err(); err != nil {
		s.stopped = true
		s.errorf("", "scan interrupted: %v", err)
	}
	return s.stopped
}

func (s *scanner) errorf(source, format string, args ...any) {
	s.rep.Errors = append(s.rep.Errors, InputError{Source: source, Message: fmt.Sprintf(format, args...)})
}

// path scans one command-line argument.
func (s *scanner) path(p string) {
	if p == "-" {
		if s.stdin == nil {
			s.errorf(p, "standard input is not available")
			return
		}
		data, err := readBounded(s.stdin)
		if err != nil {
			s.errorf(p, "%s", describe(err))
			return
		}
		s.stream(p, data)
		return
	}
	fi, err := os.Stat(p)
	switch {
	case err != nil:
		s.errorf(p, "%s", describe(err))
	case fi.IsDir():
		s.walk(p)
	default:
		// Named explicitly: read whatever its name or type (a pipe from
		// process substitution included); the size bound still holds.
		s.file(p)
	}
}

// walk scans a directory tree in lexical order.
func (s *scanner) walk(dir string) {
	entries, err := os.ReadDir(dir) // sorted by name
	if err != nil {
		s.errorf(dir, "%s", describe(err))
		// ReadDir returns the entries it read before the error.
	}
	for _, e := range entries {
		if s.done() {
			return
		}
		name := e.Name()
		p := filepath.Join(dir, name)
		switch t := e.Type(); {
		case t.IsDir():
			if !strings.HasPrefix(name, ".") {
				s.walk(p)
			}
		case t&fs.ModeSymlink != 0:
			// Follow links to files, as kubectl does; links to directories
			// are not followed (no cycles, no walking out of the tree).
			if !isManifestName(name) {
				continue
			}
			fi, err := os.Stat(p)
			switch {
			case err != nil:
				s.errorf(p, "%s", describe(err))
			case fi.Mode().IsRegular():
				s.file(p)
			}
		case t.IsRegular():
			if isManifestName(name) {
				s.file(p)
			}
		}
		// Other types (pipes, sockets, devices) are never read during a
		// walk: reading them could block or never end.
	}
}

func isManifestName(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// file scans one file.
func (s *scanner) file(p string) {
	f, err := os.Open(p)
	if err != nil {
		s.errorf(p, "%s", describe(err))
		return
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil {
		switch {
		case fi.IsDir():
			s.errorf(p, "is a directory")
			return
		case fi.Mode().IsRegular() && fi.Size() > MaxInputBytes:
			s.errorf(p, "file is %d bytes, larger than the %d MiB limit", fi.Size(), MaxInputBytes>>20)
			return
		}
	}
	data, err := readBounded(f)
	if err != nil {
		s.errorf(p, "%s", describe(err))
		return
	}
	s.stream(p, data)
}

var errTooLarge = fmt.Errorf("input is larger than the %d MiB limit", MaxInputBytes>>20)

// readBounded reads at most MaxInputBytes, failing on larger input.
func readBounded(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxInputBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxInputBytes {
		return nil, errTooLarge
	}
	return data, nil
}

// describe renders an I/O error without repeating the path, which the
// error entry already carries as its source.
func describe(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return "no such file or directory"
		case errors.Is(err, fs.ErrPermission):
			return "cannot read: permission denied"
		}
		return "cannot read: " + pe.Err.Error()
	}
	if err == errTooLarge {
		return err.Error()
	}
	return "cannot read: " + err.Error()
}

// stream scans the documents of one input.
func (s *scanner) stream(source string, data []byte) {
	docs := splitDocuments(data)
	for i, d := range docs {
		if s.done() {
			return
		}
		src := source
		if len(docs) > 1 {
			src += "#" + strconv.Itoa(i)
		}
		if d.err != nil {
			s.errorf(src, "%s", d.err.Error())
			continue
		}
		s.value(src, d.value)
	}
}

// value judges one decoded document, expanding lists.
func (s *scanner) value(source string, v any) {
	obj, ok := v.(map[string]any)
	if !ok {
		return // empty document, or not an object: not a Kubernetes resource
	}
	meta := view.ReadMeta(obj)
	if s.reg.Guards(meta.GVK.GroupKind()) {
		s.judge(source, obj, meta)
		return
	}
	kind, _ := obj["kind"].(string)
	items, isList := obj["items"].([]any)
	if !isList || !strings.HasSuffix(kind, "List") {
		return
	}
	apiVersion, _ := obj["apiVersion"].(string)
	itemKind := strings.TrimSuffix(kind, "List")
	for i, it := range items {
		if s.done() {
			return
		}
		item, ok := it.(map[string]any)
		if !ok {
			continue
		}
		// The API server leaves apiVersion and kind out of the items of a
		// typed list (BucketList); client-go fills them in from the list.
		_, hasAV := item["apiVersion"]
		_, hasKind := item["kind"]
		if !hasAV && !hasKind && itemKind != "" && apiVersion != "" {
			filled := make(map[string]any, len(item)+2)
			for k, v := range item {
				filled[k] = v
			}
			filled["apiVersion"] = apiVersion
			filled["kind"] = itemKind
			item = filled
		}
		s.value(source+"["+strconv.Itoa(i)+"]", item)
	}
}

// judge queues one guarded resource for judgement.
func (s *scanner) judge(source string, obj map[string]any, meta view.Meta) {
	s.pending = append(s.pending, pendingResource{source, obj, meta})
}

// report evaluates one guarded resource and records its findings.
func (s *scanner) report(source string, obj map[string]any, meta view.Meta) {
	found, err := s.evaluate(obj)
	if err != nil {
		s.errorf(source, "%v", err)
		return
	}
	apiVersion, _ := obj["apiVersion"].(string)
	res := Resource{
		APIVersion: apiVersion,
		Kind:       meta.GVK.Kind,
		Namespace:  meta.Namespace,
		Name:       meta.Name,
		Source:     source,
	}
	s.rep.Summary.Resources++
	denied, warned := false, false
	for _, f := range found {
		title := ""
		if r := s.reg.Rule(f.RuleID); r != nil {
			title = r.Title
		}
		s.rep.Findings = append(s.rep.Findings, Finding{
			Rule:     f.RuleID,
			Severity: string(f.Severity),
			Action:   string(f.Action),
			Resource: res,
			Path:     f.Path.String(),
			Message:  f.Message,
			Remedy:   f.Remedy,
			Title:    title,
			Fixable:  f.Fixable,
		})
		if f.Action == rules.Deny {
			denied = true
		} else {
			warned = true
		}
	}
	switch {
	case denied:
		s.rep.Summary.Denied++
	case warned:
		s.rep.Summary.Warned++
	}
}

// evaluate runs the engine. The registry already turns a panicking rule
// into a deny finding; this also covers the code around the rules, so
// that a bug fails the scan instead of passing the resource.
func (s *scanner) evaluate(obj map[string]any) (found []rules.Finding, err error) {
	defer func() {
		if p := recover(); p != nil {
			found, err = nil, fmt.Errorf("internal error while evaluating the resource (%v); report this to the ackguard maintainers", p)
		}
	}()
	return s.reg.Evaluate(obj, s.cfg), nil
}
