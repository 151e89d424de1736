package governance

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/ackguard/ackguard/api/v1alpha1"
)

func TestExceptions(t *testing.T) {
	dev := map[string]string{"env": "dev"}
	exp := t0.Add(7 * day)
	s3001 := []string{"S3-001"}
	tests := []struct {
		name     string
		pols     []v1alpha1.GuardrailPolicy
		excs     []v1alpha1.GuardrailException
		obj      map[string]any // default: insecure bucket b in team-a, env=dev
		exempted map[string]string
		next     time.Time
	}{
		{
			name:     "secure: honoured by name",
			excs:     exceptions(exception("team-a", "b", s3001, exp)),
			exempted: map[string]string{"S3-001": "ex-b"},
			next:     exp,
		},
		{
			name:     "secure: honoured under an explicit policy",
			pols:     policies(policy("p", rule("S3-001", v1alpha1.Deny))),
			excs:     exceptions(exception("team-a", "b", s3001, exp)),
			exempted: map[string]string{"S3-001": "ex-b"},
			next:     exp,
		},
		{
			name:     "secure: one exception for two rules",
			excs:     exceptions(exception("team-a", "b", []string{"S3-006", "S3-001"}, exp)),
			exempted: map[string]string{"S3-001": "ex-b", "S3-006": "ex-b"},
			next:     exp,
		},
		{
			name: "insecure: not honoured at its expiry",
			excs: exceptions(exception("team-a", "b", s3001, t0)),
		},
		{
			name: "insecure: not honoured after its expiry",
			excs: exceptions(exception("team-a", "b", s3001, t0.Add(-time.Hour))),
		},
		{
			name:     "tricky: honoured up to the last nanosecond",
			excs:     exceptions(exception("team-a", "b", s3001, t0.Add(time.Nanosecond))),
			exempted: map[string]string{"S3-001": "ex-b"},
			next:     t0.Add(time.Nanosecond),
		},
		{
			name:     "insecure: another rule",
			excs:     exceptions(exception("team-a", "b", []string{"S3-006"}, exp)),
			exempted: map[string]string{"S3-006": "ex-b"},
			next:     exp,
		},
		{
			name: "insecure: another name",
			excs: exceptions(exception("team-a", "other", s3001, exp)),
		},
		{
			name: "insecure: another namespace",
			excs: exceptions(exception("team-b", "b", s3001, exp)),
		},
		{
			name: "insecure: another kind with the same name",
			excs: exceptions(exception("team-a", "b", s3001, exp, resources(byName(dbGK, "b")))),
		},
		{
			name: "tricky: same kind in another group",
			excs: exceptions(exception("team-a", "b", s3001, exp, resources(byName(schema.GroupKind{Group: "s3.example.com", Kind: "Bucket"}, "b")))),
		},
		{
			name: "tricky: rule of another kind does not exempt",
			excs: exceptions(exception("team-a", "b", []string{"RDS-001"}, exp)),
		},
		{
			name:     "secure: selector matches the labels",
			excs:     exceptions(exception("team-a", "sel", s3001, exp, resources(bySelector(bucketGK, matchLabels("env", "dev"))))),
			exempted: map[string]string{"S3-001": "ex-sel"},
			next:     exp,
		},
		{
			name: "insecure: selector does not match",
			excs: exceptions(exception("team-a", "sel", s3001, exp, resources(bySelector(bucketGK, matchLabels("env", "prod"))))),
		},
		{
			name: "insecure: selector on an unlabelled bucket",
			excs: exceptions(exception("team-a", "sel", s3001, exp, resources(bySelector(bucketGK, matchLabels("env", "dev"))))),
			obj:  insecureBucket("team-a", "b", nil),
		},
		{
			name: "tricky: invalid selector matches nothing",
			excs: exceptions(exception("team-a", "sel", s3001, exp, resources(bySelector(bucketGK, badSelector())))),
		},
		{
			name:     "tricky: empty selector matches every bucket",
			excs:     exceptions(exception("team-a", "sel", s3001, exp, resources(bySelector(bucketGK, &metav1.LabelSelector{})))),
			obj:      insecureBucket("team-a", "b", nil),
			exempted: map[string]string{"S3-001": "ex-sel"},
			next:     exp,
		},
		{
			name: "tricky: selector of another kind",
			excs: exceptions(exception("team-a", "sel", s3001, exp, resources(bySelector(dbGK, matchLabels("env", "dev"))))),
		},
		{
			name:     "tricky: second resource matches",
			excs:     exceptions(exception("team-a", "b", s3001, exp, resources(byName(dbGK, "b"), byName(bucketGK, "x"), byName(bucketGK, "b")))),
			exempted: map[string]string{"S3-001": "ex-b"},
			next:     exp,
		},
		{
			name: "tricky: NextChange is the earliest expiry among applied exceptions",
			excs: exceptions(
				exception("team-a", "b", s3001, t0.Add(3*day), exName("late")),
				exception("team-a", "b", []string{"S3-006"}, t0.Add(2*day), exName("early")),
				exception("team-a", "b", []string{"S3-005"}, t0.Add(time.Hour), exName("unused")),
			),
			exempted: map[string]string{"S3-001": "late", "S3-006": "early"},
			next:     t0.Add(2 * day),
		},
		{
			name: "tricky: expired exception does not hide an active one",
			excs: exceptions(
				exception("team-a", "b", s3001, t0.Add(-day), exName("old"), created(t0.Add(-10*day))),
				exception("team-a", "b", s3001, t0.Add(day), exName("new")),
			),
			exempted: map[string]string{"S3-001": "new"},
			next:     t0.Add(day),
		},
		{
			name: "insecure: longer than the policy's maxDuration is not honoured",
			pols: policies(policy("p", maxDuration(7*day))),
			// Created a day ago, runs 8 days.
			excs: exceptions(exception("team-a", "b", s3001, t0.Add(7*day))),
		},
		{
			name:     "secure: exactly the policy's maxDuration is honoured",
			pols:     policies(policy("p", maxDuration(7*day))),
			excs:     exceptions(exception("team-a", "b", s3001, t0.Add(6*day))),
			exempted: map[string]string{"S3-001": "ex-b"},
			next:     t0.Add(6 * day),
		},
		{
			name: "insecure: longer than the default 90 days",
			excs: exceptions(exception("team-a", "b", s3001, t0.Add(90*day))),
		},
		{
			name: "tricky: the shortest maxDuration of the selecting policies applies",
			pols: policies(policy("long", maxDuration(60*day)), policy("short", maxDuration(5*day))),
			excs: exceptions(exception("team-a", "b", s3001, t0.Add(10*day))),
		},
		{
			name:     "tricky: a policy of another namespace does not shorten the maximum",
			pols:     policies(policy("all"), policy("elsewhere", nsLabels("team", "b"), maxDuration(day))),
			excs:     exceptions(exception("team-a", "b", s3001, t0.Add(10*day))),
			exempted: map[string]string{"S3-001": "ex-b"},
			next:     t0.Add(10 * day),
		},
		{
			// The maximum is the namespace's, as ExceptionState and
			// ValidateException report it, even when the policy setting it
			// selects other kinds only: an exception reported Invalid must
			// never be honoured.
			name: "tricky: a namespace's maximum holds for every kind in it",
			pols: policies(policy("all"), policy("roles", kinds(roleGK), maxDuration(7*day))),
			excs: exceptions(exception("team-a", "b", s3001, t0.Add(20*day))),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := tt.obj
			if obj == nil {
				obj = insecureBucket("team-a", "b", dev)
			}
			ns := nsOf("team-a")
			e := New(reg, Defaults{}, tt.pols, tt.excs)
			j := e.Judge(obj, ns, t0, nil)
			for _, r := range j.Results {
				want, exempt := tt.exempted[r.RuleID]
				if !exempt {
					if r.Exception != nil {
						t.Errorf("%s exempted by %s", r.RuleID, r.Exception.Name)
					}
					continue
				}
				if r.Exception == nil {
					t.Errorf("%s not exempted, want %s", r.RuleID, want)
					continue
				}
				if r.Exception.Name != want || r.Exception.Namespace != "team-a" || r.Exception.Reason != "TICKET-42: legacy bucket" {
					t.Errorf("%s exception %+v", r.RuleID, *r.Exception)
				}
				if r.Denies() || r.Fix {
					t.Errorf("%s exempted but Denies %v Fix %v", r.RuleID, r.Denies(), r.Fix)
				}
				// The action the policies set is still reported.
				if r.Action == v1alpha1.Disabled || r.Action == "" {
					t.Errorf("%s action %q", r.RuleID, r.Action)
				}
				// The exempting exception must be reported in force.
				for _, ex := range tt.excs {
					if ex.Name == want {
						if st, msg := e.ExceptionState(&ex, ns, t0); st != v1alpha1.ExceptionActive {
							t.Errorf("%s honoured, but its state is %s: %s", want, st, msg)
						}
						if !r.Exception.ExpiresAt.Equal(ex.Spec.ExpiresAt.Time) {
							t.Errorf("ExpiresAt %v, want %v", r.Exception.ExpiresAt, ex.Spec.ExpiresAt)
						}
					}
				}
			}
			for id := range tt.exempted {
				if result(j, id) == nil {
					t.Errorf("%s has no result to exempt", id)
				}
			}
			if !j.NextChange.Equal(tt.next) {
				t.Errorf("NextChange %v, want %v", j.NextChange, tt.next)
			}
			// Exempted findings neither deny nor fix.
			for _, d := range j.Denials() {
				if _, ok := tt.exempted[d.RuleID]; ok {
					t.Errorf("%s denies though exempted", d.RuleID)
				}
			}
			for _, id := range j.FixRules() {
				if _, ok := tt.exempted[id]; ok {
					t.Errorf("%s fixed though exempted", id)
				}
			}
			// An exception never exempts from something it is not
			// reported Active for (consistency of status and judgement).
			for _, ex := range tt.excs {
				if st, _ := e.ExceptionState(&ex, ns, t0); st == v1alpha1.ExceptionActive {
					continue
				}
				for _, r := range j.Results {
					if r.Exception != nil && r.Exception.Name == ex.Name && r.Exception.Namespace == ex.Namespace {
						t.Errorf("%s honoured but not Active", ex.Name)
					}
				}
			}
		})
	}
}

