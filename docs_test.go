package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/ackguard/ackguard/controllers"
)

// TestFlagsDocumented: docs/flags.md lists every flag `ackguard manager`
// accepts, and no flag it does not.
func TestFlagsDocumented(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"manager", "-h"}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("ackguard manager -h: exit %d\n%s", code, stderr.String())
	}
	var flags []string
	for _, m := range regexp.MustCompile(`(?m)^\s+-{1,2}([a-z0-9][a-z0-9-]*)`).FindAllStringSubmatch(stdout.String()+stderr.String(), -1) {
		if m[1] != "h" && m[1] != "help" {
			flags = append(flags, m[1])
		}
	}
	if len(flags) < 10 {
		t.Fatalf("parsed only %v from the usage:\n%s%s", flags, stdout.String(), stderr.String())
	}
	doc, err := os.ReadFile("docs/flags.md")
	if err != nil {
		t.Fatal(err)
	}
	var documented []string
	for _, m := range regexp.MustCompile("(?m)^\\| `--([a-z0-9-]+)`").FindAllStringSubmatch(string(doc), -1) {
		documented = append(documented, m[1])
	}
	for _, f := range flags {
		if !slices.Contains(documented, f) {
			t.Errorf("--%s is not in docs/flags.md", f)
		}
	}
	for _, f := range documented {
		if !slices.Contains(flags, f) {
			t.Errorf("docs/flags.md lists --%s, which ackguard manager does not accept", f)
		}
	}
}

// TestChartPassesDocumentedValues: where docs/flags.md names the chart
// value that sets a flag, the chart's Deployment passes that flag from
// that value (on the flag's line, or on the line before it for a list the
// template ranges over).
func TestChartPassesDocumentedValues(t *testing.T) {
	doc, err := os.ReadFile("docs/flags.md")
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := os.ReadFile("charts/ackguard/templates/deployment.yaml")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(tmpl), "\n")
	rows := regexp.MustCompile("(?m)^\\| `--([a-z0-9-]+)` \\| [^|]* \\| `([A-Za-z0-9.]+)` \\|").FindAllStringSubmatch(string(doc), -1)
	if len(rows) < 15 {
		t.Fatalf("found only %d flags with a chart value in docs/flags.md", len(rows))
	}
	for _, row := range rows {
		flag := "- --" + row[1]
		value := regexp.MustCompile(`\.Values\.` + regexp.QuoteMeta(row[2]) + `([^A-Za-z0-9_.]|$)`)
		found := false
		for i, l := range lines {
			if !strings.Contains(l, flag+"=") && strings.TrimSpace(l) != flag {
				continue
			}
			if value.MatchString(l) || (i > 0 && strings.Contains(lines[i-1], "range") && value.MatchString(lines[i-1])) {
				found = true
			}
		}
		if !found {
			t.Errorf("docs/flags.md says %s sets --%s, but the Deployment template does not pass it from there", row[2], row[1])
		}
	}
}

// TestScanSynopsisDocumented: the synopsis at the top of docs/scan.md
// names every flag `ackguard scan` accepts, and no flag it does not.
func TestScanSynopsisDocumented(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"scan", "-h"}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("ackguard scan -h: exit %d\n%s", code, stderr.String())
	}
	usage, _, _ := strings.Cut(stdout.String(), "Global Flags:")
	_, usage, _ = strings.Cut(usage, "\nFlags:\n")
	var flags []string
	short := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^\s+(?:-([a-z]), )?--([a-z0-9][a-z0-9-]*)`).FindAllStringSubmatch(usage, -1) {
		if m[2] != "help" {
			flags = append(flags, m[2])
			short[m[2]] = m[1]
		}
	}
	if len(flags) < 10 {
		t.Fatalf("parsed only %v from the usage:\n%s", flags, stdout.String())
	}
	doc, err := os.ReadFile("docs/scan.md")
	if err != nil {
		t.Fatal(err)
	}
	_, synopsis, _ := strings.Cut(string(doc), "```sh\n")
	synopsis, _, _ = strings.Cut(synopsis, "```")
	var documented []string
	for _, m := range regexp.MustCompile(`--([a-z0-9][a-z0-9-]*)`).FindAllStringSubmatch(synopsis, -1) {
		documented = append(documented, m[1])
	}
	for _, f := range flags {
		if !slices.Contains(documented, f) && (short[f] == "" || !strings.Contains(synopsis, "[-"+short[f]+" ")) {
			t.Errorf("--%s is not in the synopsis of docs/scan.md:\n%s", f, synopsis)
		}
	}
	for _, f := range documented {
		if !slices.Contains(flags, f) {
			t.Errorf("the synopsis of docs/scan.md names --%s, which ackguard scan does not accept", f)
		}
	}
}

