package rules

import (
	_ "embed"
	"encoding/json"
	"fmt"
)

// lambdaRuntimesJSON is LMB-005's list of supported runtimes, shipped as
// versioned data with its source (rule catalog §11.6).
//
//go:embed data/lambda_runtimes.json
var lambdaRuntimesJSON []byte

// RuntimeList is the versioned list of supported Lambda runtimes.
type RuntimeList struct {
	Version   string   `json:"version"`
	Source    string   `json:"source"`
	Supported []string `json:"supported"`
}

// SupportedLambdaRuntimes returns the runtime list LMB-005 uses.
func SupportedLambdaRuntimes() RuntimeList {
	return mustData[RuntimeList]("lambda_runtimes.json", lambdaRuntimesJSON)
}

// mustData decodes data, the embedded file data/name, as a T. The files
// are embedded at build time and covered by tests: one that does not
// decode is a build's mistake, not an input's.
func mustData[T any](name string, data []byte) T {
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		panic(fmt.Sprintf("data/%s: %v", name, err))
	}
	return v
}

// LMB-005: the function uses a supported runtime.
//
// Container images (packageType Image) carry their own runtime and are
// exempt. A function without a runtime is not judged: Lambda requires one
// for .zip packages and rejects the function. The runtime can be changed
// but only with a code change, so admission denies a CREATE (or an UPDATE
// that sets an unsupported runtime) and the reconciler only reports: the
// Subject is the runtime, so an update that keeps it is not a new finding.
func lmb005() *Rule {
	supported := map[string]bool{}
	list := SupportedLambdaRuntimes()
	for _, r := range list.Supported {
		supported[r] = true
	}
	return &Rule{
		ID:          "LMB-005",
		Title:       "The function uses a supported runtime",
		Severity:    Medium,
		Kinds:       lambdaFunctionKind,
		Admission:   Deny,
		Remediation: Audit, // needs a code change
		References: References{
			FSBP:    []string{"Lambda.2"},
			Config:  []string{"lambda-function-settings-check"},
			Checkov: []string{"CKV_AWS_363"},
		},
		Check: func(in *Input) []Finding { return checkLMB005(in, supported, list.Version) },
	}
}

func checkLMB005(in *Input, supported map[string]bool, version string) []Finding {
	f := lambdaFunctionFor(in)
	if f.Spec.Err != nil {
		return []Finding{fieldErrorFinding(f.Spec.Err)} // reported once, here, for the Function rules
	}
	rt := f.Runtime
	switch {
	case f.PackageType.Err != nil:
		return []Finding{fieldErrorFinding(f.PackageType.Err)}
	case f.IsImage():
		return nil
	case rt.Err != nil:
		return []Finding{fieldErrorFinding(rt.Err)}
	case !rt.Present || rt.Value == "" || supported[rt.Value]:
		return nil
	}
	return []Finding{{
		Path:    rt.Path,
		Message: fmt.Sprintf("runtime %q is not a supported Lambda runtime (deprecated or unknown in ackguard's runtime list %s)", rt.Value, version),
		Remedy:  "move the function to a supported runtime (for example python3.12, nodejs22.x, java21) or to a container image",
		Subject: rt.Value,
	}}
}
