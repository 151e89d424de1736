package rules

import (
	"fmt"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/ackguard/ackguard/internal/policy"
	"github.com/ackguard/ackguard/internal/view"
)

// Kinds of the IAM rules.
var (
	roleKind     = []schema.GroupKind{view.RoleGVK.GroupKind()}
	userKind     = []schema.GroupKind{view.UserGVK.GroupKind()}
	functionKind = []schema.GroupKind{view.FunctionGVK.GroupKind()}
	// attachKinds hold attached policies: Role, User, Group.
	attachKinds = []schema.GroupKind{view.RoleGVK.GroupKind(), view.UserGVK.GroupKind(), view.GroupGVK.GroupKind()}
	// grantKinds hold identity documents judged as grants. A Policy used
	// only as a permissions boundary is exempt from IAM-001 to IAM-009 and IAM-019
	// (iam_boundary.go).
	grantKinds = append(append([]schema.GroupKind{}, attachKinds...), view.PolicyGVK.GroupKind())
	// iamDocKinds hold any IAM document: grants and trust policies.
	iamDocKinds = grantKinds
)

// IAM size quotas, counted without whitespace as IAM counts them.
const (
	maxRoleInlineChars  = 10240
	maxUserInlineChars  = 2048
	maxGroupInlineChars = 5120
)

// iamDoc is one IAM document of the object under evaluation, or of a
// Policy it references, parsed once.
type iamDoc struct {
	// Path is the field the document comes from; for a referenced Policy,
	// the reference (spec.policyRefs[0]).
	Path view.Path
	// Name identifies the document among the object's (sources of the
	// analysis, IAM-003's order); for a referenced Policy it is how
	// messages name it: the Policy and the field that names it.
	Name string
	// Who is, for a referenced document, its Policy ("Policy
	// team-a/admin").
	Who string
	// What is "trust policy", "identity policy" or "managed policy".
	What    string
	TypeErr *view.FieldError
	Absent  bool
	Doc     *policy.Document
	// Problems are grammar problems, and a decoding or size problem.
	Problems []policy.Problem
	// Chars is the decoded text's length without whitespace, as IAM
	// counts it for its size quotas.
	Chars      int
	URLEncoded bool
	PlusSpace  bool
	// Referenced is true for the document of a Policy that spec.policyRefs
	// names.
	Referenced bool
}

// Valid reports whether the document can be judged.
func (d *iamDoc) Valid() bool {
	return !d.Absent && d.TypeErr == nil && d.Doc != nil && len(d.Problems) == 0
}

// readNote says how the document was read when it was not read as
// written, "" otherwise.
func (d *iamDoc) readNote() string {
	switch {
	case d.URLEncoded:
		return " (URL-encoded; judged decoded, as ACK applies it)"
	case d.PlusSpace:
		return " (judged with '+' read as a space, as ACK's URL-decoding applies it)"
	}
	return ""
}

// label names the document in a message where the finding's path does
// not (another document of an IAM-003 union): by its field, as paths
// render it (spec.inlinePolicies.admin), or for a referenced Policy by the
// Policy and the field naming it; with how it was read.
func (d *iamDoc) label() string {
	if d.Referenced {
		return d.Name + d.readNote()
	}
	return d.Path.String() + d.readNote()
}

// lead begins the message of a finding reported at d.Path, which every
// output prints before the message: so the message does not name the
// object's own document again (the path is the document), only the Policy
// of a referenced one (the path is the reference), or, for a document not
// read as written, says how it was read. It is "" or ends with ": ".
func (d *iamDoc) lead() string {
	switch {
	case d.Referenced:
		return d.Who + ": "
	case d.readNote() != "":
		return "the " + d.What + d.readNote() + ": "
	}
	return ""
}

// iamState is what the IAM rules share for one evaluation.
type iamState struct {
	// trust is the Role's assume-role policy (nil for other kinds).
	trust *iamDoc
	// own are the object's identity documents: Policy.policyDocument or the
	// inline policies, in name order.
	own []*iamDoc
	// refs are the documents of the Policies spec.policyRefs names that
	// could be read.
	refs []*iamDoc
	// unresolved are warnings for references that could not be read.
	unresolved []Finding
	// refARNs are the ARNs ACK recorded for the Policies spec.policyRefs
	// names, the ARNs it attaches (IAM-014/015/016 read AWS managed ones).
	refARNs  []refARN
	analysis *policy.Analysis
	// boundaryOnly is, for a Policy, whether it is used only as a
	// permissions boundary; nil until asked (iam_boundary.go).
	boundaryOnly *bool
	// inline sums the inline policies of a Role, User or Group: IAM's size
	// quota is for all of them together (catalog A7).
	inline inlineSize
}

