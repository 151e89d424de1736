package rules

import (
	"fmt"
	"strings"

	"github.com/ackguard/ackguard/internal/view"
)

const authTypeIAM = "AWS_IAM"

// LMB-003: a function URL requires IAM authentication.
//
// The catalog's "unless annotated public" is not honoured: an annotation
// on the object could be written by whoever writes the object (rule
// catalog §11.1), so a public URL needs a GuardrailException. The fix
// (PATCH authType=AWS_IAM) is opt-in: the default remediation is audit.
func lmb003() *Rule {
	return &Rule{
		ID:          "LMB-003",
		Title:       "Function URLs require IAM authentication (authType: AWS_IAM)",
		Severity:    High,
		Kinds:       urlKind,
		Admission:   Deny,
		Remediation: Audit, // breaks public callers
		References: References{
			Checkov: []string{"CKV_AWS_258"},
		},
		Check: checkLMB003,
		Fixer: fixLMB003,
	}
}

func checkLMB003(in *Input) []Finding {
	u := view.NewFunctionURLConfig(in.Object)
	if u.Spec.Err != nil {
		return []Finding{fieldErrorFinding(u.Spec.Err)} // reported once, here, for the URL rules
	}
	a := u.AuthType
	const remedy = "set spec.authType to AWS_IAM and grant lambda:InvokeFunctionUrl to the callers (a URL that must be public needs a GuardrailException)"
	switch {
	case a.Err != nil:
		f := fieldErrorFinding(a.Err)
		f.Fixable = true
		return []Finding{f}
	case !a.Present:
		return []Finding{{Path: a.Path, Message: "authType is not set", Remedy: remedy, Subject: "absent", Fixable: true}}
	case a.Value == authTypeIAM:
		return nil
	case strings.EqualFold(strings.TrimSpace(a.Value), "NONE"):
		// The value quoted as the spec writes it ("none" is judged as NONE).
		return []Finding{{Path: a.Path, Message: fmt.Sprintf("authType %q makes the function URL a public endpoint that anyone can invoke", a.Value), Remedy: remedy, Subject: "NONE", Fixable: true}}
	}
	return []Finding{{Path: a.Path, Message: fmt.Sprintf("authType %q is not AWS_IAM (Lambda accepts only AWS_IAM or NONE)", a.Value), Remedy: remedy, Subject: a.Value, Fixable: true}}
}

func fixLMB003(m *Mutation) error {
	u := view.NewFunctionURLConfig(m.Input().Object)
	if u.Spec.Err != nil || (u.AuthType.Err == nil && u.AuthType.Value == authTypeIAM) {
		return nil
	}
	return m.Set(u.AuthType.Path, authTypeIAM)
}

// LMB-004: function URL CORS is not open to every origin.
func lmb004() *Rule {
	return &Rule{
		ID:          "LMB-004",
		Title:       "Function URL CORS does not allow every origin",
		Severity:    Medium,
		Kinds:       urlKind,
		Admission:   Warn,
		Remediation: Audit,
		References: References{
			Checkov: []string{"CKV2_AWS_75"},
		},
		Check: checkLMB004,
	}
}

func checkLMB004(in *Input) []Finding {
	u := view.NewFunctionURLConfig(in.Object)
	if u.Spec.Err != nil {
		return nil
	}
	var out []Finding
	for _, e := range u.Errors {
		if pathUnder(e.Path, u.CORS.Path) {
			out = append(out, fieldErrorFinding(e))
		}
	}
	c := u.CORS
	if c.Err != nil || !c.Present {
		return out
	}
	if c.AllowCredentials.Err != nil {
		out = append(out, fieldErrorFinding(c.AllowCredentials.Err))
	}
	for _, o := range c.AllowOrigins {
		if o.Err != nil {
			out = append(out, fieldErrorFinding(o.Err))
			continue
		}
		what := "lets any web site call the function URL from a browser"
		switch {
		case wildcardOrigin(o.Value):
		case nullOrigin(o.Value):
			what = "lets any web site call the function URL from a browser: a page sends Origin: null from a sandboxed iframe, a data: URL or a redirect, whatever site it comes from"
		default:
			continue
		}
		f := Finding{
			Path:    o.Path,
			Message: fmt.Sprintf("allowOrigins %q %s", o.Value, what),
			Remedy:  "list the origins that may call the URL in spec.cors.allowOrigins",
			Subject: o.Value,
		}
		if c.AllowCredentials.IsTrue() {
			// Said, at the catalog's severity (Medium) all the same.
			f.Message += ", with allowCredentials: true (browsers then send the caller's cookies and credentials)"
			f.Subject += " with credentials"
		}
		out = append(out, f)
	}
	return out
}

// nullOrigin reports whether an allowed origin is the opaque origin
// "null", which any site can make a browser send (ackguard reading: as
// wide open as "*").
func nullOrigin(o string) bool { return strings.EqualFold(strings.TrimSpace(o), "null") }

// wildcardOrigin reports whether an allowed origin matches every site:
// "*", or a scheme with a wildcard host ("https://*").
func wildcardOrigin(o string) bool {
	o = strings.TrimSpace(o)
	if o == "*" {
		return true
	}
	_, host, ok := strings.Cut(o, "://")
	return ok && strings.TrimRight(host, "/") == "*"
}
