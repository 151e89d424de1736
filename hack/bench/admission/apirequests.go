package main

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"k8s.io/client-go/kubernetes"
)

// apiRequests counts the requests the API server answered, by verb and
// resource ("PATCH buckets", "POST events"), with the answer's code when it
// is not a success ("PATCH buckets 409"), as its apiserver_request_total
// reports them. Watches are left out: the API server counts a WATCH when
// it ends, and whether a watch that just ended is counted yet, or an
// informer's open one already (client-go's watch-list), is a race.
type apiRequests map[string]int64

// requestCounts reads the API server's request counters from its
// /metrics.
func (e *env) requestCounts(ctx context.Context) (apiRequests, error) {
	cs, err := kubernetes.NewForConfig(e.cluster.Config)
	if err != nil {
		return nil, err
	}
	data, err := cs.RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the API server's metrics: %w", err)
	}
	return parseRequestCounts(data)
}

// parseRequestCounts sums apiserver_request_total in a metrics text by
// verb and resource (a subresource after a slash).
func parseRequestCounts(data []byte) (apiRequests, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("parsing the API server's metrics: %w", err)
	}
	out := apiRequests{}
	family := families["apiserver_request_total"]
	if family == nil {
		return nil, fmt.Errorf("the API server's metrics have no apiserver_request_total")
	}
	for _, m := range family.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		if labels["verb"] == "WATCH" {
			continue
		}
		key := labels["verb"] + " " + labels["resource"]
		switch sub := labels["subresource"]; {
		case labels["resource"] == "":
			key = labels["verb"] + " (no resource: discovery, health, metrics)"
		case sub != "":
			key += "/" + sub
		}
		if code := labels["code"]; code != "" && code[0] != '2' {
			key += " " + code
		}
		out[key] += int64(m.GetCounter().GetValue())
	}
	return out, nil
}

// since returns what was answered after before was read, without the
// requests that did not grow.
func (a apiRequests) since(before apiRequests) apiRequests {
	out := apiRequests{}
	for k, n := range a {
		if d := n - before[k]; d > 0 {
			out[k] = d
		}
	}
	return out
}

// String lists the counts, the largest first: "PATCH buckets 10000, POST
// events 2341".
func (a apiRequests) String() string {
	keys := slices.SortedFunc(maps.Keys(a), func(x, y string) int {
		return cmp.Or(cmp.Compare(a[y], a[x]), strings.Compare(x, y))
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, a[k])
	}
	return strings.Join(parts, ", ")
}