// inlineSize is what an identity's inline policies weigh together.
type inlineSize struct {
	Path  view.Path // spec.inlinePolicies
	Chars int       // their characters without whitespace, decoded
	Limit int       // IAM's quota for all of them (0: not an identity)
	// Over is true when one document alone is over the quota (reported on
	// that document).
	Over bool
}

// grants returns every identity document whose grants count for the
// object: its own and those of the Policies it references.
func (s *iamState) grants() []*iamDoc {
	if len(s.refs) == 0 {
		return s.own[:len(s.own):len(s.own)] // appending copies
	}
	return append(append(make([]*iamDoc, 0, len(s.own)+len(s.refs)), s.own...), s.refs...)
}

// iam returns the IAM documents of the object, read once per evaluation.
func (in *Input) iamDocs() *iamState {
	if in.iam == nil {
		in.iam = readIAM(in, in.Object, in.Meta)
	}
	return in.iam
}

// readIAM reads the documents of an IAM object (the one under evaluation,
// or a Role a Function runs as) and resolves its policyRefs.
func readIAM(in *Input, obj map[string]any, meta view.Meta) *iamState {
	st := &iamState{}
	switch meta.GVK.GroupKind() {
	case view.PolicyGVK.GroupKind():
		p := view.NewPolicy(obj)
		d := readIAMDoc(in, p.PolicyDocument, p.PolicyDocument.Path.String(), "managed policy", policy.IdentityPolicy, policy.MaxManagedPolicyBytes, false)
		st.own = append(st.own, d)
	case view.RoleGVK.GroupKind(), view.UserGVK.GroupKind(), view.GroupGVK.GroupKind():
		var id *view.IAMIdentity
		limit := maxRoleInlineChars
		switch meta.GVK.Kind {
		case view.RoleGVK.Kind:
			r := view.NewRole(obj)
			id = &r.IAMIdentity
			st.trust = readIAMDoc(in, r.AssumeRolePolicyDocument, r.AssumeRolePolicyDocument.Path.String(), "trust policy", policy.TrustPolicy, policy.MaxTrustPolicyBytes, false)
		case view.UserGVK.Kind:
			limit = maxUserInlineChars
		case view.GroupGVK.Kind:
			limit = maxGroupInlineChars
		}
		if id == nil {
			id = view.NewIAMIdentity(obj)
		}
		st.inline = inlineSize{Path: id.InlinePoliciesField.Path, Limit: limit}
		for _, ip := range id.InlinePolicies {
			// Known by the map key quoted, also when the key is an
			// identifier (spec.inlinePolicies["admin"]): the order of
			// IAM-003's documents, hence the path it reports at, follows
			// it. Messages name the document by its path (label).
			name := "spec.inlinePolicies[" + strconv.Quote(ip.Name) + "]"
			d := readIAMDoc(in, ip.Document, name, "inline policy", policy.IdentityPolicy, limit, true)
			st.own = append(st.own, d)
			st.inline.Chars += d.Chars
			st.inline.Over = st.inline.Over || d.Chars > limit
		}
		for _, ref := range id.PolicyRefs {
			d, recorded, warn := resolvePolicyRef(in, ref, ref.Path, meta.Namespace)
			if recorded.ARN != "" {
				st.refARNs = append(st.refARNs, recorded)
			}
			if d != nil {
				st.refs = append(st.refs, d)
			}
			if warn != nil {
				st.unresolved = append(st.unresolved, *warn)
			}
		}
		// Customer managed policies attached by ARN join the union when
		// an ACK Policy in the cluster is the one the ARN names (G1).
		var policies []map[string]any
		var listErr error
		listed := false
		for _, a := range id.Policies {
			arn, ok := policy.ParseIAMARN(strings.TrimSpace(a.Value))
			if a.Err != nil || !ok || arn.Type != "policy" || arn.Account == "aws" {
				continue // not a customer managed policy (IAM-014/015/016 read AWS managed ones)
			}
			l, canList := in.Config.Resolver.(Lister)
			if !canList {
				break
			}
			if !listed {
				policies, listErr = l.List(view.PolicyGVK)
				listed = true
			}
			if listErr != nil {
				msg := fmt.Sprintf("the policy %s could not be looked up among the ACK Policies (%v); its permissions are not judged here", a.Value, listErr)
				st.unresolved = append(st.unresolved, Finding{Action: Warn, Inconclusive: true, Path: a.Path, Message: msg,
					Remedy: "retry; ackguard judges the identity again when the Policies can be read", Subject: "unresolved: " + msg})
				break
			}
			if d := policyByARN(in, policies, a.Value, a.Path, meta.Namespace, id.PolicyRefs); d != nil {
				st.refs = append(st.refs, d)
			}
		}
	}
	var sources []policy.Source
	for _, d := range st.grants() {
		if d.Valid() {
			sources = append(sources, policy.Source{Name: d.Name, Doc: d.Doc, URLEncoded: d.URLEncoded})
		}
	}
	// The identity's resources are in its partition (the one ACK recorded,
	// else its region annotation's, else the configured one): a Deny
	// naming another partition subtracts nothing.
	st.analysis = policy.AnalyzeIn(meta.AWSPartition(in.Config.Partition), sources...)
	return st
}

