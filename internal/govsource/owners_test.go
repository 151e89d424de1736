package govsource

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ackguard/ackguard/api/v1alpha1"
	"github.com/ackguard/ackguard/internal/governance"
	"github.com/ackguard/ackguard/internal/owners"
	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/view"
)

const ownAccount = "111122223333"

// roleTrustingOwnAccount is a Role whose trust policy names the account
// the cluster's ACK controllers work in: IAM-011 denies it unless that
// account is known as an owner account.
func roleTrustingOwnAccount(ns string) map[string]any {
	return map[string]any{
		"apiVersion": "iam.services.k8s.aws/v1alpha1", "kind": "Role",
		"metadata": map[string]any{"name": "app", "namespace": ns},
		"spec": map[string]any{
			"name":                     "app",
			"assumeRolePolicyDocument": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + ownAccount + `:root"},"Action":"sts:AssumeRole"}]}`,
		},
	}
}

func deniesIAM011(s *Snapshot, ns string) bool {
	d := s.Engine().Admit(governance.Request{Operation: governance.Create, Object: roleTrustingOwnAccount(ns), Namespace: governance.Namespace{Name: ns}, Now: time.Now()})
	for _, r := range d.Denials {
		if r.RuleID == "IAM-011" {
			return true
		}
	}
	return false
}

func TestOwnerAccountsLearnedFromACK(t *testing.T) {
	t.Run("nothing known: the own account is external", func(t *testing.T) {
		s, _ := newTestSnapshot()
		if !deniesIAM011(s, "team-a") {
			t.Fatal("IAM-011 does not deny a trust of an unknown account: the test proves nothing")
		}
	})
	t.Run("flag", func(t *testing.T) {
		s := NewSnapshot(registry, governance.Defaults{Config: rules.Config{OwnerAccounts: []string{ownAccount}}})
		s.reader = memStore{}
		if deniesIAM011(s, "team-a") {
			t.Fatal("denied although --owner-account names the account")
		}
	})
	t.Run("namespace annotation", func(t *testing.T) {
		s, m := newTestSnapshot()
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team-a", Annotations: map[string]string{view.AnnotationOwnerAccountID: ownAccount}}}
		m.put(s, ns)
		if deniesIAM011(s, "team-a") {
			t.Fatal("denied although the namespace's owner-account annotation names the account")
		}
		checkOrigin(t, s, owners.Origin{Source: owners.FromNamespace, Name: "team-a"})
		// The annotation goes: so does the account.
		ns = ns.DeepCopy()
		ns.Annotations = nil
		m.put(s, ns)
		if !deniesIAM011(s, "team-a") {
			t.Fatal("the account outlived the annotation that named it")
		}
	})
	t.Run("cross-account role map", func(t *testing.T) {
		s, m := newTestSnapshot()
		m[memKey{reflect.TypeOf(&corev1.ConfigMap{}), client.ObjectKey{Namespace: "ack-system", Name: owners.AccountMapName}}] = &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Namespace: "ack-system", Name: owners.AccountMapName},
			Data:       map[string]string{ownAccount: "arn:aws:iam::" + ownAccount + ":role/ack"},
		}
		carm := &CARM{Reader: m, Namespace: "ack-system", Snapshot: s}
		carm.Sync(context.Background())
		if deniesIAM011(s, "team-a") {
			t.Fatal("denied although ACK's cross-account role map names the account")
		}
		checkOrigin(t, s, owners.Origin{Source: owners.FromCARM, Name: "ack-system/" + owners.AccountMapName})
		delete(m, memKey{reflect.TypeOf(&corev1.ConfigMap{}), client.ObjectKey{Namespace: "ack-system", Name: owners.AccountMapName}})
		carm.Sync(context.Background())
		if !deniesIAM011(s, "team-a") {
			t.Fatal("the account outlived the role map that named it")
		}
	})
	t.Run("status of a synced resource", func(t *testing.T) {
		s, _ := newTestSnapshot()
		gvk := schema.GroupVersionKind{Group: "s3.services.k8s.aws", Version: "v1alpha1", Kind: "Bucket"}
		key := client.ObjectKey{Namespace: "team-b", Name: "logs"}
		s.ObserveStatus(gvk, key, map[string]any{"status": map[string]any{"ackResourceMetadata": map[string]any{"ownerAccountID": ownAccount, "region": "eu-west-1"}}})
		if deniesIAM011(s, "team-a") {
			t.Fatal("denied although a synced resource's status names the account")
		}
		checkOrigin(t, s, owners.Origin{Source: owners.FromStatus, Name: "Bucket team-b/logs"})
		s.ObserveStatus(gvk, key, nil)
		if !deniesIAM011(s, "team-a") {
			t.Fatal("the account outlived the resource that named it")
		}
	})
	t.Run("status of a resource whose kind is no longer served", func(t *testing.T) {
		s, _ := newTestSnapshot()
		gvk := schema.GroupVersionKind{Group: "s3.services.k8s.aws", Version: "v1alpha1", Kind: "Bucket"}
		status := map[string]any{"status": map[string]any{"ackResourceMetadata": map[string]any{"ownerAccountID": ownAccount}}}
		s.ObserveStatus(gvk, client.ObjectKey{Namespace: "team-b", Name: "logs"}, status)
		// A kind whose name starts alike is another kind.
		s.ObserveStatus(schema.GroupVersionKind{Group: "x.services.k8s.aws", Version: "v1alpha1", Kind: "BucketPolicy"}, client.ObjectKey{Namespace: "team-b", Name: "p"},
			map[string]any{"status": map[string]any{"ackResourceMetadata": map[string]any{"ownerAccountID": "999988887777"}}})
		s.ForgetStatusOf(gvk)
		if !deniesIAM011(s, "team-a") {
			t.Fatal("the account outlived the kind whose resources named it")
		}
		if ids := s.Owners().IDs(); !slices.Equal(ids, []string{"999988887777"}) {
			t.Errorf("owner accounts %v: want those of the other kind's resources", ids)
		}
	})
	t.Run("a policy that names its owner accounts keeps them", func(t *testing.T) {
		s, m := newTestSnapshot()
		p := &v1alpha1.GuardrailPolicy{ObjectMeta: metav1.ObjectMeta{Name: "strict", Generation: 1, UID: "p1"}}
		p.Spec.Parameters.OwnerAccounts = []string{"999988887777"}
		m.put(s, p)
		m.put(s, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team-a", Annotations: map[string]string{view.AnnotationOwnerAccountID: ownAccount}}})
		if !deniesIAM011(s, "team-a") {
			t.Fatal("learned accounts overrode a policy's own ownerAccounts")
		}
	})
}

func checkOrigin(t *testing.T, s *Snapshot, want owners.Origin) {
	t.Helper()
	accts := s.Owners().Accounts()
	if len(accts) != 1 || accts[0].ID != ownAccount || !slices.Contains(accts[0].Origins, want) {
		t.Fatalf("owner accounts %v: want %s from %s", accts, ownAccount, want)
	}
}
