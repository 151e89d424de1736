package scan

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart"
	"helm.sh/helm/v4/pkg/chart/loader"
	helmloader "helm.sh/helm/v4/pkg/chart/v2/loader"
	release "helm.sh/helm/v4/pkg/release/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/ackguard/ackguard/api/v1alpha1"
	"github.com/ackguard/ackguard/internal/rules"
)

// Defaults of the release a chart is rendered for, as helm template's,
// and of the namespace objects that name none are created in, as
// kubectl's.
const (
	DefaultReleaseName = "release-name"
	// DefaultReleaseNamespace is the release namespace when neither
	// --release-namespace nor --namespace is given.
	DefaultReleaseNamespace = DefaultNamespace
	DefaultNamespace        = "default"
)

// buildDir builds a directory the way it is applied: one holding a
// kustomization (unless Options.NoKustomize) as "kubectl apply -k" would,
// one holding Chart.yaml as "helm template" would. It reports whether it
// did; the directory is then not walked for raw manifests.
//
// A directory is built once: the second pass over the inputs reads what
// the first built.
func (s *scanner) buildDir(dir string, mode readMode) bool {
	if kustomizationFile(dir) == "" && !isFile(filepath.Join(dir, "Chart.yaml")) {
		return false
	}
	if !s.take(dir) {
		return true // built and read in this pass already
	}
	if b, ok := s.builds[dir]; ok {
		if b.data != nil {
			s.built(dir, b.origin, b.data, mode)
		}
		return true
	}
	switch {
	case !s.opts.NoKustomize && kustomizationFile(dir) != "":
		if isFile(filepath.Join(dir, "Chart.yaml")) {
			s.notef("%s holds both a kustomization and Chart.yaml: it was built with kustomize, as kubectl apply -k builds it, and the chart was not rendered (name a directory holding the chart alone to judge what helm template renders)", dir)
		}
		s.kustomize(dir, kustomizationFile(dir), mode)
	case isFile(filepath.Join(dir, "Chart.yaml")):
		s.charts++
		s.helmChart(dir, mode)
	default:
		return false
	}
	if _, ok := s.builds[dir]; !ok {
		s.builds[dir] = builtStream{} // failed: reported once
	}
	return true
}

// builtStream is what a directory built to.
type builtStream struct {
	origin origin
	data   []byte
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// kustomizationFile is the kustomization file of dir, "" when it has
// none.
func kustomizationFile(dir string) string {
	for _, name := range konfig.RecognizedKustomizationFileNames() {
		if p := filepath.Join(dir, name); isFile(p) {
			return p
		}
	}
	return ""
}

// kustomize builds the kustomization in dir in-process, with kustomize's
// defaults for "kubectl apply -k" and nothing else: files only from the
// kustomization's own tree (bases are kustomizations of their own), no
// plugins, no exec or container functions, no Helm inflation, and no
// remote bases or resources (refused before the build: a scan fetches
// nothing). The built objects are judged, not the files they are built
// from: a patch is judged as applied to its base.
//
// The resources are read from the stream "kustomize build DIR" prints;
// their source is "DIR (kustomize build)#N", and lines and columns count
// in that stream. The kustomization file is what a report points code
// scanning at (line 1).
func (s *scanner) kustomize(dir, kfile string, mode readMode) {
	src := dir + " (kustomize build)"
	if err := localOnly(dir, map[string]bool{}); err != nil {
		s.errorf(src, "%v", err)
		return
	}
	// The order "kustomize build" prints in: its legacy order unless the
	// kustomization's sortOptions say otherwise (the CLI leaves the
	// choice to the build; the API's default keeps the input order).
	opts := krusty.MakeDefaultOptions()
	opts.Reorder = krusty.ReorderOptionUnspecified
	k := krusty.MakeKustomizer(opts)
	m, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		s.errorf(src, "%s", oneLineError(err))
		return
	}
	out, err := m.AsYaml()
	if err != nil {
		s.errorf(src, "%s", oneLineError(err))
		return
	}
	s.built(dir, origin{file: src, artifact: kfile, built: true}, out, mode)
}

