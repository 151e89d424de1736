package governance

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/ackguard/ackguard/api/v1alpha1"
	"github.com/ackguard/ackguard/internal/view"
)

// TestAdmit covers every way a request is decided: creation, an update
// judged on what it introduces, an ACK controller's write, an adoption
// placeholder, dry-run, and a stored object as the reconciler sees it.
func TestAdmit(t *testing.T) {
	const ackUser = "system:serviceaccount:ack-system:ack-s3-controller"
	eng := New(reg, Defaults{ACKControllers: []string{ackUser}}, nil, nil)
	insecure := insecureBucket("ns", "b", nil)
	adopt := insecureBucket("ns", "b", nil)
	adopt["metadata"].(map[string]any)["annotations"] = map[string]any{view.AnnotationAdoptionPolicy: "adopt"}
	managedAdopt := insecureBucket("ns", "b", nil)
	managedAdopt["metadata"].(map[string]any)["annotations"] = map[string]any{view.AnnotationAdoptionPolicy: "adopt"}
	managedAdopt["status"] = map[string]any{"ackResourceMetadata": map[string]any{"arn": "arn:aws:s3:::b", "ownerAccountID": "111122223333"}}
	finalizedAdopt := insecureBucket("ns", "b", nil)
	finalizedAdopt["metadata"].(map[string]any)["annotations"] = map[string]any{view.AnnotationAdoptionPolicy: "adopt"}
	finalizedAdopt["metadata"].(map[string]any)["finalizers"] = []any{"finalizers.s3.services.k8s.aws/Bucket"}
	adoptOrCreate := insecureBucket("ns", "b", nil)
	adoptOrCreate["metadata"].(map[string]any)["annotations"] = map[string]any{view.AnnotationAdoptionPolicy: "adopt-or-create"}
	adopted := insecureBucket("ns", "b", nil)
	adopted["metadata"].(map[string]any)["annotations"] = map[string]any{view.AnnotationAdoptionPolicy: "adopt", view.AnnotationAdopted: "true"}
	withTags := insecureBucket("ns", "b", nil)
	withTags["spec"].(map[string]any)["tagging"] = map[string]any{}
	withACL := func(acl string, tags bool) map[string]any {
		b := secureBucket("ns", "b", nil)
		b["spec"].(map[string]any)["acl"] = acl
		if tags {
			b["spec"].(map[string]any)["tagging"] = map[string]any{}
		}
		return b
	}
	withFlag := func(restrict any) map[string]any {
		b := secureBucket("ns", "b", nil)
		pab := b["spec"].(map[string]any)["publicAccessBlock"].(map[string]any)
		if restrict == nil {
			delete(pab, "restrictPublicBuckets")
		} else {
			pab["restrictPublicBuckets"] = restrict
		}
		return b
	}
	cases := []struct {
		name     string
		req      Request
		allowed  bool
		note     string // a warning carries it
		denyRule string
	}{
		{name: "creation of an insecure bucket", req: Request{Operation: Create, Object: insecure, User: "dev"}, denyRule: "S3-001"},
		{name: "dry-run is judged alike", req: Request{Operation: Create, Object: insecure, User: "dev", DryRun: true}, denyRule: "S3-001"},
		{name: "update keeping a finding", req: Request{Operation: Update, Object: withTags, OldObject: insecure, User: "dev"}, allowed: true, note: NoteExisting},
		// A field that fails, set to another value that still fails, is
		// introduced by the update; left as it was, it is not.
		{name: "update keeping a public ACL", req: Request{Operation: Update, Object: withACL("public-read", true), OldObject: withACL("public-read", false), User: "dev"}, allowed: true, note: NoteExisting},
		{name: "update to a worse public ACL", req: Request{Operation: Update, Object: withACL("public-read-write", false), OldObject: withACL("public-read", false), User: "dev"}, denyRule: "S3-004"},
		{name: "update removing a failing flag (ACK's default is what it was)", req: Request{Operation: Update, Object: withFlag(nil), OldObject: withFlag(false), User: "dev"}, allowed: true, note: NoteExisting},
		{name: "update setting a missing flag to a failing value", req: Request{Operation: Update, Object: withFlag(false), OldObject: withFlag(nil), User: "dev"}, denyRule: "S3-001"},
		{name: "update keeping a missing flag", req: Request{Operation: Update, Object: withTagsOn(withFlag(nil)), OldObject: withFlag(nil), User: "dev"}, allowed: true, note: NoteExisting},
		{name: "update without the old object is a creation", req: Request{Operation: Update, Object: withTags, User: "dev"}, denyRule: "S3-001"},
		{name: "the ACK controller's write", req: Request{Operation: Create, Object: insecure, User: ackUser}, allowed: true, note: NoteACKController},
		{name: "an adoption placeholder", req: Request{Operation: Create, Object: adopt, User: "dev"}, allowed: true, note: NoteAdoption},
		// The webhook and scan read a placeholder as the reconciler does:
		// an object created already marked adopted, or with ACK's
		// finalizer, is no placeholder awaiting ACK, so the reconciler
		// judges and fixes it; its creation is judged alike.
		{name: "a creation marked adopted is no placeholder", req: Request{Operation: Create, Object: adopted, User: "dev"}, denyRule: "S3-001"},
		{name: "a creation with ACK's finalizer is no placeholder", req: Request{Operation: Create, Object: finalizedAdopt, User: "dev"}, denyRule: "S3-001"},
		{name: "an adoption annotation on update does not lift a denial", req: Request{Operation: Update, Object: adopt, OldObject: secureBucket("ns", "b", nil), User: "dev"}, denyRule: "S3-001"},
		{name: "a stored object: no user, no ratcheting", req: Request{Operation: Existing, Object: insecure, User: ackUser}, denyRule: "S3-001"},
		{name: "a stored placeholder awaiting adoption: nothing to fix", req: Request{Operation: Existing, Object: adopt}, allowed: true, note: NoteAwaitingAdoption},
		{name: "a stored placeholder ACK adopted is judged", req: Request{Operation: Existing, Object: adopted}, denyRule: "S3-001"},
		{name: "an adopt annotation on an object ACK manages lifts no fix (status)", req: Request{Operation: Existing, Object: managedAdopt}, denyRule: "S3-001"},
		{name: "an adopt annotation on an object ACK manages lifts no fix (finalizer)", req: Request{Operation: Existing, Object: finalizedAdopt}, denyRule: "S3-001"},
		{name: "an update lifting adopt is judged as the creation it asks for", req: Request{Operation: Update, Object: insecure, OldObject: adopt, User: "dev"}, denyRule: "S3-001"},
		{name: "an update to adopt-or-create likewise", req: Request{Operation: Update, Object: adoptOrCreate, OldObject: adopt, User: "dev"}, denyRule: "S3-001"},
		// Once ACK adopted the resource, dropping the annotation is an
		// update like any other: what it already had is noted, not denied.
		{name: "dropping adopt after ACK adopted it (adopted)", req: Request{Operation: Update, Object: insecure, OldObject: adopted, User: "dev"}, allowed: true, note: NoteExisting},
		{name: "dropping adopt after ACK adopted it (finalizer)", req: Request{Operation: Update, Object: insecure, OldObject: finalizedAdopt, User: "dev"}, allowed: true, note: NoteExisting},
		{name: "dropping adopt after ACK adopted it (status)", req: Request{Operation: Update, Object: adoptOrCreate, OldObject: managedAdopt, User: "dev"}, allowed: true, note: NoteExisting},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.Namespace, tc.req.Now = Namespace{Name: "ns"}, t0
			d := eng.Admit(tc.req)
			if d.Allowed() != tc.allowed {
				t.Fatalf("allowed = %v, denials %v", d.Allowed(), d.Denials)
			}
			if tc.denyRule != "" && (len(d.Denials) == 0 || d.Denials[0].RuleID != tc.denyRule) {
				t.Errorf("denials %v, want %s first", d.Denials, tc.denyRule)
			}
			if d.DryRun != tc.req.DryRun || d.Judgement == nil {
				t.Errorf("decision %+v", d)
			}
			if fixes := d.FixRules(); (tc.note == NoteAwaitingAdoption) != (len(fixes) == 0) {
				t.Errorf("fix rules %v", fixes)
			}
			if tc.note != "" && !strings.Contains(strings.Join(d.Lines(), "\n"), tc.note) {
				t.Errorf("lines %q lack %q", d.Lines(), tc.note)
			}
			errs := d.FieldErrors()
			if len(errs) != len(d.Denials) {
				t.Errorf("%d field errors for %d denials", len(errs), len(d.Denials))
			}
			for i, e := range errs {
				if e.Field != d.Denials[i].Path.String() || !strings.HasPrefix(e.Detail, d.Denials[i].RuleID+": ") {
					t.Errorf("field error %+v for %+v", e, d.Denials[i])
				}
			}
		})
	}
}

