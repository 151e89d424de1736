package view

import "k8s.io/apimachinery/pkg/runtime/schema"

// AliasGVK is the ACK Lambda Alias kind: the only ACK kind that carries a
// function's resource-based permissions (who may invoke it).
var AliasGVK = schema.GroupVersionKind{Group: "lambda.services.k8s.aws", Version: "v1alpha1", Kind: "Alias"}

// Alias is the view of a lambda.services.k8s.aws/v1alpha1 Alias.
type Alias struct {
	Meta
	Spec            Object
	Name            String // spec.name (the alias name), immutable
	FunctionName    String
	FunctionRef     Ref
	FunctionVersion String
	// Permissions is spec.permissions: each element becomes a statement of
	// the function's resource policy, scoped to the alias (AddPermission).
	Permissions PermissionList
	Errors      []*FieldError
}

// PermissionList is spec.permissions of an Alias.
type PermissionList struct {
	Path  Path
	Items []AliasPermission
	// Raw are the list's elements as decoded, including malformed ones,
	// so that a fix can rewrite the list keeping them unchanged.
	Raw []any
}

// AliasPermission is one element of spec.permissions, the parameters of
// Lambda's AddPermission.
type AliasPermission struct {
	Path  Path
	Index int // position in PermissionList.Raw
	// Principal is an AWS account ID or ARN, a service principal
	// (s3.amazonaws.com) or "*".
	Principal String
	Action    String // lambda:InvokeFunction, lambda:InvokeFunctionUrl, ...
	// SourceARN, SourceAccount and PrincipalOrgID become the statement's
	// aws:SourceArn, aws:SourceAccount and aws:PrincipalOrgID conditions.
	SourceARN      String
	SourceAccount  String
	PrincipalOrgID String
	// FunctionURLAuthType (AWS_IAM or NONE) scopes the permission to
	// function URL calls of that auth type.
	FunctionURLAuthType String
	EventSourceToken    String
	StatementID         String
}

// NewAlias decodes an Alias view from an unstructured object.
func NewAlias(obj map[string]any) *Alias {
	spec := Spec(obj)
	a := &Alias{Meta: ReadMeta(obj), Spec: spec}
	if spec.Err != nil {
		a.Errors = append(a.Errors, spec.Err)
	}
	a.Name = spec.String("name")
	a.FunctionName = spec.String("functionName")
	a.FunctionRef = readRef(spec.Object("functionRef"))
	a.FunctionVersion = spec.String("functionVersion")
	a.Permissions = PermissionList{Path: spec.Path.Child("permissions")}
	if raw, ok := spec.lookup("permissions"); ok {
		a.Permissions.Raw, _ = raw.([]any)
	}
	items, err := spec.List("permissions")
	if err != nil {
		a.Errors = append(a.Errors, err)
	}
	for i, it := range items {
		if it.Err != nil {
			a.Errors = append(a.Errors, it.Err)
			continue
		}
		a.Permissions.Items = append(a.Permissions.Items, AliasPermission{
			Path:                it.Path,
			Index:               i,
			Principal:           it.String("principal"),
			Action:              it.String("action"),
			SourceARN:           it.String("sourceARN"),
			SourceAccount:       it.String("sourceAccount"),
			PrincipalOrgID:      it.String("principalOrgID"),
			FunctionURLAuthType: it.String("functionURLAuthType"),
			EventSourceToken:    it.String("eventSourceToken"),
			StatementID:         it.String("statementID"),
		})
	}
	return a
}

// PermissionWithSourceAccount returns a copy of a spec.permissions
// element as decoded (an element of PermissionList.Raw) with its
// sourceAccount set to account; entry is not modified.
func PermissionWithSourceAccount(entry map[string]any, account string) map[string]any {
	c := make(map[string]any, len(entry)+1)
	for k, v := range entry {
		c[k] = v
	}
	c["sourceAccount"] = account
	return c
}

// Strings returns the permission's string fields, for reporting the ones
// of the wrong type.
func (p AliasPermission) Strings() []String {
	return []String{p.Principal, p.Action, p.SourceARN, p.SourceAccount, p.PrincipalOrgID, p.FunctionURLAuthType, p.EventSourceToken, p.StatementID}
}
