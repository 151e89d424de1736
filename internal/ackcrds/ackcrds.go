// Package ackcrds ships minimal CustomResourceDefinitions for the ACK kinds
// ackguard reads, for tests and the demo, and for ackguard scan, which
// checks manifests against their schemas as the API server checks them
// against ACK's. They keep ACK's group, version, kind and scope, type the
// fields the rules read as ACK's CRDs type them, require what ACK's CRDs
// require among those (TestMinimalAgreesWithACK), and preserve every other
// spec field, so a fresh clone tests without ACK's own CRDs. When the
// environment variable ACK_CRDS_DIR names a folder of the real ACK CRDs,
// Load returns those instead.
package ackcrds

import (
	"bufio"
	"bytes"
	"embed"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// EnvDir names the environment variable that points at real ACK CRDs.
const EnvDir = "ACK_CRDS_DIR"

//go:embed bases/*.yaml
var bases embed.FS

// Minimal returns the project's own minimal CRDs.
func Minimal() ([]*apiextensionsv1.CustomResourceDefinition, error) {
	return decodeFS(bases, "bases")
}

// Load returns the real CRDs from $ACK_CRDS_DIR when it is set, else the
// minimal ones. source says which.
func Load() (crds []*apiextensionsv1.CustomResourceDefinition, source string, err error) {
	if dir := os.Getenv(EnvDir); dir != "" {
		crds, err = decodeFS(os.DirFS(dir), ".")
		if err == nil && len(crds) == 0 {
			err = fmt.Errorf("%s=%s holds no CRD", EnvDir, dir)
		}
		return crds, dir, err
	}
	crds, err = Minimal()
	return crds, "minimal test CRDs", err
}

func decodeFS(fsys fs.FS, dir string) ([]*apiextensionsv1.CustomResourceDefinition, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if !e.IsDir() && (strings.HasSuffix(e.Name(), ".yaml") || strings.HasSuffix(e.Name(), ".yml")) {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	var out []*apiextensionsv1.CustomResourceDefinition
	for _, n := range names {
		data, err := fs.ReadFile(fsys, filepath.ToSlash(filepath.Join(dir, n)))
		if err != nil {
			return nil, err
		}
		crds, err := decode(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		out = append(out, crds...)
	}
	return out, nil
}

func decode(data []byte) ([]*apiextensionsv1.CustomResourceDefinition, error) {
	r := utilyaml.NewYAMLReader(bufioReader(data))
	var out []*apiextensionsv1.CustomResourceDefinition
	for {
		doc, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := yaml.UnmarshalStrict(doc, crd); err != nil {
			return nil, err
		}
		if crd.Kind != "CustomResourceDefinition" {
			continue
		}
		out = append(out, crd)
	}
}

func bufioReader(data []byte) *bufio.Reader { return bufio.NewReader(bytes.NewReader(data)) }