// An exempted judgement: the whole shape.
func TestExceptionHonouredShape(t *testing.T) {
	exp := t0.Add(3 * day)
	e := New(reg, Defaults{}, nil, exceptions(exception("team-a", "b", []string{"S3-001"}, exp)))
	j := e.Judge(insecureBucket("team-a", "b", nil), nsOf("team-a"), t0, nil)
	checkResult(t, j, expect{rule: "S3-001", admission: DenyAdmission, action: v1alpha1.Enforce,
		admPolicy: "baseline", fixPolicy: "baseline", exception: "ex-b"})
	checkResult(t, j, remediated("S3-006", "baseline"))
	r := result(j, "S3-001")
	if r.Exception.Namespace != "team-a" || r.Exception.Name != "ex-b" || r.Exception.Reason != "TICKET-42: legacy bucket" || !r.Exception.ExpiresAt.Equal(exp) {
		t.Errorf("ExceptionRef %+v", *r.Exception)
	}
	if len(j.Denials()) != 0 {
		t.Errorf("Denials %v", j.Denials())
	}
	if got := j.FixRules(); len(got) != 1 || got[0] != "S3-006" {
		t.Errorf("FixRules %v", got)
	}
	if !j.NextChange.Equal(exp) {
		t.Errorf("NextChange %v", j.NextChange)
	}
	// Judged again at the expiry: the exception is gone.
	j = e.Judge(insecureBucket("team-a", "b", nil), nsOf("team-a"), exp, nil)
	checkResult(t, j, enforced("S3-001", "baseline"))
	if !j.NextChange.IsZero() {
		t.Errorf("NextChange %v after expiry", j.NextChange)
	}
}

