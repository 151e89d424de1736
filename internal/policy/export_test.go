package policy

// Test hooks: the two readers behind Parse, to compare them.
var (
	ParseQuick = parseQuick
	ParseTree  = parseTree
)