// TestExceptionEventsNeverDroppedDocumented: where the Event rate limit
// is described (docs/flags.md, the chart's events.qps, the --event-qps
// usage), it names every GuardrailException transition Event as never
// dropped, as the manager records them all unbounded.
func TestExceptionEventsNeverDroppedDocumented(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"manager", "-h"}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("ackguard manager -h: exit %d\n%s", code, stderr.String())
	}
	usage := regexp.MustCompile(`(?m)^\s+--event-qps.*$`).FindString(stdout.String() + stderr.String())
	flags, err := os.ReadFile("docs/flags.md")
	if err != nil {
		t.Fatal(err)
	}
	values, err := os.ReadFile("charts/ackguard/values.yaml")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("charts/ackguard/README.md")
	if err != nil {
		t.Fatal(err)
	}
	for where, text := range map[string]string{
		"docs/flags.md":               regexp.MustCompile("(?m)^\\| `--event-qps`.*$").FindString(string(flags)),
		"charts/ackguard/values.yaml": regexp.MustCompile(`(?m)^events:\n  # -- .*$`).FindString(string(values)),
		"charts/ackguard/README.md":   regexp.MustCompile("(?m)^\\| `events.qps`.*$").FindString(string(readme)),
		"the --event-qps usage":       usage,
	} {
		if text == "" {
			t.Errorf("%s: no --event-qps description found", where)
			continue
		}
		for _, reason := range []string{controllers.ReasonExceptionExpired, controllers.ReasonExceptionInvalidated, controllers.ReasonExceptionReactivated} {
			if !strings.Contains(text, reason) {
				t.Errorf("%s does not say that an exception's %s Event is never dropped: %s", where, reason, text)
			}
		}
	}
}

// TestFlagDefaultsDocumented: where docs/flags.md gives a flag's default
// as one value, it is the default the manager runs with. zap's flags
// report no default of their own, so the log encoder's defaults are read
// from a line the manager's logger writes.
func TestFlagDefaultsDocumented(t *testing.T) {
	doc, err := os.ReadFile("docs/flags.md")
	if err != nil {
		t.Fatal(err)
	}
	defaults := map[string]string{}
	for _, m := range regexp.MustCompile("(?m)^\\| `--([a-z0-9-]+)` \\| `([^`]*)` \\|").FindAllStringSubmatch(string(doc), -1) {
		defaults[m[1]] = m[2]
	}
	if len(defaults) < 20 {
		t.Fatalf("found only %d flags with a single default in docs/flags.md", len(defaults))
	}
	checked := 0
	newManagerCommand(io.Discard).Flags().VisitAll(func(f *pflag.Flag) {
		want, ok := defaults[f.Name]
		if !ok || f.DefValue == "" {
			return
		}
		checked++
		got := f.DefValue
		if f.Value.Type() == "duration" {
			d, err := time.ParseDuration(want)
			if err != nil {
				t.Errorf("docs/flags.md: --%s default %q: %v", f.Name, want, err)
				return
			}
			want = d.String()
		}
		if got != want {
			t.Errorf("docs/flags.md says --%s defaults to %q, the manager to %q", f.Name, defaults[f.Name], f.DefValue)
		}
	})
	if checked < 15 {
		t.Fatalf("compared only %d defaults", checked)
	}

	// The logger as the manager builds it with no zap flag given.
	var out bytes.Buffer
	zopts := zap.Options{}
	zopts.BindFlags(flag.NewFlagSet("zap", flag.ContinueOnError))
	zap.New(zap.UseFlagOptions(&zopts), zap.WriteTo(&out)).Info("a line")
	var line map[string]any
	if err := json.Unmarshal(out.Bytes(), &line); err != nil {
		t.Fatalf("the log line is not JSON (docs/flags.md: --zap-encoder %s): %v\n%s", defaults["zap-encoder"], err, out.String())
	}
	if defaults["zap-encoder"] != "json" {
		t.Errorf("docs/flags.md says --zap-encoder defaults to %q; the manager writes JSON", defaults["zap-encoder"])
	}
	ts := line["ts"]
	var encoding string
	switch v := ts.(type) {
	case float64:
		if v > 1e12 {
			encoding = "millis or nanos"
		} else {
			encoding = "epoch"
		}
	case string:
		if _, err := time.Parse(time.RFC3339, v); err == nil && !strings.Contains(v, ".") {
			encoding = "rfc3339"
		} else {
			encoding = "iso8601 or rfc3339nano"
		}
	}
	if defaults["zap-time-encoding"] != encoding {
		t.Errorf("docs/flags.md says --zap-time-encoding defaults to %q; the manager writes %v (%s)", defaults["zap-time-encoding"], ts, encoding)
	}
	// ackguard manager -h says so too.
	usage := newManagerCommand(io.Discard).Flags().Lookup("zap-time-encoding").Usage
	if m := regexp.MustCompile(`[Dd]efaults? (?:to )?'?([a-z0-9]+)`).FindStringSubmatch(usage); m != nil && m[1] != encoding {
		t.Errorf("ackguard manager -h says --zap-time-encoding defaults to %q; the manager writes %v (%s)", m[1], ts, encoding)
	}
}

// TestOutsideClusterCertificateDocumented: with --cert-rotation the
// manager fills the certificate Secret, but its webhook serves only once
// tls.crt and tls.key are in --webhook-cert-dir, where a pod mounts the
// Secret. docs/install.md, where it says how to run the manager outside a
// cluster, says how the certificate gets there; otherwise the webhook
// never starts and /readyz fails without a word in the log.
func TestOutsideClusterCertificateDocumented(t *testing.T) {
	b, err := os.ReadFile("docs/install.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "Outside a cluster")
	if !ok {
		t.Fatal("docs/install.md no longer says how to run the manager outside a cluster")
	}
	paragraph, _, _ := strings.Cut(rest, "\n\n")
	for _, want := range []string{"--webhook-cert-dir", "tls.crt", "tls.key"} {
		if !strings.Contains(paragraph, want) {
			t.Errorf("docs/install.md, outside a cluster, does not say that the Secret's certificate goes into --webhook-cert-dir (%s missing):\n%s", want, paragraph)
		}
	}
}
