package install

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/yaml"

	"github.com/ackguard/ackguard/api/v1alpha1"
	"github.com/ackguard/ackguard/internal/manager"
	"github.com/ackguard/ackguard/internal/metrics"
	"github.com/ackguard/ackguard/internal/probe"
)

// helmTemplateSet renders the chart (release ackguard in releaseNamespace)
// with a ci values file and --set values.
func helmTemplateSet(t *testing.T, valuesFile string, set ...string) []*unstructured.Unstructured {
	t.Helper()
	args := []string{"template", "ackguard", "charts/ackguard", "--namespace", releaseNamespace, "--include-crds"}
	if valuesFile != "" {
		args = append(args, "-f", filepath.Join("charts", "ackguard", "ci", valuesFile))
	}
	for _, s := range set {
		args = append(args, "--set", s)
	}
	return decodeAll(t, run(t, tool(t, "HELM", "helm"), args...))
}

func one(t *testing.T, objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	t.Helper()
	for _, o := range find(objs, kind) {
		if o.GetName() == name {
			return o
		}
	}
	t.Fatalf("no %s %s rendered", kind, name)
	return nil
}

// podSpecs returns every pod template (and pod) the chart renders, by
// "Kind/name".
func podSpecs(objs []*unstructured.Unstructured) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, o := range objs {
		var spec map[string]any
		switch o.GetKind() {
		case "Deployment", "Job":
			spec, _, _ = unstructured.NestedMap(o.Object, "spec", "template", "spec")
		case "Pod":
			spec, _, _ = unstructured.NestedMap(o.Object, "spec")
		default:
			continue
		}
		out[o.GetKind()+"/"+o.GetName()] = spec
	}
	return out
}

func container(t *testing.T, spec map[string]any) map[string]any {
	t.Helper()
	cs, _, _ := unstructured.NestedSlice(spec, "containers")
	if len(cs) != 1 {
		t.Fatalf("%d containers", len(cs))
	}
	return cs[0].(map[string]any)
}

func managerPod(t *testing.T, objs []*unstructured.Unstructured) (spec, ctr map[string]any, labels map[string]string) {
	t.Helper()
	d := one(t, objs, "Deployment", "ackguard-controller-manager")
	spec, _, _ = unstructured.NestedMap(d.Object, "spec", "template", "spec")
	labels, _, _ = unstructured.NestedStringMap(d.Object, "spec", "template", "metadata", "labels")
	return spec, container(t, spec), labels
}

func stringsOf(m map[string]any, path ...string) []string {
	s, _, _ := unstructured.NestedStringSlice(m, path...)
	return s
}

