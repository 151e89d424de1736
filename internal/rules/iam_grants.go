package rules

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/ackguard/ackguard/internal/policy"
)

// IAM-001: no Allow of every action on every resource, or effectively so
// (NotResource with Action "*", resource patterns covering every ARN such
// as "arn:*"). A condition never excuses it (§10.1 F1).
func iam001() *Rule {
	return &Rule{
		ID:          "IAM-001",
		Title:       "No policy allows every action on every resource",
		Severity:    High,
		Kinds:       grantKinds,
		Admission:   Deny,
		Remediation: Audit,
		References: References{
			FSBP: []string{"IAM.1"}, Config: []string{"iam-policy-no-statements-with-admin-access"},
			Checkov: []string{"CKV_AWS_62", "CKV_AWS_1"}, CIS: []string{"v1.4.0 1.16", "v1.2.0 1.22"},
		},
		Check: ownDocRule(grantDocs, checkIAM001Doc),
	}
}

func checkIAM001Doc(_ *Input, d *iamDoc) []Finding {
	var out []Finding
	for _, s := range d.Doc.Statements {
		all := adminActions(s)
		if len(all) == 0 {
			continue
		}
		msg := fmt.Sprintf("%s%s allows Action %s on %s: every action on every resource (administrator access)", d.lead(), s.Ref(), quoted(all, 2), resourceField(s))
		if len(s.Conditions) > 0 {
			msg += "; its Condition does not excuse it"
		}
		out = append(out, Finding{
			Path:    d.Path,
			Message: msg,
			Remedy:  "list only the actions and resource ARNs the workload needs, or remove the statement",
			Subject: statementSubject(d.Doc, s),
		})
	}
	return out
}

// adminActions returns the Action patterns that make an Allow statement
// grant every action on every resource (Action "*" with Resource "*",
// an equivalent such as "arn:*", or NotResource), or nil.
func adminActions(s *policy.Statement) []string {
	if s.Effect != policy.Allow || s.HasNotAction {
		return nil
	}
	var all []string
	for _, p := range s.Action {
		if policy.CoversAllActions(p) {
			all = append(all, p)
		}
	}
	if len(all) == 0 {
		return nil
	}
	if s.HasNotResource {
		return all
	}
	for _, r := range s.Resource {
		if policy.EffectivelyStar(r) {
			return all
		}
	}
	return nil
}

// sensitiveServices are the services whose wildcard IAM-002 denies.
var sensitiveServices = []string{"iam", "sts", "organizations", "kms"}

// IAM-002: no service-wide or global wildcard action in an Allow.
func iam002() *Rule {
	return &Rule{
		ID:          "IAM-002",
		Title:       "No Allow grants a whole service (svc:*) or every action",
		Severity:    Low,
		Kinds:       grantKinds,
		Admission:   Warn, // deny for iam:*, sts:*, organizations:*, kms:* (per finding)
		Remediation: Audit,
		References: References{
			FSBP: []string{"IAM.21"}, Config: []string{"iam-policy-no-statements-with-full-access"},
			Checkov: []string{"CKV_AWS_63", "CKV_AWS_49", "CKV2_AWS_40"},
		},
		Check: ownDocRule(grantDocs, checkIAM002Doc),
	}
}

func checkIAM002Doc(_ *Input, d *iamDoc) []Finding {
	var out []Finding
	for _, s := range d.Doc.Statements {
		if s.Effect != policy.Allow {
			continue
		}
		g := iam002Grant(s)
		if len(g.what) == 0 {
			continue
		}
		action := Warn
		if g.sensitive {
			action = Deny
		}
		out = append(out, Finding{
			Action:  action,
			Path:    d.Path,
			Message: fmt.Sprintf("%s%s allows %s on %s: %s, rather than the actions needed", d.lead(), s.Ref(), quoteList(g.what, 4), resourceField(s), strings.Join(g.scope, "; ")),
			Remedy:  "list the specific actions the workload calls (for example \"s3:GetObject\" instead of \"s3:*\")",
			Subject: statementSubject(d.Doc, s),
		})
	}
	return out
}

