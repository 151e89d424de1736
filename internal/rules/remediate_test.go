package rules_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/ackguard/ackguard/internal/policy"
	"github.com/ackguard/ackguard/internal/rules"
)

// fixDefaults are the rules whose reconciler default is fix.
var fixDefaults = []string{"S3-001", "S3-003", "S3-004", "S3-006"}

const (
	allUsersURI  = "http://acs.amazonaws.com/groups/global/AllUsers"
	authUsersURI = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
)

// The statements of the pretty-printed policy, as written in it.
const (
	partnerReadStmt = `{
      "Sid": "PartnerRead",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
      "Action": ["s3:GetObject", "s3:ListBucket"],
      "Resource": ["arn:aws:s3:::my-bucket", "arn:aws:s3:::my-bucket/*"]
    }`
	publicUploadStmt = `{
      "Sid": "PublicUpload",
      "Effect": "Allow",
      "Principal": "*",
      "Action": ["s3:PutObject", "s3:GetObject"],
      "Resource": "arn:aws:s3:::my-bucket/uploads/*"
    }`
	vpceReadStmt = `{
      "Sid": "VpceRead",
      "Effect": "Allow",
      "Principal": "*",
      "Action": "s3:GetObject",
      "Resource": "arn:aws:s3:::my-bucket/*",
      "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}
    }`
	prettyPolicy = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    " +
		partnerReadStmt + ",\n    " + publicUploadStmt + ",\n    " + vpceReadStmt + "\n  ]\n}\n"
)

// insecureBucket has tags, an unknown spec field, public ACLs and grants,
// an incomplete Block Public Access and a policy with a public write.
func insecureBucket() map[string]any {
	return bucket(map[string]any{
		"name":         bucketName,
		"tagging":      map[string]any{"tagSet": []any{map[string]any{"key": "team", "value": "payments"}}},
		"futureField":  map[string]any{"enabled": true, "mode": "strict"},
		"versioning":   map[string]any{"status": "Enabled"},
		"acl":          "public-read",
		"grantRead":    `id="79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be", uri="` + allUsersURI + `"`,
		"grantWrite":   `uri="` + authUsersURI + `"`,
		"grantReadACP": `id="79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"`,
		"publicAccessBlock": map[string]any{
			"blockPublicACLs": true, "ignorePublicACLs": false,
		},
		"policy": prettyPolicy,
	})
}