// TestAdmitFoldsAnInvalidDocument: one invalid bucket policy gives the
// POL-001 denial and one "cannot evaluate" line naming every rule that
// could not judge it, not one line per rule.
func TestAdmitFoldsAnInvalidDocument(t *testing.T) {
	b := secureBucket("ns", "b", nil)
	b["spec"].(map[string]any)["policy"] = `{"Statement":[`
	d := New(reg, Defaults{}, nil, nil).Admit(Request{Operation: Create, Object: b, Namespace: Namespace{Name: "ns"}, Now: t0})
	if len(d.Denials) == 0 || d.Denials[0].RuleID != "POL-001" {
		t.Fatalf("denials %v", d.Denials)
	}
	var cannot []string
	for _, l := range d.Lines() {
		if strings.Contains(l, "cannot evaluate") {
			cannot = append(cannot, l)
		}
	}
	if len(cannot) != 1 {
		t.Fatalf("cannot-evaluate lines %q, want one", cannot)
	}
	for _, id := range []string{"S3-002", "S3-003", "S3-007"} {
		if !strings.Contains(cannot[0], id) {
			t.Errorf("%q does not name %s", cannot[0], id)
		}
	}
	w := d.Warnings[0]
	if len(w.Results()) < 3 || len(w.Rules()) != len(w.Results()) {
		t.Errorf("folded warning stands for %v", w.Rules())
	}
}

// TestFoldedLineNamesEveryDecidingPolicy: the one "cannot evaluate" line
// of an invalid document names the policy of each rule it stands for, not
// only the first one's.
func TestFoldedLineNamesEveryDecidingPolicy(t *testing.T) {
	off := defaultAction(v1alpha1.DefaultAction(v1alpha1.Disabled))
	eng := New(reg, Defaults{}, policies(
		policy("a", off, rule("POL-001", v1alpha1.Deny), rule("POL-002", v1alpha1.Audit)),
		policy("b", off, rule("IAM-001", v1alpha1.Deny)),
	), nil)
	p := map[string]any{"apiVersion": "iam.services.k8s.aws/v1alpha1", "kind": "Policy",
		"metadata": map[string]any{"name": "p", "namespace": "ns"},
		"spec":     map[string]any{"name": "p", "policyDocument": `{"Statement":[`}}
	d := eng.Admit(Request{Operation: Create, Object: p, Namespace: Namespace{Name: "ns"}, Now: t0})
	if len(d.Warnings) != 1 || !slices.Equal(d.Warnings[0].Rules(), []string{"POL-002", "IAM-001"}) {
		t.Fatalf("warnings %q, want one standing for POL-002 and IAM-001", d.Lines())
	}
	if l := d.Warnings[0].Line(); !strings.HasSuffix(l, "(policies a, b)") {
		t.Errorf("line %q does not name both deciding policies", l)
	}
	// One policy deciding them all is named once, as before.
	one := New(reg, Defaults{}, nil, nil).Admit(Request{Operation: Create, Object: p, Namespace: Namespace{Name: "ns"}, Now: t0})
	if l := one.Warnings[0].Line(); !strings.HasSuffix(l, "(policy baseline)") {
		t.Errorf("line %q", l)
	}
}

// TestAdmitExempted: an exception in force admits and lists the result
// apart, with the action it would have without the exception.
func TestAdmitExempted(t *testing.T) {
	ex := exception("ns", "b", []string{"S3-001"}, t0.Add(day))
	eng := New(reg, Defaults{}, nil, []v1alpha1.GuardrailException{ex})
	d := eng.Admit(Request{Operation: Create, Object: insecureBucket("ns", "b", nil), Namespace: Namespace{Name: "ns"}, Now: t0})
	if !d.Allowed() || len(d.Exempted) != 1 || d.Exempted[0].RuleID != "S3-001" {
		t.Fatalf("decision: denials %v, exempted %v", d.Denials, d.Exempted)
	}
	if !strings.Contains(d.Lines()[0], "exempted by GuardrailException ns/ex-b") {
		t.Errorf("lines %q", d.Lines())
	}
	var found bool
	for _, o := range d.Outcomes() {
		if o.RuleID == "S3-001" {
			found = o.Denies && o.Exception != nil
		}
	}
	if !found {
		t.Errorf("outcomes %+v", d.Outcomes())
	}
}

