package install

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/ackguard/ackguard/internal/policy"
	"github.com/ackguard/ackguard/internal/webhookconfig"
)

// helmTemplateWith renders the chart as release with extra helm arguments
// (--set, -f); it returns the objects, or helm's error output when helm
// refused the values.
func helmTemplateWith(t *testing.T, release string, extra ...string) ([]*unstructured.Unstructured, string) {
	t.Helper()
	args := append([]string{"template", release, "charts/ackguard", "--namespace", releaseNamespace, "--include-crds"}, extra...)
	cmd := exec.Command(tool(t, "HELM", "helm"), args...)
	cmd.Dir = repoRoot
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, stderr.String()
	}
	return decodeAll(t, out), ""
}

// TestChartLongReleaseName: the longest release name Helm accepts (53
// characters) installs: every name that must be a DNS label (Services,
// Jobs, whose names label their pods, and Certificates, whose names label
// their requests) and every label value fits in 63 characters, in every
// ci values file.
func TestChartLongReleaseName(t *testing.T) {
	release := "platform-security-admission-guardrails-production-euw"
	if len(release) != 53 {
		t.Fatalf("release name of %d characters", len(release))
	}
	for _, values := range ciValues(t) {
		objs, errOut := helmTemplateWith(t, release, "-f", filepath.Join("charts", "ackguard", "ci", values))
		if errOut != "" {
			t.Fatalf("%s: %s", values, errOut)
		}
		for _, o := range objs {
			what := values + ": " + o.GetKind() + " " + o.GetName()
			switch o.GetKind() {
			case "Service", "Job", "Certificate", "Pod":
				if len(o.GetName()) > 63 {
					t.Errorf("%s: name of %d characters", what, len(o.GetName()))
				}
			}
			if len(o.GetName()) > 253 {
				t.Errorf("%s: name of %d characters", what, len(o.GetName()))
			}
			labels := [][]string{{"metadata", "labels"}, {"spec", "template", "metadata", "labels"}}
			for _, path := range labels {
				m, _, _ := unstructured.NestedStringMap(o.Object, path...)
				for k, v := range m {
					if len(v) > 63 {
						t.Errorf("%s: label %s=%q of %d characters at %s", what, k, v, len(v), strings.Join(path, "."))
					}
				}
			}
		}
	}
}

