package rules

import (
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/ackguard/ackguard/internal/view"
)

var dbProxyKind = view.DBProxyGVK.GroupKind()

// RDS-015: an RDS Proxy requires TLS. The fix (PATCH requireTLS=true) is
// opt-in: clients that connect without TLS break.
func rds015() *Rule {
	return &Rule{
		ID:          "RDS-015",
		Title:       "RDS Proxy requires TLS",
		Severity:    Medium,
		Kinds:       []schema.GroupKind{dbProxyKind},
		Admission:   Warn,
		Remediation: Audit,
		References: References{
			FSBP:   []string{"RDS.43"},
			Config: []string{"rds-proxy-tls-encryption"},
		},
		Check: checkRDS015,
		Fixer: fixRDS015,
	}
}

func checkRDS015(in *Input) []Finding {
	p := view.NewDBProxy(in.Object)
	if p.Spec.Err != nil {
		return []Finding{fieldErrorFinding(p.Spec.Err)}
	}
	return requireBool(p.RequireTLS, true, "AWS default: false, the proxy accepts connections without TLS", true,
		"set spec.requireTLS to true (clients that connect without TLS are then refused)")
}

func fixRDS015(m *Mutation) error {
	p := view.NewDBProxy(m.Input().Object)
	if p.Spec.Err != nil || (p.RequireTLS.Err == nil && p.RequireTLS.Value) {
		return nil
	}
	return m.Set(p.RequireTLS.Path, true)
}
