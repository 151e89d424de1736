package rules_test

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/ackguard/ackguard/internal/policy"
	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/rules/rulestest"
)

// bucketName is the AWS name of every test bucket.
const bucketName = "my-bucket"

// bucket builds an ACK Bucket with the given spec. spec.name defaults to
// bucketName.
func bucket(spec map[string]any) map[string]any {
	if spec == nil {
		spec = map[string]any{}
	}
	if _, ok := spec["name"]; !ok {
		spec["name"] = bucketName
	}
	return map[string]any{
		"apiVersion": "s3.services.k8s.aws/v1alpha1",
		"kind":       "Bucket",
		"metadata":   map[string]any{"name": "my-bucket-cr", "namespace": "team-a"},
		"spec":       spec,
	}
}

// with returns a copy of spec with the given fields set (nil deletes).
func with(spec map[string]any, kv ...any) map[string]any {
	out := make(map[string]any, len(spec)+len(kv)/2)
	for k, v := range spec {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		k := kv[i].(string)
		if kv[i+1] == nil {
			delete(out, k)
			continue
		}
		out[k] = kv[i+1]
	}
	return out
}

// withNull returns a copy of spec with the field set to JSON null.
func withNull(spec map[string]any, key string) map[string]any {
	out := with(spec)
	out[key] = nil
	return out
}

// allBlocked is a publicAccessBlock with every flag true.
func allBlocked() map[string]any {
	return map[string]any{"blockPublicACLs": true, "ignorePublicACLs": true, "blockPublicPolicy": true, "restrictPublicBuckets": true}
}

// tlsDeny is the statement S3-006 asks for, for bucketName.
const tlsDeny = `{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::my-bucket","arn:aws:s3:::my-bucket/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}`

// pol wraps statements in a 2012-10-17 policy.
func pol(statements ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(statements, ",") + `]}`
}

// secureSpec is a spec every rule on by default passes.
func secureSpec() map[string]any {
	spec := rulestest.BucketHygiene()
	spec["name"] = bucketName
	spec["publicAccessBlock"] = allBlocked()
	spec["policy"] = pol(tlsDeny)
	spec["ownershipControls"] = map[string]any{"rules": []any{map[string]any{"objectOwnership": "BucketOwnerEnforced"}}}
	return spec
}

// want is one expected finding: its path and a substring of its message.
type want struct {
	path string
	msg  string
}

// ruleCase is one object judged by one rule.
type ruleCase struct {
	name string
	spec map[string]any
	cfg  rules.Config
	want []want
	// action, when set, is the admission action every finding must carry.
	action rules.Action
}

// sharedDocuments is the document cache every rule test also evaluates
// through, as the manager does: a cached document must judge exactly like
// a freshly parsed one, however many objects and rules have read it.
var sharedDocuments = policy.NewCache(4096, 8<<20)

// findingsOf evaluates one rule of the default registry on obj, opt-in
// or not. It evaluates obj three times — without the document cache,
// then twice through sharedDocuments (filling it, then reading it) — and
// panics, failing the test, when the cached evaluations differ.
func findingsOf(obj map[string]any, cfg rules.Config, ruleID string) []rules.Finding {
	of := func(cfg rules.Config) []rules.Finding {
		return rules.Default().EvaluateOnly(obj, cfg, func(r *rules.Rule) bool { return r.ID == ruleID })
	}
	cached := cfg
	cached.Documents = sharedDocuments
	cfg.Documents = nil
	out := of(cfg)
	for range 2 {
		if got := of(cached); !reflect.DeepEqual(got, out) {
			panic(fmt.Sprintf("%s judged differently through the document cache:\n  cached: %v\n  parsed: %v", ruleID, got, out))
		}
	}
	return out
}

// runRuleCases evaluates each case and compares the exact multiset of
// finding paths of the rule, each with a message substring.
func runRuleCases(t *testing.T, ruleID string, tests []ruleCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := findingsOf(bucket(tt.spec), tt.cfg, ruleID)
			checkFindings(t, got, tt.want)
			for _, f := range got {
				if tt.action != "" && f.Action != tt.action {
					t.Errorf("finding %q has action %q, want %q", f.Text(), f.Action, tt.action)
				}
				if f.Severity == "" || f.Message == "" {
					t.Errorf("finding without severity or message: %+v", f)
				}
			}
		})
	}
}

func checkFindings(t *testing.T, got []rules.Finding, wants []want) {
	t.Helper()
	gotPaths := make([]string, len(got))
	for i, f := range got {
		gotPaths[i] = f.Path.String()
	}
	wantPaths := make([]string, len(wants))
	for i, w := range wants {
		wantPaths[i] = w.path
	}
	sort.Strings(gotPaths)
	sort.Strings(wantPaths)
	if strings.Join(gotPaths, "\n") != strings.Join(wantPaths, "\n") {
		t.Fatalf("finding paths = %q, want %q\nfindings:\n%s", gotPaths, wantPaths, texts(got))
	}
	used := make([]bool, len(got))
	for _, w := range wants {
		found := false
		for i, f := range got {
			if !used[i] && f.Path.String() == w.path && strings.Contains(f.Message, w.msg) {
				used[i], found = true, true
				break
			}
		}
		if !found {
			t.Errorf("no finding at %s with a message containing %q\nfindings:\n%s", w.path, w.msg, texts(got))
		}
	}
}

func texts(fs []rules.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString("  " + f.RuleID + " " + f.Path.String() + " [" + string(f.Action) + "]: " + f.Message + "\n")
	}
	return b.String()
}

// stmt builds a statement with the given principal element, action element
// and condition block ("" for none) on the bucket's objects.
func stmt(effect, principal, action, condition string) string {
	s := `{"Effect":"` + effect + `",` + principal + `,` + action + `,"Resource":["arn:aws:s3:::my-bucket","arn:aws:s3:::my-bucket/*"]`
	if condition != "" {
		s += `,"Condition":` + condition
	}
	return s + `}`
}

const (
	anyone  = `"Principal":"*"`
	partner = `"Principal":{"AWS":"arn:aws:iam::444455556666:root"}`
)