func TestMaxExceptionDuration(t *testing.T) {
	tests := []struct {
		name string
		pols []v1alpha1.GuardrailPolicy
		ns   Namespace
		want time.Duration
	}{
		{name: "secure: no policy gives 90 days", ns: nsOf("team-a"), want: 90 * day},
		{name: "secure: one policy", pols: policies(policy("p", maxDuration(7*day))), ns: nsOf("team-a"), want: 7 * day},
		{name: "insecure: shortest of the selecting policies", pols: policies(policy("a", maxDuration(30*day)), policy("b", maxDuration(14*day)), policy("c")), ns: nsOf("team-a"), want: 14 * day},
		{name: "insecure: a policy may allow more than 90 days", pols: policies(policy("p", maxDuration(180*day))), ns: nsOf("team-a"), want: 180 * day},
		{name: "tricky: policy of another namespace is ignored", pols: policies(policy("a", nsLabels("team", "b"), maxDuration(day)), policy("b", maxDuration(30*day))), ns: nsOf("team-a", "team", "a"), want: 30 * day},
		{name: "tricky: by kubernetes.io/metadata.name", pols: policies(policy("a", nsLabels("kubernetes.io/metadata.name", "team-a"), maxDuration(day))), ns: nsOf("team-a"), want: day},
		{name: "tricky: no policy selects the namespace", pols: policies(policy("a", nsLabels("team", "b"), maxDuration(day))), ns: nsOf("team-a"), want: 90 * day},
		{name: "tricky: zero maxDuration means the default", pols: policies(policy("a", maxDuration(0))), ns: nsOf("team-a"), want: 90 * day},
		{name: "tricky: negative maxDuration means the default", pols: policies(policy("a", maxDuration(-day)), policy("b", maxDuration(100*day))), ns: nsOf("team-a"), want: 90 * day},
		{name: "tricky: unusable policy is ignored", pols: policies(policy("a", objSelector(badSelector()), maxDuration(day))), ns: nsOf("team-a"), want: 90 * day},
		{name: "tricky: kinds and selector do not matter", pols: policies(policy("a", kinds(roleGK), objLabels("x", "y"), maxDuration(2*day))), ns: nsOf("team-a"), want: 2 * day},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := New(reg, Defaults{}, tt.pols, nil)
			if got := e.MaxExceptionDuration(tt.ns); got != tt.want {
				t.Errorf("MaxExceptionDuration = %v, want %v", got, tt.want)
			}
		})
	}
	if DefaultMaxExceptionDuration != 90*day {
		t.Errorf("DefaultMaxExceptionDuration = %v", DefaultMaxExceptionDuration)
	}
}