// readIAMDoc parses one document field. inline documents are URL-decoded
// first, as ACK does before applying them.
func readIAMDoc(in *Input, f view.String, name, what string, kind policy.Kind, limit int, inline bool) *iamDoc {
	d := &iamDoc{Path: f.Path, Name: name, What: what}
	switch {
	case f.Err != nil:
		d.TypeErr = f.Err
		return d
	case !f.Present:
		d.Absent = true
		return d
	}
	raw := f.Value
	if inline {
		text, enc, plus, err := policy.DecodeInline(raw)
		if err != nil {
			d.Problems = []policy.Problem{{Message: err.Error()}}
			return d
		}
		raw, d.URLEncoded, d.PlusSpace = text, enc, plus
	}
	d.Chars = policy.NonSpaceLen(raw)
	d.Doc, d.Problems = parseIAM(in, raw, kind, what, limit, d.Chars)
	return d
}

// parseIAM checks the size as IAM counts it (without whitespace), then
// parses.
func parseIAM(in *Input, raw string, kind policy.Kind, what string, limit, n int) (*policy.Document, []policy.Problem) {
	if strings.TrimSpace(raw) == "" {
		return nil, []policy.Problem{{Message: "the document is empty; IAM rejects an empty " + what}}
	}
	if n > limit {
		return nil, []policy.Problem{{Message: fmt.Sprintf("the document is %d characters without whitespace; an IAM %s may be at most %d", n, what, limit)}}
	}
	return in.Document(raw, kind, policy.Options{MaxBytes: len(raw) + 1})
}

// refARN is the ARN ACK recorded for a Policy that spec.policyRefs names:
// the ARN ACK resolves the reference to and attaches.
type refARN struct {
	Path view.Path // the reference, spec.policyRefs[0]
	Who  string    // the Policy, "Policy <namespace>/<name>"
	ARN  string
}

// resolvePolicyRef reads the Policy a reference names. It returns the
// document when it could read one, the ARN ACK recorded for the Policy
// when it has one, and a warning when it could not judge the reference.
func resolvePolicyRef(in *Input, ref view.Ref, refPath view.Path, ns string) (*iamDoc, refARN, *Finding) {
	warn := func(msg, remedy string) *Finding {
		return &Finding{Action: Warn, Inconclusive: true, Path: refPath, Message: msg, Remedy: remedy, Subject: "unresolved: " + msg}
	}
	refNS, name, ok := ref.Target(ns)
	if !ok {
		if ref.Err != nil {
			return nil, refARN{}, warn("invalid input: "+ref.Err.Error(), "write the reference as {from: {name: <Policy>, namespace: <optional>}}")
		}
		return nil, refARN{}, warn("the reference names no Policy (from.name is missing or not a string)", "set from.name to the ACK Policy's name")
	}
	who := fmt.Sprintf("Policy %s/%s", refNS, name)
	if in.Config.Resolver == nil {
		return nil, refARN{}, warn(fmt.Sprintf("the referenced %s could not be read (no cluster access in this evaluation); its permissions are not judged here", who),
			"judge it with the reconciler, or give scan the Policy manifest in the same input")
	}
	obj, found, err := in.Config.Resolver.Get(view.PolicyGVK, refNS, name)
	switch {
	case err != nil:
		return nil, refARN{}, warn(fmt.Sprintf("the referenced %s could not be read (%v); its permissions are not judged here", who, err), "retry; ackguard judges the Role again when the Policy can be read")
	case !found:
		return nil, refARN{}, warn(fmt.Sprintf("the referenced %s was not found; its permissions are not judged here", who), "create the Policy, or fix the reference")
	}
	recorded := refARN{Path: refPath, Who: who, ARN: strings.TrimSpace(view.ReadMeta(obj).ARN)}
	p := view.NewPolicy(obj)
	d := readIAMDoc(in, p.PolicyDocument, fmt.Sprintf("%s (referenced by %s)", who, refPath), "managed policy", policy.IdentityPolicy, policy.MaxManagedPolicyBytes, false)
	d.Path, d.Referenced, d.Who = refPath, true, who
	if !d.Valid() {
		if d.Absent {
			return nil, recorded, nil
		}
		return nil, recorded, warn(fmt.Sprintf("the referenced %s has an invalid spec.policyDocument (see POL-001 on that Policy); its permissions are not judged here", who), "fix the Policy's document")
	}
	return d, recorded, nil
}