func TestOneLine(t *testing.T) {
	for in, want := range map[string]string{
		"":                              "",
		"spec.acl: S3-004: public-read": "spec.acl: S3-004: public-read",
		"a\nb\rc\td":                    "a b c d",
		"name\x1b[31m":                  "name [31m",
		"x\u2028y\u2029z":               "x y z",
		"left\u202eright":               "left right",
		"caf\u00e9 \u2603":              "caf\u00e9 \u2603",
		"del\x7f":                       "del ",
	} {
		if got := OneLine(in); got != want {
			t.Errorf("OneLine(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestUpdateKnowsFindingsByWhatTheyName: an UPDATE that moves an existing
// violation within a list (a rule inserted or removed before it) or only
// re-indents the document holding it is admitted with a warning; one that
// adds a second copy of it, or a new one, is denied.
func TestUpdateKnowsFindingsByWhatTheyName(t *testing.T) {
	eng := New(reg, Defaults{}, nil, nil)
	rule := func(port float64, cidr string) map[string]any {
		return map[string]any{"ipProtocol": "tcp", "fromPort": port, "toPort": port,
			"ipRanges": []any{map[string]any{"cidrIP": cidr, "description": "r"}}}
	}
	sg := func(rules ...any) map[string]any {
		return map[string]any{"apiVersion": "ec2.services.k8s.aws/v1alpha1", "kind": "SecurityGroup",
			"metadata": map[string]any{"name": "web", "namespace": "ns"},
			"spec":     map[string]any{"name": "web", "description": "web", "vpcID": "vpc-1", "ingressRules": rules}}
	}
	ssh, https := rule(22, "0.0.0.0/0"), rule(443, "10.0.0.0/8")
	rdp := rule(3389, "0.0.0.0/0")
	policy := func(doc string) map[string]any {
		return map[string]any{"apiVersion": "iam.services.k8s.aws/v1alpha1", "kind": "Policy",
			"metadata": map[string]any{"name": "p", "namespace": "ns"},
			"spec":     map[string]any{"name": "p", "policyDocument": doc}}
	}
	admin := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	adminIndented := "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*\"}\n  ]\n}"
	// POL-001 problems the documents already had: an unknown element in
	// a statement, and JSON broken at a line and column.
	const unknownElement = `{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Bogus":1}`
	const denyDelete = `{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}`
	statements := func(s ...string) string {
		return `{"Version":"2012-10-17","Statement":[` + strings.Join(s, ",") + `]}`
	}
	broken := `{"Version":"2012-10-17","Statement":[` + unknownElement + `}`
	const passRole = `{"Effect":"Allow","Action":"iam:PassRole","Resource":"*"}`
	const runInstances = `{"Effect":"Allow","Action":"ec2:RunInstances","Resource":"*"}`
	role := func(trust string) map[string]any {
		return map[string]any{"apiVersion": "iam.services.k8s.aws/v1alpha1", "kind": "Role",
			"metadata": map[string]any{"name": "r", "namespace": "ns"},
			"spec":     map[string]any{"name": "r", "assumeRolePolicyDocument": trust}}
	}
	trust := func(principal string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":` + principal + `,"Action":"sts:AssumeRole"}]}`
	}
	trustSid := func(sid string) string {
		return `{"Version":"2012-10-17","Statement":[{"Sid":` + sid + `,"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}`
	}
	// fedTrust trusts GitHub's OIDC provider without an audience
	// condition (IAM-012), its subject condition being sub.
	fedTrust := func(version, sub string) string {
		if version != "" {
			version = `"Version":"` + version + `",`
		}
		return `{` + version + `"Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},` +
			`"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringLike":{"token.actions.githubusercontent.com:sub":"` + sub + `"}}}]}`
	}
	const varSub, fixedSub = "repo:acme/${aws:PrincipalTag/repo}:*", "repo:acme/web:*"
	for _, tc := range []struct {
		name     string
		old, new map[string]any
		allowed  bool
	}{
		{"a rule inserted before an existing violation", sg(ssh), sg(https, ssh), true},
		{"a rule removed before an existing violation", sg(https, ssh), sg(ssh), true},
		{"a second copy of an existing violation", sg(ssh), sg(ssh, ssh), false},
		{"a new violation beside an existing one", sg(ssh), sg(ssh, rdp), false},
		{"an existing violation's ports widened", sg(ssh), sg(rule(22, "0.0.0.0/0"), map[string]any{"ipProtocol": "-1",
			"ipRanges": []any{map[string]any{"cidrIP": "0.0.0.0/0", "description": "r"}}}), false},
		{"one violation fixed and another added", sg(ssh, https), sg(rule(3306, "0.0.0.0/0"), rule(22, "10.0.0.0/8")), false},
		{"a document only re-indented", policy(admin), policy(adminIndented), true},
		// As Helm's toJson or Terraform's jsonencode render it.
		{"a document re-rendered with sorted keys", policy(admin), policy(`{"Statement":[{"Action":"*","Effect":"Allow","Resource":"*"}],"Version":"2012-10-17"}`), true},
		// As ACK compares documents (FIELDS.md): a string is its one-element list.
		{"a document writing its values as lists", policy(admin), policy(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["*"],"Resource":["*"]}]}`), true},
		// IAM-003: two statements that together allow an escalation.
		{"statements that together escalate, swapped", policy(statements(passRole, runInstances)), policy(statements(runInstances, passRole)), true},
		{"a statement widened", policy(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`),
			policy(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["*","iam:PassRole"],"Resource":"*"}]}`), false},
		{"a statement inserted before an invalid one", policy(statements(unknownElement)), policy(statements(denyDelete, unknownElement)), true},
		{"a second invalid statement", policy(statements(unknownElement)), policy(statements(unknownElement, unknownElement)), false},
		{"broken JSON edited before the break", policy(broken), policy("{\n" + broken[1:]), true},
		// IAM rejects the string form in a trust policy and accepts
		// {"AWS":"*"} (catalog §10.1 B4): the trust the old object asked
		// for was never applied, the new one lets any principal assume
		// the role.
		{`a trust policy's "*" written {"AWS":"*"}`, role(trust(`"*"`)), role(trust(`{"AWS":"*"}`)), false},
		{`a trust policy's {"AWS":"*"} written as a list`, role(trust(`{"AWS":"*"}`)), role(trust(`{"AWS":["*"]}`)), true},
		// A Sid that is a list makes the document one IAM rejects: the
		// same statement with its Sid a string is one IAM applies.
		{"a trust policy IAM rejected made valid", role(trustSid(`["t"]`)), role(trustSid(`"t"`)), false},
		{"a trust policy IAM rejects re-rendered", role(trustSid(`["t"]`)), role(`{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"AWS":"*"},"Sid":["t"]}],"Version":"2012-10-17"}`), true},
		// Catalog §10.1 A6: without Version 2012-10-17 "${...}" is
		// literal text. Declaring it turns the subject condition the
		// statement pinned to a literal repository into a variable the
		// caller's token fills in: the statement trusts every repository.
		{"a federated trust's variable made to resolve", role(fedTrust("2008-10-17", varSub)), role(fedTrust("2012-10-17", varSub)), false},
		{"a federated trust's variable left literal", role(fedTrust("", varSub)), role(fedTrust("2008-10-17", varSub)), true},
		{"a federated trust without variables given a Version", role(fedTrust("", fixedSub)), role(fedTrust("2012-10-17", fixedSub)), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := eng.Admit(Request{Operation: Create, Object: tc.old, Namespace: Namespace{Name: "ns"}, Now: t0})
			if before.Allowed() {
				t.Fatal("the old object must have a denying violation for the test to mean anything")
			}
			assertUpdate(t, eng, tc.old, tc.new, tc.allowed)
		})
	}
}

// assertUpdate admits the UPDATE of old to updated by a developer in
// namespace ns and checks the verdict: allowed with the note on what the
// old object already had, or denied.
// updateCase is an UPDATE from old to new of an object CREATE would deny,
// and whether it is admitted.
type updateCase struct {
	name     string
	old, new map[string]any
	allowed  bool
}

// runUpdates runs each case as a subtest (see assertUpdateOfDenied).
func runUpdates(t *testing.T, eng *Engine, cases []updateCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { assertUpdateOfDenied(t, eng, tc.old, tc.new, tc.allowed) })
	}
}

// assertUpdateOfDenied is assertUpdate of an old object that CREATE would
// deny: an UPDATE keeping a denying finding only means something then.
func assertUpdateOfDenied(t *testing.T, eng *Engine, old, updated map[string]any, allowed bool) {
	t.Helper()
	if eng.Admit(Request{Operation: Create, Object: old, Namespace: Namespace{Name: "ns"}, Now: t0}).Allowed() {
		t.Fatal("the old object must have a denying finding for the test to mean anything")
	}
	assertUpdate(t, eng, old, updated, allowed)
}

func assertUpdate(t *testing.T, eng *Engine, old, updated map[string]any, allowed bool) {
	t.Helper()
	d := eng.Admit(Request{Operation: Update, Object: updated, OldObject: old, User: "dev", Namespace: Namespace{Name: "ns"}, Now: t0})
	if d.Allowed() != allowed {
		t.Fatalf("allowed = %v, denials %v", d.Allowed(), d.Denials)
	}
	if allowed && !strings.Contains(strings.Join(d.Lines(), "\n"), NoteExisting) {
		t.Errorf("lines %q lack %q", d.Lines(), NoteExisting)
	}
}

