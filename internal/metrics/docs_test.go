package metrics

import (
	"os"
	"reflect"
	"regexp"
	"slices"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestMetricsDocumented: docs/metrics.md lists every ackguard_ series the
// manager exports, and none it does not.
func TestMetricsDocumented(t *testing.T) {
	m, err := New(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	// Every collector field of Metrics, so a new one cannot be missed.
	collectors := []prometheus.Collector{&certExpiry{desc: prometheus.NewDesc(CertificateExpiryName, "", nil, nil)}}
	v := reflect.ValueOf(m).Elem()
	for i := range v.NumField() {
		if !v.Type().Field(i).IsExported() {
			continue
		}
		if c, ok := v.Field(i).Interface().(prometheus.Collector); ok {
			collectors = append(collectors, c)
		}
	}
	if len(collectors) < 7 {
		t.Fatalf("found %d collectors", len(collectors))
	}
	fqName := regexp.MustCompile(`fqName: "([^"]+)"`)
	var exported []string
	for _, c := range collectors {
		ch := make(chan *prometheus.Desc, 4)
		c.Describe(ch)
		close(ch)
		for d := range ch {
			exported = append(exported, fqName.FindStringSubmatch(d.String())[1])
		}
	}
	doc, err := os.ReadFile("../../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	var documented []string
	for _, s := range regexp.MustCompile("(?m)^\\| `(ackguard_[a-z_]+)`").FindAllStringSubmatch(string(doc), -1) {
		documented = append(documented, s[1])
	}
	for _, e := range exported {
		if !slices.Contains(documented, e) {
			t.Errorf("%s is not in docs/metrics.md", e)
		}
	}
	for _, d := range documented {
		if !slices.Contains(exported, d) {
			t.Errorf("docs/metrics.md lists %s, which the manager does not export", d)
		}
	}
}