// wildGrant is what an Allow statement grants beyond named actions: the
// patterns, what they reach, and whether that includes a sensitive
// service.
type wildGrant struct {
	what, scope []string
	sensitive   bool
}

// iam002Grant finds a service wildcard, "*" on resources narrower than
// every ARN, or NotAction "svc:*". A Resource naming only some services'
// ARNs keeps "*" and NotAction inside those services (rule D4). NotAction
// without a service wildcard is left to IAM-005, as the catalog words
// IAM-002.
func iam002Grant(s *policy.Statement) wildGrant {
	var g wildGrant
	// The services the resources name, read only when a branch needs them
	// (most statements name neither a NotAction nor "*").
	var services []string
	var anyService, read bool
	resourceServices := func() {
		if !read {
			services, anyService = s.ResourceServices()
			read = true
		}
	}
	if s.HasNotAction {
		resourceServices()
		if !slices.ContainsFunc(s.NotAction, func(p string) bool { return policy.ServiceWildcard(p) != "" || policy.ServicesWildcard(p) != "" }) {
			return g
		}
		if anyService {
			services = sensitiveServices
		}
		var allowed []string
		for _, svc := range services {
			if s.AllowsAction(svc + ":AckguardProbe") {
				allowed = append(allowed, svc)
				g.sensitive = g.sensitive || slices.Contains(sensitiveServices, svc)
			}
		}
		switch {
		case anyService:
			g.scope = append(g.scope, "every action of every other service")
		case len(allowed) == 0:
			return g // its resources belong only to the services it excludes
		default:
			g.scope = append(g.scope, fmt.Sprintf("every %s action not listed (its resources keep it inside %s)", strings.Join(allowed, ", "), pluralService(allowed)))
		}
		g.what = []string{"NotAction " + quoted(s.NotAction, 3)}
		return g
	}
	adminStmt := len(adminActions(s)) > 0
	for _, p := range s.Action {
		switch svc, glob := policy.ServiceWildcard(p), policy.ServicesWildcard(p); {
		case svc != "":
			g.what = append(g.what, fmt.Sprintf("%q", p))
			g.sensitive = g.sensitive || slices.Contains(sensitiveServices, svc)
			if !slices.Contains(g.scope, "a whole service") {
				g.scope = append(g.scope, "a whole service")
			}
		case glob != "":
			// "i*:*" is every action of iam, iot, inspector…: each
			// sensitive service it takes counts as named.
			g.what = append(g.what, fmt.Sprintf("%q", p))
			var took []string
			for _, svc := range sensitiveServices {
				if policy.MatchGlob(glob, svc, false) {
					took = append(took, svc)
				}
			}
			g.sensitive = g.sensitive || len(took) > 0
			scope := fmt.Sprintf("every service whose name matches %q", glob)
			if len(took) > 0 {
				scope += " (" + strings.Join(took, ", ") + " among them)"
			}
			g.scope = append(g.scope, scope)
		case policy.CoversAllActions(p) && !adminStmt: // "*" on "*" is IAM-001's
			g.what = append(g.what, fmt.Sprintf("%q", p))
			resourceServices()
			if anyService {
				g.scope = append(g.scope, "every action of every service on those resources")
				g.sensitive = true
				continue
			}
			g.scope = append(g.scope, fmt.Sprintf("every %s action on those resources", strings.Join(services, ", ")))
			for _, svc := range services {
				g.sensitive = g.sensitive || slices.Contains(sensitiveServices, svc)
			}
		}
	}
	return g
}

func pluralService(services []string) string {
	if len(services) == 1 {
		return "that service"
	}
	return "those services"
}

// IAM-003: no privilege-escalation combination allowed on unconstrained
// resources, over the union of every document the identity holds (§9.1,
// §10.1 G1). Conditions do not excuse it (F1); only unconditional Denies
// covering the same resources subtract (F3).
func iam003() *Rule {
	return &Rule{
		ID:          "IAM-003",
		Title:       "No privilege-escalation combination of actions is allowed",
		Severity:    High,
		Kinds:       grantKinds,
		Admission:   Deny,
		Remediation: Audit,
		References:  References{Checkov: []string{"CKV_AWS_286", "CKV_AWS_110"}},
		Check: func(in *Input) []Finding {
			st := in.iamDocs()
			out := invalidOwnDocs(st)
			out = append(out, escalationFindings(st)...)
			return append(out, st.unresolved...)
		},
	}
}

