package view

import "slices"

// The fields a view reads at fixed places (spec, spec.name,
// spec.publicAccessBlock.blockPublicACLs, …) have the same path in every
// object of a kind. Their paths are built once, when the package is
// initialized, by running every view constructor on an empty object and
// noting each field it reads; a view built afterwards takes those paths
// from the tree instead of building them again, so a field costs one map
// lookup in the tree and none of the path's segments is copied. Fields
// under list elements, and fields no constructor reads, still get paths of
// their own (from the view's arena or Path.Child).
//
// The tree is written only by init, before anything else can read it; a
// path in it has len == cap, so appending to it copies, and nothing writes
// a path's segments, so views built on any goroutine share it safely.

// pathNode is one field of the tree of fixed paths.
type pathNode struct {
	path Path
	// few holds the fields under the node while there are at most
	// fewKids of them, searched in order (the keys views ask for are the
	// very constants the tree was recorded from, so most comparisons
	// stop at the pointer); kids holds them all once there are more.
	few  []*pathNode
	kids map[string]*pathNode
	// recording is true only while init builds the tree: kid then adds
	// the fields it is asked for.
	recording bool
}

// kid returns the node of the field key under n: nil when n is nil or has
// no such field (except while recording, when it is added).
func (n *pathNode) kid(key string) *pathNode {
	if n == nil {
		return nil
	}
	if n.kids == nil {
		for _, k := range n.few {
			if k.path[len(k.path)-1] == key {
				return k
			}
		}
	} else if k, ok := n.kids[key]; ok {
		return k
	}
	if !n.recording {
		return nil
	}
	k := &pathNode{path: n.path.Child(key), recording: true}
	n.few = append(n.few, k)
	if len(n.few) > fewKids {
		if n.kids == nil {
			n.kids = make(map[string]*pathNode, len(n.few))
			for _, f := range n.few {
				n.kids[f.path[len(f.path)-1]] = f
			}
		}
		n.kids[key] = k
	}
	return k
}

// fewKids is the most fields a node searches in order.
const fewKids = 8

// stopRecording ends the tree's construction.
func (n *pathNode) stopRecording() {
	n.recording = false
	n.few = slices.Clip(n.few)
	for _, k := range n.few {
		k.stopRecording()
	}
}

// fixedPaths is the root of the tree; Root hands it to every view.
var fixedPaths *pathNode

// viewConstructors are the views whose fixed fields the tree holds. A view
// missing here is still correct: its fields get their own paths.
var viewConstructors = []func(map[string]any){
	func(o map[string]any) { NewAlias(o) },
	func(o map[string]any) { NewBucket(o) },
	func(o map[string]any) { NewBucketConfig(o) },
	func(o map[string]any) { NewSecurityGroup(o) },
	func(o map[string]any) { NewIAMIdentity(o) },
	func(o map[string]any) { NewRole(o) },
	func(o map[string]any) { NewUser(o) },
	func(o map[string]any) { NewGroup(o) },
	func(o map[string]any) { NewPolicy(o) },
	func(o map[string]any) { NewFunction(o) },
	func(o map[string]any) { NewFunctionURLConfig(o) },
	func(o map[string]any) { NewFunctionConfig(o) },
	func(o map[string]any) { NewSubnet(o) },
	func(o map[string]any) { NewFunctionRole(o) },
	func(o map[string]any) { NewNetworkACL(o) },
	func(o map[string]any) { NewDBInstance(o) },
	func(o map[string]any) { NewDBCluster(o) },
	func(o map[string]any) { NewParameterGroup(o) },
	func(o map[string]any) { NewDBProxy(o) },
}

func init() {
	root := &pathNode{path: Path{}, recording: true}
	fixedPaths = root
	// Once with no spec and once with an empty one, so that a constructor
	// that reads nothing under an absent spec still records its fields.
	for _, build := range viewConstructors {
		build(map[string]any{})
		build(map[string]any{"spec": map[string]any{}})
	}
	root.stopRecording()
}
