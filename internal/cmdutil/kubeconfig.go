package cmdutil

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client/config"
)

// ClusterConfig returns the API server's configuration as controller-runtime
// reads it: controller-runtime's --kubeconfig flag (where a command binds
// it), else $KUBECONFIG, else the pod's service account, else
// ~/.kube/config. Its error says where it looked: on their own, a
// --kubeconfig naming no file reads as a bare "stat" error, and a
// $KUBECONFIG naming none as client-go's advice to set KUBERNETES_MASTER.
// kubeContext names the kubeconfig context to use ("": its current
// context). Commands end with ExitUsage on it: there is nothing to work on.
func ClusterConfig(kubeContext string) (*rest.Config, error) {
	if f := flag.CommandLine.Lookup("kubeconfig"); f != nil && f.Value.String() != "" {
		if _, err := os.Stat(f.Value.String()); err != nil {
			if pe, ok := errors.AsType[*fs.PathError](err); ok {
				err = pe.Err
			}
			return nil, fmt.Errorf("kubeconfig %s: %w", f.Value.String(), err)
		}
	} else if env := os.Getenv(clientcmd.RecommendedConfigPathEnvVar); env != "" {
		exists := func(p string) bool {
			_, err := os.Stat(p)
			return p != "" && err == nil
		}
		if !slices.ContainsFunc(filepath.SplitList(env), exists) {
			return nil, fmt.Errorf("$%s=%s names no file that exists", clientcmd.RecommendedConfigPathEnvVar, env)
		}
	}
	cfg, err := config.GetConfigWithContext(kubeContext)
	if clientcmd.IsEmptyConfig(err) {
		return nil, fmt.Errorf("no kubeconfig ($%s, ~/.kube/config) and not running in a cluster", clientcmd.RecommendedConfigPathEnvVar)
	}
	return cfg, err
}
