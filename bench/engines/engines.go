// Package engines sets ackguard's rule engine against the same Bucket
// checks written in CEL (github.com/google/cel-go) and in Rego
// (github.com/open-policy-agent/opa). It is a module of its own so that
// the operator never depends on either; see docs/performance.md, "Against
// CEL and Rego".
//
// The checks are S3-001 (all four Block Public Access flags set and true)
// and the public-principal part of S3-002/S3-003 (an Allow statement of
// spec.policy to "*", {"AWS":"*"} or a Federated principal, unless a
// positive operator restricts one of S3's restricting keys to fixed
// values: rule catalog §10.1 C1-C4).
//
// What CEL cannot express: spec.policy is a JSON document held in a
// string field. Kubernetes' CEL environment (k8s.io/apiserver v0.37.2,
// pkg/cel/environment/base.go and library.KnownLibraries: URLs, Regex,
// Lists, Authz, Quantity, IP, CIDR, Format, Semver, JSONPatch, and
// cel-go's Strings, Sets, TwoVarComprehensions, Lists) has no function
// that parses a string as JSON; cel-go v0.31.0 itself offers json.encode
// (ext.Encoders version 1) but no decode. So a ValidatingAdmissionPolicy
// can check the four flags and nothing of the policy: that is CELFlags.
// CELPolicy adds a json.decode function implemented in Go (what
// Kyverno's authorization server ships as json.Unmarshal), the smallest
// extension that lets CEL see the policy at all.
//
// Rego needs no extension: json.unmarshal is a built-in.
//
// Neither the CEL nor the Rego version classifies actions (S3-002 asks
// about read and list actions, S3-003 about write and permission
// actions; both versions count any action), treats a Federated principal
// by provider, or checks that aws:SourceIp names a public range (C7):
// they do less than the engine, which favours them in the timings.
package engines

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/ext"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"

	"github.com/ackguard/ackguard/internal/policy"
	"github.com/ackguard/ackguard/internal/rules"
)

// Verdict judges one Bucket (decoded as the webhook decodes it) and says
// whether admission denies it.
type Verdict func(obj map[string]any) (deny bool, err error)

// Ackguard is the engine of rules.Default() restricted to the rules
// named (all the Bucket rules when none is named). It denies on a
// finding whose action is deny and that is not inconclusive, as the
// webhook does under the baseline policy.
func Ackguard(ids ...string) Verdict { return ackguard(rules.Config{}, ids) }

// AckguardCached is Ackguard with a parsed-document cache, as the manager
// runs it: a policy document judged before (the same object's UPDATE, its
// reconcile, a resync) is not parsed again.
func AckguardCached(ids ...string) Verdict {
	return ackguard(rules.Config{Documents: policy.NewCache(1024, 1<<20)}, ids)
}

func ackguard(cfg rules.Config, ids []string) Verdict {
	reg := rules.Default()
	var keep func(*rules.Rule) bool
	if len(ids) > 0 {
		// The rules are chosen once, as a compiled policy chooses them,
		// not by name on every evaluation.
		var kept []*rules.Rule
		for _, r := range reg.Rules() {
			if slices.Contains(ids, r.ID) {
				kept = append(kept, r)
			}
		}
		keep = func(r *rules.Rule) bool { return slices.Contains(kept, r) }
	}
	return func(obj map[string]any) (bool, error) {
		for _, f := range reg.EvaluateOnly(obj, cfg, keep) {
			if f.Action == rules.Deny && !f.Inconclusive {
				return true, nil
			}
		}
		return false, nil
	}
}

// celFlags is S3-001 as a ValidatingAdmissionPolicy would write it: true
// when the object is admitted.
const celFlags = `has(object.spec.publicAccessBlock) &&
  ['blockPublicACLs', 'ignorePublicACLs', 'blockPublicPolicy', 'restrictPublicBuckets'].all(f,
    f in object.spec.publicAccessBlock && object.spec.publicAccessBlock[f] == true)`

// celPublic is true when spec.policy holds a public Allow statement.
// Statement is an object or a list; a principal value is a string or a
// list; a condition value likewise.
const celPublic = `has(object.spec.policy) && cel.bind(doc, json.decode(object.spec.policy),
  type(doc) == map && 'Statement' in doc &&
  (type(doc.Statement) == list ? doc.Statement : [doc.Statement]).exists(s,
    type(s) == map && 'Effect' in s && s.Effect == 'Allow' &&
    'Principal' in s && (
      s.Principal == '*' ||
      (type(s.Principal) == map && (
        ('AWS' in s.Principal && (s.Principal.AWS == '*' ||
          (type(s.Principal.AWS) == list && '*' in s.Principal.AWS))) ||
        'Federated' in s.Principal))) &&
    !('Condition' in s && type(s.Condition) == map && s.Condition.exists(op,
      op in positiveOps && type(s.Condition[op]) == map && s.Condition[op].exists(k,
        k.lowerAscii() in restrictingKeys &&
        (type(s.Condition[op][k]) == list ? s.Condition[op][k] : [s.Condition[op][k]]).all(v,
          type(v) == string && !v.contains('*') && !v.contains('?') && !v.contains('${')))))))`

// positiveOps are the operators under which a restricting key restricts
// (catalog §10.1 C3), as the engine's classifier has them.
var positiveOps = []string{"StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike", "IpAddress"}

// restrictingKeys are S3's restricting condition keys, lower-cased
// (condition key names are case-insensitive).
func restrictingKeys() []string {
	var out []string
	for _, k := range policy.S3RestrictingKeys() {
		out = append(out, strings.ToLower(k))
	}
	return out
}