// TestChartRefusesContradictoryValues: values that would render an
// install that cannot work are refused by name, and the documented way of
// giving account IDs on the command line is accepted.
func TestChartRefusesContradictoryValues(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string // in helm's error output; "" when the values are accepted
	}{
		{"pod label over a selector label", []string{"--set", `podLabels.app\.kubernetes\.io/component=web`}, `podLabels: "app.kubernetes.io/component" is one of the pods' selector labels`},
		{"an unrelated pod label", []string{"--set", "podLabels.team=web"}, ""},
		{"replicas without leader election", []string{"--set", "replicaCount=2", "--set", "leaderElection.enabled=false"}, "needs leaderElection.enabled"},
		{"admission-only replicas without leader election", []string{"--set", "replicaCount=2", "--set", "leaderElection.enabled=false", "--set", "reconciler.enabled=false"}, ""},
		{"a budget no drain can meet", []string{"--set", "replicaCount=2", "--set", "podDisruptionBudget.minAvailable=2"}, "nodes can never be drained"},
		{"a renew deadline past the lease", []string{"--set", "leaderElection.renewDeadline=20s"}, "leaderElection.renewDeadline (20s) must be shorter than leaderElection.leaseDuration (15s)"},
		{"a renew deadline equal to the lease, in other units", []string{"--set", "leaderElection.leaseDuration=1m30s", "--set", "leaderElection.renewDeadline=90s"}, "must be shorter than leaderElection.leaseDuration"},
		{"a renew deadline just under the lease", []string{"--set", "leaderElection.leaseDuration=1m", "--set", "leaderElection.renewDeadline=59500ms"}, ""},
		{"a retry period the renew deadline has no room for", []string{"--set", "leaderElection.retryPeriod=9s"}, "leaderElection.renewDeadline (10s) must be longer than 1.2 times leaderElection.retryPeriod (9s)"},
		{"a retry period with room to spare", []string{"--set", "leaderElection.retryPeriod=8s"}, ""},
		{"a certificate renewed before it is issued", []string{"--set", "certRotation.validity=720h"}, "certRotation.renewBefore (2160h) must be shorter than certRotation.validity (720h)"},
		{"a certificate renewal just inside its validity", []string{"--set", "certRotation.validity=2161h"}, ""},
		{"a validity of 0 is the manager's default", []string{"--set", "certRotation.validity=0h", "--set", "certRotation.renewBefore=2h"}, ""},
		{"a renewal past the manager's default validity", []string{"--set", "certRotation.validity=0h", "--set", "certRotation.renewBefore=9000h"}, "certRotation.renewBefore (9000h) must be shorter than certRotation.validity (0h: a year)"},
		{"a certificate that can expire between two checks", []string{"--set", "certRotation.renewBefore=1h"}, "certRotation.checkInterval (1h) must be shorter than certRotation.renewBefore (1h)"},
		{"a default check interval past the renewal", []string{"--set", "certRotation.checkInterval=0s", "--set", "certRotation.renewBefore=6h"}, "certRotation.checkInterval (0s: 12 hours) must be shorter"},
		{"cert-manager's certificates are not ackguard's to check", []string{"--set", "certRotation.validity=720h", "--set", "certManager.enabled=true"}, ""},
		// The manager binds all three in one network namespace, with or
		// without hostNetwork: a clash crash-loops it.
		{"metrics on the webhook port", []string{"--set", "metrics.port=9443"}, "webhook.port, metrics.port and probePort must differ (the containers of a pod share its ports)"},
		{"probes on the metrics port", []string{"--set", "probePort=8080"}, "must differ (the containers of a pod share its ports)"},
		{"probes on the webhook port", []string{"--set", "webhook.port=8081"}, "must differ (the containers of a pod share its ports)"},
		{"probes on the webhook port, metrics off", []string{"--set", "metrics.port=0", "--set", "probePort=9443"}, "must differ"},
		{"host ports that clash", []string{"--set", "hostNetwork=true", "--set", "metrics.port=8081"}, "must differ"},
		{"metrics off frees its port", []string{"--set", "metrics.port=0", "--set", "probePort=8080"}, ""},
		{"a drain as long as the grace period", []string{"--set", "webhook.shutdownDelay=45s"}, "webhook.shutdownDelay (45s) must be shorter than terminationGracePeriodSeconds (45), or the pod is killed while draining"},
		{"a drain past a shortened grace period", []string{"--set", "terminationGracePeriodSeconds=5"}, "webhook.shutdownDelay (10s) must be shorter than terminationGracePeriodSeconds (5)"},
		{"a drain inside the grace period", []string{"--set", "webhook.shutdownDelay=1m", "--set", "terminationGracePeriodSeconds=90"}, ""},
		{"no drain", []string{"--set", "webhook.shutdownDelay=0s", "--set", "terminationGracePeriodSeconds=5"}, ""},
		{"account IDs as numbers", []string{"--set", "ownerAccounts={111122223333}"}, "ownerAccounts"},
		{"account IDs as strings, as documented", []string{"--set-string", "ownerAccounts={111122223333,012345678901}"}, ""},
		// Helm installs a manifest with a field the API server does not
		// know, which drops it with only a warning: the schema refuses
		// misspelt keys of the Kubernetes objects the chart passes on.
		{"a misspelt resources key", []string{"--set", "resources.limit.memory=1Gi"}, "at '/resources': additional properties 'limit' not allowed"},
		{"a misspelt resources key of the CRD upgrade Job", []string{"--set", "crds.upgradeJob.resources.request.cpu=1"}, "additional properties 'request' not allowed"},
		{"a misspelt security context key", []string{"--set", "securityContext.readOnlyRootFileSystem=false"}, "additional properties 'readOnlyRootFileSystem' not allowed"},
		{"a misspelt pod security context key", []string{"--set", "podSecurityContext.runAsUsr=1000"}, "additional properties 'runAsUsr' not allowed"},
		{"a misspelt affinity", []string{"--set", "affinity.nodeAfinity.requiredDuringSchedulingIgnoredDuringExecution=x"}, "additional properties 'nodeAfinity' not allowed"},
		{"resources as documented, one key dropped", []string{"--set", "resources.limits.memory=1Gi", "--set", "resources.limits.cpu=2", "--set", "resources.requests.cpu=null"}, ""},
		// OpenShift values files unset the user and group ids (null) so
		// that the namespace's range assigns them.
		{"security context ids unset, as on OpenShift", []string{"--set", "securityContext.runAsUser=null", "--set", "podSecurityContext.runAsUser=null", "--set", "podSecurityContext.fsGroup=null"}, ""},
		{"security contexts as Kubernetes has them", []string{"--set", "podSecurityContext.runAsUser=1000", "--set", "podSecurityContext.fsGroup=2000", "--set", "securityContext.capabilities.add={NET_BIND_SERVICE}", "--set", "securityContext.runAsGroup=1000"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut := helmTemplateWith(t, "ackguard", tc.args...)
			switch {
			case tc.want == "" && errOut != "":
				t.Errorf("refused: %s", errOut)
			case tc.want != "" && !strings.Contains(errOut, tc.want):
				t.Errorf("error output %q, want it to contain %q", errOut, tc.want)
			}
		})
	}
}