// invalidOwnDocs reports the object's own identity documents that cannot
// be judged.
func invalidOwnDocs(st *iamState) []Finding {
	var out []Finding
	for _, d := range st.own {
		if !d.Absent && !d.Valid() {
			out = append(out, invalidDocFinding(d))
		}
	}
	return out
}

type stmtKey struct {
	doc  *iamDoc
	stmt *policy.Statement
}

func escalationFindings(st *iamState) []Finding {
	lists := policy.MustReferenceLists()
	type hit struct {
		method policy.EscalationMethod
		stmts  []stmtKey
	}
	var hits []hit
	// An action recurs across methods (iam:PassRole …): its first
	// type-wide grant is looked up once.
	type firstGrant struct {
		action string
		key    stmtKey
		found  bool
	}
	seen := make([]firstGrant, 0, 64) // on the stack while it fits
	lookup := func(a string) (stmtKey, bool) {
		for _, f := range seen {
			if f.action == a {
				return f.key, f.found
			}
		}
		f := firstGrant{action: a}
		if g, found := st.analysis.FirstAllowed(a, policy.Grant.TypeWide); found {
			f.key, f.found = stmtKey{st.docFor(g.Source), g.Statement}, true
		}
		seen = append(seen, f)
		return f.key, f.found
	}
	for _, m := range lists.Escalation {
		var stmts []stmtKey
		ok := true
		for _, a := range m.Actions {
			k, found := lookup(a)
			if !found {
				ok = false
				break
			}
			if !containsKey(stmts, k) {
				stmts = append(stmts, k)
			}
		}
		if ok {
			hits = append(hits, hit{m, stmts})
		}
	}
	// Keep the minimal methods: one whose actions include every action of
	// another hit adds nothing.
	var minimal []hit
	for i, h := range hits {
		redundant := false
		for j, o := range hits {
			if i != j && strictSubset(o.method.Actions, h.method.Actions) {
				redundant = true
				break
			}
		}
		if !redundant {
			minimal = append(minimal, h)
		}
	}
	// One finding per set of statements that together allow the methods.
	type group struct {
		stmts   []stmtKey
		methods []string
	}
	var groups []*group
	index := map[string]*group{}
	for _, h := range minimal {
		sort.SliceStable(h.stmts, func(a, b int) bool { return keyLess(h.stmts[a], h.stmts[b]) })
		var ks []string
		for _, k := range h.stmts {
			ks = append(ks, fmt.Sprintf("%p/%d", k.doc, k.stmt.Index))
		}
		key := strings.Join(ks, ",")
		g := index[key]
		if g == nil {
			g = &group{stmts: h.stmts}
			index[key] = g
			groups = append(groups, g)
		}
		g.methods = append(g.methods, fmt.Sprintf("%s (%s)", h.method.Name, strings.Join(h.method.Actions, " + ")))
	}
	var out []Finding
	for _, g := range groups {
		var texts []string
		for _, k := range g.stmts {
			texts = append(texts, statementSubject(k.doc.Doc, k.stmt))
		}
		verb := "allows"
		if len(g.stmts) > 1 {
			verb = "together allow"
		}
		out = append(out, Finding{
			Path:    g.stmts[0].doc.Path,
			Message: fmt.Sprintf("%s %s privilege escalation on unconstrained resources: %s; conditions do not excuse it", statementsText(g.stmts), verb, quoteList(g.methods, 3)),
			Remedy:  "scope these actions to specific resource ARNs (not \"*\" or a whole resource type), or remove them: together they let the identity grant itself more permissions",
			// The statements as a set: their order in the documents is
			// not what is wrong, and an UPDATE reordering them introduces
			// nothing.
			Subject: strings.Join(slices.Sorted(slices.Values(texts)), "\n"),
		})
	}
	return out
}

