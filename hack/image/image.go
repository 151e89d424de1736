package main

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The image's fixed shape: one file, run as a non-root user that needs no
// /etc/passwd entry (distroless's "nonroot"), nothing written outside the
// volumes the chart and config/ mount.
const (
	binaryPath = "/ackguard"
	imageUser  = "65532:65532"
	defaultCmd = "manager"

	// refNameAnnotation names the image index in the OCI layout's
	// index.json, as `skopeo copy oci-archive:FILE:TAG` and podman expect.
	refNameAnnotation = "org.opencontainers.image.ref.name"
)

// Meta is what the OCI labels (and the index's annotations) say about
// the image.
type Meta struct {
	Title, Description, Version, Revision, Source, Licenses string
	// Created is the commit time, not the build time, so that the same
	// commit builds the same image digest.
	Created time.Time
}

// Labels returns the org.opencontainers.image.* labels.
func (m Meta) Labels() map[string]string {
	return map[string]string{
		"org.opencontainers.image.title":       m.Title,
		"org.opencontainers.image.description": m.Description,
		"org.opencontainers.image.version":     m.Version,
		"org.opencontainers.image.revision":    m.Revision,
		"org.opencontainers.image.source":      m.Source,
		"org.opencontainers.image.licenses":    m.Licenses,
		"org.opencontainers.image.created":     m.Created.UTC().Format(time.RFC3339),
	}
}

func (m Meta) validate() error {
	var missing []string
	for k, v := range m.Labels() {
		if v == "" || (k == "org.opencontainers.image.created" && m.Created.IsZero()) {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return fmt.Errorf("no value for the labels %s", strings.Join(missing, ", "))
	}
	return nil
}

// Platform is one os/arch[/variant] of the index and the static binary
// built for it.
type Platform struct {
	v1.Platform
	Binary string
}

// ParsePlatform parses "linux/arm64=path/to/ackguard".
func ParsePlatform(s string) (Platform, error) {
	spec, bin, ok := strings.Cut(s, "=")
	parts := strings.Split(spec, "/")
	if !ok || bin == "" || len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return Platform{}, fmt.Errorf("%q: want os/arch[/variant]=BINARY, e.g. linux/amd64=dist/image/linux_amd64/ackguard", s)
	}
	p := Platform{Platform: v1.Platform{OS: parts[0], Architecture: parts[1]}, Binary: bin}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	return p, nil
}

// elfMachines maps GOARCH to the ELF machine of its binaries.
var elfMachines = map[string]elf.Machine{
	"amd64":   elf.EM_X86_64,
	"arm64":   elf.EM_AARCH64,
	"arm":     elf.EM_ARM,
	"ppc64le": elf.EM_PPC64,
	"s390x":   elf.EM_S390,
	"riscv64": elf.EM_RISCV,
}

// CheckStaticBinary returns an error unless data is a statically linked
// ELF executable for arch: the image has no libc and no loader, so a
// dynamically linked binary (CGO_ENABLED=1) would not start.
func CheckStaticBinary(data []byte, arch string) error {
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("not an ELF executable: %w", err)
	}
	defer f.Close()
	want, known := elfMachines[arch]
	if !known {
		return fmt.Errorf("no ELF machine known for GOARCH %q", arch)
	}
	if f.Machine != want {
		return fmt.Errorf("built for %s, not %s (GOARCH=%s)", f.Machine, want, arch)
	}
	if f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN {
		return fmt.Errorf("ELF type %s is no executable", f.Type)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return errors.New("dynamically linked (it names a program interpreter): build with CGO_ENABLED=0")
		}
	}
	if libs, err := f.ImportedLibraries(); err == nil && len(libs) > 0 {
		return fmt.Errorf("dynamically linked against %s: build with CGO_ENABLED=0", strings.Join(libs, ", "))
	}
	return nil
}

// binaryLayer is the image's one layer: the binary at /ackguard, owned by
// root and not writable by the user the image runs as.
func binaryLayer(data []byte, mtime time.Time) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	hdr := &tar.Header{
		Typeflag: tar.TypeReg,
		Name:     strings.TrimPrefix(binaryPath, "/"),
		Mode:     0o755,
		Size:     int64(len(data)),
		ModTime:  mtime.UTC(),
		Format:   tar.FormatPAX,
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return nil, err
	}
	if _, err := tw.Write(data); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(b)), nil
	}, tarball.WithMediaType(types.OCILayer), tarball.WithCompressedCaching)
}