func TestExceptionState(t *testing.T) {
	e := New(reg, Defaults{}, policies(policy("p", maxDuration(30*day))), nil)
	ns := nsOf("team-a")
	tests := []struct {
		name  string
		ex    v1alpha1.GuardrailException
		state string
		msg   string
	}{
		{name: "secure: active", ex: exception("team-a", "b", []string{"S3-001"}, t0.Add(day)), state: v1alpha1.ExceptionActive, msg: "in force until 2025-06-02T12:00:00Z"},
		{name: "insecure: expired", ex: exception("team-a", "b", []string{"S3-001"}, t0.Add(-time.Second)), state: v1alpha1.ExceptionExpired, msg: "expired at 2025-06-01T11:59:59Z"},
		{name: "insecure: expires now", ex: exception("team-a", "b", []string{"S3-001"}, t0), state: v1alpha1.ExceptionExpired},
		{name: "insecure: too long", ex: exception("team-a", "b", []string{"S3-001"}, t0.Add(30*day)), state: v1alpha1.ExceptionInvalid, msg: "more than the maximum 720h0m0s after 2025-05-31T12:00:00Z"},
		{name: "tricky: exactly the maximum from creation", ex: exception("team-a", "b", []string{"S3-001"}, t0.Add(29*day)), state: v1alpha1.ExceptionActive},
		{name: "tricky: not yet created counts from now", ex: exception("team-a", "b", []string{"S3-001"}, t0.Add(30*day), created(time.Time{})), state: v1alpha1.ExceptionActive},
		{name: "tricky: no expiry is invalid", ex: exception("team-a", "b", []string{"S3-001"}, time.Time{}), state: v1alpha1.ExceptionInvalid, msg: "set an expiry"},
		{name: "tricky: expired wins over too long", ex: exception("team-a", "b", []string{"S3-001"}, t0.Add(-day), created(t0.Add(-400*day))), state: v1alpha1.ExceptionExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex := tt.ex
			st, msg := e.ExceptionState(&ex, ns, t0)
			if st != tt.state || !strings.Contains(msg, tt.msg) {
				t.Errorf("ExceptionState = %s %q, want %s %q", st, msg, tt.state, tt.msg)
			}
		})
	}
}

