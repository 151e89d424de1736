package main

import (
	"archive/tar"
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

var labelKeys = []string{
	"org.opencontainers.image.created",
	"org.opencontainers.image.description",
	"org.opencontainers.image.licenses",
	"org.opencontainers.image.revision",
	"org.opencontainers.image.source",
	"org.opencontainers.image.title",
	"org.opencontainers.image.version",
}

// TestReleaseImage inspects the archive `make image` wrote (it runs this
// test on it through IMAGE_ARCHIVE): both release platforms, the labels,
// and that the binary inside is static and prints the version the labels
// say.
func TestReleaseImage(t *testing.T) {
	file := os.Getenv("IMAGE_ARCHIVE")
	if file == "" {
		t.Skip("IMAGE_ARCHIVE is not set: make image builds the image and runs this test on it")
	}
	labels, bins := checkArchive(t, file)
	var platforms []string
	for p := range bins {
		platforms = append(platforms, p)
	}
	slices.Sort(platforms)
	if want := []string{"linux/amd64", "linux/arm64"}; !slices.Equal(platforms, want) {
		t.Errorf("platforms %v, want %v", platforms, want)
	}
	bin, ok := bins["linux/"+runtime.GOARCH]
	if runtime.GOOS != "linux" || !ok {
		t.Skipf("cannot run a linux binary on %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	out := runBinary(t, bin, "version")
	want := "ackguard " + labels["org.opencontainers.image.version"] + " (commit " + labels["org.opencontainers.image.revision"] + " "
	if !strings.HasPrefix(out, want) {
		t.Errorf("ackguard version printed %q, want it to start with %q", out, want)
	}
}

// TestBuildPushAndPull builds an image of a small program for two
// platforms, checks the archive as TestReleaseImage does, and pushes it
// to a registry on the loopback interface.
func TestBuildPushAndPull(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program for two platforms")
	}
	dir := t.TempDir()
	amd64, arm64 := buildProgram(t, dir, "amd64"), buildProgram(t, dir, "arm64")
	archive := filepath.Join(dir, "out", "image.tar")
	args := []string{"build", "--output", archive,
		"--platform", "linux/amd64=" + amd64, "--platform", "linux/arm64/v8=" + arm64,
		"--version", "1.2.3-rc.1", "--revision", "0123abc", "--created", "2026-03-01T10:00:00Z",
		"--source", "https://github.com/ackguard/ackguard", "--licenses", "NOASSERTION", "--description", "test image"}
	var out bytes.Buffer
	if err := run(context.Background(), args, &out); err != nil {
		t.Fatal(err)
	}
	labels, bins := checkArchive(t, archive)
	if got := labels["org.opencontainers.image.created"]; got != "2026-03-01T10:00:00Z" {
		t.Errorf("created label %q, want the --created time", got)
	}
	if _, ok := bins["linux/arm64/v8"]; !ok {
		t.Errorf("no linux/arm64/v8 image in %v", bins)
	}
	if runtime.GOOS == "linux" && runtime.GOARCH == "amd64" {
		if got := runBinary(t, bins["linux/amd64"], "version"); got != "small program [version]\n" {
			t.Errorf("the image's binary printed %q", got)
		}
	}

	// The same inputs build the same archive, byte for byte.
	again := filepath.Join(dir, "again.tar")
	args[2] = again
	if err := run(context.Background(), args, io.Discard); err != nil {
		t.Fatal(err)
	}
	if a, b := readFile(t, archive), readFile(t, again); !bytes.Equal(a, b) {
		t.Error("building twice from the same inputs gave different archives")
	}

	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	digestFile := filepath.Join(dir, "digest")
	out.Reset()
	err := push(context.Background(), []string{"--input", archive, "--ref", host + "/ackguard/ackguard:1.2.3-rc.1",
		"--ref", host + "/ackguard/ackguard:latest-rc", "--digest-file", digestFile}, &out)
	if err != nil {
		t.Fatal(err)
	}
	a, err := ReadArchive(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	want, _ := a.Index.Digest()
	pinned := strings.TrimSpace(string(readFile(t, digestFile)))
	if pinned != host+"/ackguard/ackguard@"+want.String() {
		t.Errorf("digest file %q, want the repository at %s", pinned, want)
	}
	for _, r := range []string{pinned, host + "/ackguard/ackguard:1.2.3-rc.1", host + "/ackguard/ackguard:latest-rc"} {
		ref, err := name.ParseReference(r)
		if err != nil {
			t.Fatal(err)
		}
		idx, err := remote.Index(ref)
		if err != nil {
			t.Fatalf("pull %s: %v", r, err)
		}
		if got, _ := idx.Digest(); got != want {
			t.Errorf("%s is %s, want the archive's index %s", r, got, want)
		}
	}
}

func TestBuildRefuses(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "script")
	if err := os.WriteFile(script, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	base := []string{"build", "--output", filepath.Join(dir, "x.tar"), "--version", "1.0.0", "--revision", "abc",
		"--created", "0", "--source", "s", "--licenses", "l", "--description", "d"}
	for _, tc := range []struct {
		name, want string
		args       []string
	}{
		{"no platform", "no platform", nil},
		{"a script", "not an ELF executable", []string{"--platform", "linux/amd64=" + script}},
		{"a missing binary", "no such file", []string{"--platform", "linux/amd64=" + filepath.Join(dir, "none")}},
		{"no binary", "want os/arch", []string{"--platform", "linux/amd64"}},
		{"a platform given twice", "given twice", []string{"--platform", "linux/amd64=" + script, "--platform", "linux/amd64=" + script}},
		{"no description", "org.opencontainers.image.description", []string{"--description", "", "--platform", "linux/amd64=" + script}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := run(context.Background(), append(slices.Clone(base), tc.args...), io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
			if _, err := os.Stat(filepath.Join(dir, "x.tar")); !errors.Is(err, os.ErrNotExist) {
				t.Error("an archive was written")
			}
		})
	}
}

func TestCheckStaticBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	bin := readFile(t, buildProgram(t, t.TempDir(), "arm64"))
	if err := CheckStaticBinary(bin, "arm64"); err != nil {
		t.Errorf("a CGO_ENABLED=0 arm64 binary: %v", err)
	}
	if err := CheckStaticBinary(bin, "amd64"); err == nil || !strings.Contains(err.Error(), "EM_AARCH64") {
		t.Errorf("an arm64 binary labelled amd64: %v, want an error naming its machine", err)
	}
	// The system's own programs are dynamically linked on most
	// distributions.
	if p, err := exec.LookPath("true"); err == nil && runtime.GOOS == "linux" {
		data := readFile(t, p)
		if f, err := elf.NewFile(bytes.NewReader(data)); err == nil && slices.ContainsFunc(f.Progs, func(p *elf.Prog) bool { return p.Type == elf.PT_INTERP }) {
			if err := CheckStaticBinary(data, runtime.GOARCH); err == nil || !strings.Contains(err.Error(), "CGO_ENABLED=0") {
				t.Errorf("%s (dynamically linked): %v, want an error", p, err)
			}
		}
	}
}

func TestParsePlatform(t *testing.T) {
	p, err := ParsePlatform("linux/arm64/v8=bin/x")
	if err != nil || p.OS != "linux" || p.Architecture != "arm64" || p.Variant != "v8" || p.Binary != "bin/x" {
		t.Errorf("ParsePlatform = %+v, %v", p, err)
	}
	for _, bad := range []string{"", "linux=bin/x", "linux/=bin/x", "/amd64=x", "linux/amd64=", "linux/arm/v7/x=y"} {
		if _, err := ParsePlatform(bad); err == nil {
			t.Errorf("ParsePlatform(%q) accepted it", bad)
		}
	}
}

// checkArchive checks the image shape every archive must have and
// returns the index's labels and each platform's binary.
func checkArchive(t *testing.T, file string) (map[string]string, map[string][]byte) {
	t.Helper()
	a, err := ReadArchive(file)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if mt, _ := a.Index.MediaType(); mt != types.OCIImageIndex {
		t.Errorf("index media type %s", mt)
	}
	im, err := a.Index.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	labels := im.Annotations
	for _, k := range labelKeys {
		if labels[k] == "" {
			t.Errorf("the index has no annotation %s", k)
		}
	}
	if _, err := time.Parse(time.RFC3339, labels["org.opencontainers.image.created"]); err != nil {
		t.Errorf("created: %v", err)
	}
	if a.Tag != labels["org.opencontainers.image.version"] {
		t.Errorf("archive tagged %q, version label %q", a.Tag, labels["org.opencontainers.image.version"])
	}
	bins := map[string][]byte{}
	for _, d := range im.Manifests {
		if d.Platform == nil {
			t.Fatalf("manifest %s has no platform", d.Digest)
		}
		plat := d.Platform.String()
		img, err := a.Index.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		if d.MediaType != types.OCIManifestSchema1 {
			t.Errorf("%s: manifest media type %s", plat, d.MediaType)
		}
		m, err := img.Manifest()
		if err != nil {
			t.Fatal(err)
		}
		if m.Config.MediaType != types.OCIConfigJSON {
			t.Errorf("%s: config media type %s", plat, m.Config.MediaType)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if cf.OS != d.Platform.OS || cf.Architecture != d.Platform.Architecture || cf.Variant != d.Platform.Variant {
			t.Errorf("%s: config says %s/%s/%s", plat, cf.OS, cf.Architecture, cf.Variant)
		}
		c := cf.Config
		if !slices.Equal(c.Entrypoint, []string{"/ackguard"}) || !slices.Equal(c.Cmd, []string{"manager"}) {
			t.Errorf("%s: entrypoint %q cmd %q, want [/ackguard] [manager]", plat, c.Entrypoint, c.Cmd)
		}
		if c.User != "65532:65532" {
			t.Errorf("%s: user %q, want 65532:65532 (non-root, numeric: the image has no /etc/passwd)", plat, c.User)
		}
		for _, k := range labelKeys {
			if c.Labels[k] != labels[k] {
				t.Errorf("%s: label %s=%q, the index says %q", plat, k, c.Labels[k], labels[k])
			}
		}
		bins[plat] = imageBinary(t, plat, img, d.Platform)
	}
	return labels, bins
}

// imageBinary checks that img's filesystem is /ackguard alone, owned by
// root, executable and not writable by others, and a static binary of
// the platform's architecture.
func imageBinary(t *testing.T, plat string, img v1.Image, p *v1.Platform) []byte {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 1 {
		t.Fatalf("%s: %d layers, want 1", plat, len(layers))
	}
	if mt, _ := layers[0].MediaType(); mt != types.OCILayer {
		t.Errorf("%s: layer media type %s", plat, mt)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	var bin []byte
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if hdr.Name != "ackguard" || hdr.Typeflag != tar.TypeReg {
			t.Errorf("%s: unexpected entry %q in the image", plat, hdr.Name)
			continue
		}
		if hdr.Mode != 0o755 || hdr.Uid != 0 || hdr.Gid != 0 {
			t.Errorf("%s: /ackguard mode %o uid %d gid %d, want 755 owned by root", plat, hdr.Mode, hdr.Uid, hdr.Gid)
		}
		if bin, err = io.ReadAll(tr); err != nil {
			t.Fatal(err)
		}
	}
	if bin == nil {
		t.Fatalf("%s: no /ackguard in the image", plat)
	}
	if err := CheckStaticBinary(bin, p.Architecture); err != nil {
		t.Errorf("%s: /ackguard: %v", plat, err)
	}
	return bin
}

func runBinary(t *testing.T, bin []byte, args ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ackguard")
	if err := os.WriteFile(p, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(p, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", p, args, err, out)
	}
	return string(out)
}

// buildProgram builds a small static program for linux/arch.
func buildProgram(t *testing.T, dir, arch string) string {
	t.Helper()
	src := filepath.Join(dir, "src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	for file, text := range map[string]string{
		"go.mod":  "module smallprogram\n\ngo 1.26\n",
		"main.go": "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\nfunc main() { fmt.Println(\"small program\", os.Args[1:]) }\n",
	} {
		if err := os.WriteFile(filepath.Join(src, file), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "linux_"+arch, "program")
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+arch, "CGO_ENABLED=0", "GOFLAGS=-mod=mod", "GOWORK=off")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build for %s: %v\n%s", arch, err, b)
	}
	return out
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDockerfileBuildsTheSameImage keeps the Dockerfile (make
// docker-build, for hosts with a Docker engine) to the shape this tool
// builds.
func TestDockerfileBuildsTheSameImage(t *testing.T) {
	text := string(readFile(t, "../../Dockerfile"))
	final := text[strings.LastIndex(text, "\nFROM "):]
	for _, want := range []string{
		"\nFROM scratch\n",
		"\nCOPY --from=build /out/ackguard " + binaryPath + "\n",
		"\nUSER " + imageUser + "\n",
		"\nENTRYPOINT [\"" + binaryPath + "\"]\n",
		"\nCMD [\"" + defaultCmd + "\"]\n",
	} {
		if !strings.Contains(final, want) {
			t.Errorf("the Dockerfile's final stage lacks %q", strings.TrimSpace(want))
		}
	}
	for _, k := range labelKeys {
		if !strings.Contains(final, k+"=") {
			t.Errorf("the Dockerfile sets no label %s", k)
		}
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-X main.version=", "-X main.commit=", "-X main.date="} {
		if !strings.Contains(text, want) {
			t.Errorf("the Dockerfile's build lacks %s", want)
		}
	}
}