// TestChartPodSettings: the pod-level values reach the manager's pod —
// priority class, host networking with its DNS policy and ports, spread
// constraints (given the pod's labels), pod labels outside the immutable
// selector, extra arguments after the chart's, extra environment, log
// level and encoding, the reconciler switch.
func TestChartPodSettings(t *testing.T) {
	def := helmTemplate(t, "default-values.yaml")
	spec, ctr, _ := managerPod(t, def)
	if got := spec["priorityClassName"]; got != "system-cluster-critical" {
		t.Errorf("default priorityClassName %v", got)
	}
	if spec["hostNetwork"] != nil || spec["dnsPolicy"] != nil || spec["topologySpreadConstraints"] != nil {
		t.Errorf("defaults set hostNetwork %v, dnsPolicy %v, topologySpreadConstraints %v", spec["hostNetwork"], spec["dnsPolicy"], spec["topologySpreadConstraints"])
	}
	// A stopping replica drains for 10 s inside a grace period with room
	// for the manager's own 30 s graceful stop after it.
	if got := spec["terminationGracePeriodSeconds"]; got != float64(45) {
		t.Errorf("default terminationGracePeriodSeconds %v, want 45", got)
	}
	for _, want := range []string{"--enable-reconciler=true", "--zap-log-level=info", "--zap-encoder=json", "--webhook-port=9443", "--shutdown-delay=10s"} {
		if !slices.Contains(stringsOf(ctr, "args"), want) {
			t.Errorf("default args %v lack %s", stringsOf(ctr, "args"), want)
		}
	}

	objs := helmTemplate(t, "hostnetwork-values.yaml")
	spec, ctr, labels := managerPod(t, objs)
	if spec["hostNetwork"] != true || spec["dnsPolicy"] != "ClusterFirstWithHostNet" {
		t.Errorf("hostNetwork %v, dnsPolicy %v", spec["hostNetwork"], spec["dnsPolicy"])
	}
	if _, ok := spec["priorityClassName"]; ok {
		t.Errorf("priorityClassName \"\" still sets %v", spec["priorityClassName"])
	}
	args := stringsOf(ctr, "args")
	for _, want := range []string{"--webhook-port=10260", "--metrics-bind-address=:10261", "--health-probe-bind-address=:10262", "--enable-reconciler=false", "--zap-log-level=debug", "--zap-encoder=console"} {
		if !slices.Contains(args, want) {
			t.Errorf("args %v lack %s", args, want)
		}
	}
	if args[len(args)-1] != "--kind-poll-interval=1m" {
		t.Errorf("extraArgs are not last: %v", args)
	}
	ports, _, _ := unstructured.NestedSlice(ctr, "ports")
	var portNums []int64
	for _, p := range ports {
		n, _ := p.(map[string]any)["containerPort"].(float64) // numbers decode as float64
		portNums = append(portNums, int64(n))
	}
	if !slices.Equal(portNums, []int64{10260, 10261, 10262}) {
		t.Errorf("container ports %v", portNums)
	}
	np := one(t, objs, "NetworkPolicy", "ackguard-allow-webhook-and-metrics")
	if !strings.Contains(string(mustJSON(t, np.Object)), `"port":10260`) {
		t.Errorf("the NetworkPolicy does not follow webhook.port: %s", mustJSON(t, np.Object))
	}
	env, _, _ := unstructured.NestedSlice(ctr, "env")
	if !strings.Contains(string(mustJSON(t, env)), `{"name":"GOMAXPROCS","value":"2"}`) {
		t.Errorf("extraEnv missing: %s", mustJSON(t, env))
	}
	if labels["team"] != "platform-security" {
		t.Errorf("podLabels missing: %v", labels)
	}
	d := one(t, objs, "Deployment", "ackguard-controller-manager")
	sel, _, _ := unstructured.NestedStringMap(d.Object, "spec", "selector", "matchLabels")
	if _, ok := sel["team"]; ok {
		t.Errorf("podLabels entered the Deployment's immutable selector: %v", sel)
	}
	tsc, _, _ := unstructured.NestedSlice(spec, "topologySpreadConstraints")
	if len(tsc) != 1 {
		t.Fatalf("topologySpreadConstraints %v", tsc)
	}
	tscSel, _, _ := unstructured.NestedStringMap(tsc[0].(map[string]any), "labelSelector", "matchLabels")
	if !maps.Equal(tscSel, sel) {
		t.Errorf("a spread constraint without labelSelector selects %v, want the pods' %v", tscSel, sel)
	}
	for _, o := range objs {
		if o.GetLabels()["app.kubernetes.io/component"] == "crd-upgrade" {
			t.Errorf("crds.upgradeJob.enabled=false still renders %s %s", o.GetKind(), o.GetName())
		}
	}
}

// TestManagerGetsItsResources: the chart and config/manager hand the manager
// its memory limit and CPU request through the downward API, in the units
// and under the names the manager reads (internal/manager).
func TestManagerGetsItsResources(t *testing.T) {
	want := map[string]map[string]any{
		manager.MemoryLimitEnv: {"resource": "limits.memory"},
		manager.CPURequestEnv:  {"resource": "requests.cpu", "divisor": "1m"},
	}
	refs := func(objs []*unstructured.Unstructured) map[string]map[string]any {
		_, ctr, _ := managerPod(t, objs)
		env, _, _ := unstructured.NestedSlice(ctr, "env")
		got := map[string]map[string]any{}
		for _, e := range env {
			e := e.(map[string]any)
			if ref, ok, _ := unstructured.NestedMap(e, "valueFrom", "resourceFieldRef"); ok {
				got[e["name"].(string)] = ref
			}
		}
		return got
	}
	for name, objs := range map[string][]*unstructured.Unstructured{
		"chart": helmTemplate(t, "default-values.yaml"), "config": kustomizeBuild(t),
	} {
		if got := refs(objs); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: the manager's resourceFieldRef variables %v, want %v", name, got, want)
		}
	}
	// goMaxProcsFromCPURequest=false leaves the Go runtime's default.
	delete(want, manager.CPURequestEnv)
	if got := refs(helmTemplateSet(t, "default-values.yaml", "goMaxProcsFromCPURequest=false")); !reflect.DeepEqual(got, want) {
		t.Errorf("goMaxProcsFromCPURequest=false: the manager's resourceFieldRef variables %v, want %v", got, want)
	}
}

