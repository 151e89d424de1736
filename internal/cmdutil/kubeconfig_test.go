package cmdutil

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A kubeconfig named but missing is said as such, not as client-go's advice
// to set KUBERNETES_MASTER or a bare stat error.
func TestClusterConfig(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(good, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443"}}, {name: d, cluster: {server: "https://127.0.0.2:6443"}}]
contexts: [{name: c, context: {cluster: c, user: u}}, {name: d, context: {cluster: d, user: u}}]
users: [{name: u, user: {token: t}}]
current-context: c
`), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "nope")
	f := flag.CommandLine.Lookup("kubeconfig")
	if f == nil {
		t.Fatal("controller-runtime's --kubeconfig is not registered")
	}
	t.Cleanup(func() { _ = f.Value.Set("") })
	for _, tt := range []struct {
		name, flag, env string
		context         string
		want            string // error substring; "" for success
		host            string // "": https://127.0.0.1:6443
	}{
		{name: "flag names no file", flag: missing, want: "kubeconfig " + missing + ": no such file or directory"},
		{name: "env names no file", env: missing, want: "$KUBECONFIG=" + missing + " names no file that exists"},
		{name: "env names none of its files", env: missing + string(os.PathListSeparator) + missing + "2", want: "names no file that exists"},
		{name: "env with one file that exists", env: missing + string(os.PathListSeparator) + good},
		{name: "flag", flag: good},
		{name: "flag and context", flag: good, context: "d", host: "https://127.0.0.2:6443"},
		{name: "context that does not exist", flag: good, context: "x", want: `context "x" does not exist`},
		{name: "nothing", want: "no kubeconfig ($KUBECONFIG, ~/.kube/config) and not running in a cluster"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := f.Value.Set(tt.flag); err != nil {
				t.Fatal(err)
			}
			t.Setenv("KUBECONFIG", tt.env)
			t.Setenv("HOME", dir)
			t.Setenv("KUBERNETES_SERVICE_HOST", "")
			cfg, err := ClusterConfig(tt.context)
			if tt.host == "" {
				tt.host = "https://127.0.0.1:6443"
			}
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("error %v", err)
			case tt.want == "" && cfg.Host != tt.host:
				t.Errorf("host %q", cfg.Host)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}