// CELFlags is S3-001 in CEL with Kubernetes' libraries: the four flags
// only, since nothing there reads the policy string.
func CELFlags() (Verdict, error) {
	return celVerdict(celFlags, false)
}

// CELPolicy is S3-001 and the public-principal check in CEL, with a
// json.decode function added for the policy string.
func CELPolicy() (Verdict, error) {
	return celVerdict("("+celFlags+") && !("+celPublic+")", true)
}

func celVerdict(expr string, decode bool) (Verdict, error) {
	opts := []cel.EnvOption{
		cel.Variable("object", cel.DynType),
		ext.Strings(ext.StringsVersion(2)),
	}
	if decode {
		opts = append(opts,
			ext.Bindings(),
			cel.Variable("positiveOps", cel.ListType(cel.StringType)),
			cel.Variable("restrictingKeys", cel.ListType(cel.StringType)),
			cel.Function("json.decode",
				cel.Overload("json_decode_string", []*cel.Type{cel.StringType}, cel.DynType,
					cel.UnaryBinding(jsonDecode))),
		)
	}
	env, err := cel.NewEnv(opts...)
	if err != nil {
		return nil, err
	}
	ast, iss := env.Compile(expr)
	if iss.Err() != nil {
		return nil, iss.Err()
	}
	if ast.OutputType() != cel.BoolType {
		return nil, fmt.Errorf("the expression is of type %v, not bool", ast.OutputType())
	}
	prg, err := env.Program(ast)
	if err != nil {
		return nil, err
	}
	ops, keys := positiveOps, restrictingKeys()
	return func(obj map[string]any) (bool, error) {
		vars := map[string]any{"object": obj}
		if decode {
			vars["positiveOps"], vars["restrictingKeys"] = ops, keys
		}
		out, _, err := prg.Eval(vars)
		if err != nil {
			return true, err // an error denies, as failurePolicy Fail does
		}
		admitted, ok := out.Value().(bool)
		if !ok {
			return true, fmt.Errorf("the expression gave %v", out)
		}
		return !admitted, nil
	}, nil
}

func jsonDecode(v ref.Val) ref.Val {
	s, ok := v.(types.String)
	if !ok {
		return types.MaybeNoSuchOverloadErr(v)
	}
	var out any
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return types.NewErr("json.decode: %v", err)
	}
	return types.DefaultTypeAdapter.NativeToValue(out)
}

// regoFlags is S3-001 in Rego.
const regoFlags = `package ackguard.s3

flags := ["blockPublicACLs", "ignorePublicACLs", "blockPublicPolicy", "restrictPublicBuckets"]

deny contains "spec.publicAccessBlock is not set" if not input.spec.publicAccessBlock

deny contains msg if {
	some f in flags
	object.get(input.spec, ["publicAccessBlock", f], false) != true
	msg := sprintf("spec.publicAccessBlock.%s is not true", [f])
}
`

// regoPublic is the public-principal check in Rego.
const regoPublic = `
deny contains msg if {
	doc := json.unmarshal(input.spec.policy)
	some i, s in statements(doc)
	s.Effect == "Allow"
	public_principal(s.Principal)
	not restricted(s)
	msg := sprintf("spec.policy statement %d grants access to the public", [i])
}

statements(doc) := doc.Statement if is_array(doc.Statement)

statements(doc) := [doc.Statement] if is_object(doc.Statement)

public_principal(p) if p == "*"

public_principal(p) if p.AWS == "*"

public_principal(p) if {
	is_array(p.AWS)
	"*" in p.AWS
}

public_principal(p) if p.Federated

positive_ops := {"StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike", "IpAddress"}

restricted(s) if {
	some op, kv in s.Condition
	op in positive_ops
	some k, v in kv
	lower(k) in data.restricting_keys
	fixed(v)
}

fixed(v) if fixed_string(v)

fixed(v) if {
	is_array(v)
	count(v) > 0
	every x in v {
		fixed_string(x)
	}
}

fixed_string(x) if {
	is_string(x)
	not contains(x, "*")
	not contains(x, "?")
	not contains(x, "${")
}
`

// RegoFlags is S3-001 in Rego.
func RegoFlags(ctx context.Context) (Verdict, error) {
	return regoVerdict(ctx, regoFlags)
}

// RegoPolicy is S3-001 and the public-principal check in Rego.
func RegoPolicy(ctx context.Context) (Verdict, error) {
	return regoVerdict(ctx, regoFlags+regoPublic)
}

func regoVerdict(ctx context.Context, module string) (Verdict, error) {
	keys := make([]any, 0)
	for _, k := range restrictingKeys() {
		keys = append(keys, k)
	}
	pq, err := rego.New(
		rego.Query("data.ackguard.s3.deny"),
		rego.Module("s3.rego", module),
		rego.Store(inmem.NewFromObject(map[string]any{"restricting_keys": keys})),
	).PrepareForEval(ctx)
	if err != nil {
		return nil, err
	}
	return func(obj map[string]any) (bool, error) {
		rs, err := pq.Eval(ctx, rego.EvalInput(obj))
		if err != nil {
			return true, err
		}
		if len(rs) != 1 || len(rs[0].Expressions) != 1 {
			return true, fmt.Errorf("unexpected result set %v", rs)
		}
		msgs, ok := rs[0].Expressions[0].Value.([]any)
		if !ok {
			return true, fmt.Errorf("deny is %T", rs[0].Expressions[0].Value)
		}
		return len(msgs) > 0, nil
	}, nil
}