// TestChartAsSubchart: `global` values (those ackguard reads and others)
// are accepted; global.imageRegistry moves every image of every pod to the
// mirror, and every pod gets the global and the chart's pull secrets.
func TestChartAsSubchart(t *testing.T) {
	pods := podSpecs(helmTemplate(t, "global-values.yaml"))
	for _, want := range []string{"Deployment/ackguard-controller-manager", "Job/ackguard-crd-upgrade", "Pod/ackguard-test"} {
		if pods[want] == nil {
			t.Errorf("no %s rendered", want)
		}
	}
	for name, spec := range pods {
		img, _ := container(t, spec)["image"].(string)
		if !strings.HasPrefix(img, "registry.example.com/mirror/") || strings.Contains(img, "registry.k8s.io") || strings.Contains(img, "docker.io") {
			t.Errorf("%s: image %s is not on the mirror", name, img)
		}
		secrets := string(mustJSON(t, spec["imagePullSecrets"]))
		if !strings.Contains(secrets, "mirror-credentials") || !strings.Contains(secrets, "ackguard-pull") {
			t.Errorf("%s: imagePullSecrets %s", name, secrets)
		}
	}
	// A parent chart may name its pull secrets (Bitnami's charts do):
	// every pod gets them as references, which is all a pod accepts.
	for name, spec := range podSpecs(helmTemplateSet(t, "global-values.yaml", "global.imagePullSecrets[0]=regcred")) {
		if got, want := string(mustJSON(t, spec["imagePullSecrets"])), `[{"name":"ackguard-pull"},{"name":"regcred"}]`; got != want {
			t.Errorf("%s: with global.imagePullSecrets given by name, imagePullSecrets %s, want %s", name, got, want)
		}
	}
	// Without a mirror each image keeps its registry.
	for name, spec := range podSpecs(helmTemplate(t, "default-values.yaml")) {
		img, _ := container(t, spec)["image"].(string)
		if strings.Contains(img, "mirror") {
			t.Errorf("%s: image %s", name, img)
		}
	}
}

