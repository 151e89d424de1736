package rules

import (
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/ackguard/ackguard/internal/view"
)

var (
	lambdaFunctionKind = []schema.GroupKind{view.FunctionGVK.GroupKind()}
	urlKind            = []schema.GroupKind{view.FunctionURLConfigGVK.GroupKind()}
)

// lambdaFunctionFor returns the object's Function view.
func lambdaFunctionFor(in *Input) *view.Function { return view.NewFunction(in.Object) }
