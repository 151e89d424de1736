#!/usr/bin/env bash
# Builds the envtest control plane (kube-apiserver, etcd, kubectl) from the Go
# module proxy, because no prebuilt envtest archive can be downloaded here.
#
#   hack/setup-envtest.sh            # prints the directory holding the binaries
#
# Idempotent: binaries are built once into a cache outside the clone
# (ENVTEST_CACHE, default ~/.cache/ackguard/envtest/...) and copied into the
# git-ignored bin/k8s/<version> of the project. A stamp file records the
# versions; a matching stamp skips all work. Progress goes to stderr, the
# directory to stdout, so `KUBEBUILDER_ASSETS=$(hack/setup-envtest.sh)` works.
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-1.37.2}"
ETCD_VERSION="${ETCD_VERSION:-3.6.6}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="${ENVTEST_DIR:-$ROOT/bin/k8s/$K8S_VERSION}"
CACHE="${ENVTEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ackguard/envtest/k8s-$K8S_VERSION-etcd-$ETCD_VERSION}"
STAMP="k8s=$K8S_VERSION etcd=$ETCD_VERSION"
BINARIES=(kube-apiserver etcd kubectl)

log() { printf '[setup-envtest %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

complete() { # dir
  [[ -f "$1/.stamp" && "$(cat "$1/.stamp")" == "$STAMP" ]] || return 1
  for b in "${BINARIES[@]}"; do [[ -x "$1/$b" ]] || return 1; done
}

install_from_cache() {
  mkdir -p "$DEST"
  for b in "${BINARIES[@]}"; do cp -f "$CACHE/$b" "$DEST/$b.tmp" && mv -f "$DEST/$b.tmp" "$DEST/$b"; done
  echo "$STAMP" >"$DEST/.stamp"
}

if complete "$DEST"; then
  echo "$DEST"; exit 0
fi
if complete "$CACHE"; then
  log "copying cached binaries from $CACHE"
  install_from_cache; echo "$DEST"; exit 0
fi

command -v go >/dev/null || { log "go is required"; exit 1; }
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$CACHE"
export GOFLAGS="${GOFLAGS:-} -mod=mod"
export GOTOOLCHAIN=local

LDFLAGS="-s -w -X k8s.io/component-base/version.gitVersion=v$K8S_VERSION -X k8s.io/component-base/version.gitMajor=${K8S_VERSION%%.*} -X k8s.io/component-base/version.gitMinor=$(echo "$K8S_VERSION" | cut -d. -f2) -X k8s.io/component-base/version.gitTreeState=clean"

# --- kube-apiserver and kubectl -------------------------------------------
if [[ ! -x "$CACHE/kube-apiserver" || ! -x "$CACHE/kubectl" || ! -f "$CACHE/.k8s-done" ]]; then
  log "reading the staging-module list of k8s.io/kubernetes@v$K8S_VERSION"
  gomod="$(go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')"
  [[ -f "$gomod" ]] || { log "could not download k8s.io/kubernetes@v$K8S_VERSION"; exit 1; }
  staging_version="v0.${K8S_VERSION#*.}"
  mkdir -p "$WORK/k8s"
  {
    echo "module envtest-assets/k8s"
    echo "go 1.26.0"
    echo "require k8s.io/kubernetes v$K8S_VERSION"
    echo "replace ("
    # Every `k8s.io/x => ./staging/...` line of kubernetes' own go.mod.
    awk '/=> \.\/staging\//{print "\t" $1 " => " $1 " '"$staging_version"'"}' "$gomod"
    echo ")"
  } >"$WORK/k8s/go.mod"
  cat >"$WORK/k8s/tools.go" <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
  log "resolving modules for kube-apiserver (first run downloads ~300 MB)"
  (cd "$WORK/k8s" && go mod tidy -e >&2 2>&1 | tail -5 >&2 || true)
  log "building kube-apiserver v$K8S_VERSION (about 8 minutes cold on 2 cores, seconds when cached)"
  (cd "$WORK/k8s" && go build -tags tools -trimpath -ldflags "$LDFLAGS" -o "$CACHE/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver)
  log "building kubectl v$K8S_VERSION"
  (cd "$WORK/k8s" && go build -tags tools -trimpath -ldflags "$LDFLAGS" -o "$CACHE/kubectl" k8s.io/kubernetes/cmd/kubectl)
  touch "$CACHE/.k8s-done"
fi

# --- etcd -------------------------------------------------------------------
if [[ ! -x "$CACHE/etcd" ]]; then
  mkdir -p "$WORK/etcd"
  printf 'module envtest-assets/etcd\n\ngo 1.26.0\n' >"$WORK/etcd/go.mod"
  cat >"$WORK/etcd/tools.go" <<'GO'
//go:build tools

package tools

import _ "go.etcd.io/etcd/server/v3"
GO
  log "resolving modules for etcd v$ETCD_VERSION"
  (cd "$WORK/etcd" && go get "go.etcd.io/etcd/server/v3@v$ETCD_VERSION" >&2 2>&1 && go mod tidy -e >&2 2>&1 | tail -5 >&2 || true)
  log "building etcd v$ETCD_VERSION (about 1 minute cold)"
  (cd "$WORK/etcd" && go build -trimpath -ldflags "-s -w" -o "$CACHE/etcd" go.etcd.io/etcd/server/v3)
fi

echo "$STAMP" >"$CACHE/.stamp"
install_from_cache
log "envtest binaries ready in $DEST"
echo "$DEST"