func TestValidateException(t *testing.T) {
	e := New(reg, Defaults{}, policies(policy("p", maxDuration(30*day))), nil)
	ns := nsOf("team-a")
	// A new exception: not created yet, so its duration counts from now.
	fresh := func(opts ...exceptionOpt) v1alpha1.GuardrailException {
		return exception("team-a", "b", []string{"S3-001"}, t0.Add(10*day), append([]exceptionOpt{created(time.Time{})}, opts...)...)
	}
	tests := []struct {
		name     string
		ex       v1alpha1.GuardrailException
		problems [][]string
	}{
		{name: "secure: valid by name", ex: fresh()},
		{name: "secure: valid by selector", ex: fresh(resources(bySelector(bucketGK, matchLabels("env", "dev"))))},
		{name: "secure: exactly the maximum", ex: exception("team-a", "b", []string{"S3-001"}, t0.Add(30*day), created(time.Time{}))},
		{name: "insecure: unknown rule", ex: func() v1alpha1.GuardrailException {
			ex := fresh()
			ex.Spec.Rules = []string{"S3-001", "S3-999"}
			return ex
		}(), problems: [][]string{{"spec.rules[1]", "no rule S3-999"}}},
		{name: "insecure: no rule", ex: func() v1alpha1.GuardrailException {
			ex := fresh()
			ex.Spec.Rules = nil
			return ex
		}(), problems: [][]string{{"spec.rules", "at least one rule"}}},
		{name: "insecure: unguarded kind", ex: fresh(resources(byName(schema.GroupKind{Group: "apps", Kind: "Deployment"}, "web"))),
			problems: [][]string{{"spec.resources[0]", "no kind Deployment.apps"}}},
		{name: "insecure: no resources", ex: fresh(resources()), problems: [][]string{{"spec.resources", "at least one resource"}}},
		{name: "insecure: blank reason", ex: fresh(reason(" \t\n")), problems: [][]string{{"spec.reason"}}},
		{name: "insecure: empty reason", ex: fresh(reason("")), problems: [][]string{{"spec.reason"}}},
		{name: "insecure: expiry in the past", ex: exception("team-a", "b", []string{"S3-001"}, t0.Add(-time.Minute), created(time.Time{})),
			problems: [][]string{{"spec.expiresAt", "expired at"}}},
		{name: "insecure: expiry now", ex: exception("team-a", "b", []string{"S3-001"}, t0, created(time.Time{})),
			problems: [][]string{{"spec.expiresAt", "expired"}}},
		{name: "insecure: beyond the maximum", ex: exception("team-a", "b", []string{"S3-001"}, t0.Add(31*day), created(time.Time{})),
			problems: [][]string{{"spec.expiresAt", "maximum 720h0m0s"}}},
		{name: "tricky: beyond the maximum from its creation on update", ex: exception("team-a", "b", []string{"S3-001"}, t0.Add(25*day), created(t0.Add(-10*day))),
			problems: [][]string{{"spec.expiresAt", "maximum"}}},
		{name: "tricky: no expiry", ex: exception("team-a", "b", []string{"S3-001"}, time.Time{}), problems: [][]string{{"spec.expiresAt", "set an expiry"}}},
		{name: "tricky: name and selector both set", ex: fresh(resources(v1alpha1.ResourceRef{APIGroup: bucketGK.Group, Kind: "Bucket", Name: "b", Selector: matchLabels("env", "dev")})),
			problems: [][]string{{"spec.resources[0]", "exactly one of name and selector"}}},
		{name: "tricky: neither name nor selector", ex: fresh(resources(byName(bucketGK, "b"), v1alpha1.ResourceRef{APIGroup: bucketGK.Group, Kind: "Bucket"})),
			problems: [][]string{{"spec.resources[1]", "exactly one of name and selector"}}},
		// An ACK object's name is a DNS subdomain (lowercase, no "_",
		// no "*"): a name that is not one, an AWS name such as an IAM
		// role's or a wildcard, matches nothing, ever.
		{name: "insecure: name that no object can have (an AWS name)", ex: func() v1alpha1.GuardrailException {
			ex := fresh(resources(byName(schema.GroupKind{Group: "iam.services.k8s.aws", Kind: "Role"}, "Deploy_Role")))
			ex.Spec.Rules = []string{"IAM-014"}
			return ex
		}(), problems: [][]string{{"spec.resources[0].name", "not the name of a Kubernetes object"}}},
		{name: "insecure: wildcard name", ex: fresh(resources(byName(bucketGK, "b"), byName(bucketGK, "*"))),
			problems: [][]string{{"spec.resources[1].name", `"*" is not the name of a Kubernetes object`}}},
		{name: "secure: a name with dots", ex: fresh(resources(byName(bucketGK, "logs.example.com")))},
		{name: "tricky: invalid selector", ex: fresh(resources(bySelector(bucketGK, badSelector()))),
			problems: [][]string{{"spec.resources[0].selector"}}},
		{name: "tricky: several problems at once", ex: func() v1alpha1.GuardrailException {
			ex := exception("team-a", "b", []string{"NOPE-001"}, t0.Add(-day), created(time.Time{}), reason(""),
				resources(v1alpha1.ResourceRef{APIGroup: "apps", Kind: "Deployment"}))
			return ex
		}(), problems: [][]string{{"no rule NOPE-001"}, {"no kind Deployment.apps"}, {"exactly one of name and selector"}, {"spec.reason"}, {"spec.expiresAt"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex := tt.ex
			got := e.ValidateException(reg, &ex, ns, t0)
			if len(got) != len(tt.problems) {
				t.Errorf("problems %q, want %d", got, len(tt.problems))
			}
			for _, subs := range tt.problems {
				if !hasProblem(got, subs...) {
					t.Errorf("no problem with %q in %q", subs, got)
				}
			}
		})
	}
	// The maximum is the namespace's: a namespace no short policy selects
	// allows the default 90 days.
	e2 := New(reg, Defaults{}, policies(policy("short", nsLabels("team", "a"), maxDuration(day)), policy("all")), nil)
	long := exception("team-b", "b", []string{"S3-001"}, t0.Add(60*day), created(time.Time{}))
	if p := e2.ValidateException(reg, &long, nsOf("team-b", "team", "b"), t0); len(p) != 0 {
		t.Errorf("team-b problems %q", p)
	}
	if p := e2.ValidateException(reg, &long, nsOf("team-a", "team", "a"), t0); !hasProblem(p, "spec.expiresAt", "maximum 24h0m0s") {
		t.Errorf("team-a problems %q", p)
	}
}