func TestRemediateFixDefaults(t *testing.T) {
	obj := insecureBucket()
	orig := runtime.DeepCopyJSON(obj)
	reg := rules.Default()

	plan, err := reg.Remediate(obj, rules.Config{}, fixDefaults)
	if err != nil {
		t.Fatalf("Remediate: %v", err)
	}
	if !reflect.DeepEqual(obj, orig) {
		t.Fatal("Remediate modified its input")
	}
	if got := strings.Join(plan.Rules, ","); got != "S3-001,S3-003,S3-004,S3-006" {
		t.Errorf("plan.Rules = %s", got)
	}

	// The new policy keeps every other statement byte-for-byte and adds
	// exactly one deny-insecure-transport statement.
	newPolicy, _ := plan.Object["spec"].(map[string]any)["policy"].(string)
	for _, s := range []string{partnerReadStmt, vpceReadStmt} {
		if !strings.Contains(newPolicy, s) {
			t.Errorf("statement not kept byte-for-byte:\n%s\nnew policy:\n%s", s, newPolicy)
		}
	}
	if strings.Contains(newPolicy, `"PublicUpload"`) {
		t.Errorf("public write statement kept:\n%s", newPolicy)
	}
	if n := strings.Count(newPolicy, `"Sid":"`+rules.SecureTransportSid+`"`); n != 1 {
		t.Errorf("%d %s statements, want 1:\n%s", n, rules.SecureTransportSid, newPolicy)
	}
	d, problems := policy.Parse(newPolicy, policy.ResourcePolicy, policy.Options{})
	if len(problems) > 0 || len(d.Statements) != 3 {
		t.Fatalf("new policy: %q, %d statements\n%s", problems, len(d.Statements), newPolicy)
	}
	wantPolicy := "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    " +
		partnerReadStmt + ",\n    " + vpceReadStmt + ",\n    " +
		`{"Sid":"AckguardDenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::my-bucket","arn:aws:s3:::my-bucket/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}` +
		"\n  ]\n}\n"
	if newPolicy != wantPolicy {
		t.Errorf("new policy:\n%s\nwant:\n%s", newPolicy, wantPolicy)
	}

	// Changes touch only the fields the fixes own, with the old values.
	type change struct {
		old        any
		oldPresent bool
		new        any
		newPresent bool
		rules      string
	}
	wantChanges := map[string]change{
		"spec.publicAccessBlock.ignorePublicACLs":      {false, true, true, true, "S3-001"},
		"spec.publicAccessBlock.blockPublicPolicy":     {nil, false, true, true, "S3-001"},
		"spec.publicAccessBlock.restrictPublicBuckets": {nil, false, true, true, "S3-001"},
		"spec.acl":        {"public-read", true, "private", true, "S3-004"},
		"spec.grantRead":  {`id="79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be", uri="` + allUsersURI + `"`, true, `id="79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"`, true, "S3-004"},
		"spec.grantWrite": {`uri="` + authUsersURI + `"`, true, nil, false, "S3-004"},
		"spec.policy":     {prettyPolicy, true, wantPolicy, true, "S3-003,S3-006"},
	}
	var gotPaths []string
	for _, c := range plan.Changes {
		path := c.Path.String()
		gotPaths = append(gotPaths, path)
		w, ok := wantChanges[path]
		if !ok {
			t.Errorf("unexpected change of %s", path)
			continue
		}
		got := change{c.Old, c.OldPresent, c.New, c.NewPresent, strings.Join(c.Rules, ",")}
		if !reflect.DeepEqual(got, w) {
			t.Errorf("change of %s = %+v, want %+v", path, got, w)
		}
	}
	if len(plan.Changes) != len(wantChanges) {
		sort.Strings(gotPaths)
		t.Errorf("changed %q, want %d changes", gotPaths, len(wantChanges))
	}

	// The merge patch holds exactly those fields.
	wantPatch := map[string]any{"spec": map[string]any{
		"publicAccessBlock": map[string]any{"ignorePublicACLs": true, "blockPublicPolicy": true, "restrictPublicBuckets": true},
		"acl":               "private",
		"grantRead":         `id="79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"`,
		"grantWrite":        nil,
		"policy":            wantPolicy,
	}}
	if patch := plan.MergePatch(); !reflect.DeepEqual(patch, wantPatch) {
		g, _ := json.MarshalIndent(patch, "", "  ")
		w, _ := json.MarshalIndent(wantPatch, "", "  ")
		t.Errorf("MergePatch:\n%s\nwant:\n%s", g, w)
	}

	// Everything else in the object is untouched.
	spec := plan.Object["spec"].(map[string]any)
	origSpec := orig["spec"].(map[string]any)
	for _, k := range []string{"name", "tagging", "futureField", "versioning", "grantReadACP"} {
		if !reflect.DeepEqual(spec[k], origSpec[k]) {
			t.Errorf("spec.%s changed: %v -> %v", k, origSpec[k], spec[k])
		}
	}
	if !reflect.DeepEqual(plan.Object["metadata"], orig["metadata"]) {
		t.Error("metadata changed")
	}

	// The fixed object has no finding of the fixed rules, nor POL-001.
	for _, f := range reg.Evaluate(plan.Object, rules.Config{}) {
		for _, id := range append(fixDefaults, "POL-001") {
			if f.RuleID == id {
				t.Errorf("finding after remediation: %s", f.Text())
			}
		}
	}

	// Remediating the fixed object changes nothing.
	again, err := reg.Remediate(plan.Object, rules.Config{}, fixDefaults)
	if err != nil {
		t.Fatalf("second Remediate: %v", err)
	}
	if !again.Empty() || len(again.Rules) != 0 || len(again.MergePatch()) != 0 {
		t.Errorf("second remediation is not empty: %+v", again.Changes)
	}
}