// TestChartPassesAWSPartition: awsPartition reaches the manager as
// --aws-partition, aws by default; the chart accepts every partition the
// manager does and refuses, by name, any other value.
func TestChartPassesAWSPartition(t *testing.T) {
	_, ctr, _ := managerPod(t, helmTemplate(t, "default-values.yaml"))
	if !slices.Contains(stringsOf(ctr, "args"), "--aws-partition=aws") {
		t.Errorf("default args %v lack --aws-partition=aws", stringsOf(ctr, "args"))
	}
	for _, p := range policy.Partitions {
		objs, errOut := helmTemplateWith(t, "ackguard", "--set", "awsPartition="+p)
		if errOut != "" {
			t.Errorf("awsPartition=%s refused: %s", p, errOut)
			continue
		}
		if _, ctr, _ := managerPod(t, objs); !slices.Contains(stringsOf(ctr, "args"), "--aws-partition="+p) {
			t.Errorf("awsPartition=%s: args %v lack --aws-partition=%s", p, stringsOf(ctr, "args"), p)
		}
	}
	for _, bad := range []string{"aws-china", "cn-north-1", ""} {
		if _, errOut := helmTemplateWith(t, "ackguard", "--set-string", "awsPartition="+bad); !strings.Contains(errOut, "awsPartition") {
			t.Errorf("awsPartition=%q: error output %q, want a refusal naming awsPartition", bad, errOut)
		}
	}
}

// TestChartSingleReplicaHasNoBudget: one replica gets no
// PodDisruptionBudget (minAvailable 1 of 1 would block every drain of its
// node); two get theirs.
func TestChartSingleReplicaHasNoBudget(t *testing.T) {
	for _, tc := range []struct {
		replicas string
		budgets  int
	}{{"1", 0}, {"2", 1}} {
		objs, errOut := helmTemplateWith(t, "ackguard", "--set", "replicaCount="+tc.replicas)
		if errOut != "" {
			t.Fatalf("replicaCount=%s: %s", tc.replicas, errOut)
		}
		if got := len(find(objs, "PodDisruptionBudget")); got != tc.budgets {
			t.Errorf("replicaCount=%s: %d PodDisruptionBudgets, want %d", tc.replicas, got, tc.budgets)
		}
	}
}

// TestBudgetLetsDrainsEvictUnreadyPods: the PodDisruptionBudget, of the
// chart and of config/, lets a drain evict replicas that are not ready
// (unhealthyPodEvictionPolicy AlwaysAllow). With the default policy a
// release whose replicas all fail (a bad image, a missing certificate)
// would block every drain of their nodes, protecting no webhook that
// answers.
func TestBudgetLetsDrainsEvictUnreadyPods(t *testing.T) {
	objs, errOut := helmTemplateWith(t, "ackguard", "--set", "replicaCount=2")
	if errOut != "" {
		t.Fatal(errOut)
	}
	for src, budgets := range map[string][]*unstructured.Unstructured{
		"the chart": find(objs, "PodDisruptionBudget"),
		"config/":   find(kustomizeBuild(t), "PodDisruptionBudget"),
	} {
		if len(budgets) != 1 {
			t.Fatalf("%s: %d PodDisruptionBudgets, want 1", src, len(budgets))
		}
		if got, _, _ := unstructured.NestedString(budgets[0].Object, "spec", "unhealthyPodEvictionPolicy"); got != "AlwaysAllow" {
			t.Errorf("%s: PodDisruptionBudget unhealthyPodEvictionPolicy %q, want AlwaysAllow", src, got)
		}
	}
}

// TestCertManagerSecretBelongsToTheRelease: the Secret cert-manager writes
// carries the release's ownership, so an upgrade to
// certManager.enabled=false adopts it rather than failing on a Secret of
// the same name it does not own.
func TestCertManagerSecretBelongsToTheRelease(t *testing.T) {
	objs := helmTemplate(t, "cert-manager-values.yaml")
	cert := one(t, objs, "Certificate", "ackguard-serving-cert")
	labels, _, _ := unstructured.NestedStringMap(cert.Object, "spec", "secretTemplate", "labels")
	annotations, _, _ := unstructured.NestedStringMap(cert.Object, "spec", "secretTemplate", "annotations")
	if labels["app.kubernetes.io/managed-by"] != "Helm" || annotations["meta.helm.sh/release-name"] != "ackguard" ||
		annotations["meta.helm.sh/release-namespace"] != releaseNamespace {
		t.Errorf("secretTemplate labels %v, annotations %v", labels, annotations)
	}
	secret, _, _ := unstructured.NestedString(cert.Object, "spec", "secretName")
	selfManaged, errOut := helmTemplateWith(t, "ackguard", "--set", "certManager.enabled=false")
	if errOut != "" {
		t.Fatal(errOut)
	}
	one(t, selfManaged, "Secret", secret) // the Secret the upgrade takes over
}

