package rules

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/ackguard/ackguard/internal/view"
)

// Change is one field a remediation sets or removes.
type Change struct {
	Path view.Path `json:"path"`
	// Old is the value before the remediation; OldPresent is false when the
	// field was absent.
	Old        any  `json:"old,omitempty"`
	OldPresent bool `json:"oldPresent"`
	// New is the value after; NewPresent is false when the fix removes the
	// field.
	New        any  `json:"new,omitempty"`
	NewPresent bool `json:"newPresent"`
	// Rules that changed this field.
	Rules []string `json:"rules"`
}

// Mutation is a copy of an object that fixes change, recording every field
// they touch so the result can be applied as a minimal patch and undone.
type Mutation struct {
	cfg     Config
	orig    map[string]any
	obj     map[string]any
	input   *Input
	changes []*Change
	rule    string
}

func newMutation(obj map[string]any, cfg Config) *Mutation {
	return &Mutation{cfg: cfg, orig: obj, obj: runtime.DeepCopyJSON(obj)}
}

// Input returns a view of the object as changed so far.
func (m *Mutation) Input() *Input {
	if m.input == nil {
		m.input = NewInput(m.obj, m.cfg)
	}
	return m.input
}

// Set sets the field at path, creating parent objects as needed. Paths
// address object keys only: a list is replaced whole.
func (m *Mutation) Set(path view.Path, value any) error {
	return m.write(path, value, true)
}

// Remove deletes the field at path (a no-op when it is absent).
func (m *Mutation) Remove(path view.Path) error {
	return m.write(path, nil, false)
}

func (m *Mutation) write(path view.Path, value any, present bool) error {
	if len(path) == 0 {
		return fmt.Errorf("empty path")
	}
	parent := m.obj
	for i, seg := range path[:len(path)-1] {
		next, ok := parent[seg]
		if !ok || next == nil {
			if !present {
				return nil
			}
			child := map[string]any{}
			parent[seg] = child
			parent = child
			continue
		}
		child, isMap := next.(map[string]any)
		if !isMap {
			return fmt.Errorf("cannot set %s: %s is %s, not an object", path, path[:i+1], view.TypeName(next))
		}
		parent = child
	}
	leaf := path[len(path)-1]
	if present {
		parent[leaf] = runtime.DeepCopyJSONValue(value)
	} else {
		delete(parent, leaf)
	}
	m.record(path, value, present)
	m.input = nil // views must be re-read after a write
	return nil
}

func (m *Mutation) record(path view.Path, value any, present bool) {
	for _, c := range m.changes {
		if c.Path.Equal(path) {
			c.New, c.NewPresent = value, present
			if !slices.Contains(c.Rules, m.rule) {
				c.Rules = append(c.Rules, m.rule)
			}
			return
		}
	}
	old, oldPresent := lookup(m.orig, path)
	m.changes = append(m.changes, &Change{Path: path, Old: old, OldPresent: oldPresent, New: value, NewPresent: present, Rules: []string{m.rule}})
}

func lookup(obj map[string]any, path view.Path) (any, bool) {
	v, ok := view.Lookup(obj, path)
	if !ok {
		return nil, false
	}
	return runtime.DeepCopyJSONValue(v), true
}

// Plan is the outcome of a remediation.
type Plan struct {
	// Changes are the fields that differ from the original object; a field
	// a fix set back to its original value is left out.
	Changes []Change
	// Rules whose fixes changed something, in registry order.
	Rules []string
	// Object is the object with every change applied.
	Object map[string]any
	// orig is the object the plan was made for (Keep applies a part of
	// the changes to it).
	orig map[string]any
}

// Empty reports whether the plan changes nothing.
func (p Plan) Empty() bool { return len(p.Changes) == 0 }

// MergePatch returns a JSON merge patch (RFC 7386) that applies the plan:
// only the changed fields appear, a removed field is null.
func (p Plan) MergePatch() map[string]any {
	patch := map[string]any{}
	for _, c := range p.Changes {
		var v any // nil removes the field
		if c.NewPresent {
			v = c.New
		}
		parentOf(patch, c.Path, true)[c.Path[len(c.Path)-1]] = v
	}
	return patch
}

// Keep returns the plan of those of p's changes keep accepts (given each
// change's index in p.Changes), in p's order: its Object is the original object with only those applied, as
// the plan's MergePatch applies them (a parent that is not an object
// becomes one), and its Rules those whose fixes it still changes.
func (p Plan) Keep(keep func(i int, c Change) bool) Plan {
	out := Plan{orig: p.orig}
	for i, c := range p.Changes {
		if keep(i, c) {
			out.Changes = append(out.Changes, c)
		}
	}
	out.Object = map[string]any{}
	if p.orig != nil {
		out.Object = runtime.DeepCopyJSON(p.orig)
	}
	for _, c := range out.Changes {
		mergeChange(out.Object, c)
	}
	for _, id := range p.Rules {
		if slices.ContainsFunc(out.Changes, func(c Change) bool { return slices.Contains(c.Rules, id) }) {
			out.Rules = append(out.Rules, id)
		}
	}
	return out
}

// mergeChange applies c to obj as a merge patch would.
func mergeChange(obj map[string]any, c Change) {
	if len(c.Path) == 0 {
		return // no field (Mutation refuses an empty path)
	}
	parent := parentOf(obj, c.Path, c.NewPresent)
	leaf := c.Path[len(c.Path)-1]
	switch {
	case parent == nil:
		// nothing to remove beneath
	case c.NewPresent:
		parent[leaf] = runtime.DeepCopyJSONValue(c.New)
	default:
		delete(parent, leaf)
	}
}

// parentOf returns the object of obj holding path's last field. Along the
// way a missing parent, or one that is not an object, is made an empty
// object when create is set, as a merge patch makes it; otherwise there is
// none (nil).
func parentOf(obj map[string]any, path view.Path, create bool) map[string]any {
	for _, seg := range path[:len(path)-1] {
		child, ok := obj[seg].(map[string]any)
		if !ok {
			if !create {
				return nil
			}
			child = map[string]any{}
			obj[seg] = child
		}
		obj = child
	}
	return obj
}

// Units splits p's changes by the rules that made them: each unit holds
// the indexes of the changes one set of rules made together (a field two
// fixes changed is one unit of both), in p's order. A unit is the least
// part of a plan that can be applied apart from the rest and still say
// whose fix it is.
func (p Plan) Units() [][]int {
	var units [][]int
	var keys []string
	for i, c := range p.Changes {
		key := strings.Join(c.Rules, ",")
		if j := slices.Index(keys, key); j >= 0 {
			units[j] = append(units[j], i)
			continue
		}
		keys = append(keys, key)
		units = append(units, []int{i})
	}
	return units
}