// statementsText names statements of one or more documents, those of a
// document together, as the other IAM rules name one: the first document
// and a colon ("spec.policyDocument: Statement[0] and Statement[1]"), then
// the statements of any other document followed by the document ("and
// Statement[0] of Policy team-a/p (referenced by spec.policyRefs[0])").
func statementsText(ks []stmtKey) string {
	var parts []string
	for i := 0; i < len(ks); {
		d := ks[i].doc
		var refs []string
		for ; i < len(ks) && ks[i].doc == d; i++ {
			refs = append(refs, ks[i].stmt.Ref())
		}
		if len(parts) == 0 {
			parts = append(parts, d.lead()+strings.Join(refs, " and "))
		} else {
			parts = append(parts, strings.Join(refs, " and ")+" of "+d.label())
		}
	}
	return strings.Join(parts, " and ")
}

func containsKey(ks []stmtKey, k stmtKey) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

func keyLess(a, b stmtKey) bool {
	if a.doc.Referenced != b.doc.Referenced {
		return !a.doc.Referenced // the object's own documents first
	}
	if a.doc != b.doc {
		return a.doc.Name < b.doc.Name
	}
	return a.stmt.Index < b.stmt.Index
}

// strictSubset reports whether every action of a is in b and b has more.
func strictSubset(a, b []string) bool {
	if len(a) >= len(b) {
		return false
	}
	for _, x := range a {
		if !containsFold(b, x) {
			return false
		}
	}
	return true
}

// IAM-004: iam:PassRole on a wildcard resource, NotResource, or through a
// wildcard action, unless scoped by iam:PassedToService (§10.1 F2).
func iam004() *Rule {
	return &Rule{
		ID:          "IAM-004",
		Title:       "iam:PassRole is limited to named roles or to named services",
		Severity:    High,
		Kinds:       grantKinds,
		Admission:   Deny,
		Remediation: Audit,
		References:  References{Checkov: []string{"CKV_AWS_355"}},
		Check: func(in *Input) []Finding {
			st := in.iamDocs()
			out := invalidOwnDocs(st)
			for _, g := range st.analysis.Allowed("iam:PassRole") {
				if !g.TypeWide() || passedToServiceScoped(g.Statement) {
					continue
				}
				d := st.docFor(g.Source)
				out = append(out, Finding{
					Path: d.Path,
					Message: fmt.Sprintf("%s%s allows iam:PassRole (through %s) on %s without an iam:PassedToService condition: the holder can hand any role to any service",
						d.lead(), g.Statement.Ref(), actionField(g.Statement, "iam:PassRole"), wideText(g, true)),
					Remedy:  `list the role ARNs that may be passed in Resource, and add "Condition": {"StringEquals": {"iam:PassedToService": "<service>.amazonaws.com"}}`,
					Subject: statementSubject(d.Doc, g.Statement),
				})
			}
			return out
		},
	}
}

