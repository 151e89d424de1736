package webhooks_test

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

func ackObject(group, kind, ns, name string, spec map[string]any) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": group + "/v1alpha1",
		"kind":       kind,
		"metadata":   map[string]any{"name": name, "namespace": ns},
		"spec":       spec,
	}}
}

const trustEC2 = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// An admin inline policy on a Role is denied through the API server, with
// one cause per finding, each naming the document and statement.
func TestRoleWithAdminInlinePolicyDenied(t *testing.T) {
	suite.Start(t)
	ns := newNamespace(t)
	c, _ := clientAs(t, "")
	role := ackObject("iam.services.k8s.aws", "Role", ns, "admin", map[string]any{
		"name":                     "admin",
		"assumeRolePolicyDocument": trustEC2,
		"inlinePolicies": map[string]any{
			"everything": `{"Version":"2012-10-17","Statement":[{"Sid":"All","Effect":"Allow","Action":"*","Resource":"*"}]}`,
		},
	})
	err := c.Create(ctx, role)
	if err == nil {
		t.Fatal("a Role with an admin inline policy was admitted")
	}
	got := causes(t, err)
	if !hasCause(got, "spec.inlinePolicies.everything", "IAM-001") {
		t.Errorf("causes = %q", got)
	}
	// The field names the document; the message does not name it again.
	if want := `spec.inlinePolicies.everything: Forbidden: IAM-001: Statement[0] (Sid "All") allows Action "*" on Resource "*": every action on every resource (administrator access); `; !strings.Contains(err.Error(), want) {
		t.Errorf("denial %q does not contain %q", err.Error(), want)
	}
	seen := map[string]bool{}
	for _, c := range got {
		if seen[c] {
			t.Errorf("duplicate cause %q", c)
		}
		seen[c] = true
	}
	// A least-privilege Role is admitted.
	role = ackObject("iam.services.k8s.aws", "Role", ns, "reader", map[string]any{
		"name":                     "reader",
		"assumeRolePolicyDocument": trustEC2,
		"inlinePolicies": map[string]any{
			"read": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::reports/*"}]}`,
		},
	})
	if err := c.Create(ctx, role); err != nil {
		t.Errorf("least-privilege Role denied: %v", err)
	}
}

func publicDB(ns, name string, spec map[string]any) *unstructured.Unstructured {
	base := map[string]any{
		"dbInstanceIdentifier": name, "dbInstanceClass": "db.t3.micro", "engine": "postgres",
	}
	for k, v := range spec {
		base[k] = v
	}
	return ackObject("rds.services.k8s.aws", "DBInstance", ns, name, base)
}

// RDS: a public instance is denied; ACK's own late-initialization write of
// publiclyAccessible is admitted with a warning (the reconciler fixes it);
// an immutable field is denied on CREATE and on an UPDATE that changes it,
// but never blocks an unrelated update of an existing object.
func TestRDSAdmission(t *testing.T) {
	suite.Start(t)
	ns := newNamespace(t)
	dev, _ := clientAs(t, "")
	if err := dev.Create(ctx, publicDB(ns, "public", map[string]any{"publiclyAccessible": true, "storageEncrypted": true}), client.DryRunAll); err == nil {
		t.Error("a publicly accessible DBInstance was admitted")
	} else if got := causes(t, err); !hasCause(got, "spec.publiclyAccessible", "RDS-001") {
		t.Errorf("causes = %q", got)
	}

	// The object as a developer wrote it, before ACK saw it (created by the
	// ACK controller here, as adoption would).
	ack, ackWarnings := clientAs(t, ackRDSController)
	db := publicDB(ns, "legacy", map[string]any{"publiclyAccessible": false, "storageEncrypted": false})
	if err := ack.Create(ctx, db); err != nil {
		t.Fatalf("ACK controller's write denied: %v", err)
	}
	// Late initialization: ACK writes the AWS default it observed.
	if err := unstructured.SetNestedField(db.Object, true, "spec", "publiclyAccessible"); err != nil {
		t.Fatal(err)
	}
	if err := ack.Update(ctx, db); err != nil {
		t.Fatalf("ACK's late-initialization write denied: %v", err)
	}
	if w := ackWarnings.all(); !strings.Contains(w, "RDS-001") {
		t.Errorf("ACK write not warned about: %q", w)
	}

	// An unrelated update by a developer keeps the existing (immutable)
	// storageEncrypted=false: admitted, warned.
	cur := &unstructured.Unstructured{}
	cur.SetGroupVersionKind(db.GroupVersionKind())
	if err := dev.Get(ctx, client.ObjectKeyFromObject(db), cur); err != nil {
		t.Fatal(err)
	}
	_ = unstructured.SetNestedField(cur.Object, false, "spec", "publiclyAccessible")
	if err := dev.Update(ctx, cur); err != nil {
		t.Fatalf("update fixing publiclyAccessible denied because of an existing immutable finding: %v", err)
	}
	// An UPDATE that turns encryption off is denied.
	enc := publicDB(ns, "encrypted", map[string]any{"publiclyAccessible": false, "storageEncrypted": true})
	if err := ack.Create(ctx, enc); err != nil {
		t.Fatal(err)
	}
	_ = unstructured.SetNestedField(enc.Object, false, "spec", "storageEncrypted")
	if err := dev.Update(ctx, enc); err == nil {
		t.Error("an update turning storage encryption off was admitted")
	} else if got := causes(t, err); !hasCause(got, "spec.storageEncrypted", "RDS-002") {
		t.Errorf("causes = %q", got)
	}
	// Creating an unencrypted instance is denied.
	if err := dev.Create(ctx, publicDB(ns, "plain", map[string]any{"publiclyAccessible": false, "storageEncrypted": false}), client.DryRunAll); err == nil {
		t.Error("an unencrypted DBInstance was created")
	} else if got := causes(t, err); !hasCause(got, "spec.storageEncrypted", "RDS-002") {
		t.Errorf("causes = %q", got)
	}
}
