package webhooks_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/cache"

	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/view"
)

const lambdaTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// execFunction is a Function naming its execution role by ARN: LMB-012
// lists the ACK Roles to find it.
func execFunction(ns, name string) *unstructured.Unstructured {
	return ackObject("lambda.services.k8s.aws", "Function", ns, name, map[string]any{
		"name": name, "code": map[string]any{"s3Bucket": "code", "s3Key": name + ".zip"},
		"role": "arn:aws:iam::111122223333:role/ExecRole",
	})
}

// listRoles lists the ACK Roles through the manager's resolver, waiting
// at most a second.
func listRoles() ([]map[string]any, error) {
	lctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	return ackguard.Resolver(lctx).(rules.Lister).List(view.RoleGVK)
}

// A webhook-only replica (no leader's KindWatcher) whose rules read a
// kind whose CRD is then deleted: once the kind is found gone, its
// lookups fail at once, as for a kind never installed (the Function is
// admitted with LMB-012's warning, not refused when the webhook times
// out), and its informer is removed (nothing retries its list and
// watch); installed again, the kind is read again.
func TestDeletedReferencedKindIsNotWaitedFor(t *testing.T) {
	ns := newNamespace(t)
	dev, _ := clientAs(t, "")
	role := ackObject("iam.services.k8s.aws", "Role", ns, "exec", map[string]any{"name": "ExecRole", "assumeRolePolicyDocument": lambdaTrust})
	if err := dev.Create(ctx, role.DeepCopy()); err != nil {
		t.Fatal(err)
	}
	// The webhook reads the Roles (and so starts their informer).
	if err := dev.Create(ctx, execFunction(ns, "before")); err != nil {
		t.Fatal(err)
	}
	if err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		roles, err := listRoles()
		return err == nil && len(roles) > 0, nil
	}); err != nil {
		t.Fatal("the Roles were never read through the manager's resolver")
	}
	inf, err := ackguard.GetCache().GetInformer(ctx, role, cache.BlockUntilSynced(false))
	if err != nil {
		t.Fatal(err)
	}

	// The Roles' CRD is deleted, and the Policies' too: the manager's
	// RESTMapper learned of Policies with the Roles' group, but nothing
	// has read them, so a cached read of them would start an informer
	// that never syncs.
	//
	// Whatever happens, the test ends with both CRDs installed again and
	// served, for the tests after it: one whose deletion did not finish in
	// time is waited for before it is installed again.
	var crds []*apiextensionsv1.CustomResourceDefinition
	t.Cleanup(func() {
		for _, crd := range crds {
			if err := cluster.InstallCRD(context.Background(), crd); err != nil && !apierrors.IsAlreadyExists(err) {
				t.Errorf("restoring CRD %s for the tests after this one: %v", crd.Name, err)
			}
		}
	})
	for _, name := range []string{"roles.iam.services.k8s.aws", "policies.iam.services.k8s.aws"} {
		crd, err := cluster.UninstallCRD(ctx, name)
		if crd != nil {
			crds = append(crds, crd)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	// Within a few --kind-poll-intervals (2 s here) a lookup fails at once
	// as for a kind never installed, not when its deadline passes. The
	// Policies share the Roles' group version but their CRD went second:
	// a check between the two deletions still found them served, so both
	// are waited for.
	var lerr error
	if err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		_, lerr = listRoles()
		if lerr == nil || errors.Is(lerr, context.DeadlineExceeded) {
			return false, nil
		}
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		_, _, perr := ackguard.Resolver(pctx).Get(view.PolicyGVK, ns, "any")
		return perr != nil && !errors.Is(perr, context.DeadlineExceeded) && !strings.Contains(perr.Error(), "Informer to sync"), nil
	}); err != nil {
		t.Fatalf("listing the Roles after their CRD was deleted: error %v, want at once that the kind is not installed", lerr)
	}
	if lerr.Error() != "the Role kind is not installed" {
		t.Errorf("listing the Roles after their CRD was deleted: %v", lerr)
	}
	gctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if _, _, err := ackguard.Resolver(gctx).Get(view.RoleGVK, ns, "exec"); err == nil || err.Error() != "the Role kind is not installed" {
		t.Errorf("reading a Role after its CRD was deleted: %v", err)
	}
	if _, _, err := ackguard.Resolver(gctx).Get(view.PolicyGVK, ns, "any"); err == nil || err.Error() != "the Policy kind is not installed" {
		t.Errorf("reading a Policy after its CRD was deleted: %v", err)
	}
	// The API server's call of the webhook (3 s timeout, failurePolicy
	// Fail) answers: the Function is admitted, LMB-012 saying why its
	// role is not judged.
	during, warnings := clientAs(t, "")
	if err := during.Create(ctx, execFunction(ns, "during")); err != nil {
		t.Fatalf("a Function naming a Role was refused once the Role kind was deleted: %v", err)
	}
	if w := warnings.all(); !strings.Contains(w, "LMB-012") || !strings.Contains(w, "the Role kind is not installed") {
		t.Errorf("the Function's warnings do not say the Role kind is not installed: %s", w)
	}
	if err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		return inf.IsStopped(), nil
	}); err != nil {
		t.Error("the informer of the deleted Role kind still runs")
	}

	for _, crd := range crds {
		if err := cluster.InstallCRD(ctx, crd); err != nil {
			t.Fatal(err)
		}
	}
	crds = nil
	if err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		return dev.Create(ctx, role.DeepCopy()) == nil, nil
	}); err != nil {
		t.Fatal("the Role could not be created again once its CRD was installed again")
	}
	var roles []map[string]any
	if err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		roles, lerr = listRoles()
		return lerr == nil && len(roles) == 1, nil
	}); err != nil {
		t.Fatalf("the Roles are not read again once their CRD was installed again: %v, %v", roles, lerr)
	}
}