// TestChartMonitoring: the metrics Service selects the manager's pods and
// port, the ServiceMonitor selects that Service and port, the NetworkPolicy
// admits the scraper's pods of its namespace only, the PrometheusRule
// carries the alerts, selecting the scraped job; with monitoring off none
// of the monitoring.coreos.com objects render.
func TestChartMonitoring(t *testing.T) {
	for _, vf := range ciValues(t) {
		if vf == "monitoring-values.yaml" {
			continue
		}
		objs := helmTemplate(t, vf)
		if n := len(find(objs, "ServiceMonitor")) + len(find(objs, "PrometheusRule")); n != 0 {
			t.Errorf("%s renders %d monitoring.coreos.com objects, off by default", vf, n)
		}
	}
	// By default only namespaces labelled metrics=enabled may scrape.
	defNP := one(t, helmTemplate(t, "default-values.yaml"), "NetworkPolicy", "ackguard-allow-webhook-and-metrics")
	if got := string(mustJSON(t, defNP.Object["spec"])); !strings.Contains(got, `"from":[{"namespaceSelector":{"matchLabels":{"metrics":"enabled"}}}]`) {
		t.Errorf("the default NetworkPolicy: %s", got)
	}
	objs := helmTemplate(t, "monitoring-values.yaml")
	_, ctr, podLabels := managerPod(t, objs)
	svc := one(t, objs, "Service", "ackguard-metrics")
	svcSel, _, _ := unstructured.NestedStringMap(svc.Object, "spec", "selector")
	for k, v := range svcSel {
		if podLabels[k] != v {
			t.Errorf("the metrics Service selects %s=%s, the pods have %v", k, v, podLabels)
		}
	}
	svcPorts, _, _ := unstructured.NestedSlice(svc.Object, "spec", "ports")
	if tp := svcPorts[0].(map[string]any)["targetPort"]; tp != "metrics" || !strings.Contains(string(mustJSON(t, ctr["ports"])), `"name":"metrics"`) {
		t.Errorf("the metrics Service targets %v; container ports %s", tp, mustJSON(t, ctr["ports"]))
	}

	sm := one(t, objs, "ServiceMonitor", "ackguard")
	if sm.GetLabels()["release"] != "kube-prometheus-stack" {
		t.Errorf("serviceMonitor.labels missing: %v", sm.GetLabels())
	}
	smSel, _, _ := unstructured.NestedStringMap(sm.Object, "spec", "selector", "matchLabels")
	for k, v := range smSel {
		if svc.GetLabels()[k] != v {
			t.Errorf("the ServiceMonitor selects %s=%s, the metrics Service has %v", k, v, svc.GetLabels())
		}
	}
	if webhookSvc := one(t, objs, "Service", "ackguard-webhook-service"); webhookSvc.GetLabels()["app.kubernetes.io/component"] == "metrics" {
		t.Error("the ServiceMonitor would select the webhook Service too")
	}
	eps, _, _ := unstructured.NestedSlice(sm.Object, "spec", "endpoints")
	if len(eps) != 1 || eps[0].(map[string]any)["port"] != "metrics" || eps[0].(map[string]any)["interval"] != "15s" || eps[0].(map[string]any)["scrapeTimeout"] != "10s" {
		t.Errorf("ServiceMonitor endpoints %s", mustJSON(t, eps))
	}

	np := one(t, objs, "NetworkPolicy", "ackguard-allow-webhook-and-metrics")
	ingress, _, _ := unstructured.NestedSlice(np.Object, "spec", "ingress")
	metricsRule := string(mustJSON(t, ingress[len(ingress)-1]))
	for _, want := range []string{`"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"monitoring"}}`, `"podSelector":{"matchLabels":{"app.kubernetes.io/name":"prometheus"}}`, `"port":8080`} {
		if !strings.Contains(metricsRule, want) {
			t.Errorf("the NetworkPolicy's metrics rule %s lacks %s", metricsRule, want)
		}
	}
	if n := len(ingress[len(ingress)-1].(map[string]any)["from"].([]any)); n != 1 {
		t.Errorf("namespace and pod selectors must be one peer (both must match), got %d peers", n)
	}

	rules := alertRules(t, objs)
	for _, want := range []string{"AckguardDown", "AckguardWebhookErrors", "AckguardWebhookRejectedByTimeout", "AckguardWebhookFailingOpen", "AckguardWebhookSlow", "AckguardCertificateExpiresSoon", "AckguardRemediationSuspended", "AckguardReconcileErrors", "AckguardOpenViolations"} {
		r, ok := rules[want]
		if !ok {
			t.Errorf("no alert %s", want)
			continue
		}
		if r.Labels["severity"] == "" || (want != "AckguardOpenViolations" && (r.Annotations["summary"] == "" || r.Annotations["description"] == "")) {
			t.Errorf("alert %s lacks a severity, summary or description: %+v", want, r)
		}
		// The manager's series are selected by the target labels a
		// ServiceMonitor and annotation-based scraping of the metrics
		// Service (the Prometheus chart's kubernetes-service-endpoints
		// job) both give them: the Service and its namespace. Their job
		// differs: the Service's name, the scrape job's.
		manager := strings.HasPrefix(want, "Ackguard") && want != "AckguardOpenViolations" && !strings.Contains(r.Expr, "apiserver_")
		if manager && (strings.Contains(r.Expr, "job=") || !strings.Contains(r.Expr, `namespace="`+releaseNamespace+`",service="ackguard-metrics"`)) {
			t.Errorf("alert %s does not select the metrics Service's targets: %s", want, r.Expr)
		}
	}
	// A scraper that labels targets otherwise: the selector replaces them.
	custom := alertRules(t, helmTemplateSet(t, "monitoring-values.yaml", `metrics.prometheusRule.selector=job="ackguard"`))
	for _, name := range []string{"AckguardDown", "AckguardWebhookErrors", "AckguardWebhookSlow", "AckguardCertificateExpiresSoon", "AckguardRemediationSuspended", "AckguardReconcileErrors"} {
		if expr := custom[name].Expr; !strings.Contains(expr, `{job="ackguard"`) || strings.Contains(expr, "service=") {
			t.Errorf("metrics.prometheusRule.selector job=\"ackguard\": alert %s selects %s", name, expr)
		}
	}
	if got := rules["AckguardCertificateExpiresSoon"].Expr; !strings.HasSuffix(got, "< 2592000") {
		t.Errorf("certificateExpiryDays 30: %s", got)
	}
	// A suspension lasts until the source of truth is fixed or an
	// exception granted, however long: the alert reads the gauge of the
	// objects suspended now, not the suspensions counted within a window
	// (which it would forget once the window passed).
	if got := rules["AckguardRemediationSuspended"].Expr; !strings.Contains(got, "ackguard_remediation_suspended{") || strings.Contains(got, "[") {
		t.Errorf("AckguardRemediationSuspended does not hold while an object is suspended: %s", got)
	}
	// controller-runtime's webhook latency buckets are powers of ten (…,
	// 0.1, 1, 10, 100 s): a 99th percentile interpolated within one of
	// them cannot tell 1.1 s from 9.9 s, and one above half a 3 s timeout
	// (1.5 s) came out of any request slower than 1 s. AckguardWebhookSlow
	// counts the requests slower than a bucket bound instead, the largest
	// not above half of webhook.timeoutSeconds, matched as Prometheus 2
	// ("1") and 3 ("1.0") write it.
	bounds := []string{"0.01", "0.1", "1", "1.0", "10", "10.0", "100", "100.0"}
	for timeout, want := range map[string][]string{"1": {"0.1"}, "3": {"1", "1.0"}, "19": {"1", "1.0"}, "20": {"10", "10.0"}, "30": {"10", "10.0"}} {
		expr := alertRules(t, helmTemplateSet(t, "monitoring-values.yaml", "webhook.timeoutSeconds="+timeout))["AckguardWebhookSlow"].Expr
		m := leMatcher.FindStringSubmatch(expr)
		if strings.Contains(expr, "histogram_quantile") || m == nil {
			t.Errorf("timeoutSeconds %s: AckguardWebhookSlow does not count the requests above a bucket bound: %s", timeout, expr)
			continue
		}
		le := regexp.MustCompile(`^(?:` + strings.ReplaceAll(m[1], `\\`, `\`) + `)$`)
		for _, b := range bounds {
			if le.MatchString(b) != slices.Contains(want, b) {
				t.Errorf("timeoutSeconds %s: AckguardWebhookSlow's le=~%q matches %s: %v, want the bound %v", timeout, m[1], b, le.MatchString(b), want)
			}
		}
	}
}

// leMatcher is the bucket bound an alert selects (a PromQL string: its
// backslashes doubled).
var leMatcher = regexp.MustCompile(`le=~"([^"]*)"`)

type alertRule struct {
	Alert       string            `json:"alert"`
	Expr        string            `json:"expr"`
	For         string            `json:"for"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

// alertRules returns the rendered PrometheusRule's rules by alert name.
func alertRules(t *testing.T, objs []*unstructured.Unstructured) map[string]alertRule {
	t.Helper()
	prs := find(objs, "PrometheusRule")
	if len(prs) != 1 {
		t.Fatalf("%d PrometheusRules", len(prs))
	}
	var spec struct {
		Groups []struct {
			Name  string      `json:"name"`
			Rules []alertRule `json:"rules"`
		} `json:"groups"`
	}
	if err := yaml.UnmarshalStrict(mustJSON(t, prs[0].Object["spec"]), &spec); err != nil {
		t.Fatalf("PrometheusRule spec: %v", err)
	}
	out := map[string]alertRule{}
	for _, g := range spec.Groups {
		for _, r := range g.Rules {
			out[r.Alert] = r
		}
	}
	return out
}

var (
	// A metric name is what stands before a label matcher.
	seriesName = regexp.MustCompile(`([a-zA-Z_:][a-zA-Z0-9_:]*)\{`)
	webhookRe  = regexp.MustCompile(`name=~"([^"]+)"`)
)