// localOnly refuses a kustomization (in dir, and in the local
// kustomizations it uses) that names a remote base, component or
// resource: a URL, or a path that does not exist.
func localOnly(dir string, seen map[string]bool) error {
	if seen[dir] {
		return nil
	}
	seen[dir] = true
	kfile := kustomizationFile(dir)
	if kfile == "" {
		return nil
	}
	data, err := os.ReadFile(kfile)
	if err != nil {
		return err
	}
	var k types.Kustomization
	if err := yaml.Unmarshal(data, &k); err != nil {
		return nil // kustomize reports it, with more context
	}
	// Bases is deprecated, but old kustomizations still name remote
	// bases there, which must be refused too.
	for _, ref := range slices.Concat(k.Resources, k.Bases, k.Components) { //nolint:staticcheck // SA1019, see above
		if strings.Contains(ref, "://") || strings.HasPrefix(ref, "git@") || strings.Contains(ref, "?ref=") {
			return fmt.Errorf("%s: %q is remote: ackguard scan fetches nothing; vendor it, or scan the built output", kfile, ref)
		}
		p := filepath.Join(dir, ref)
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("%s: %q: no such file or directory (remote bases are not fetched)", kfile, ref)
		}
		if fi.IsDir() {
			if err := localOnly(p, seen); err != nil {
				return err
			}
		}
	}
	return nil
}

// helmChart renders the chart in dir in-process as "helm template" would
// (a client-side dry run of an install): its default values merged with
// Options.Values in order, release Options.ReleaseName in
// Options.ReleaseNamespace, the default capabilities with the API
// versions of the kinds ackguard guards and Options.APIVersions, hooks
// included,
// CRDs and NOTES.txt not. Dependencies must be in charts/ ("helm
// dependency build"); a library chart renders nothing and is skipped with
// a note.
//
// Each rendered document carries the template that rendered it (helm's
// "# Source:" comment). Its source is "DIR (helm template)#N" and lines
// and columns count in that stream (as helm v4's "helm template DIR"
// prints it with the same values; helm v3 leaves out the blank line after
// each template); the template file is what a report points code
// scanning at (line 1), and the text output names it.
func (s *scanner) helmChart(dir string, mode readMode) {
	src := dir + " (helm template)"
	ch, err := loader.Load(dir)
	if err != nil {
		s.errorf(src, "cannot load the chart: %s", oneLineError(err))
		return
	}
	acc, err := chart.NewAccessor(ch)
	if err != nil {
		s.errorf(src, "cannot load the chart: %s", oneLineError(err))
		return
	}
	if acc.IsLibraryChart() {
		s.notef("%s: a library chart renders no manifest; skipped", dir)
		return
	}
	if req := acc.MetaDependencies(); len(req) > 0 {
		if err := action.CheckDependencies(ch, req); err != nil {
			s.errorf(src, "missing dependencies (run helm dependency build %s): %s", dir, oneLineError(err))
			return
		}
	}
	if s.badValues {
		return // checkValues said which file, and why
	}
	vals, err := s.chartValues()
	if err != nil {
		s.errorf(src, "values: %s", oneLineError(err))
		return
	}
	cfg := action.NewConfiguration(action.ConfigurationSetLogger(slog.NewTextHandler(io.Discard, nil)))
	inst := action.NewInstall(cfg)
	inst.DryRunStrategy = action.DryRunClient
	inst.Replace = true
	// What .Capabilities.APIVersions.Has answers yes to: helm template's
	// defaults, the kinds ackguard guards (a chart that renders a Bucket
	// only where the cluster serves Buckets renders it here: the webhook
	// judges it only there), and --api-versions.
	inst.APIVersions = append(guardedAPIVersions(s.reg), s.opts.APIVersions...)
	inst.ReleaseName = cmpOr(s.opts.ReleaseName, DefaultReleaseName)
	inst.Namespace = s.releaseNamespace()
	ri, err := inst.RunWithContext(s.ctx, ch, vals)
	if err != nil {
		s.errorf(src, "cannot render the chart: %s", oneLineError(err))
		return
	}
	var rel *release.Release
	switch r := ri.(type) {
	case *release.Release:
		rel = r
	case release.Release:
		rel = &r
	}
	if rel == nil {
		s.errorf(src, "internal error: helm returned a release of type %T; report this to the ackguard maintainers", ri)
		return
	}
	var out bytes.Buffer
	out.WriteString(strings.TrimSpace(rel.Manifest))
	out.WriteByte('\n')
	for _, h := range rel.Hooks {
		fmt.Fprintf(&out, "---\n# Source: %s\n%s\n", h.Path, h.Manifest)
	}
	s.built(dir, origin{file: src, artifact: dir, built: true, namespace: inst.Namespace}, out.Bytes(), mode)
}