// TestConfigCertificateNamesItsIssuer: in config/default the Certificate
// names the Issuer by the name the prefix gave it.
func TestConfigCertificateNamesItsIssuer(t *testing.T) {
	objs := kustomizeBuild(t)
	issuers := map[string]bool{}
	for _, o := range find(objs, "Issuer") {
		issuers[o.GetNamespace()+"/"+o.GetName()] = true
	}
	certs := find(objs, "Certificate")
	if len(certs) == 0 {
		t.Fatal("no Certificate rendered")
	}
	for _, c := range certs {
		ref, _, _ := unstructured.NestedString(c.Object, "spec", "issuerRef", "name")
		if !issuers[c.GetNamespace()+"/"+ref] {
			t.Errorf("Certificate %s names Issuer %q; rendered Issuers: %v", c.GetName(), ref, issuers)
		}
	}
}

// TestCertManagerServingCertificateHasAStableCA: with cert-manager, in the
// chart and in config/default, the serving certificate is issued by a CA
// Issuer whose Secret is an isCA Certificate's, and the webhook
// configuration's CA bundle is injected from the serving certificate (so
// it holds that CA): renewing the serving certificate leaves the bundle
// as it was.
func TestCertManagerServingCertificateHasAStableCA(t *testing.T) {
	for name, objs := range map[string][]*unstructured.Unstructured{
		"chart":          helmTemplate(t, "cert-manager-values.yaml"),
		"config/default": kustomizeBuild(t),
	} {
		issuers := map[string]*unstructured.Unstructured{}
		for _, o := range find(objs, "Issuer") {
			issuers[o.GetName()] = o
		}
		cas := map[string]bool{}
		var serving []*unstructured.Unstructured
		for _, c := range find(objs, "Certificate") {
			if isCA, _, _ := unstructured.NestedBool(c.Object, "spec", "isCA"); isCA {
				s, _, _ := unstructured.NestedString(c.Object, "spec", "secretName")
				cas[s] = true
				continue
			}
			serving = append(serving, c)
		}
		if len(serving) != 1 {
			t.Fatalf("%s: %d serving Certificates", name, len(serving))
		}
		ref, _, _ := unstructured.NestedString(serving[0].Object, "spec", "issuerRef", "name")
		iss := issuers[ref]
		if iss == nil {
			t.Fatalf("%s: the serving Certificate names Issuer %q, not rendered", name, ref)
		}
		caSecret, _, _ := unstructured.NestedString(iss.Object, "spec", "ca", "secretName")
		if !cas[caSecret] {
			t.Errorf("%s: the serving Certificate's Issuer %s is not a CA Issuer of an isCA Certificate's Secret (ca.secretName %q; CA Secrets %v)", name, ref, caSecret, cas)
		}
		for _, hook := range find(objs, "ValidatingWebhookConfiguration") {
			want := serving[0].GetNamespace() + "/" + serving[0].GetName()
			if got := hook.GetAnnotations()["cert-manager.io/inject-ca-from"]; got != want {
				t.Errorf("%s: %s injects the CA from %q, want %q", name, hook.GetName(), got, want)
			}
		}
	}
}