// passedToServiceScoped reports whether the statement limits PassRole to
// named services with a positive, non-wildcard iam:PassedToService
// condition. Under StringLike a value with a wildcard anywhere
// ("*.amazonaws.com") names no service: it is not a scope.
func passedToServiceScoped(s *policy.Statement) bool {
	for _, c := range s.ConditionsOn("iam:PassedToService") {
		if !c.Constraining() || !strings.HasPrefix(c.Op.Base, "String") {
			continue
		}
		like := strings.EqualFold(c.Op.Base, "StringLike")
		ok := true
		for _, v := range c.Values {
			if strings.Trim(v, "*?") == "" || like && strings.ContainsAny(v, "*?") {
				ok = false
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// actionField names how a statement's action element reaches an action.
func actionField(s *policy.Statement, action string) string {
	if s.HasNotAction {
		return "NotAction " + quoted(s.NotAction, 3)
	}
	var via []string
	for _, p := range s.Action {
		if policy.MatchGlob(p, action, true) {
			via = append(via, p)
		}
	}
	return "Action " + quoted(via, 3)
}

// wideText names the resources that make a grant wide.
func wideText(g policy.Grant, typeWide bool) string {
	if g.NotResource {
		return "NotResource " + quoted(g.Statement.NotResource, 3) + " (every other resource)"
	}
	return "Resource " + quoted(g.WideResources(typeWide), 3)
}

// IAM-005: Allow with NotAction or NotResource.
func iam005() *Rule {
	return &Rule{
		ID:          "IAM-005",
		Title:       "No Allow statement uses NotAction or NotResource",
		Severity:    Medium,
		Kinds:       grantKinds,
		Admission:   Warn, // deny with Resource "*" or NotResource (per finding)
		Remediation: Audit,
		References:  References{FSBP: []string{"IAM.21"}, Config: []string{"iam-policy-no-statements-with-full-access"}},
		Check: ownDocRule(grantDocs, func(_ *Input, d *iamDoc) []Finding {
			var out []Finding
			for _, s := range d.Doc.Statements {
				if s.Effect != policy.Allow || !s.HasNotAction && !s.HasNotResource {
					continue
				}
				// The statement's action element, then its resource
				// element, each named once.
				actions := "Action " + quoted(s.Action, 3)
				if s.HasNotAction {
					actions = "NotAction " + quoted(s.NotAction, 3) + " (every action not listed)"
				}
				resources := resourceField(s)
				if s.HasNotResource {
					resources += " (every resource not listed)"
				}
				wide := s.HasNotResource
				for _, r := range s.Resource {
					wide = wide || policy.EffectivelyStar(r)
				}
				action := Warn
				if wide {
					action = Deny
				}
				out = append(out, Finding{
					Action:  action,
					Path:    d.Path,
					Message: fmt.Sprintf("%s%s combines Effect Allow with %s on %s: it grants everything not listed, including actions and resources added later", d.lead(), s.Ref(), actions, resources),
					Remedy:  "list the allowed actions in Action and the resources in Resource; use a separate Deny statement to carve out exceptions",
					Subject: statementSubject(d.Doc, s),
				})
			}
			return out
		}),
	}
}

// listGrants collects, per statement, the actions of the list that the
// identity is allowed without a constraining condition on wide resources.
func listGrants(st *iamState, actions []string, typeWide bool) []stmtActions {
	var out []*stmtActions
	idx := map[stmtKey]*stmtActions{}
	for _, a := range actions {
		for _, g := range st.analysis.Allowed(a) {
			wide := g.Unconstrained()
			if typeWide {
				wide = g.TypeWide()
			}
			if !wide || g.Statement.Conditional() {
				continue
			}
			k := stmtKey{st.docFor(g.Source), g.Statement}
			sa := idx[k]
			if sa == nil {
				sa = &stmtActions{key: k, grant: g}
				idx[k] = sa
				out = append(out, sa)
			}
			sa.actions = append(sa.actions, a)
		}
	}
	res := make([]stmtActions, len(out))
	for i, sa := range out {
		res[i] = *sa
	}
	sort.SliceStable(res, func(i, j int) bool { return keyLess(res[i].key, res[j].key) })
	return res
}

type stmtActions struct {
	key     stmtKey
	grant   policy.Grant
	actions []string
}

// listRule builds IAM-006/007/008/019: actions of a reference list that
// the identity may call on unconstrained resources without a condition.
func listRule(id, title string, sev Severity, actions func() []string, typeWide bool, what, remedy string, refs References) *Rule {
	return &Rule{
		ID:          id,
		Title:       title,
		Severity:    sev,
		Kinds:       grantKinds,
		Admission:   Warn,
		Remediation: Audit,
		References:  refs,
		Check: func(in *Input) []Finding {
			st := in.iamDocs()
			out := invalidOwnDocs(st)
			for _, sa := range listGrants(st, actions(), typeWide) {
				d, s := sa.key.doc, sa.key.stmt
				out = append(out, Finding{
					Path:    d.Path,
					Message: fmt.Sprintf("%s%s allows %s %s on %s without a condition", d.lead(), s.Ref(), what, quoteList(sa.actions, 5), wideText(sa.grant, typeWide)),
					Remedy:  remedy,
					Subject: statementSubject(d.Doc, s),
				})
			}
			return out
		},
	}
}

func iam006() *Rule {
	return listRule("IAM-006", "No permissions-management (resource-exposure) actions on unconstrained resources", High,
		func() []string { return policy.MustReferenceLists().PermissionsManagement }, true,
		"the permissions-management actions",
		"scope these actions to the specific resource ARNs they manage: on every resource they let the holder change who may access anything",
		References{Checkov: []string{"CKV_AWS_289", "CKV_AWS_109"}})
}

func iam007() *Rule {
	return listRule("IAM-007", "No credential-returning actions on unconstrained resources", Medium,
		func() []string { return policy.MustReferenceLists().Credentials }, false,
		"the credential-returning actions",
		"scope these actions to the specific users, roles or resources they are for, or add a restricting condition",
		References{Checkov: []string{"CKV_AWS_287", "CKV_AWS_107"}})
}

func iam008() *Rule {
	return listRule("IAM-008", "No data-exfiltration reads on unconstrained resources", Medium,
		func() []string { return policy.MustReferenceLists().Exfiltration }, false,
		"the data-reading actions",
		"scope these actions to the specific buckets, parameters, secrets or snapshots the workload reads",
		References{Checkov: []string{"CKV_AWS_288", "CKV_AWS_108"}})
}

func iam019() *Rule {
	return listRule("IAM-019", "sts:AssumeRole is not allowed on every role", Medium,
		func() []string { return []string{"sts:AssumeRole"} }, false,
		"role chaining through",
		"list the role ARNs the identity may assume in Resource",
		References{Checkov: []string{"CKV_AWS_287"}})
}

// IAM-009: Write or Tagging actions on Resource "*" (infrastructure
// modification). Without the AWS access-level catalog, an action is Write
// or Tagging when its name starts with a write verb (data/write_access.json).
func iam009() *Rule {
	return &Rule{
		ID:          "IAM-009",
		Title:       "No write or tagging actions on unconstrained resources",
		Severity:    Low,
		Kinds:       grantKinds,
		Admission:   Warn,
		Remediation: Audit,
		References:  References{Checkov: []string{"CKV_AWS_290", "CKV_AWS_111", "CKV_AWS_355", "CKV_AWS_356"}},
		Check: ownDocRule(grantDocs, func(in *Input, d *iamDoc) []Finding {
			lists := policy.MustReferenceLists()
			// An unconditional Deny anywhere in the identity's documents
			// that removes the actions everywhere leaves nothing (F3).
			denied := in.iamDocs().analysis.DeniesEverywhere
			var out []Finding
			for _, s := range d.Doc.Statements {
				if s.Effect != policy.Allow || s.Conditional() {
					continue
				}
				var writes []string
				if s.HasNotAction {
					if stmtUnconstrained(s, "") && !denied("*") {
						writes = append(writes, "every action except "+quoted(s.NotAction, 3))
					}
				} else {
					for _, p := range s.Action {
						if lists.IsWriteAction(p) && stmtUnconstrained(s, policy.Service(p)) && !denied(p) {
							writes = append(writes, fmt.Sprintf("%q", p))
						}
					}
				}
				if len(writes) == 0 {
					continue
				}
				out = append(out, Finding{
					Path:    d.Path,
					Message: fmt.Sprintf("%s%s allows write or tagging actions %s on %s", d.lead(), s.Ref(), quoteList(writes, 5), resourceField(s)),
					Remedy:  "scope the statement's Resource to the ARNs the workload changes",
					Subject: statementSubject(d.Doc, s),
				})
			}
			return out
		}),
	}
}

// stmtUnconstrained reports whether the statement's resources cover every
// resource of the service ("" or "*": of every service).
func stmtUnconstrained(s *policy.Statement, svc string) bool {
	if s.HasNotResource {
		return true
	}
	for _, r := range s.Resource {
		if svc == "" || svc == "*" || strings.ContainsAny(svc, "*?") {
			if policy.EffectivelyStar(r) {
				return true
			}
		} else if policy.UnconstrainedFor(r, svc) {
			return true
		}
	}
	return false
}
