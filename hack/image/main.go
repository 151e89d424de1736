// Command image builds ackguard's container image without a container
// engine, and pushes it (make image, make image-push).
//
//	image build   --platform linux/amd64=BINARY ... --output dist/ackguard-image.tar [label flags]
//	image push    --input dist/ackguard-image.tar --ref ghcr.io/OWNER/ackguard:1.2.3 [--digest-file FILE]
//	image inspect dist/ackguard-image.tar
//
// build puts each platform's static binary on an empty base as /ackguard,
// run as 65532:65532 with the manager as its default command, labels it
// with the org.opencontainers.image.* labels, and writes the multi-platform
// index as an OCI archive (an OCI image layout in a tar). push sends
// exactly that archive to a registry, with the credentials of
// ~/.docker/config.json (docker login, or the CI's login step), and writes
// the pushed digest for signing. The image needs no CA certificates: the
// manager talks only to the API server, with the CA of its service
// account.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, " ") }
func (r *repeated) Set(v string) error { *r = append(*r, v); return nil }

func run(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: image build|push|inspect [flags]")
	}
	switch args[0] {
	case "build":
		return build(args[1:], stdout)
	case "push":
		return push(ctx, args[1:], stdout, remote.WithAuthFromKeychain(authn.DefaultKeychain))
	case "inspect":
		if len(args) != 2 {
			return errors.New("usage: image inspect ARCHIVE")
		}
		return inspect(args[1], stdout)
	}
	return fmt.Errorf("unknown command %q (build, push, inspect)", args[0])
}

func build(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("build", flag.ContinueOnError)
	var platforms repeated
	var meta Meta
	fs.Var(&platforms, "platform", "os/arch[/variant]=BINARY, once per platform of the index")
	output := fs.String("output", "dist/ackguard-image.tar", "the OCI archive to write")
	tag := fs.String("tag", "", "the tag the archive names the index by (default: --version)")
	created := fs.String("created", "", "the image's creation time: RFC 3339 or Unix seconds (make: the commit's time)")
	fs.StringVar(&meta.Title, "title", "ackguard", "org.opencontainers.image.title")
	fs.StringVar(&meta.Description, "description", "", "org.opencontainers.image.description")
	fs.StringVar(&meta.Version, "version", "", "org.opencontainers.image.version")
	fs.StringVar(&meta.Revision, "revision", "", "org.opencontainers.image.revision (the commit)")
	fs.StringVar(&meta.Source, "source", "", "org.opencontainers.image.source (the repository's URL)")
	fs.StringVar(&meta.Licenses, "licenses", "", "org.opencontainers.image.licenses (an SPDX expression)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	t, err := parseTime(*created)
	if err != nil {
		return fmt.Errorf("--created: %w", err)
	}
	meta.Created = t
	var ps []Platform
	for _, s := range platforms {
		p, err := ParsePlatform(s)
		if err != nil {
			return fmt.Errorf("--platform %w", err)
		}
		ps = append(ps, p)
	}
	idx, err := Index(ps, meta)
	if err != nil {
		return err
	}
	if *tag == "" {
		*tag = meta.Version
	}
	if err := WriteArchive(*output, idx, *tag, meta.Created); err != nil {
		return err
	}
	d, err := idx.Digest()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: ackguard:%s %s\n", *output, *tag, d)
	return nil
}

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, errors.New("required")
	}
	if secs, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(secs, 0).UTC(), nil
	}
	return time.Parse(time.RFC3339, s)
}

func push(ctx context.Context, args []string, stdout io.Writer, opts ...remote.Option) error {
	fs := flag.NewFlagSet("push", flag.ContinueOnError)
	var refs repeated
	input := fs.String("input", "dist/ackguard-image.tar", "the OCI archive make image wrote")
	fs.Var(&refs, "ref", "REGISTRY/REPOSITORY:TAG to push to; repeat for more tags")
	digestFile := fs.String("digest-file", "", "write REGISTRY/REPOSITORY@DIGEST of the pushed index here (for cosign sign)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if len(refs) == 0 || fs.NArg() > 0 {
		return errors.New("usage: image push --input ARCHIVE --ref REGISTRY/REPOSITORY:TAG [--ref ...] [--digest-file FILE]")
	}
	var tags []name.Tag
	for _, r := range refs {
		t, err := name.NewTag(r, name.StrictValidation)
		if err != nil {
			return fmt.Errorf("--ref %q: %w (want REGISTRY/REPOSITORY:TAG)", r, err)
		}
		tags = append(tags, t)
	}
	a, err := ReadArchive(*input)
	if err != nil {
		return err
	}
	defer a.Close()
	d, err := a.Index.Digest()
	if err != nil {
		return err
	}
	opts = append(opts, remote.WithContext(ctx))
	for _, t := range tags {
		if err := remote.WriteIndex(t, a.Index, opts...); err != nil {
			return fmt.Errorf("push %s: %w", t, err)
		}
		fmt.Fprintf(stdout, "pushed %s@%s\n", t, d)
	}
	if *digestFile != "" {
		return os.WriteFile(*digestFile, []byte(tags[0].Context().Digest(d.String()).String()+"\n"), 0o644)
	}
	return nil
}

func inspect(file string, stdout io.Writer) error {
	a, err := ReadArchive(file)
	if err != nil {
		return err
	}
	defer a.Close()
	d, err := a.Index.Digest()
	if err != nil {
		return err
	}
	im, err := a.Index.IndexManifest()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: tag %s, index %s\n", file, a.Tag, d)
	for _, m := range im.Manifests {
		img, err := a.Index.Image(m.Digest)
		if err != nil {
			return err
		}
		cf, err := img.ConfigFile()
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "  %-12s %s user=%s entrypoint=%q cmd=%q\n", m.Platform, m.Digest, cf.Config.User, cf.Config.Entrypoint, cf.Config.Cmd)
	}
	keys := make([]string, 0, len(im.Annotations))
	for k := range im.Annotations {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(stdout, "  %s=%s\n", k, im.Annotations[k])
	}
	return nil
}