// registered reports whether the controller-runtime registry (which the
// manager serves) has a collector named name: registering another under
// the same name fails only then.
func registered(name string) bool {
	probe := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: "probe"})
	if err := crmetrics.Registry.Register(probe); err != nil {
		return true
	}
	crmetrics.Registry.Unregister(probe)
	return false
}

// helmTestArgs returns the `helm test` pod's arguments: the image's
// entrypoint, the ackguard binary, runs them.
func helmTestArgs(t *testing.T, objs []*unstructured.Unstructured) []string {
	t.Helper()
	pod := one(t, objs, "Pod", "ackguard-test")
	if pod.GetAnnotations()["helm.sh/hook"] != "test" {
		t.Fatalf("the test pod is not a helm test hook: %v", pod.GetAnnotations())
	}
	c := container(t, pod.Object["spec"].(map[string]any))
	if cmd := stringsOf(c, "command"); cmd != nil {
		t.Fatalf("the test pod replaces the image's entrypoint with %v", cmd)
	}
	manager := one(t, objs, "Deployment", "ackguard-controller-manager")
	if img, want := c["image"], container(t, manager.Object["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any))["image"]; img != want {
		t.Errorf("the test pod runs %v, the manager %v", img, want)
	}
	args := stringsOf(c, "args")
	if len(args) == 0 || args[0] != "check-webhook" {
		t.Fatalf("the test pod runs ackguard %v", args)
	}
	return args
}

// runHelmTest runs the test pod's command as the pod would: ackguard
// check-webhook talking to the cluster as the test's ServiceAccount.
func runHelmTest(t *testing.T, args []string, kubeconfig string) (string, error) {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range cfg.AuthInfos {
		u.Impersonate = "system:serviceaccount:" + releaseNamespace + ":ackguard-test"
	}
	as := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, as); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KUBECONFIG", as)
	var out bytes.Buffer
	cmd := probe.NewCommand(&out)
	cmd.SetArgs(args[1:])
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SilenceUsage = true
	err = cmd.ExecuteContext(ctx)
	if err != nil {
		fmt.Fprintln(&out, err)
	}
	return out.String(), err
}