func TestRemediateCases(t *testing.T) {
	stmtTLS := `{"Sid":"AckguardDenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::my-bucket","arn:aws:s3:::my-bucket/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}`
	tests := []struct {
		name  string
		spec  map[string]any
		ids   []string
		cfg   rules.Config
		patch map[string]any // the expected merge patch of spec; nil = empty plan
		paths []string       // the fields changed, when the case says
	}{
		{
			name:  "no policy: S3-006 creates one",
			spec:  with(secureSpec(), "policy", nil),
			ids:   fixDefaults,
			patch: map[string]any{"policy": `{"Version":"2012-10-17","Statement":[` + stmtTLS + `]}`},
		},
		{
			// A bucket that tells no region anywhere is created in the
			// region ACK defaults to, in the configured partition: S3
			// refuses a policy naming arn:aws: ARNs there.
			name:  "no policy and no region, aws-cn configured: S3-006 writes aws-cn ARNs",
			spec:  with(secureSpec(), "policy", nil),
			ids:   []string{"S3-006"},
			cfg:   rules.Config{Partition: "aws-cn"},
			patch: map[string]any{"policy": `{"Version":"2012-10-17","Statement":[` + strings.ReplaceAll(stmtTLS, "arn:aws:", "arn:aws-cn:") + `]}`},
		},
		{
			name:  "only a public write: S3-003 removes it and S3-006 writes a new policy",
			spec:  with(secureSpec(), "policy", pol(`{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::my-bucket/*"}`)),
			ids:   fixDefaults,
			patch: map[string]any{"policy": `{"Version":"2012-10-17","Statement":[` + stmtTLS + `]}`},
		},
		{
			name:  "only a public write, S3-003 alone: the policy is removed",
			spec:  with(secureSpec(), "policy", pol(`{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::my-bucket/*"}`)),
			ids:   []string{"S3-003"},
			patch: map[string]any{"policy": nil},
		},
		{
			name: "single-object Statement gets an array",
			spec: with(secureSpec(), "policy", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::my-bucket/*"}}`),
			ids:  []string{"S3-006"},
			patch: map[string]any{"policy": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::my-bucket/*"},` +
				stmtTLS + `]}`},
		},
		{
			name:  "publicAccessBlock of the wrong type is replaced whole",
			spec:  with(secureSpec(), "publicAccessBlock", "on"),
			ids:   fixDefaults,
			patch: map[string]any{"publicAccessBlock": allBlocked()},
		},
		{
			name:  "publicAccessBlock absent is created",
			spec:  with(secureSpec(), "publicAccessBlock", nil),
			ids:   []string{"S3-001"},
			patch: map[string]any{"publicAccessBlock": allBlocked()},
		},
		{
			name:  "flag of the wrong type is set",
			spec:  with(secureSpec(), "publicAccessBlock", map[string]any{"blockPublicACLs": "yes", "ignorePublicACLs": true, "blockPublicPolicy": true, "restrictPublicBuckets": true}),
			ids:   []string{"S3-001"},
			patch: map[string]any{"publicAccessBlock": map[string]any{"blockPublicACLs": true}},
		},
		{
			name:  "ACL of the wrong type becomes private",
			spec:  with(secureSpec(), "acl", int64(3)),
			ids:   fixDefaults,
			patch: map[string]any{"acl": "private"},
		},
		{
			name:  "joined ACL form with a public ACL becomes private",
			spec:  with(secureSpec(), "acl", "public-read|private"),
			ids:   fixDefaults,
			patch: map[string]any{"acl": "private"},
		},
		{
			// ACK diffs the grant fields only while one of them is set, and
			// reads back no canned ACL for the owner plus AllUsers WRITE:
			// with the last grant field gone and no spec.acl, it would
			// never rewrite the bucket's ACL. spec.acl private makes it.
			name:  "the last public grant removed: the ACL becomes private",
			spec:  with(secureSpec(), "grantWrite", "uri="+allUsersURI),
			ids:   fixDefaults,
			patch: map[string]any{"grantWrite": nil, "acl": "private"},
		},
		{
			name:  "a grant left: no canned ACL is set",
			spec:  with(secureSpec(), "grantWrite", "uri="+allUsersURI, "grantReadACP", `id="abc"`),
			ids:   fixDefaults,
			patch: map[string]any{"grantWrite": nil},
		},
		{
			name:  "LogDelivery grant is kept",
			spec:  with(secureSpec(), "grantWrite", "uri=http://acs.amazonaws.com/groups/s3/LogDelivery"),
			ids:   fixDefaults,
			patch: nil,
		},
		{
			name:  "rules not asked for are not applied",
			spec:  with(secureSpec(), "publicAccessBlock", nil, "acl", "public-read", "policy", nil),
			ids:   []string{"S3-004"},
			patch: map[string]any{"acl": "private"},
		},
		{
			name:  "audit rules have no fixer",
			spec:  with(secureSpec(), "policy", pol(tlsDeny, `{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}`)),
			ids:   []string{"S3-002", "S3-007", "S3-013", "POL-001"},
			patch: nil,
		},
		{
			name:  "S3-005 sets BucketOwnerEnforced when no ACL is in use",
			spec:  with(secureSpec(), "ownershipControls", map[string]any{"rules": []any{map[string]any{"objectOwnership": "ObjectWriter"}}}),
			ids:   []string{"S3-005"},
			patch: map[string]any{"ownershipControls": map[string]any{"rules": []any{map[string]any{"objectOwnership": "BucketOwnerEnforced"}}}},
		},
		{
			// The rules alone are written, so the previous value is theirs
			// (absent): an undo removes them, where writing back {} with a
			// merge patch would change nothing.
			name:  "S3-005 fills in ownershipControls without rules",
			spec:  with(secureSpec(), "ownershipControls", map[string]any{}),
			ids:   []string{"S3-005"},
			patch: map[string]any{"ownershipControls": map[string]any{"rules": []any{map[string]any{"objectOwnership": "BucketOwnerEnforced"}}}},
			paths: []string{"spec.ownershipControls.rules"},
		},
		{
			name:  "S3-005 writes ownershipControls whole when it is absent",
			spec:  with(secureSpec(), "ownershipControls", nil, "objectOwnership", "ObjectWriter"),
			ids:   []string{"S3-005"},
			patch: map[string]any{"ownershipControls": map[string]any{"rules": []any{map[string]any{"objectOwnership": "BucketOwnerEnforced"}}}},
			paths: []string{"spec.ownershipControls"},
		},
		{
			name:  "S3-005 leaves ownership alone while a grant is in use",
			spec:  with(secureSpec(), "ownershipControls", map[string]any{"rules": []any{map[string]any{"objectOwnership": "ObjectWriter"}}}, "grantRead", `id="abc"`),
			ids:   []string{"S3-005"},
			patch: nil,
		},
		{
			// ACK reads the ACL of a private bucket back as the canned ACLs
			// that match it, and each grant header back, empty when nobody
			// holds the permission (adoption writes both into the spec).
			name: "S3-005 fixes a private ACL as ACK reads it back",
			spec: with(secureSpec(), "ownershipControls", map[string]any{"rules": []any{map[string]any{"objectOwnership": "ObjectWriter"}}},
				"acl", "private|bucket-owner-read|bucket-owner-full-control",
				"grantRead", "", "grantWrite", "", "grantReadACP", "", "grantWriteACP", ""),
			ids:   []string{"S3-005"},
			patch: map[string]any{"ownershipControls": map[string]any{"rules": []any{map[string]any{"objectOwnership": "BucketOwnerEnforced"}}}},
		},
		{
			name:  "S3-005 leaves ownership alone while the ACL read back is not private",
			spec:  with(secureSpec(), "ownershipControls", map[string]any{"rules": []any{map[string]any{"objectOwnership": "ObjectWriter"}}}, "acl", "log-delivery-write"),
			ids:   []string{"S3-005"},
			patch: nil,
		},
		{
			name: "invalid policy is left alone",
			spec: with(secureSpec(), "policy", `{"Statement":[`),
			ids:  fixDefaults,
		},
		{
			// The fix must not add a second statement with its own Sid: a
			// duplicate Sid makes the policy invalid (POL-001).
			name: "existing statement with the fix's Sid that does not comply",
			spec: with(secureSpec(), "policy", pol(`{"Sid":"AckguardDenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::my-bucket","Condition":{"Bool":{"aws:SecureTransport":"false"}}}`)),
			ids:  []string{"S3-006"},
			patch: map[string]any{"policy": pol(`{"Sid":"AckguardDenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::my-bucket","Condition":{"Bool":{"aws:SecureTransport":"false"}}}`,
				strings.Replace(stmtTLS, rules.SecureTransportSid, rules.SecureTransportSid+"2", 1))},
		},
	}
	reg := rules.Default()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := bucket(tt.spec)
			plan, err := reg.Remediate(obj, tt.cfg, tt.ids)
			if err != nil {
				t.Fatalf("Remediate: %v", err)
			}
			if tt.patch == nil {
				if !plan.Empty() {
					t.Fatalf("want an empty plan, got %+v", plan.Changes)
				}
				return
			}
			if tt.paths != nil {
				var got []string
				for _, c := range plan.Changes {
					got = append(got, c.Path.String())
				}
				if !slices.Equal(got, tt.paths) {
					t.Errorf("changed %q, want %q", got, tt.paths)
				}
			}
			want := map[string]any{"spec": tt.patch}
			if got := plan.MergePatch(); !reflect.DeepEqual(got, want) {
				g, _ := json.MarshalIndent(got, "", "  ")
				w, _ := json.MarshalIndent(want, "", "  ")
				t.Fatalf("MergePatch:\n%s\nwant:\n%s", g, w)
			}
			for _, f := range reg.Evaluate(plan.Object, tt.cfg) {
				for _, id := range append(tt.ids, "POL-001") {
					if f.RuleID == id && id != "S3-002" && id != "S3-007" && id != "S3-013" {
						t.Errorf("finding after remediation: %s", f.Text())
					}
				}
			}
			again, err := reg.Remediate(plan.Object, tt.cfg, tt.ids)
			if err != nil || !again.Empty() {
				t.Errorf("second remediation: %v, %+v", err, again.Changes)
			}
		})
	}
}

func TestRemediateUnfixableShape(t *testing.T) {
	obj := bucket(nil)
	obj["spec"] = "not an object"
	if _, err := rules.Default().Remediate(obj, rules.Config{}, fixDefaults); err == nil {
		t.Error("Remediate of a spec that is not an object succeeded")
	}
}

// TestPlanKeep: a part of a plan applies only its own changes to the
// original object, says whose fixes they are, and patches only them; the
// units are the changes of one set of rules.
func TestPlanKeep(t *testing.T) {
	obj := insecureBucket()
	orig := runtime.DeepCopyJSON(obj)
	plan, err := rules.Default().Remediate(obj, rules.Config{}, fixDefaults)
	if err != nil {
		t.Fatalf("Remediate: %v", err)
	}
	var units []string
	for _, u := range plan.Units() {
		var paths []string
		for _, i := range u {
			paths = append(paths, strings.Join(plan.Changes[i].Rules, "+")+" "+plan.Changes[i].Path.String())
		}
		units = append(units, strings.Join(paths, ", "))
	}
	wantUnits := []string{
		"S3-001 spec.publicAccessBlock.ignorePublicACLs, S3-001 spec.publicAccessBlock.blockPublicPolicy, S3-001 spec.publicAccessBlock.restrictPublicBuckets",
		"S3-003+S3-006 spec.policy",
		"S3-004 spec.acl, S3-004 spec.grantRead, S3-004 spec.grantWrite",
	}
	if !slices.Equal(units, wantUnits) {
		t.Errorf("units:\n%s\nwant:\n%s", strings.Join(units, "\n"), strings.Join(wantUnits, "\n"))
	}

	all := plan.Keep(func(int, rules.Change) bool { return true })
	if !reflect.DeepEqual(all.Object, plan.Object) || !slices.Equal(all.Rules, plan.Rules) || len(all.Changes) != len(plan.Changes) {
		t.Errorf("keeping every change is not the plan: rules %v", all.Rules)
	}

	acl := plan.Keep(func(_ int, c rules.Change) bool { return slices.Contains(c.Rules, "S3-004") })
	if got := strings.Join(acl.Rules, ","); got != "S3-004" {
		t.Errorf("rules of the ACL part = %s", got)
	}
	wantSpec := runtime.DeepCopyJSON(orig["spec"].(map[string]any))
	wantSpec["acl"] = "private"
	wantSpec["grantRead"] = `id="79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"`
	delete(wantSpec, "grantWrite")
	if got := acl.Object["spec"]; !reflect.DeepEqual(got, wantSpec) {
		t.Errorf("object of the ACL part:\n%v\nwant:\n%v", got, wantSpec)
	}
	if got := acl.MergePatch(); !reflect.DeepEqual(got, map[string]any{"spec": map[string]any{
		"acl": "private", "grantRead": wantSpec["grantRead"], "grantWrite": nil}}) {
		t.Errorf("merge patch of the ACL part: %v", got)
	}
	if !reflect.DeepEqual(obj, orig) {
		t.Error("Keep modified the original object")
	}

	none := plan.Keep(func(int, rules.Change) bool { return false })
	if !none.Empty() || len(none.Rules) != 0 || !reflect.DeepEqual(none.Object, orig) {
		t.Errorf("keeping nothing: %+v", none)
	}

}