// TestUpdateKnowsUndescribedRangesByWhatTheyName: under a policy that
// denies EC2-008, a range or source without a description that an UPDATE
// only moves (a rule inserted before it) is admitted with a warning; one
// the UPDATE adds, or whose rule now opens another port, is denied.
func TestUpdateKnowsUndescribedRangesByWhatTheyName(t *testing.T) {
	eng := New(reg, Defaults{}, policies(policy("describe", rule("EC2-008", v1alpha1.Deny))), nil)
	// rule is one tcp rule on port with CIDRs ("10.0.0.0/8") and prefix
	// lists ("pl-1"), described or not.
	rule := func(port float64, described bool, sources ...string) any {
		var ranges, lists []any
		for _, s := range sources {
			key, list := "cidrIP", &ranges
			if strings.HasPrefix(s, "pl-") {
				key, list = "prefixListID", &lists
			}
			src := map[string]any{key: s}
			if described {
				src["description"] = "what it is for"
			}
			*list = append(*list, src)
		}
		return map[string]any{"ipProtocol": "tcp", "fromPort": port, "toPort": port, "ipRanges": ranges, "prefixListIDs": lists}
	}
	sg := func(rules ...any) map[string]any {
		return map[string]any{"apiVersion": "ec2.services.k8s.aws/v1alpha1", "kind": "SecurityGroup",
			"metadata": map[string]any{"name": "web", "namespace": "ns"},
			"spec":     map[string]any{"name": "web", "description": "web", "vpcID": "vpc-1", "ingressRules": rules}}
	}
	described := rule(80, true, "10.1.0.0/16")
	for _, tc := range []struct {
		name     string
		old, new map[string]any
		allowed  bool
	}{
		{"a rule inserted before an undescribed range", sg(rule(443, false, "10.0.0.0/8")), sg(described, rule(443, false, "10.0.0.0/8")), true},
		{"a rule inserted before an undescribed prefix list", sg(rule(443, false, "pl-1")), sg(described, rule(443, false, "pl-1")), true},
		{"rules swapped", sg(rule(443, false, "10.0.0.0/8"), described), sg(described, rule(443, false, "10.0.0.0/8")), true},
		{"an undescribed range added", sg(rule(443, false, "10.0.0.0/8")), sg(rule(443, false, "10.0.0.0/8", "10.2.0.0/16")), false},
		{"an undescribed prefix list added", sg(rule(443, false, "pl-1")), sg(rule(443, false, "pl-1", "pl-2")), false},
		{"the undescribed range's rule opens another port", sg(rule(443, false, "10.0.0.0/8")), sg(rule(8443, false, "10.0.0.0/8")), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assertUpdate(t, eng, tc.old, tc.new, tc.allowed)
		})
	}
}

// TestUpdateKnowsBucketRuleFindingsByWhatTheyName: under a policy that
// denies them, a replication rule naming no destination bucket (S3-015)
// or an encryption rule setting no algorithm (S3-008) that an UPDATE only
// moves (a rule inserted before it, the rules reordered) is admitted with
// a warning; a second one is denied.
func TestUpdateKnowsBucketRuleFindingsByWhatTheyName(t *testing.T) {
	eng := New(reg, Defaults{}, policies(policy("strict", rule("S3-008", v1alpha1.Deny), rule("S3-015", v1alpha1.Deny))), nil)
	repl := func(rules ...any) map[string]any {
		return bucketWith("ns", "b", "replication", map[string]any{"role": "arn:aws:iam::111122223333:role/r", "rules": rules},
			"encryption", map[string]any{"rules": []any{map[string]any{"applyServerSideEncryptionByDefault": map[string]any{"sseAlgorithm": "aws:kms"}}}})
	}
	replRule := func(id, bucket string) any {
		dest := map[string]any{}
		if bucket != "" {
			dest["bucket"] = bucket
		}
		return map[string]any{"id": id, "status": "Enabled", "destination": dest}
	}
	enc := func(algs ...string) map[string]any {
		var rules []any
		for _, a := range algs {
			def := map[string]any{}
			if a != "" {
				def["sseAlgorithm"] = a
			}
			rules = append(rules, map[string]any{"applyServerSideEncryptionByDefault": def})
		}
		return bucketWith("ns", "b", "encryption", map[string]any{"rules": rules},
			"replication", map[string]any{"role": "arn:aws:iam::111122223333:role/r", "rules": []any{replRule("r", "arn:aws:s3:::dest")}})
	}
	runUpdates(t, eng, []updateCase{
		{"a replication rule inserted before one with no destination", repl(replRule("a", "")), repl(replRule("b", "arn:aws:s3:::dest"), replRule("a", "")), true},
		{"a second replication rule with no destination", repl(replRule("a", "")), repl(replRule("a", ""), replRule("b", "")), false},
		{"encryption rules reordered", enc("aws:kms", ""), enc("", "aws:kms"), true},
		{"a second encryption rule with no algorithm", enc("aws:kms", ""), enc("", ""), false},
	})
}

// TestUpdateKnowsNetworkACLFindingsByWhatTheyReach: under a policy that
// denies EC2-009, an inbound entry letting the internet reach an admin
// port is a finding per port it reaches: an UPDATE that removes or
// renumbers the deny entry shadowing SSH from an entry that already let
// the internet reach RDP is denied (SSH is reached anew); one adding a
// deny, or an entry before the allow, is admitted with a warning.
func TestUpdateKnowsNetworkACLFindingsByWhatTheyReach(t *testing.T) {
	eng := New(reg, Defaults{}, policies(policy("nacl", rule("EC2-009", v1alpha1.Deny))), nil)
	entry := func(number int64, action, protocol, cidr string, from, to int64) any {
		return map[string]any{"ruleNumber": number, "ruleAction": action, "protocol": protocol, "cidrBlock": cidr, "egress": false,
			"portRange": map[string]any{"from": from, "to": to}}
	}
	nacl := func(entries ...any) map[string]any {
		return ackObj(view.NetworkACLGVK, "ns", "acl", nil, map[string]any{"vpcID": "vpc-1", "entries": entries})
	}
	allowTCP := entry(200, "allow", "6", "0.0.0.0/0", 0, 65535)
	allowAll := entry(200, "allow", "-1", "0.0.0.0/0", 0, 0)
	denySSH := entry(100, "deny", "6", "0.0.0.0/0", 22, 22)
	runUpdates(t, eng, []updateCase{
		{"the deny shadowing SSH removed", nacl(allowTCP, denySSH), nacl(allowTCP), false},
		{"the deny shadowing SSH numbered after the allow", nacl(allowTCP, denySSH), nacl(allowTCP, entry(300, "deny", "6", "0.0.0.0/0", 22, 22)), false},
		{"a deny shadowing SSH added", nacl(allowTCP), nacl(allowTCP, denySSH), true},
		{"an entry added before the allow", nacl(allowTCP), nacl(entry(100, "allow", "6", "10.0.0.0/8", 443, 443), allowTCP), true},
		// A port is reached or not: RDP over UDP where it was reached
		// over TCP is the same port.
		{"the deny shadowing RDP over UDP removed", nacl(allowAll, denySSH, entry(110, "deny", "17", "0.0.0.0/0", 22, 22), entry(120, "deny", "17", "0.0.0.0/0", 3389, 3389)),
			nacl(allowAll, denySSH, entry(110, "deny", "17", "0.0.0.0/0", 22, 22)), true},
	})
}