// TestHelmTestAndAlerts runs the chart's `helm test` script (with only its
// Role) against the chart's webhook served by a manager: it passes while
// ackguard denies the insecure Bucket and fails once ackguard is down or
// gone. Meanwhile it checks that every series the alerts select exists:
// ackguard's and controller-runtime's metrics in the registry the manager
// serves, and the API server's webhook failure counters, with the labels
// the alerts match, in the API server's own /metrics.
func TestHelmTestAndAlerts(t *testing.T) {
	suite.Start(t)
	ns := "helm-test-target"
	ensureNamespace(t, ns)
	ensureNamespace(t, releaseNamespace)
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := cluster.Kubeconfig(kubeconfig); err != nil {
		t.Fatal(err)
	}
	objs := helmTemplateSet(t, "monitoring-values.yaml", "test.namespace="+ns)
	var testRBAC []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetAnnotations()["helm.sh/hook"] == "test" && o.GetKind() != "Pod" {
			testRBAC = append(testRBAC, o)
		}
	}
	if len(testRBAC) != 3 {
		t.Fatalf("the helm test renders %d ServiceAccount/Role/RoleBinding objects", len(testRBAC))
	}
	apply(t, testRBAC)
	args := helmTestArgs(t, objs)

	mctx, stop := context.WithCancel(ctx)
	opts := cluster.ManagerOptions()
	opts.EnableReconciler = false
	_, done, err := cluster.StartAckguard(mctx, opts)
	if err != nil {
		stop()
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			stop()
			<-done
		}
	}()
	installWebhook(t, chartWebhook(t, "monitoring-values.yaml"))
	if err := probeDenied(t, ns); err != nil {
		t.Fatal(err)
	}
	if out, err := runHelmTest(t, args, kubeconfig); err != nil || !strings.Contains(out, "PASS") {
		t.Errorf("helm test with ackguard serving: %v\n%s", err, out)
	}

	// The manager exports the expiry of the certificate it serves.
	families, err := crmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	expiry := 0.0
	for _, f := range families {
		if f.GetName() == metrics.CertificateExpiryName && len(f.GetMetric()) == 1 {
			expiry = f.GetMetric()[0].GetGauge().GetValue()
		}
	}
	if expiry < float64(time.Now().Unix()) {
		t.Errorf("%s = %v, want the serving certificate's expiry", metrics.CertificateExpiryName, expiry)
	}
	// Every ackguard_ and controller_runtime_ series an alert selects is
	// one the manager exports.
	rules := alertRules(t, objs)
	for _, r := range rules {
		for _, m := range seriesName.FindAllStringSubmatch(r.Expr, -1) {
			name := m[1]
			if !strings.HasPrefix(name, "ackguard_") && !strings.HasPrefix(name, "controller_runtime_") {
				continue
			}
			base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_sum"), "_count")
			if !registered(base) {
				t.Errorf("alert %s selects %s, which the manager does not export", r.Alert, name)
			}
		}
	}

	stop()
	<-done
	stopped = true
	// Down, failurePolicy Fail: the API server refuses the Bucket (not
	// ackguard), and the test says so.
	if err := cluster.Client.Create(ctx, insecure(ns, "while-down"), client.DryRunAll); err == nil || !strings.Contains(err.Error(), "failed calling webhook") {
		t.Fatalf("with ackguard down: %v", err)
	}
	if out, err := runHelmTest(t, args, kubeconfig); err == nil || !strings.Contains(out, "could not call ackguard's webhook") {
		t.Errorf("helm test with ackguard down: %v\n%s", err, out)
	}
	// The governance webhook fails open (failurePolicy Ignore).
	if err := cluster.Client.Create(ctx, exception(ns, "while-down", "S3-004"), client.DryRunAll); err != nil {
		t.Errorf("an exception while ackguard is down: %v", err)
	}
	// The API server's counters the timeout and fail-open alerts watch,
	// with the labels they match.
	cs, err := kubernetes.NewForConfig(cluster.Config)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := cs.Discovery().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		t.Fatal(err)
	}
	hooks := regexp.MustCompile(`^(?:` + strings.ReplaceAll(webhookRe.FindStringSubmatch(rules["AckguardWebhookRejectedByTimeout"].Expr)[1], `\\`, `\`) + `)$`)
	for alert, want := range map[string][]string{
		"AckguardWebhookRejectedByTimeout": {"apiserver_admission_webhook_rejection_count{", `error_type="calling_webhook_error"`, `name="validate.ack.ackguard.dev"`},
		"AckguardWebhookFailingOpen":       {"apiserver_admission_webhook_fail_open_count{", `name="validate.policy.ackguard.dev"`},
	} {
		if !strings.Contains(rules[alert].Expr, strings.TrimSuffix(want[0], "{")) {
			t.Errorf("alert %s does not watch %s: %s", alert, want[0], rules[alert].Expr)
		}
		found := false
		for _, line := range strings.Split(string(raw), "\n") {
			if strings.HasPrefix(line, want[0]) && !slices.ContainsFunc(want[1:], func(w string) bool { return !strings.Contains(line, w) }) {
				found = true
			}
		}
		if !found {
			t.Errorf("the API server exported no %s series with %v for alert %s", want[0], want[1:], alert)
		}
	}
	for _, name := range []string{"validate.ack.ackguard.dev", "validate.policy.ackguard.dev"} {
		if !hooks.MatchString(name) {
			t.Errorf("the alerts' webhook matcher %s misses %s", hooks, name)
		}
	}

	// Gone: the Bucket is admitted, and the test fails.
	removeWebhooks(t, find(objs, "ValidatingWebhookConfiguration"))
	if out, err := runHelmTest(t, args, kubeconfig); err == nil || !strings.Contains(out, "admitted a public-read Bucket") {
		t.Errorf("helm test without the webhook: %v\n%s", err, out)
	}
}

// TestHelmTestRefusesExcludedNamespace: a test namespace the webhook never
// sees would prove nothing; the test says so and fails, before it asks
// the cluster anything.
func TestHelmTestRefusesExcludedNamespace(t *testing.T) {
	for _, ns := range []string{"kube-system", releaseNamespace, "sandbox"} {
		args := helmTestArgs(t, helmTemplateSet(t, "owners-values.yaml", "test.namespace="+ns))
		t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "none"))
		var out bytes.Buffer
		cmd := probe.NewCommand(&out)
		cmd.SetArgs(args[1:])
		err := cmd.Execute()
		if err == nil || !strings.Contains(err.Error(), "is never sent to the webhook") {
			t.Errorf("test.namespace=%s: %v\n%s", ns, err, out.String())
		}
	}
}

// TestChartArtifactHubAnnotations: Chart.yaml's Artifact Hub annotations
// parse, list the images the chart runs by default and the CRDs it
// installs, and their CRD examples are objects the API accepts.
func TestChartArtifactHubAnnotations(t *testing.T) {
	var chart struct {
		AppVersion  string            `json:"appVersion"`
		Annotations map[string]string `json:"annotations"`
	}
	data, err := os.ReadFile(filepath.Join(repoRoot, "charts", "ackguard", "Chart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &chart); err != nil {
		t.Fatal(err)
	}
	var images []struct{ Name, Image string }
	if err := yaml.UnmarshalStrict([]byte(chart.Annotations["artifacthub.io/images"]), &images); err != nil {
		t.Fatal(err)
	}
	var annotated []string
	for _, i := range images {
		annotated = append(annotated, i.Image)
	}
	var rendered []string
	for _, spec := range podSpecs(withoutTestHooks(helmTemplate(t, "default-values.yaml"))) {
		rendered = append(rendered, container(t, spec)["image"].(string))
	}
	slices.Sort(annotated)
	slices.Sort(rendered)
	if !slices.Equal(slices.Compact(annotated), slices.Compact(rendered)) {
		t.Errorf("artifacthub.io/images lists %v, the chart runs %v", annotated, rendered)
	}

	var crds []struct{ Kind, Version, Name, DisplayName, Description string }
	if err := yaml.UnmarshalStrict([]byte(chart.Annotations["artifacthub.io/crds"]), &crds); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range crds {
		names = append(names, c.Name)
	}
	slices.Sort(names)
	if got := strings.Join(names, ","); got != ownCRDs {
		t.Errorf("artifacthub.io/crds lists %s, the chart installs %s", got, ownCRDs)
	}
	var examples []map[string]any
	if err := yaml.Unmarshal([]byte(chart.Annotations["artifacthub.io/crdsExamples"]), &examples); err != nil {
		t.Fatal(err)
	}
	for _, ex := range examples {
		b := mustJSON(t, ex)
		var obj client.Object
		switch ex["kind"] {
		case "GuardrailPolicy":
			obj = &v1alpha1.GuardrailPolicy{}
		case "GuardrailException":
			obj = &v1alpha1.GuardrailException{}
		default:
			t.Fatalf("example of kind %v", ex["kind"])
		}
		if err := yaml.UnmarshalStrict(b, obj); err != nil {
			t.Errorf("the %s example does not decode: %v", ex["kind"], err)
		}
	}
	// No license annotation until the project has chosen a license
	// (docs/releasing.md, "Open points"): the chart must not claim one.
	if l, ok := chart.Annotations["artifacthub.io/license"]; ok {
		t.Errorf("Chart.yaml claims the license %q, which the repository does not grant", l)
	}
	for _, key := range []string{"artifacthub.io/links", "artifacthub.io/changes"} {
		if chart.Annotations[key] == "" {
			t.Errorf("Chart.yaml lacks %s", key)
		}
	}
}

// withoutTestHooks drops the `helm test` objects.
func withoutTestHooks(objs []*unstructured.Unstructured) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetAnnotations()["helm.sh/hook"] != "test" {
			out = append(out, o)
		}
	}
	return out
}
