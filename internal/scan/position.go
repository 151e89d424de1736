package scan

import (
	"strconv"

	yaml "go.yaml.in/yaml/v3"

	"github.com/ackguard/ackguard/internal/view"
)

// locator finds where a field of one resource is written in its input: it
// walks the YAML node tree of the resource (the document, or the item of a
// List) by the segments of a field path. Node positions count from the
// start of the chunk the tree was parsed from; line and col shift them to
// the file (col only applies to the chunk's first line, where "--- value"
// puts the value after the marker).
type locator struct {
	node      *yaml.Node
	line, col int // the file line of the chunk's first line, less one; the column shift on that line
}

// pos is a 1-based line and column in an input; 0 when unknown.
type pos struct{ line, col int }

func (l locator) at(n *yaml.Node) pos {
	if n == nil || n.Line == 0 {
		return pos{}
	}
	col := n.Column
	if n.Line == 1 {
		col += l.col
	}
	return pos{line: n.Line + l.line, col: col}
}

// start is where the resource starts: its first key, or "-" of a List
// item.
func (l locator) start() pos {
	return l.at(content(l.node))
}

// item returns the locator of element i of the sequence at key "items" of
// the resource (a List's items), the zero locator when there is none.
func (l locator) item(i int) locator {
	n := content(l.node)
	_, items := lookup(n, "items")
	if items == nil || items.Kind != yaml.SequenceNode || i >= len(items.Content) {
		return locator{}
	}
	return locator{node: items.Content[i], line: l.line, col: l.col}
}

// find returns the position of the field at path p: the line and column
// of its key in a mapping (of the element, in a list). A path that goes on
// inside a scalar (a field of the JSON policy document written as a YAML
// string) stops at that scalar's key: the "policy:" line. When the field
// is absent, the position is that of its nearest present parent (the
// "spec:" key for a missing spec.publicAccessBlock), and of the start of
// the resource when no part of the path is present. The zero pos when the
// resource has no node tree.
func (l locator) find(p view.Path) pos {
	n := content(l.node)
	if n == nil {
		return pos{}
	}
	at := l.at(n)
	for _, seg := range p {
		switch n.Kind {
		case yaml.MappingNode:
			k, v := lookup(n, seg)
			if k == nil {
				return at
			}
			at, n = l.at(k), content(v)
		case yaml.SequenceNode:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(n.Content) {
				return at
			}
			n = content(n.Content[i])
			at = l.at(n)
		default:
			return at // a scalar: the path goes on inside its text
		}
		if n == nil {
			return at
		}
	}
	return at
}

// content skips document nodes and follows aliases to the node they name.
func content(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && i < 100; i++ {
		switch {
		case n.Kind == yaml.DocumentNode && len(n.Content) > 0:
			n = n.Content[0]
		case n.Kind == yaml.DocumentNode:
			return nil
		case n.Kind == yaml.AliasNode:
			n = n.Alias
		default:
			return n
		}
	}
	return nil
}

// lookup returns the key and value nodes of key in a mapping node, looking
// into merged mappings ("<<: *base") when the mapping itself lacks the
// key; for a merged key, the "<<" key is returned, where the field is
// brought in.
func lookup(m *yaml.Node, key string) (k, v *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	var merges []*yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		kn := m.Content[i]
		if kn.Kind == yaml.ScalarNode && kn.Value == key && kn.Tag != "!!merge" {
			return kn, m.Content[i+1]
		}
		if kn.Tag == "!!merge" {
			merges = append(merges, kn, m.Content[i+1])
		}
	}
	for i := 0; i+1 < len(merges); i += 2 {
		mk, mv := merges[i], content(merges[i+1])
		var sources []*yaml.Node
		switch {
		case mv == nil:
		case mv.Kind == yaml.MappingNode:
			sources = []*yaml.Node{mv}
		case mv.Kind == yaml.SequenceNode:
			sources = mv.Content
		}
		for _, s := range sources {
			if s = content(s); s == m {
				continue
			}
			if _, v := lookup(s, key); v != nil {
				return mk, v
			}
		}
	}
	return nil, nil
}