// TestCreateIgnoresTheStatus: a CREATE is judged as the API server admits
// it, without the status it drops. A manifest exported from a cluster in
// another partition must not turn S3-013 (a Deny of everything to
// everyone on the bucket) into a pass because its status names that
// partition: the webhook never sees it.
func TestCreateIgnoresTheStatus(t *testing.T) {
	eng := New(reg, Defaults{}, nil, nil)
	lockout := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}]}`
	plain := bucketWith("ns", "b", "policy", lockout)
	exported := bucketWith("ns", "b", "policy", lockout)
	exported["status"] = map[string]any{"ackResourceMetadata": map[string]any{
		"arn": "arn:aws-cn:s3:::b", "partition": "aws-cn", "ownerAccountID": "111122223333", "region": "cn-north-1"}}
	denials := func(obj map[string]any) []string {
		var out []string
		for _, r := range eng.Admit(Request{Operation: Create, Object: obj, Namespace: Namespace{Name: "ns"}, Now: t0}).Denials {
			out = append(out, r.RuleID)
		}
		return out
	}
	want := denials(plain)
	if !slices.Contains(want, "S3-013") {
		t.Fatalf("denials %v lack S3-013", want)
	}
	if got := denials(exported); !slices.Equal(got, want) {
		t.Errorf("with a status: denials %v, want %v", got, want)
	}
	if exported["status"] == nil {
		t.Error("Admit removed the status from its input")
	}
	// The stored object's status is its own: the reconciler judges it.
	d := eng.Admit(Request{Operation: Existing, Object: exported, Namespace: Namespace{Name: "ns"}, Now: t0})
	for _, r := range d.Denials {
		if r.RuleID == "S3-013" {
			t.Errorf("a stored bucket in aws-cn is judged with an aws ARN: %v", d.Denials)
		}
	}
}

// TestACKControllerNoteSaysWhatHappensNext: an ACK controller's write is
// admitted with a note promising a fix only where the reconciler will make
// one; a finding it only reports (a rule without a fix, a drift the policy
// audits, a read-only object) says so.
func TestACKControllerNoteSaysWhatHappensNext(t *testing.T) {
	const ack = "system:serviceaccount:ack-system:ack-s3-controller"
	eng := New(reg, Defaults{ACKControllers: []string{ack}}, nil, nil)
	public := bucketWith("ns", "b", "policy", tlsOnly("b", `{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`))
	readOnly := insecureBucket("ns", "b", nil)
	readOnly["metadata"].(map[string]any)["annotations"] = map[string]any{view.AnnotationReadOnly: "true"}
	for _, tc := range []struct {
		name string
		obj  map[string]any
		rule string
		note string
	}{
		{"a finding the reconciler fixes", insecureBucket("ns", "b", nil), "S3-001", NoteACKController},
		{"a finding no fix resolves", public, "S3-002", NoteACKControllerReported},
		{"a read-only object", readOnly, "S3-001", NoteACKControllerReported},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := eng.Admit(Request{Operation: Update, Object: tc.obj, OldObject: secureBucket("ns", "b", nil), User: ack, Namespace: Namespace{Name: "ns"}, Now: t0})
			if !d.Allowed() {
				t.Fatalf("denials %v", d.Denials)
			}
			var found bool
			for _, o := range d.Outcomes() {
				if o.RuleID == tc.rule {
					found = true
					if o.Note != tc.note {
						t.Errorf("%s: note %q, want %q", o.RuleID, o.Note, tc.note)
					}
				}
			}
			if !found {
				t.Errorf("no %s among %+v", tc.rule, d.Outcomes())
			}
		})
	}
}

// withTagsOn returns obj with an empty spec.tagging: an update that
// changes nothing a rule reads.
func withTagsOn(obj map[string]any) map[string]any {
	obj["spec"].(map[string]any)["tagging"] = map[string]any{}
	return obj
}

// TestUpdateOfADocumentKeepsItsWholeDocumentFinding: a finding without a
// subject on a policy document (S3-006: no statement denies plain HTTP)
// is about the document as a whole, as one on an object is: an UPDATE
// that re-indents the document, or adds or removes a statement unrelated
// to it, introduces nothing, even where a policy denies the rule, nor
// does removing it. A document that appears where there was none does.
func TestUpdateOfADocumentKeepsItsWholeDocumentFinding(t *testing.T) {
	eng := New(reg, Defaults{}, policies(policy("tls", rule("S3-006", v1alpha1.Deny))), nil)
	const read = `{"Sid":"Read","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/reader"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`
	const write = `{"Sid":"Write","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/writer"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*"}`
	doc := func(indent bool, statements ...string) string {
		if indent {
			return "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    " + strings.Join(statements, ",\n    ") + "\n  ]\n}"
		}
		return `{"Version":"2012-10-17","Statement":[` + strings.Join(statements, ",") + `]}`
	}
	withPolicy := func(p any) map[string]any { return bucketWith("ns", "b", "policy", p) }
	for _, tc := range []struct {
		name     string
		old, new map[string]any
		allowed  bool
	}{
		{"the document re-indented", withPolicy(doc(false, read)), withPolicy(doc(true, read)), true},
		{"an unrelated statement added", withPolicy(doc(false, read)), withPolicy(doc(false, read, write)), true},
		{"an unrelated statement removed", withPolicy(doc(false, read, write)), withPolicy(doc(false, read)), true},
		{"a document where there was none", withPolicy(nil), withPolicy(doc(false, read)), false},
		// The S3-003 fix removing the only, public statement drops the
		// document: the fix must not be refused for S3-006.
		{"the document removed", withPolicy(doc(false, read)), withPolicy(nil), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := eng.Admit(Request{Operation: Create, Object: tc.old, Namespace: Namespace{Name: "ns"}, Now: t0})
			if before.Allowed() || before.Denials[0].RuleID != "S3-006" {
				t.Fatalf("the old object must be denied S3-006 for the test to mean anything: %v", before.Denials)
			}
			assertUpdate(t, eng, tc.old, tc.new, tc.allowed)
		})
	}
}

// TestAdmitUpdateJudgesTheStoredStatus: an update cannot change the
// status (the guarded kinds have a status subresource), so the new object
// is judged with the stored one, whatever the request's object carries:
// a policy locking everyone out of an aws-cn bucket is denied though the
// manifest names no partition, and a partition only the manifest names
// does not count.
func TestAdmitUpdateJudgesTheStoredStatus(t *testing.T) {
	eng := New(reg, Defaults{}, nil, nil)
	cnStatus := map[string]any{"ackResourceMetadata": map[string]any{"arn": "arn:aws-cn:s3:::b", "ownerAccountID": "111122223333"}}
	stored := secureBucket("ns", "b", nil)
	stored["status"] = cnStatus
	lockout := func(status map[string]any) map[string]any {
		b := secureBucket("ns", "b", nil)
		b["spec"].(map[string]any)["policy"] = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:PutBucketPolicy","Resource":"arn:aws-cn:s3:::b"}]}`
		if status != nil {
			b["status"] = status
		}
		return b
	}
	s3013 := func(d *Decision) bool {
		return slices.ContainsFunc(d.Denials, func(r Result) bool { return r.RuleID == "S3-013" })
	}
	req := Request{Operation: Update, Object: lockout(nil), OldObject: stored, Namespace: Namespace{Name: "ns"}, Now: t0}
	if d := eng.Admit(req); !s3013(d) {
		t.Errorf("the stored aws-cn status: denials %v, want S3-013", d.Denials)
	}
	req.Object, req.OldObject = lockout(cnStatus), secureBucket("ns", "b", nil)
	if d := eng.Admit(req); s3013(d) {
		t.Errorf("a status only the manifest has: denials %v, want no S3-013", d.Denials)
	}
	if _, ok := req.Object["status"]; !ok {
		t.Errorf("Admit changed the request's object")
	}
}

// TestUpdateKnowsStatementsByWhatIAMReads: a statement is known by what
// IAM reads in it, so an UPDATE that changes only what IAM does not read
// (its Sid, the case of an action name, the order of a list's values, the
// name of the inline policy holding it) introduces nothing; one that
// changes what IAM reads (a resource ARN's case, a value added), or adds a
// copy of the statement to a second document, is denied.
func TestUpdateKnowsStatementsByWhatIAMReads(t *testing.T) {
	eng := New(reg, Defaults{}, nil, nil)
	doc := func(s ...string) string {
		return `{"Version":"2012-10-17","Statement":[` + strings.Join(s, ",") + `]}`
	}
	policy := func(s ...string) map[string]any {
		return map[string]any{"apiVersion": "iam.services.k8s.aws/v1alpha1", "kind": "Policy",
			"metadata": map[string]any{"name": "p", "namespace": "ns"},
			"spec":     map[string]any{"name": "p", "policyDocument": doc(s...)}}
	}
	role := roleWithInline
	bucket := func(s ...string) map[string]any {
		return bucketWith("ns", "b", "policy", tlsOnly("b", s...))
	}
	// IAM-002 denies a whole sensitive service; S3-002 a public read.
	iamAll := func(sid, actions, resource string) string {
		return `{"Sid":"` + sid + `","Effect":"Allow","Action":` + actions + `,"Resource":"` + resource + `"}`
	}
	publicRead := func(sid, actions string) string {
		return `{"Sid":"` + sid + `","Effect":"Allow","Principal":"*","Action":` + actions + `,"Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}`
	}
	const roleA, rolea = "arn:aws:iam::111122223333:role/A", "arn:aws:iam::111122223333:role/a"
	// publicReadIf is publicRead under a condition on key that does not
	// restrict (IfExists: true when the key is absent).
	publicReadIf := func(sid, key string) string {
		return strings.TrimSuffix(publicRead(sid, `"s3:GetObject"`), "}") + `,"Condition":{"StringEqualsIfExists":{` + key + `:"vpce-1"}}}`
	}
	runUpdates(t, eng, []updateCase{
		{"a statement's Sid changed", policy(iamAll("One", `"iam:*"`, "*")), policy(iamAll("Two", `"iam:*"`, "*")), true},
		{"a public statement's Sid changed", bucket(publicRead("One", `"s3:GetObject"`)), bucket(publicRead("Two", `"s3:GetObject"`)), true},
		// A statement saying what another of the document says is the
		// same finding, as two copies of one statement are.
		{"a statement repeated under another Sid", policy(iamAll("One", `"iam:*"`, "*")), policy(iamAll("One", `"iam:*"`, "*"), iamAll("Two", `"iam:*"`, "*")), true},
		{"a statement's Sid changed and its resource too", policy(iamAll("One", `"iam:*"`, roleA)), policy(iamAll("Two", `"iam:*"`, "*")), false},
		// Catalog §10.1 D1: action names are case-insensitive; E3:
		// resource ARNs are not.
		{"an action's case changed", policy(iamAll("S", `"iam:*"`, "*")), policy(iamAll("S", `"IAM:*"`, "*")), true},
		{"a public statement's action case changed", bucket(publicRead("S", `"s3:GetObject"`)), bucket(publicRead("S", `"S3:getobject"`)), true},
		{"a resource ARN's case changed", policy(iamAll("S", `"iam:*"`, roleA)), policy(iamAll("S", `"iam:*"`, rolea)), false},
		{"a list's values reordered", bucket(publicRead("S", `["s3:GetObject","s3:ListBucket"]`)), bucket(publicRead("S", `["s3:ListBucket","s3:GetObject"]`)), true},
		{"a list's values reordered and recased", policy(iamAll("S", `["iam:*","s3:GetObject"]`, "*")), policy(iamAll("S", `["S3:GetObject","IAM:*"]`, "*")), true},
		{"a value added to a list", bucket(publicRead("S", `["s3:GetObject","s3:ListBucket"]`)), bucket(publicRead("S", `["s3:ListBucket","s3:GetObject","s3:GetObjectVersion"]`)), false},
		// The inline policies of a Role are known by what they hold, as
		// the elements of a list: a finding moved to a renamed one is the
		// same, a second copy in another is new.
		{"an inline policy renamed", role("admin", doc(iamAll("S", `"iam:*"`, "*"))), role("ops", doc(iamAll("S", `"iam:*"`, "*"))), true},
		{"an inline policy renamed, its statement's Sid too", role("admin", doc(iamAll("S", `"iam:*"`, "*"))), role("ops", doc(iamAll("T", `"iam:*"`, "*"))), true},
		{"the statement copied into a second inline policy", role("admin", doc(iamAll("S", `"iam:*"`, "*"))), role("admin", doc(iamAll("S", `"iam:*"`, "*")), "ops", doc(iamAll("S", `"iam:*"`, "*"))), false},
		{"an inline policy renamed and another statement added", role("admin", doc(iamAll("S", `"iam:*"`, "*"))), role("ops", doc(iamAll("S", `"iam:*"`, "*"), iamAll("T", `"sts:*"`, "*"))), false},
		// What IAM reads differently is new, though the finding's rule
		// and field are the same.
		{"a public statement's condition removed", bucket(publicReadIf("S", `"aws:SourceVpce"`)), bucket(publicRead("S", `"s3:GetObject"`)), false},
		{"a public statement's condition operator changed", bucket(publicReadIf("S", `"aws:SourceVpce"`)), bucket(strings.Replace(publicReadIf("S", `"aws:SourceVpce"`), "StringEqualsIfExists", "StringNotEquals", 1)), false},
		{"a public statement's resource widened", bucket(publicRead("S", `"s3:GetObject"`)), bucket(strings.Replace(publicRead("S", `"s3:GetObject"`), `["arn:aws:s3:::b","arn:aws:s3:::b/*"]`, `"*"`, 1)), false},
		{"a statement's NotAction made its Action", policy(`{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}`), policy(`{"Effect":"Allow","Action":"iam:*","Resource":"*"}`), false},
		{"a Deny beside a finding made an Allow", policy(iamAll("S", `"iam:*"`, "*"), `{"Effect":"Deny","Action":"sts:*","Resource":"*"}`), policy(iamAll("S", `"iam:*"`, "*"), `{"Effect":"Allow","Action":"sts:*","Resource":"*"}`), false},
		{"one finding fixed and another added", policy(iamAll("S", `"iam:*"`, "*")), policy(iamAll("S", `"sts:*"`, "*")), false},
		{"a statement moved to another inline policy and widened", role("a", doc(iamAll("S", `"iam:*"`, roleA)), "b", doc(iamAll("T", `"s3:GetObject"`, "*"))), role("a", doc(iamAll("T", `"s3:GetObject"`, "*")), "b", doc(iamAll("S", `"iam:*"`, "*"))), false},
	})
}

// TestUpdateKnowsInlinePoliciesByCount: under a policy that denies
// IAM-018 (no inline policies), renaming an inline policy introduces
// nothing; adding one is denied.
func TestUpdateKnowsInlinePoliciesByCount(t *testing.T) {
	eng := New(reg, Defaults{}, policies(policy("no-inline", rule("IAM-018", v1alpha1.Deny))), nil)
	const doc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`
	role := func(names ...string) map[string]any {
		inline := map[string]any{}
		for _, n := range names {
			inline[n] = doc
		}
		return map[string]any{"apiVersion": "iam.services.k8s.aws/v1alpha1", "kind": "Role",
			"metadata": map[string]any{"name": "r", "namespace": "ns"},
			"spec": map[string]any{"name": "r", "inlinePolicies": inline,
				"assumeRolePolicyDocument": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`}}
	}
	runUpdates(t, eng, []updateCase{
		{"an inline policy renamed", role("read"), role("reader"), true},
		{"an inline policy added", role("read"), role("read", "reader"), false},
	})
}

