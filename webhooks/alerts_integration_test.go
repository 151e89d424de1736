package webhooks_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/ackguard/ackguard/webhooks"
)

// TestWebhookErrorsAlertSeesARefusalUnjudged: the chart's
// AckguardWebhookErrors alert reads a series that moves when the webhook
// answers a review with an error. Both webhooks answer every review with
// HTTP 200 (an error is an AdmissionReview that refuses, with its code in
// the review), so controller-runtime's requests counter never counts a
// 5xx.
func TestWebhookErrorsAlertSeesARefusalUnjudged(t *testing.T) {
	suite.Start(t)
	series := alertSeries(t, "AckguardWebhookErrors")
	before := sumSelected(t, series)

	// A review whose request has no object: ackguard cannot judge it and
	// answers with an error.
	var url string
	var ca []byte
	for _, w := range cluster.WebhookConfiguration(admissionregistrationv1.Fail).Webhooks {
		if strings.HasSuffix(*w.ClientConfig.URL, webhooks.Path) {
			url, ca = *w.ClientConfig.URL, w.ClientConfig.CABundle
		}
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		t.Fatal("no CA bundle")
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	review := `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"0a0b","kind":{"group":"s3.services.k8s.aws","version":"v1alpha1","kind":"Bucket"},` +
		`"resource":{"group":"s3.services.k8s.aws","version":"v1alpha1","resource":"buckets"},"namespace":"probe","name":"unreadable","operation":"CREATE","userInfo":{"username":"someone"}}}`
	resp, err := hc.Post(url, "application/json", bytes.NewBufferString(review))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Response struct {
			Allowed bool `json:"allowed"`
			Status  struct {
				Code int `json:"code"`
			} `json:"status"`
		} `json:"response"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	if out.Response.Allowed || out.Response.Status.Code < 400 {
		t.Fatalf("HTTP %d, review answer %+v: want a refusal with an error code", resp.StatusCode, out.Response)
	}
	if after := sumSelected(t, series); after <= before {
		t.Errorf("an error answer moves no series AckguardWebhookErrors reads (%v): %v before, %v after", series, before, after)
	}
}

// selectedSeries is a series name and the label matchers an alert selects
// it with (besides the job and namespace every alert adds).
type selectedSeries struct {
	name     string
	matchers [][3]string // label, operator, value
}

var (
	alertExpr  = regexp.MustCompile(`(?m)^\s*- alert: (\S+)\n\s*expr: (.*)$`)
	selectorRe = regexp.MustCompile(`([a-zA-Z_:][a-zA-Z0-9_:]*)\{ \{\{- \$sel -\}\} ?(?:,([^}]*))?\}`)
	matcherRe  = regexp.MustCompile(`(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"`)
)

// alertSeries returns the manager's series the chart's alert selects, read
// from the PrometheusRule template.
func alertSeries(t *testing.T, alert string) []selectedSeries {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "charts", "ackguard", "templates", "prometheusrule.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range alertExpr.FindAllStringSubmatch(string(data), -1) {
		if m[1] != alert {
			continue
		}
		var out []selectedSeries
		for _, s := range selectorRe.FindAllStringSubmatch(m[2], -1) {
			sel := selectedSeries{name: s[1]}
			for _, mm := range matcherRe.FindAllStringSubmatch(s[2], -1) {
				sel.matchers = append(sel.matchers, [3]string{mm[1], mm[2], mm[3]})
			}
			out = append(out, sel)
		}
		if len(out) == 0 {
			t.Fatalf("alert %s selects none of the manager's series: %s", alert, m[2])
		}
		return out
	}
	t.Fatalf("no alert %s", alert)
	return nil
}

// sumSelected sums the values of the registry's series the selectors
// match.
func sumSelected(t *testing.T, series []selectedSeries) float64 {
	t.Helper()
	families, err := crmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, sel := range series {
		for _, mf := range families {
			if mf.GetName() != sel.name {
				continue
			}
		metric:
			for _, m := range mf.GetMetric() {
				labels := map[string]string{}
				for _, l := range m.GetLabel() {
					labels[l.GetName()] = l.GetValue()
				}
				for _, mm := range sel.matchers {
					re := regexp.MustCompile("^(?:" + mm[2] + ")$")
					ok := map[string]bool{"=": labels[mm[0]] == mm[2], "!=": labels[mm[0]] != mm[2], "=~": re.MatchString(labels[mm[0]]), "!~": !re.MatchString(labels[mm[0]])}[mm[1]]
					if !ok {
						continue metric
					}
				}
				sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
			}
		}
	}
	return sum
}
