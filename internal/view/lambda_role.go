package view

// FunctionRole is the part of a Lambda Function that names its execution
// role: spec.role (an ARN) or spec.roleRef (an ACK Role in the cluster).
type FunctionRole struct {
	Meta
	Role    String // spec.role
	RoleRef Ref    // spec.roleRef
	Errors  []*FieldError
}

// NewFunctionRole decodes the execution-role fields of a Function.
func NewFunctionRole(obj map[string]any) *FunctionRole {
	spec := Spec(obj)
	f := &FunctionRole{Meta: ReadMeta(obj)}
	if spec.Err != nil {
		f.Errors = append(f.Errors, spec.Err)
	}
	f.Role = spec.String("role")
	f.RoleRef = readRef(spec.Object("roleRef"))
	return f
}

// FunctionRoleRefPath is spec.roleRef of a Function, where
// FunctionRole.RoleRef is read.
var FunctionRoleRefPath = NewPath("spec", "roleRef")

// FunctionRoleARN returns a Function's spec.role (FunctionRole.Role),
// read in place: "" when it is absent or not a string.
func FunctionRoleARN(obj map[string]any) string { return stringOf(objectOf(obj, "spec"), "role") }