// TestUpdateKnowsUserPoliciesByCount: under a policy that denies IAM-013
// (users carry no policies), an UPDATE that reorders, renames or replaces
// the policies of a user introduces nothing; one that adds a policy to any
// of its lists (an inline policy, an ARN of spec.policies, a reference of
// spec.policyRefs) is denied.
func TestUpdateKnowsUserPoliciesByCount(t *testing.T) {
	eng := New(reg, Defaults{}, policies(policy("no-user-policies", rule("IAM-013", v1alpha1.Deny))), nil)
	const doc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`
	const (
		read = "arn:aws:iam::aws:policy/ReadOnlyAccess"
		s3   = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
	)
	// user has the inline policies, ARNs and references given, a nil
	// list leaving the field out.
	user := func(inline, arns, refs []string) map[string]any {
		spec := map[string]any{"name": "u"}
		if inline != nil {
			m := map[string]any{}
			for _, n := range inline {
				m[n] = doc
			}
			spec["inlinePolicies"] = m
		}
		if arns != nil {
			l := []any{}
			for _, a := range arns {
				l = append(l, a)
			}
			spec["policies"] = l
		}
		if refs != nil {
			l := []any{}
			for _, r := range refs {
				l = append(l, map[string]any{"from": map[string]any{"name": r}})
			}
			spec["policyRefs"] = l
		}
		return map[string]any{"apiVersion": "iam.services.k8s.aws/v1alpha1", "kind": "User",
			"metadata": map[string]any{"name": "u", "namespace": "ns"}, "spec": spec}
	}
	l := func(s ...string) []string { return append([]string{}, s...) }
	runUpdates(t, eng, []updateCase{
		{"unchanged", user(l("read"), l(read, s3), l("a")), user(l("read"), l(read, s3), l("a")), true},
		{"the ARNs reordered", user(nil, l(read, s3), nil), user(nil, l(s3, read), nil), true},
		{"an ARN replaced by another", user(nil, l(read), nil), user(nil, l(s3), nil), true},
		{"a second ARN attached", user(nil, l(read), nil), user(nil, l(read, s3), nil), false},
		{"a second ARN attached before the first", user(nil, l(read), nil), user(nil, l(s3, read), nil), false},
		{"an inline policy renamed", user(l("read"), nil, nil), user(l("reader"), nil, nil), true},
		{"a second inline policy", user(l("read"), nil, nil), user(l("read", "write"), nil, nil), false},
		{"the references reordered", user(nil, nil, l("a", "b")), user(nil, nil, l("b", "a")), true},
		{"a reference renamed", user(nil, nil, l("a")), user(nil, nil, l("b")), true},
		{"a second reference", user(nil, nil, l("a")), user(nil, nil, l("a", "b")), false},
		{"an ARN attached to a user with an inline policy", user(l("read"), nil, nil), user(l("read"), l(read), nil), false},
		{"an ARN removed", user(nil, l(read, s3), nil), user(nil, l(s3), nil), true},
	})
}

// TestUpdateKnowsDefaultGroupRulesByCount: under a policy that denies
// EC2-006 (the VPC default security group has no rules), an UPDATE that
// reorders or edits the default group's rules introduces nothing; one
// that adds an ingress or an egress rule is denied.
func TestUpdateKnowsDefaultGroupRulesByCount(t *testing.T) {
	eng := New(reg, Defaults{}, policies(policy("closed-default", rule("EC2-006", v1alpha1.Deny))), nil)
	// rule is one tcp rule on port from a private range.
	rule := func(port float64) any {
		return map[string]any{"ipProtocol": "tcp", "fromPort": port, "toPort": port,
			"ipRanges": []any{map[string]any{"cidrIP": "10.0.0.0/8", "description": "the VPC"}}}
	}
	sg := func(ingress, egress []any) map[string]any {
		spec := map[string]any{"name": "default", "description": "default VPC security group", "vpcID": "vpc-1"}
		if ingress != nil {
			spec["ingressRules"] = ingress
		}
		if egress != nil {
			spec["egressRules"] = egress
		}
		return map[string]any{"apiVersion": "ec2.services.k8s.aws/v1alpha1", "kind": "SecurityGroup",
			"metadata": map[string]any{"name": "default", "namespace": "ns"}, "spec": spec}
	}
	l := func(rs ...any) []any { return append([]any{}, rs...) }
	runUpdates(t, eng, []updateCase{
		{"unchanged", sg(l(rule(443), rule(80)), l(rule(443))), sg(l(rule(443), rule(80)), l(rule(443))), true},
		{"the ingress rules reordered", sg(l(rule(443), rule(80)), nil), sg(l(rule(80), rule(443)), nil), true},
		{"an ingress rule's port changed", sg(l(rule(443)), nil), sg(l(rule(8443)), nil), true},
		{"an ingress rule removed", sg(l(rule(443), rule(80)), nil), sg(l(rule(80)), nil), true},
		{"a second ingress rule", sg(l(rule(443)), nil), sg(l(rule(443), rule(80)), nil), false},
		{"a second ingress rule inserted before the first", sg(l(rule(443)), nil), sg(l(rule(80), rule(443)), nil), false},
		{"a second egress rule", sg(nil, l(rule(443))), sg(nil, l(rule(443), rule(80))), false},
		{"an egress rule added to a group with an ingress rule", sg(l(rule(443)), nil), sg(l(rule(443)), l(rule(443))), false},
	})
}

// TestUpdateDeniesTheAddedElement: where findings are counted (the
// policies of a user under IAM-013, the rules of a default security
// group under EC2-006, the inline policies of a role under IAM-018), the
// denial of an UPDATE adding one names the element it added, not one the
// old object already had that now sits elsewhere in its list.
func TestUpdateDeniesTheAddedElement(t *testing.T) {
	eng := New(reg, Defaults{}, policies(policy("strict",
		rule("IAM-013", v1alpha1.Deny), rule("EC2-006", v1alpha1.Deny), rule("IAM-018", v1alpha1.Deny))), nil)
	const (
		read = "arn:aws:iam::aws:policy/ReadOnlyAccess"
		s3   = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
		doc  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`
	)
	user := func(arns ...any) map[string]any {
		return map[string]any{"apiVersion": "iam.services.k8s.aws/v1alpha1", "kind": "User",
			"metadata": map[string]any{"name": "u", "namespace": "ns"},
			"spec":     map[string]any{"name": "u", "policies": arns}}
	}
	rule := func(port float64) any {
		return map[string]any{"ipProtocol": "tcp", "fromPort": port, "toPort": port,
			"ipRanges": []any{map[string]any{"cidrIP": "10.0.0.0/8", "description": "the VPC"}}}
	}
	sg := func(rules ...any) map[string]any {
		return map[string]any{"apiVersion": "ec2.services.k8s.aws/v1alpha1", "kind": "SecurityGroup",
			"metadata": map[string]any{"name": "default", "namespace": "ns"},
			"spec":     map[string]any{"name": "default", "description": "default", "vpcID": "vpc-1", "ingressRules": rules}}
	}
	role := roleWithInline
	for _, tc := range []struct {
		name     string
		old, new map[string]any
		denied   string // the path of the one denial
	}{
		{"an ARN attached before the user's", user(read), user(s3, read), "spec.policies[0]"},
		{"an ARN attached after the user's", user(read), user(read, s3), "spec.policies[1]"},
		{"a rule inserted before the default group's", sg(rule(443)), sg(rule(80), rule(443)), "spec.ingressRules[0]"},
		{"a rule added after the default group's", sg(rule(443)), sg(rule(443), rule(80)), "spec.ingressRules[1]"},
		{"an inline policy added, named before the role's", role("m", doc), role("a", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"}]}`, "m", doc), `spec.inlinePolicies.a`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := eng.Admit(Request{Operation: Update, Object: tc.new, OldObject: tc.old, User: "dev", Namespace: Namespace{Name: "ns"}, Now: t0})
			var got []string
			for _, r := range d.Denials {
				got = append(got, r.RuleID+" "+r.Path.String())
			}
			if len(d.Denials) != 1 || d.Denials[0].Path.String() != tc.denied {
				t.Fatalf("denials %q, want one at %s", got, tc.denied)
			}
			if !strings.Contains(strings.Join(d.Lines(), "\n"), NoteExisting) {
				t.Errorf("lines %q lack %q", d.Lines(), NoteExisting)
			}
		})
	}
}

