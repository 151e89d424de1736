package controllers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/ackguard/ackguard/api/v1alpha1"
	"github.com/ackguard/ackguard/internal/localcluster"
)

// `kubectl get guardrailpolicies` and `kubectl get guardrailexceptions`
// show what an admin needs at a glance: the API server's Table answer (what
// kubectl prints) carries the columns and their values.
func TestPrinterColumns(t *testing.T) {
	suite.Start(t)
	p := localcluster.Policy("columns", map[string]string{"columns-test": "none"}, nil)
	// Names a rule of a newer version: in force, Ready, UnknownNamesIgnored.
	newer := localcluster.Policy("columns-newer", map[string]string{"columns-test": "none"}, map[string]v1alpha1.Action{"S3-999": v1alpha1.Audit})
	cluster.WithPolicies(ctx, t, p, newer)
	ns := newNamespace(t)
	expires := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	ex := &v1alpha1.GuardrailException{
		ObjectMeta: metav1.ObjectMeta{Name: "columns", Namespace: ns},
		Spec: v1alpha1.GuardrailExceptionSpec{
			Rules: []string{"S3-001"},
			Resources: []v1alpha1.ResourceRef{
				{APIGroup: "s3.services.k8s.aws", Kind: "Bucket", Name: "site"},
				{APIGroup: "iam.services.k8s.aws", Kind: "Role", Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "site"}}},
			},
			Reason:    "SEC-7 public site",
			ExpiresAt: metav1.NewTime(expires),
		},
	}
	create(t, ex)
	cs, err := kubernetes.NewForConfig(cluster.Config)
	if err != nil {
		t.Fatal(err)
	}
	table := func(path string) (header []string, row map[string]string) {
		raw, err := cs.RESTClient().Get().AbsPath(path).
			SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").DoRaw(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var tb metav1.Table
		if err := json.Unmarshal(raw, &tb); err != nil {
			t.Fatal(err)
		}
		row = map[string]string{}
		for _, c := range tb.ColumnDefinitions {
			header = append(header, c.Name)
		}
		if len(tb.Rows) == 1 {
			for i, c := range tb.ColumnDefinitions {
				row[c.Name] = fmt.Sprint(tb.Rows[0].Cells[i])
			}
		}
		return header, row
	}
	var header []string
	var row map[string]string
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 20*time.Second, true, func(context.Context) (bool, error) {
		header, row = table("/apis/policy.ackguard.dev/v1alpha1/guardrailpolicies/columns")
		return row["Ready"] == "True", nil
	})
	if err != nil {
		t.Errorf("policy row %v: Ready never True", row)
	}
	if got := strings.Join(header, ","); got != "Name,Default,Ready,Reason,Matched,Failing,Remediated,Age" {
		t.Errorf("policy columns %s", got)
	}
	if row["Default"] != "CatalogDefault" || row["Reason"] != v1alpha1.ReasonValid || row["Matched"] != "0" {
		t.Errorf("policy row %v", row)
	}
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 20*time.Second, true, func(context.Context) (bool, error) {
		header, row = table("/apis/policy.ackguard.dev/v1alpha1/namespaces/" + ns + "/guardrailexceptions/columns")
		return row["State"] == v1alpha1.ExceptionActive, nil
	})
	if err != nil {
		t.Errorf("exception row %v: State never Active", row)
	}
	if got := strings.Join(header, ","); got != "Name,Rules,Resources,Expires,State,Reason,Age" {
		t.Errorf("exception columns %s", got)
	}
	if !strings.Contains(row["Rules"], "S3-001") || row["Expires"] != expires.Format(time.RFC3339) || row["Reason"] != "SEC-7 public site" {
		t.Errorf("exception row %v", row)
	}
	// Every resource, of every kind: a JSONPath that picks one field of
	// each ([*].kind) shows only the first in the API server's Table.
	for _, want := range []string{`"kind":"Bucket","name":"site"`, `"kind":"Role","selector":{"matchLabels":{"app":"site"}}`} {
		if !strings.Contains(row["Resources"], want) {
			t.Errorf("exception's Resources %q does not show %s", row["Resources"], want)
		}
	}
	// The Ready reason tells a policy in force that ignores names of a
	// newer version from a valid one, both Ready.
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 20*time.Second, true, func(context.Context) (bool, error) {
		_, row = table("/apis/policy.ackguard.dev/v1alpha1/guardrailpolicies/columns-newer")
		return row["Reason"] == v1alpha1.ReasonUnknownNamesIgnored, nil
	})
	if err != nil || row["Ready"] != "True" {
		t.Errorf("policy row %v: want Ready True, Reason %s", row, v1alpha1.ReasonUnknownNamesIgnored)
	}
}