// checkValues reads each --values file ("-": standard input) once,
// before any input, and checks it as helm template -f reads it, whether or
// not a chart is rendered: one that does not exist, or is not a YAML
// mapping, is an input error naming it, not a reason to ignore it. What
// it read is what every chart is rendered with: a file that can be read
// only once (a pipe of process substitution, standard input) would hold
// nothing when read again.
func (s *scanner) checkValues() {
	for _, f := range s.opts.Values {
		data, err := s.readValues(f)
		if err != nil {
			s.badValues = true
			s.errorf(f, "--values: %s", describe(err))
			continue
		}
		if _, err := helmloader.LoadValues(bytes.NewReader(data)); err != nil {
			s.badValues = true
			e := newInputError(f, "--values: "+oneLineError(fmt.Errorf("failed to parse %s: %w", f, err)))
			if m := valuesErrorLine.FindStringSubmatch(oneLineError(err)); m != nil {
				// The line of the file the YAML parser names.
				e.Line, _ = strconv.Atoi(m[1])
			}
			s.addError(e)
			continue
		}
		s.values = append(s.values, data)
	}
}

// valuesErrorLine finds the line helm's error on a values file that does
// not parse names ("yaml: line 2: did not find expected node content").
var valuesErrorLine = regexp.MustCompile(`\bline ([0-9]+)\b`)

// readValues reads one --values file, "-" from standard input, as helm
// reads it.
func (s *scanner) readValues(f string) ([]byte, error) {
	if strings.TrimSpace(f) == "-" {
		if s.stdin == nil {
			return nil, errors.New("standard input is not available")
		}
		return readBounded(s.stdin)
	}
	file, err := os.Open(f)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	return readBounded(file)
}

// chartValues merges the --values files checkValues read, in order, as
// helm template -f merges them (a fresh map for each chart: rendering may
// change it).
func (s *scanner) chartValues() (map[string]any, error) {
	vals := map[string]any{}
	for i, data := range s.values {
		m, err := helmloader.LoadValues(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("failed to parse %s: %w", s.opts.Values[i], err)
		}
		vals = helmloader.MergeMaps(vals, m)
	}
	return vals, nil
}

// unusedValues reports --values given while no input (PATH, --policy or
// --base) is a chart: nothing reads them, which a typo'd chart path or a
// flag meant for another tool would otherwise leave unsaid.
func (s *scanner) unusedValues() {
	if s.charts > 0 || s.badValues || s.stopped {
		return
	}
	for _, f := range s.opts.Values {
		s.errorf(f, "--values: no input is a chart (a directory holding Chart.yaml), so nothing reads these values; scan the chart's directory, or drop --values")
	}
}

// ackVersion is the version every ACK controller serves its kinds at
// (manager.GuardedKinds registers the webhook for it).
const ackVersion = "v1alpha1"

// guardedAPIVersions are the API versions a chart rendered for the scan
// sees served (.Capabilities.APIVersions), beside helm's defaults: the
// group/version and group/version/kind of each kind the registry guards,
// of the kinds rules read (an EC2 Subnet) and of ackguard's own
// GuardrailPolicy and GuardrailException.
func guardedAPIVersions(reg *rules.Registry) []string {
	gvks := make([]schema.GroupVersionKind, 0, len(reg.Kinds())+len(referenced)+2)
	for _, gk := range slices.Concat(reg.Kinds(), referenced) {
		gvks = append(gvks, gk.WithVersion(ackVersion))
	}
	gvks = append(gvks, v1alpha1.GroupVersion.WithKind(kindPolicy), v1alpha1.GroupVersion.WithKind(kindException))
	var out []string
	for _, gvk := range gvks {
		gv := gvk.GroupVersion().String()
		for _, v := range []string{gv, gv + "/" + gvk.Kind} {
			if !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
	}
	return out
}

// built reads the stream dir built to, and keeps it for the second pass.
func (s *scanner) built(dir string, o origin, data []byte, mode readMode) {
	if s.builds == nil {
		s.builds = map[string]builtStream{}
	}
	s.builds[dir] = builtStream{origin: o, data: data}
	s.reading, s.building = o, true
	defer func() { s.building = false }()
	s.stream(o.file, data, mode)
}

// templateOrigin is the origin of a rendered document whose "# Source:"
// comment names template ("app/templates/bucket.yaml", or
// "app/charts/db/templates/x.yaml" for a subchart): the template file in
// the chart directory the stream was rendered from.
func templateOrigin(o origin, template string) origin {
	if template == "" {
		return o
	}
	rel := template
	if _, rest, ok := strings.Cut(template, "/"); ok {
		rel = rest // the chart's name
	}
	o.template = rel
	o.artifact = filepath.Join(o.artifact, filepath.FromSlash(rel))
	return o
}

// oneLineError flattens an error of a library (kustomize and Helm wrap
// theirs over several lines).
func oneLineError(err error) string {
	for u := errors.Unwrap(err); u != nil && err.Error() == ""; u = errors.Unwrap(u) {
		err = u
	}
	return strings.Join(strings.Fields(err.Error()), " ")
}

func cmpOr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