// roleWithInline is a Role r in ns trusted by Lambda, holding the inline
// policies kv names, name then document.
func roleWithInline(kv ...string) map[string]any {
	inline := map[string]any{}
	for i := 0; i < len(kv); i += 2 {
		inline[kv[i]] = kv[i+1]
	}
	return map[string]any{"apiVersion": "iam.services.k8s.aws/v1alpha1", "kind": "Role",
		"metadata": map[string]any{"name": "r", "namespace": "ns"},
		"spec": map[string]any{"name": "r", "inlinePolicies": inline,
			"assumeRolePolicyDocument": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`}}
}

// TestKeptElementsRendersEachValueOnce: every statement's findings name
// the policy document, a string IAM sizes without its whitespace. An
// UPDATE keeping a document of many failing statements, padded to
// hundreds of kilobytes, pairs its findings having rendered the document
// once per object, not once per finding (which, for a document of a
// megabyte and a few hundred statements, took seconds of the webhook's
// time and gigabytes of allocation per request).
func TestKeptElementsRendersEachValueOnce(t *testing.T) {
	eng := New(reg, Defaults{}, nil, nil)
	var st []string
	for i := 0; i < 100; i++ {
		st = append(st, fmt.Sprintf(`{"Effect":"Allow","Action":"*","NotResource":"r%d"}`, i))
	}
	doc := `{"Version":"2012-10-17","Statement":[` + strings.Join(st, ",") + `]}` + strings.Repeat(" ", 256<<10)
	pol := func(desc string) map[string]any {
		return map[string]any{"apiVersion": "iam.services.k8s.aws/v1alpha1", "kind": "Policy",
			"metadata": map[string]any{"name": "p", "namespace": "ns"},
			"spec":     map[string]any{"name": "p", "description": desc, "policyDocument": doc}}
	}
	old, updated := pol("a"), pol("b")
	oj := eng.Judge(old, Namespace{Name: "ns"}, t0, nil)
	j := eng.Judge(updated, Namespace{Name: "ns"}, t0, nil)
	denying := 0
	for _, r := range j.Results {
		if r.Denies() {
			denying++
		}
	}
	if denying < 200 {
		t.Fatalf("%d denying findings: the document should fail per statement", denying)
	}
	had := map[string]int{}
	for _, r := range oj.Results {
		had[r.IdentityKey()]++
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	kept := keptElements(old, updated, oj.Results, j.Results, had)
	runtime.ReadMemStats(&after)
	if len(kept) != denying {
		t.Errorf("%d of %d denying findings paired with the old object's", len(kept), denying)
	}
	if got, limit := after.TotalAlloc-before.TotalAlloc, uint64(16*len(doc)); got > limit {
		t.Errorf("pairing allocated %d bytes for a document of %d: want at most %d", got, len(doc), limit)
	}
}

// TestUpdatePairingKeepsTheVerdict: pairing a kept element with the old
// object's by its value changes which element a denial names, never how
// many findings an UPDATE introduces. Over every UPDATE between two lists
// of up to two ARNs on a user (IAM-013 counts them, IAM-014 knows each by
// its ARN, and an ARN with a blank before it is another value): the
// denials are as many as counting by identity alone gives, each at an
// element whose value the old object did not have as many times; an
// exception exempting IAM-013 leaves none of it denied, however the
// elements pair.
func TestUpdatePairingKeepsTheVerdict(t *testing.T) {
	const admin = "arn:aws:iam::aws:policy/AdministratorAccess"
	arns := []string{"arn:aws:iam::aws:policy/ReadOnlyAccess", admin, " " + admin, "arn:aws:iam::111122223333:policy/x"}
	userGK := view.UserGVK.GroupKind()
	strict := policies(policy("strict", rule("IAM-013", v1alpha1.Deny), rule("IAM-014", v1alpha1.Deny)))
	plain := New(reg, Defaults{}, strict, nil)
	exempt := New(reg, Defaults{}, strict, exceptions(exception("ns", "u", []string{"IAM-013"}, t0.Add(day), resources(byName(userGK, "u")))))
	user := func(vals []string) map[string]any {
		l := make([]any, len(vals))
		for i, v := range vals {
			l[i] = v
		}
		return map[string]any{"apiVersion": "iam.services.k8s.aws/v1alpha1", "kind": "User",
			"metadata": map[string]any{"name": "u", "namespace": "ns"},
			"spec":     map[string]any{"name": "u", "policies": l}}
	}
	lists := [][]string{nil}
	for _, a := range arns {
		lists = append(lists, []string{a})
		for _, b := range arns {
			lists = append(lists, []string{a, b})
		}
	}
	ns := Namespace{Name: "ns"}
	for _, old := range lists {
		for _, updated := range lists {
			req := Request{Operation: Update, Object: user(updated), OldObject: user(old), User: "dev", Namespace: ns, Now: t0}
			had := map[string]int{}
			for _, r := range plain.Judge(user(old), ns, t0, nil).Results {
				had[r.IdentityKey()]++
			}
			want := 0
			for _, r := range plain.Judge(user(updated), ns, t0, nil).Results {
				switch {
				case !r.Denies():
				case had[r.IdentityKey()] > 0:
					had[r.IdentityKey()]--
				default:
					want++
				}
			}
			d := plain.Admit(req)
			if len(d.Denials) != want {
				t.Errorf("%q to %q: %d denials, want %d", old, updated, len(d.Denials), want)
			}
			left := map[string]int{}
			for _, v := range old {
				left[v]++
			}
			for _, v := range updated {
				left[v]--
			}
			for _, r := range d.Denials {
				v, _ := view.Lookup(user(updated), r.Path)
				if s, _ := v.(string); left[s] >= 0 {
					t.Errorf("%q to %q: %s denied at %s, %q, which the old object had as many times", old, updated, r.RuleID, r.Path, s)
				}
			}
			for _, r := range exempt.Admit(req).Denials {
				if r.RuleID == "IAM-013" {
					t.Errorf("%q to %q: IAM-013 denied at %s though exempted", old, updated, r.Path)
				}
			}
		}
	}
}
