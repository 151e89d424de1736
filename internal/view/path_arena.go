package view

// pathArena hands out the field paths of a view under construction from
// shared chunks: a view reads dozens of fields, and one allocation per
// path was most of the cost of building it. A path it returns has len ==
// cap, so appending to it copies, as with Path.Child, and the part of a
// chunk handed out is never written again. The constructor seals the
// arena before it returns the view: the view's objects are then only
// read, from any goroutine, and paths built from them afterwards are
// allocated one by one, as Path.Child does.
type pathArena struct {
	buf    []string
	sealed bool
}

// firstPathChunk and pathChunk bound the number of path segments an arena
// allocates at once: the first chunk, and every later one.
const (
	firstPathChunk = 8
	pathChunk      = 48
)

// child is p.Child(seg), taken from the arena while it is open.
func (a *pathArena) child(p Path, seg string) Path {
	if a == nil || a.sealed {
		return p.Child(seg)
	}
	// When p is the last path handed out (an object's path, and now the
	// path of a field in it), the child extends it in place: p keeps its
	// segments, and its len == cap still makes appending to it copy.
	if l := len(a.buf); len(p) > 0 && len(p) <= l && l < cap(a.buf) && &a.buf[l-len(p)] == &p[0] {
		a.buf = append(a.buf, seg)
		return Path(a.buf[l-len(p) : l+1 : l+1])
	}
	n := len(p) + 1
	if cap(a.buf)-len(a.buf) < n {
		// Most fields have fixed paths (path_fixed.go); the arena serves
		// list elements and map keys, so it starts small and grows.
		a.buf = make([]string, 0, max(min(2*cap(a.buf), pathChunk), firstPathChunk, n))
	}
	start := len(a.buf)
	a.buf = append(a.buf, p...)
	a.buf = append(a.buf, seg)
	return Path(a.buf[start:len(a.buf):len(a.buf)])
}

// seal ends the arena's use: later paths are allocated by Path.Child.
func (a *pathArena) seal() {
	a.sealed = true
	a.buf = nil
}

// rootIn is Root with the paths of the fields read through it, and
// through the objects read from it, taken from a.
func rootIn(obj map[string]any, a *pathArena) Object {
	o := Root(obj)
	o.paths = a
	return o
}