// policyByARN returns the document of the ACK Policy among policies that
// the customer managed policy ARN names (one in the identity's namespace
// first), nil when none does, or when that Policy is also referenced by
// policyRefs (already in the union) or its document is not valid (POL-001
// reports it on the Policy).
func policyByARN(in *Input, policies []map[string]any, arn string, path view.Path, ns string, refs []view.Ref) *iamDoc {
	var obj map[string]any
	var meta view.Meta
	for _, o := range policies {
		if !policyNamedBy(arn, view.NewPolicy(o)) {
			continue
		}
		m := view.ReadMeta(o)
		if obj == nil || m.Namespace == ns && meta.Namespace != ns {
			obj, meta = o, m
		}
	}
	if obj == nil {
		return nil
	}
	for _, r := range refs {
		if rns, name, ok := r.Target(ns); ok && rns == meta.Namespace && name == meta.Name {
			return nil
		}
	}
	who := fmt.Sprintf("Policy %s/%s", meta.Namespace, meta.Name)
	p := view.NewPolicy(obj)
	d := readIAMDoc(in, p.PolicyDocument, fmt.Sprintf("%s (attached as %s by %s)", who, strings.TrimSpace(arn), path), "managed policy", policy.IdentityPolicy, policy.MaxManagedPolicyBytes, false)
	d.Path, d.Referenced, d.Who = path, true, who
	if !d.Valid() {
		return nil
	}
	return d
}

// invalidDocFinding is what a document rule reports for a document it
// cannot judge: never compliant, never silently passed.
func invalidDocFinding(d *iamDoc) Finding {
	if d.TypeErr != nil {
		f := fieldErrorFinding(d.TypeErr)
		f.Action, f.Inconclusive = Warn, true
		return f
	}
	return Finding{
		Action:       Warn,
		Inconclusive: true,
		Path:         d.Path,
		Message:      fmt.Sprintf("cannot evaluate: the %s is invalid (see POL-001)", d.What),
		Remedy:       "fix the policy document",
		Subject:      "invalid input",
	}
}

// ownDocRule runs check on each of the object's own documents that
// select picks, reporting invalid input for those it cannot judge.
func ownDocRule(selectDocs func(*iamState) []*iamDoc, check func(in *Input, d *iamDoc) []Finding) func(*Input) []Finding {
	return func(in *Input) []Finding {
		var out []Finding
		for _, d := range selectDocs(in.iamDocs()) {
			switch {
			case d.Absent:
				continue
			case !d.Valid():
				if !d.Referenced {
					out = append(out, invalidDocFinding(d))
				}
				continue
			}
			out = append(out, check(in, d)...)
		}
		return out
	}
}

// grantDocs selects the identity documents of the object and those it
// references.
func grantDocs(s *iamState) []*iamDoc { return s.grants() }
func trustDocs(s *iamState) []*iamDoc {
	if s.trust == nil {
		return nil
	}
	return []*iamDoc{s.trust}
}

// allOwnDocs are every document the object itself holds.
func allOwnDocs(s *iamState) []*iamDoc {
	if s.trust == nil {
		return s.own[:len(s.own):len(s.own)] // appending copies
	}
	return append(append(make([]*iamDoc, 0, 1+len(s.own)), s.trust), s.own...)
}

// docFor returns the iamDoc a grant's source came from. Documents of the
// same text share their parse (the Input's cache), so the source is known
// by its name as well: two inline policies alike are two documents, each
// reported where it is.
func (s *iamState) docFor(src *policy.Source) *iamDoc {
	for _, docs := range [2][]*iamDoc{s.own, s.refs} { // s.grants(), without building it
		for _, d := range docs {
			if d.Doc == src.Doc && d.Name == src.Name {
				return d
			}
		}
	}
	return nil
}

// quoted renders patterns as a JSON-ish list for messages: "s3:*", "iam:*".
func quoted(items []string, limit int) string {
	q := make([]string, len(items))
	for i, it := range items {
		q[i] = fmt.Sprintf("%q", it)
	}
	return quoteList(q, limit)
}

// resourceField names the statement's resource element for messages.
func resourceField(s *policy.Statement) string {
	if s.HasNotResource {
		return "NotResource " + quoted(s.NotResource, 3)
	}
	return "Resource " + quoted(s.Resource, 3)
}