// Image builds the image of one platform on an empty base.
func Image(p Platform, meta Meta) (v1.Image, error) {
	data, err := os.ReadFile(p.Binary)
	if err != nil {
		return nil, err
	}
	if p.OS != "linux" {
		return nil, fmt.Errorf("%s: only linux images are built, not %s", p.Binary, p.OS)
	}
	if err := CheckStaticBinary(data, p.Architecture); err != nil {
		return nil, fmt.Errorf("%s: %w", p.Binary, err)
	}
	layer, err := binaryLayer(data, meta.Created)
	if err != nil {
		return nil, err
	}
	created := v1.Time{Time: meta.Created.UTC()}
	base := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err := mutate.ConfigFile(base, &v1.ConfigFile{
		Architecture: p.Architecture,
		OS:           p.OS,
		Variant:      p.Variant,
		Created:      created,
		Config: v1.Config{
			Entrypoint: []string{binaryPath},
			Cmd:        []string{defaultCmd},
			User:       imageUser,
			WorkingDir: "/",
			Labels:     meta.Labels(),
		},
		RootFS: v1.RootFS{Type: "layers"},
	})
	if err != nil {
		return nil, err
	}
	return mutate.Append(img, mutate.Addendum{
		Layer:   layer,
		History: v1.History{Created: created, CreatedBy: "COPY ackguard " + binaryPath, Comment: "hack/image"},
	})
}

// Index builds the multi-platform image index.
func Index(platforms []Platform, meta Meta) (v1.ImageIndex, error) {
	if err := meta.validate(); err != nil {
		return nil, err
	}
	if len(platforms) == 0 {
		return nil, errors.New("no platform to build")
	}
	seen := map[string]bool{}
	for _, p := range platforms {
		if seen[p.String()] {
			return nil, fmt.Errorf("platform %s given twice", p.String())
		}
		seen[p.String()] = true
	}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, p := range platforms {
		img, err := Image(p, meta)
		if err != nil {
			return nil, err
		}
		plat := p.Platform
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &plat}})
	}
	// GHCR shows the index's annotations on the package page.
	return mutate.Annotations(idx, meta.Labels()).(v1.ImageIndex), nil
}

// WriteArchive writes idx as an OCI image layout in a tar archive (an
// "oci-archive", as skopeo, podman and docker load read it), tagged tag.
// The archive's entries are sorted and dated mtime, so it is reproducible.
func WriteArchive(file string, idx v1.ImageIndex, tag string, mtime time.Time) error {
	dir, err := os.MkdirTemp("", "ackguard-image-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	if err := lp.AppendIndex(idx, layout.WithAnnotations(map[string]string{refNameAnnotation: tag})); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	tmp := file + ".tmp"
	if err := tarDir(tmp, dir, mtime); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, file)
}

func tarDir(file, dir string, mtime time.Time) error {
	out, err := os.Create(file)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(out)
	// WalkDir visits entries in lexical order.
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		hdr := &tar.Header{Name: filepath.ToSlash(rel), ModTime: mtime.UTC(), Mode: 0o644, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		if d.IsDir() {
			hdr.Typeflag, hdr.Mode, hdr.Name = tar.TypeDir, 0o755, hdr.Name+"/"
			return tw.WriteHeader(hdr)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		hdr.Size = int64(len(data))
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		_, err = tw.Write(data)
		return err
	})
	if cerr := tw.Close(); err == nil {
		err = cerr
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// Archive is an OCI archive unpacked into a temporary directory.
type Archive struct {
	// Index is the image index the archive's index.json points at, Tag
	// the name it is tagged with.
	Index v1.ImageIndex
	Tag   string
	dir   string
}

// Close removes the unpacked archive.
func (a *Archive) Close() error { return os.RemoveAll(a.dir) }

// ReadArchive unpacks an archive WriteArchive wrote.
func ReadArchive(file string) (*Archive, error) {
	dir, err := os.MkdirTemp("", "ackguard-image-")
	if err != nil {
		return nil, err
	}
	a := &Archive{dir: dir}
	if err := untar(file, dir); err != nil {
		a.Close()
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	lp, err := layout.FromPath(dir)
	if err != nil {
		a.Close()
		return nil, fmt.Errorf("%s: not an OCI image layout: %w", file, err)
	}
	top, err := lp.ImageIndex()
	if err == nil {
		a.Index, a.Tag, err = soleIndex(top)
	}
	if err != nil {
		a.Close()
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return a, nil
}

func soleIndex(top v1.ImageIndex) (v1.ImageIndex, string, error) {
	im, err := top.IndexManifest()
	if err != nil {
		return nil, "", err
	}
	if len(im.Manifests) != 1 || !im.Manifests[0].MediaType.IsIndex() {
		return nil, "", fmt.Errorf("index.json holds %d manifests; want the one image index make image writes", len(im.Manifests))
	}
	d := im.Manifests[0]
	idx, err := top.ImageIndex(d.Digest)
	return idx, d.Annotations[refNameAnnotation], err
}

func untar(file, dir string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name := path.Clean(hdr.Name)
		if !fs.ValidPath(name) {
			return fmt.Errorf("unsafe path %q in the archive", hdr.Name)
		}
		target := filepath.Join(dir, filepath.FromSlash(name))
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			out, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o644)
			if err != nil {
				return err
			}
			_, err = io.Copy(out, tr)
			if cerr := out.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		default:
			return fmt.Errorf("unexpected entry %q (type %c) in the archive", hdr.Name, hdr.Typeflag)
		}
	}
}