// TestChartQuotesNamespaces: namespace names YAML reads as numbers or
// booleans ("2024", "on") stay strings wherever the chart writes them: the
// objects' namespaces, the ACK webhook's namespace selector, the helm test's
// Role and the Secret template's release annotation. Unquoted, the API
// server refuses the install (a number or `true` where a string belongs).
func TestChartQuotesNamespaces(t *testing.T) {
	values := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(values, []byte("webhook:\n  excludedNamespaces: [\"2024\", \"on\"]\ntest:\n  namespace: \"2025\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	const ns = "2026"
	for _, vf := range []string{"default-values.yaml", "cert-manager-values.yaml", "monitoring-values.yaml"} {
		out := run(t, tool(t, "HELM", "helm"), "template", "ackguard", "charts/ackguard", "--namespace", ns,
			"-f", filepath.Join("charts", "ackguard", "ci", vf), "-f", values)
		for _, o := range decodeAll(t, out) {
			what := vf + ": " + o.GetKind() + " " + o.GetName()
			if v, ok := o.Object["metadata"].(map[string]any)["namespace"]; ok {
				want := ns
				if o.GetKind() == "Role" || o.GetKind() == "RoleBinding" {
					if o.GetAnnotations()["helm.sh/hook"] == "test" {
						want = "2025"
					}
				}
				if v != want {
					t.Errorf("%s: namespace %#v, want %q", what, v, want)
				}
			}
			if o.GetKind() == "RoleBinding" || o.GetKind() == "ClusterRoleBinding" {
				subjects, _, _ := unstructured.NestedSlice(o.Object, "subjects")
				for _, s := range subjects {
					if v := s.(map[string]any)["namespace"]; v != ns {
						t.Errorf("%s: subject namespace %#v, want %q", what, v, ns)
					}
				}
			}
			if o.GetKind() == "Certificate" {
				if v, _, _ := unstructured.NestedFieldNoCopy(o.Object, "spec", "secretTemplate", "annotations", "meta.helm.sh/release-namespace"); v != nil && v != ns {
					t.Errorf("%s: release-namespace annotation %#v, want %q", what, v, ns)
				}
			}
			if o.GetKind() != "ValidatingWebhookConfiguration" {
				continue
			}
			hooks, _, _ := unstructured.NestedSlice(o.Object, "webhooks")
			for _, h := range hooks {
				hm := h.(map[string]any)
				if v, _, _ := unstructured.NestedFieldNoCopy(hm, "clientConfig", "service", "namespace"); v != ns {
					t.Errorf("%s: the webhook's Service namespace %#v, want %q", what, v, ns)
				}
				if hm["name"] == webhookconfig.GovernanceWebhookName {
					if sel, ok := hm["namespaceSelector"]; ok {
						t.Errorf("%s: the governance webhook has a namespace selector %v, want none", what, sel)
					}
					continue
				}
				exprs, _, _ := unstructured.NestedSlice(hm, "namespaceSelector", "matchExpressions")
				if len(exprs) != 1 {
					t.Fatalf("%s: namespace selector %v", what, exprs)
				}
				got := exprs[0].(map[string]any)["values"]
				if want := []any{"kube-system", ns, "2024", "on"}; !reflect.DeepEqual(got, want) {
					t.Errorf("%s: the webhook excludes %#v, want %#v", what, got, want)
				}
			}
		}
	}
}

// TestChartLogLevelIsOneTheManagerAccepts: values.schema.json accepts a
// logLevel only when the manager's --zap-log-level (controller-runtime's
// zap flags, which the manager binds) accepts it too, so a typo fails
// `helm install` instead of crash-looping the manager; and it accepts the
// levels the manager documents. (The manager also takes the words in
// upper case; the chart asks for them in lower case.)
func TestChartLogLevelIsOneTheManagerAccepts(t *testing.T) {
	managerAccepts := func(v string) bool {
		fs := flag.NewFlagSet("manager", flag.ContinueOnError)
		(&zap.Options{}).BindFlags(fs)
		return fs.Set("zap-log-level", v) == nil
	}
	for _, tc := range []struct {
		value string
		set   string // --set (a number) or --set-string
	}{
		{"debug", "--set-string"}, {"info", "--set-string"}, {"error", "--set-string"}, {"panic", "--set-string"},
		{"1", "--set-string"}, {"2", "--set-string"}, {"10", "--set-string"}, {"127", "--set-string"},
		{"2", "--set"}, {"127", "--set"},
		{"warn", "--set-string"}, {"warning", "--set-string"}, {"dpanic", "--set-string"}, {"fatal", "--set-string"},
		{"trace", "--set-string"}, {"0", "--set-string"}, {"-1", "--set-string"}, {"", "--set-string"},
		{"0", "--set"}, {"-2", "--set"}, {"1.5", "--set"}, {"128", "--set"},
	} {
		_, errOut := helmTemplateWith(t, "ackguard", tc.set, "logLevel="+tc.value)
		chart, manager := errOut == "", managerAccepts(tc.value)
		switch {
		case chart && !manager:
			t.Errorf("%s logLevel=%s: the chart accepts a level the manager refuses", tc.set, tc.value)
		case !chart && manager && tc.value != "128": // 128 and above wrap around in zap's int8 levels
			t.Errorf("%s logLevel=%s: the chart refuses a level the manager accepts: %s", tc.set, tc.value, errOut)
		case !chart && !strings.Contains(errOut, "logLevel"):
			t.Errorf("%s logLevel=%s: refused without naming logLevel: %s", tc.set, tc.value, errOut)
		}
	}
}

// TestChartRefusesSharedNamespaces: installed without -n (into default),
// into kube-system or into the ACK controllers' namespace (ackNamespace,
// ack-system), the release would leave that namespace unguarded (the
// webhook never judges its own namespace); helm test would fail in default
// (test.namespace), and the manager could read the ACK controllers' AWS
// credentials in ack-system. The chart refuses, naming the way out.
func TestChartRefusesSharedNamespaces(t *testing.T) {
	for _, tc := range []struct {
		namespace string // "": no --namespace
		refused   bool
	}{{"", true}, {"default", true}, {"kube-system", true}, {"ack-system", true}, {releaseNamespace, false}, {"platform-security", false}} {
		args := []string{"template", "ackguard", "charts/ackguard"}
		if tc.namespace != "" {
			args = append(args, "--namespace", tc.namespace)
		}
		cmd := exec.Command(tool(t, "HELM", "helm"), args...)
		cmd.Dir = repoRoot
		cmd.Env = append(os.Environ(), "HELM_NAMESPACE=") // no namespace from the environment
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		switch {
		case tc.refused && (err == nil || !strings.Contains(stderr.String(), "install ackguard into a namespace of its own") || !strings.Contains(stderr.String(), "-n ackguard-system --create-namespace")):
			t.Errorf("namespace %q: %v, %s", tc.namespace, err, stderr.String())
		case !tc.refused && err != nil:
			t.Errorf("namespace %q refused: %s", tc.namespace, stderr.String())
		}
	}
}

// TestChartNameOverrides: fullnameOverride names every namespaced object
// and every name the manager is handed (its webhook configuration, its
// certificate Secret and Service), kept to 47 characters as release names
// are; nameOverride names the chart in the prefix and in the pods' name
// label, which the Services and the budget select by.
func TestChartNameOverrides(t *testing.T) {
	long := strings.Repeat("guardrails-", 6) // 66 characters
	for _, tc := range []struct {
		name, prefix, label string
		args                []string
	}{
		{"fullnameOverride", "guard", "ackguard", []string{"--set", "fullnameOverride=guard"}},
		{"long fullnameOverride", strings.TrimSuffix(long[:47], "-"), "ackguard", []string{"--set", "fullnameOverride=" + strings.TrimSuffix(long, "-")}},
		{"nameOverride", "rel-guardrails", "guardrails", []string{"--set", "nameOverride=guardrails"}},
		{"nameOverride within the release name", "my-guardrails", "guardrails", []string{"--set", "nameOverride=guardrails"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			release := "rel"
			if strings.HasPrefix(tc.prefix, "my-") {
				release = tc.prefix
			}
			objs, errOut := helmTemplateWith(t, release, tc.args...)
			if errOut != "" {
				t.Fatal(errOut)
			}
			for _, o := range objs {
				if o.GetNamespace() != "" && !strings.HasPrefix(o.GetName(), tc.prefix+"-") {
					t.Errorf("%s %s is not named after %q", o.GetKind(), o.GetName(), tc.prefix)
				}
			}
			d := one(t, objs, "Deployment", tc.prefix+"-controller-manager")
			sel, _, _ := unstructured.NestedStringMap(d.Object, "spec", "selector", "matchLabels")
			if sel["app.kubernetes.io/name"] != tc.label {
				t.Errorf("selector %v, want app.kubernetes.io/name=%s", sel, tc.label)
			}
			svc := one(t, objs, "Service", tc.prefix+"-webhook-service")
			if svcSel, _, _ := unstructured.NestedStringMap(svc.Object, "spec", "selector"); !reflect.DeepEqual(svcSel, sel) {
				t.Errorf("the webhook Service selects %v, the pods are %v", svcSel, sel)
			}
			vwc := one(t, objs, "ValidatingWebhookConfiguration", tc.prefix+"-validating-webhook-configuration")
			hooks, _, _ := unstructured.NestedSlice(vwc.Object, "webhooks")
			for _, h := range hooks {
				if name, _, _ := unstructured.NestedString(h.(map[string]any), "clientConfig", "service", "name"); name != svc.GetName() {
					t.Errorf("webhook calls Service %q, rendered %q", name, svc.GetName())
				}
			}
			args, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
			flags := stringsOf(args[0].(map[string]any), "args")
			for _, want := range []string{
				"--webhook-configuration-name=" + vwc.GetName(),
				"--cert-secret-name=" + tc.prefix + "-webhook-server-cert",
				"--webhook-dns-name=" + svc.GetName() + "." + releaseNamespace + ".svc",
			} {
				if !slices.Contains(flags, want) {
					t.Errorf("manager args %v lack %s", flags, want)
				}
			}
			one(t, objs, "Secret", tc.prefix+"-webhook-server-cert")
		})
	}
	if _, errOut := helmTemplateWith(t, "rel", "--set", "nameOverride=Guard_Rails"); !strings.Contains(errOut, "nameOverride") {
		t.Errorf("nameOverride that is no DNS label accepted: %q", errOut)
	}
}

// TestChartImageDigests: a digest pins each image (repository@digest, the
// tag ignored), on a mirror too; a value that is no digest is refused.
func TestChartImageDigests(t *testing.T) {
	d1, d2 := "sha256:"+strings.Repeat("a", 64), "sha256:"+strings.Repeat("b", 64)
	objs, errOut := helmTemplateWith(t, "ackguard", "--set", "image.digest="+d1, "--set", "image.tag=v9.9.9",
		"--set", "crds.upgradeJob.image.digest="+d2, "--set", "global.imageRegistry=mirror.example.com")
	if errOut != "" {
		t.Fatal(errOut)
	}
	want := map[string]string{
		"Deployment/ackguard-controller-manager": "mirror.example.com/ackguard/ackguard@" + d1,
		"Pod/ackguard-test":                      "mirror.example.com/ackguard/ackguard@" + d1, // helm test runs the manager's image
		"Job/ackguard-crd-upgrade":               "mirror.example.com/kubectl@" + d2,
	}
	pods := podSpecs(objs)
	for name, img := range want {
		if pods[name] == nil {
			t.Errorf("no %s rendered", name)
			continue
		}
		if got := container(t, pods[name])["image"]; got != img {
			t.Errorf("%s: image %v, want %s", name, got, img)
		}
	}
	// Without digests every image keeps its tag.
	for name, spec := range podSpecs(helmTemplate(t, "default-values.yaml")) {
		if img, _ := container(t, spec)["image"].(string); strings.Contains(img, "@") || !strings.Contains(img, ":") {
			t.Errorf("%s: image %s", name, img)
		}
	}
	for _, bad := range []string{"latest", "sha256:abc", "SHA256:" + strings.Repeat("a", 64)} {
		if _, errOut := helmTemplateWith(t, "ackguard", "--set", "image.digest="+bad); !strings.Contains(errOut, "digest") {
			t.Errorf("image.digest=%s accepted: %q", bad, errOut)
		}
	}
}

// TestChartHookPodsRunAsTheConfiguredUser: the hook Jobs and the test pod
// run as nobody (65534) by default, since the kubectl image may run as
// root; a user or group set in securityContext or podSecurityContext (a UID
// within the range the namespace enforces, as OpenShift's restricted SCC
// does) applies to them too, or their pods are refused and the pre-install
// hook, and with it helm install, fails.
func TestChartHookPodsRunAsTheConfiguredUser(t *testing.T) {
	aux := []string{"Job/ackguard-crd-upgrade", "Job/ackguard-webhook-cleanup", "Pod/ackguard-test"}
	// ids returns the effective runAsUser and runAsGroup of each pod's
	// container (the container's, else the pod's).
	ids := func(t *testing.T, set ...string) map[string][2]any {
		t.Helper()
		var args []string
		for _, s := range set {
			args = append(args, "--set", s)
		}
		objs, errOut := helmTemplateWith(t, "ackguard", args...)
		if errOut != "" {
			t.Fatal(errOut)
		}
		pods := podSpecs(objs)
		out := map[string][2]any{}
		for _, name := range append([]string{"Deployment/ackguard-controller-manager"}, aux...) {
			spec := pods[name]
			if spec == nil {
				t.Fatalf("no %s rendered", name)
			}
			var got [2]any
			for i, key := range []string{"runAsUser", "runAsGroup"} {
				if v, ok, _ := unstructured.NestedFieldNoCopy(container(t, spec), "securityContext", key); ok {
					got[i] = v
				} else if v, ok, _ := unstructured.NestedFieldNoCopy(spec, "securityContext", key); ok {
					got[i] = v
				}
			}
			out[name] = got
		}
		return out
	}
	nobody := [2]any{float64(65534), float64(65534)}
	for _, tc := range []struct {
		name          string
		set           []string
		manager, want [2]any
	}{
		{"defaults", nil, [2]any{}, nobody},
		{"a container user", []string{"securityContext.runAsUser=1000680000"}, [2]any{float64(1000680000), nil}, [2]any{float64(1000680000), float64(65534)}},
		{"a pod user and group", []string{"podSecurityContext.runAsUser=1000680000", "podSecurityContext.runAsGroup=0"}, [2]any{float64(1000680000), float64(0)}, [2]any{float64(1000680000), float64(0)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ids(t, tc.set...)
			if m := got["Deployment/ackguard-controller-manager"]; m != tc.manager {
				t.Errorf("the manager runs as user, group %v, want %v", m, tc.manager)
			}
			for _, name := range aux {
				if got[name] != tc.want {
					t.Errorf("%s runs as user, group %v, want %v", name, got[name], tc.want)
				}
			}
		})
	}
}

// TestChartSingleReconcilerIsRecreated: without leader election every
// replica runs the reconcilers, so the Deployment's default rolling update
// (a surge pod started before the old one stops) would run two at once;
// the chart has the old pod stop first. With leader election, or without
// reconcilers, rolling updates stay (hostNetwork: one pod at a time).
func TestChartSingleReconcilerIsRecreated(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  []string
		want string
	}{
		{"defaults", nil, "{}"},
		{"one replica with leader election", []string{"--set", "replicaCount=1"}, "{}"},
		{"one replica without leader election", []string{"--set", "replicaCount=1", "--set", "leaderElection.enabled=false"}, `{"type":"Recreate"}`},
		{"without leader election, on the host network", []string{"--set", "replicaCount=1", "--set", "leaderElection.enabled=false", "--set", "hostNetwork=true"}, `{"type":"Recreate"}`},
		{"admission only without leader election", []string{"--set", "replicaCount=2", "--set", "leaderElection.enabled=false", "--set", "reconciler.enabled=false"}, "{}"},
		{"host network", []string{"--set", "hostNetwork=true"}, `{"rollingUpdate":{"maxSurge":0,"maxUnavailable":1},"type":"RollingUpdate"}`},
	} {
		objs, errOut := helmTemplateWith(t, "ackguard", tc.set...)
		if errOut != "" {
			t.Fatalf("%s: %s", tc.name, errOut)
		}
		dep := one(t, objs, "Deployment", "ackguard-controller-manager")
		strategy, _, _ := unstructured.NestedMap(dep.Object, "spec", "strategy")
		if strategy == nil {
			strategy = map[string]any{}
		}
		if got := string(mustJSON(t, strategy)); got != tc.want {
			t.Errorf("%s: strategy %s, want %s", tc.name, got, tc.want)
		}
	}
}

// TestChartAdmitsItsPriorityClass: where the API server limits
// system-cluster-critical to kube-system (GKE), a pod of that class
// elsewhere is refused unless a ResourceQuota covers the class. The chart
// (and config/) ship one for the class the manager's pods use, as
// Gatekeeper's chart does; the CRD upgrade Job, which runs on a fresh
// install before any of the chart's objects exist, has no priority class.
func TestChartAdmitsItsPriorityClass(t *testing.T) {
	quotaClasses := func(t *testing.T, objs []*unstructured.Unstructured) []string {
		t.Helper()
		var classes []string
		for _, q := range find(objs, "ResourceQuota") {
			exprs, _, _ := unstructured.NestedSlice(q.Object, "spec", "scopeSelector", "matchExpressions")
			for _, e := range exprs {
				e := e.(map[string]any)
				if e["scopeName"] == "PriorityClass" && e["operator"] == "In" {
					for _, v := range e["values"].([]any) {
						classes = append(classes, v.(string))
					}
				}
			}
			if pods, _, _ := unstructured.NestedString(q.Object, "spec", "hard", "pods"); pods != "100" {
				t.Errorf("ResourceQuota %s admits %q pods", q.GetName(), pods)
			}
		}
		return classes
	}
	for _, tc := range []struct {
		name string
		objs []*unstructured.Unstructured
		want []string
	}{
		{"defaults", helmTemplateSet(t, "default-values.yaml"), []string{"system-cluster-critical"}},
		{"another class", helmTemplateSet(t, "", "priorityClassName=platform-high"), []string{"platform-high"}},
		{"no class", helmTemplateSet(t, "", "priorityClassName="), nil},
		{"quota off", helmTemplateSet(t, "", "priorityClassQuota=false"), nil},
		{"config/default", kustomizeBuild(t), []string{"system-cluster-critical"}},
	} {
		if got := quotaClasses(t, tc.objs); !slices.Equal(got, tc.want) {
			t.Errorf("%s: ResourceQuotas admit the classes %v, want %v", tc.name, got, tc.want)
		}
		if tc.name == "quota off" {
			continue
		}
		for name, spec := range podSpecs(tc.objs) {
			class, _ := spec["priorityClassName"].(string)
			if strings.HasPrefix(name, "Job/") && strings.HasSuffix(name, "-crd-upgrade") {
				if class != "" {
					t.Errorf("%s: the pre-install %s runs before the ResourceQuota exists, with priority class %s", tc.name, name, class)
				}
				continue
			}
			if class != "" && !slices.Contains(tc.want, class) {
				t.Errorf("%s: %s has priority class %s, which no ResourceQuota admits", tc.name, name, class)
			}
		}
	}
}

// TestChartTakesFractionalRatesOnTheCommandLine: the rates the manager
// reads as floats take a fraction from --set, which hands Helm "0.5" as a
// string, as well as from a values file; a rate that is no number is
// refused by name.
func TestChartTakesFractionalRatesOnTheCommandLine(t *testing.T) {
	for _, tc := range []struct{ value, flag string }{
		{"events.qps", "--event-qps"},
		{"reconciler.maxPatchesPerSecond", "--max-patches-per-second"},
	} {
		objs, errOut := helmTemplateWith(t, "ackguard", "--set", tc.value+"=0.5")
		if errOut != "" {
			t.Errorf("--set %s=0.5 refused: %s", tc.value, errOut)
			continue
		}
		if _, ctr, _ := managerPod(t, objs); !slices.Contains(stringsOf(ctr, "args"), tc.flag+"=0.5") {
			t.Errorf("--set %s=0.5: args %v lack %s=0.5", tc.value, stringsOf(ctr, "args"), tc.flag)
		}
		for _, bad := range []string{"fast", "-1", "0.5/s", ""} {
			if _, errOut := helmTemplateWith(t, "ackguard", "--set-string", tc.value+"="+bad); !strings.Contains(errOut, tc.value[strings.LastIndex(tc.value, ".")+1:]) {
				t.Errorf("%s=%q: error output %q, want a refusal naming it", tc.value, bad, errOut)
			}
		}
	}
}
