package view

import (
	"sort"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The ACK Lambda kinds ackguard guards.
var (
	FunctionGVK          = schema.GroupVersionKind{Group: "lambda.services.k8s.aws", Version: "v1alpha1", Kind: "Function"}
	FunctionURLConfigGVK = schema.GroupVersionKind{Group: "lambda.services.k8s.aws", Version: "v1alpha1", Kind: "FunctionURLConfig"}
)

// PackageTypeImage is the Function packageType of container images.
const PackageTypeImage = "Image"

// Function is the view of a lambda.services.k8s.aws/v1alpha1 Function.
// The execution role (spec.role, spec.roleRef) is read in lambda_role.go.
type Function struct {
	Meta
	Spec        Object
	Name        String
	Runtime     String
	PackageType String
	// EnvPath is spec.environment.variables; Env its entries sorted by
	// name, each with the path spec.environment.variables[<name>].
	EnvPath              Path
	Env                  []EnvVar
	KMSKeyARN            String
	KMSKeyRef            Object
	CodeSigningConfigARN String
	CodeSigningConfigRef Object
	TracingConfig        Object
	TracingMode          String // spec.tracingConfig.mode
	Errors               []*FieldError
}

// EnvVar is one environment variable.
type EnvVar struct {
	Name  string
	Value String
}

// NewFunction decodes a Function view from an unstructured object.
func NewFunction(obj map[string]any) *Function {
	spec := Spec(obj)
	f := &Function{Meta: ReadMeta(obj), Spec: spec}
	if spec.Err != nil {
		f.Errors = append(f.Errors, spec.Err)
	}
	f.Name = spec.String("name")
	f.Runtime = spec.String("runtime")
	f.PackageType = spec.String("packageType")
	env := spec.Object("environment")
	if env.Err != nil {
		f.Errors = append(f.Errors, env.Err)
	}
	f.EnvPath = env.Path.Child("variables")
	vars, err := env.StringMap("variables")
	if err != nil {
		f.Errors = append(f.Errors, err)
	}
	for name, v := range vars {
		f.Env = append(f.Env, EnvVar{Name: name, Value: v})
	}
	sort.Slice(f.Env, func(i, j int) bool { return f.Env[i].Name < f.Env[j].Name })
	f.KMSKeyARN = spec.String("kmsKeyARN")
	f.KMSKeyRef = spec.Object("kmsKeyRef")
	f.CodeSigningConfigARN = spec.String("codeSigningConfigARN")
	f.CodeSigningConfigRef = spec.Object("codeSigningConfigRef")
	f.TracingConfig = spec.Object("tracingConfig")
	f.TracingMode = f.TracingConfig.String("mode")
	return f
}

// TracingConfigValue returns a new spec.tracingConfig value with that
// mode, for a fix to write whole.
func TracingConfigValue(mode string) map[string]any { return map[string]any{"mode": mode} }

// IsImage reports whether the function is deployed as a container image.
func (f *Function) IsImage() bool {
	return f.PackageType.Err == nil && f.PackageType.Value == PackageTypeImage
}

// FunctionURLConfig is the view of a lambda.services.k8s.aws/v1alpha1
// FunctionURLConfig.
type FunctionURLConfig struct {
	Meta
	Spec         Object
	AuthType     String
	FunctionName String
	FunctionRef  Object
	Qualifier    String
	CORS         CORS
	Errors       []*FieldError
}

// CORS is spec.cors of a FunctionURLConfig.
type CORS struct {
	Object
	AllowCredentials Bool
	AllowOrigins     []String
	AllowMethods     []String
	AllowHeaders     []String
}

// NewFunctionURLConfig decodes a FunctionURLConfig view from an
// unstructured object.
func NewFunctionURLConfig(obj map[string]any) *FunctionURLConfig {
	spec := Spec(obj)
	u := &FunctionURLConfig{Meta: ReadMeta(obj), Spec: spec}
	if spec.Err != nil {
		u.Errors = append(u.Errors, spec.Err)
	}
	u.AuthType = spec.String("authType")
	u.FunctionName = spec.String("functionName")
	u.FunctionRef = spec.Object("functionRef")
	u.Qualifier = spec.String("qualifier")
	cors := spec.Object("cors")
	if cors.Err != nil {
		u.Errors = append(u.Errors, cors.Err)
	}
	u.CORS = CORS{Object: cors, AllowCredentials: cors.Bool("allowCredentials")}
	for _, l := range []struct {
		key string
		dst *[]String
	}{{"allowOrigins", &u.CORS.AllowOrigins}, {"allowMethods", &u.CORS.AllowMethods}, {"allowHeaders", &u.CORS.AllowHeaders}} {
		items, err := cors.StringList(l.key)
		if err != nil {
			u.Errors = append(u.Errors, err)
		}
		*l.dst = items
	}
	return u
}
