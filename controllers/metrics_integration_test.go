package controllers_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/ackguard/ackguard/api/v1alpha1"
	"github.com/ackguard/ackguard/internal/metrics"
	"github.com/ackguard/ackguard/internal/rules"
)

// The manager's metrics endpoint exposes ackguard's metrics: remediations,
// open violations and exceptions by state, scraped over HTTP as Prometheus
// would.
func TestMetricsExposed(t *testing.T) {
	suite.Start(t)
	ns := newNamespace(t)
	ex := &v1alpha1.GuardrailException{
		ObjectMeta: metav1.ObjectMeta{Name: "metrics", Namespace: ns},
		Spec: v1alpha1.GuardrailExceptionSpec{
			Rules:     []string{"S3-005"},
			Resources: []v1alpha1.ResourceRef{{APIGroup: "s3.services.k8s.aws", Kind: "Bucket", Name: "metrics"}},
			Reason:    "metrics test",
			ExpiresAt: metav1.NewTime(time.Now().Add(time.Hour)),
		},
	}
	create(t, ex)
	create(t, openBucket(ns, "metrics"))
	want := []string{
		`ackguard_remediations_total{kind="Bucket",outcome="applied",rule="S3-001"}`,
		`ackguard_violations_open{kind="Bucket",rule=`,
		`ackguard_exceptions{state="active"}`,
	}
	var body string
	err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, 20*time.Second, true, func(context.Context) (bool, error) {
		resp, err := http.Get("http://" + metricsAddr + "/metrics")
		if err != nil {
			return false, nil
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			return false, nil
		}
		body = string(b)
		for _, w := range want {
			if !strings.Contains(body, w) {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Errorf("metrics endpoint lacks %s", w)
			}
		}
	}
}

// Every outcome of every fixable rule of a watched kind is exported from
// the start, at zero until it happens: an alert on the counter
// (increase(ackguard_remediations_total{outcome="failed"}[30m]) > 0)
// sees no increase in a series that first appears at 1, so without it
// the first failure of a rule would never fire it.
func TestRemediationOutcomesAreExportedBeforeTheyHappen(t *testing.T) {
	suite.Start(t)
	families, err := crmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	have := map[[3]string]bool{}
	for _, f := range families {
		if f.GetName() != "ackguard_remediations_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			have[[3]string{labelValue(m, "kind"), labelValue(m, "rule"), labelValue(m, "outcome")}] = true
		}
	}
	kinds := ackguard.Kinds.Started()
	if len(kinds) == 0 {
		t.Fatal("no kind watched")
	}
	checked := 0
	for _, gvk := range kinds {
		for _, rule := range rules.Default().RulesFor(gvk.GroupKind()) {
			if rule.Fixer == nil {
				continue
			}
			for _, outcome := range metrics.RemediationOutcomes {
				checked++
				if !have[[3]string{gvk.Kind, rule.ID, outcome}] {
					t.Errorf("no ackguard_remediations_total{kind=%q,rule=%q,outcome=%q}", gvk.Kind, rule.ID, outcome)
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no fixable rule among the watched kinds")
	}
}

// ackguard_exceptions exports every state from the start, at zero while
// no exception has it (also while there is none at all).
func TestExceptionStatesAreExportedAtZero(t *testing.T) {
	suite.Start(t)
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 10*time.Second, true, func(context.Context) (bool, error) {
		families, err := crmetrics.Registry.Gather()
		if err != nil {
			return false, err
		}
		have := map[string]bool{}
		for _, f := range families {
			if f.GetName() == "ackguard_exceptions" {
				for _, m := range f.GetMetric() {
					have[labelValue(m, "state")] = true
				}
			}
		}
		for _, s := range metrics.ExceptionStates {
			if !have[s] {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		t.Errorf("ackguard_exceptions does not export every state of %v", metrics.ExceptionStates)
	}
}
