#!/usr/bin/env bash
# Regenerates every file derived from code (`make manifests`), or, with
# --check, generates them into a temporary directory and fails when the
# tree differs (`make verify`):
#   api/*/zz_generated.deepcopy.go            controller-gen object
#   config/crd/bases/*.yaml                   controller-gen crd
#   config/crd/openreports/*.yaml             the openreports.io Report CRD, from the
#                                             reports-api module at go.mod's version
#   charts/ackguard/crds/*.yaml               = config/crd/bases (Helm installs crds/ first)
#   charts/ackguard/files/openreports.io_reports.yaml
#                                             = config/crd/openreports (templates/reports-crd.yaml,
#                                               gated by reports.installCRD)
#   config/webhook/manifests.yaml             hack/genmanifests (webhooks from the rule registry)
#   config/policies/baseline.yaml             hack/genbaseline (baseline GuardrailPolicy)
#   charts/ackguard/templates/baseline-policy.yaml
#                                             hack/genbaseline -chart
#   docs/rules.md                             hack/genrulesdoc (the rule reference, from
#                                               the registry and internal/rules/docs)
#   charts/ackguard/README.md                 its values table, hack/chartdocs (from the
#                                             `# --` comments of values.yaml)
# Environment: CONTROLLER_GEN (default bin/controller-gen), GO (default go).
set -euo pipefail

cd "$(dirname "$0")/.."
CONTROLLER_GEN=${CONTROLLER_GEN:-bin/controller-gen}
GO=${GO:-go}
REPORTS_CRDS=(openreports.io_reports.yaml)

check=false
if [[ ${1:-} == --check ]]; then
	check=true
	out=$(mktemp -d)
	trap 'rm -rf "$out"' EXIT
elif [[ $# -gt 0 ]]; then
	echo "usage: $0 [--check]" >&2
	exit 2
else
	out=.
fi

# Generated directories are emptied first, so a removed type leaves no CRD.
for d in config/crd/bases config/crd/openreports charts/ackguard/crds charts/ackguard/files; do
	mkdir -p "$out/$d"
	rm -f "$out/$d"/*.yaml
done
mkdir -p "$out/config/webhook" "$out/config/policies" "$out/charts/ackguard/templates" "$out/docs"

for pkg in api/*/; do
	pkg=${pkg%/}
	mkdir -p "$out/$pkg"
	"$CONTROLLER_GEN" object paths="./$pkg/..." output:object:dir="$out/$pkg"
done
"$CONTROLLER_GEN" crd paths=./api/... output:crd:artifacts:config="$out/config/crd/bases"

reports_dir=$("$GO" list -m -f '{{.Dir}}' github.com/openreports/reports-api)
for f in "${REPORTS_CRDS[@]}"; do
	# cat, not cp: module cache files are read-only.
	cat "$reports_dir/config/crd/$f" >"$out/config/crd/openreports/$f"
	cat "$reports_dir/config/crd/$f" >"$out/charts/ackguard/files/$f"
done
for f in "$out"/config/crd/bases/*.yaml; do
	cat "$f" >"$out/charts/ackguard/crds/$(basename "$f")"
done

"$GO" run ./hack/genmanifests >"$out/config/webhook/manifests.yaml"
"$GO" run ./hack/genbaseline >"$out/config/policies/baseline.yaml"
"$GO" run ./hack/genbaseline -chart >"$out/charts/ackguard/templates/baseline-policy.yaml"
"$GO" run ./hack/genrulesdoc >"$out/docs/rules.md"
"$GO" run ./hack/chartdocs -o "$out/charts/ackguard/README.md" charts/ackguard

$check || exit 0

status=0
for pkg in api/*/; do
	pkg=${pkg%/}
	diff -u "$pkg/zz_generated.deepcopy.go" "$out/$pkg/zz_generated.deepcopy.go" || status=1
done
for d in config/crd/bases config/crd/openreports charts/ackguard/crds charts/ackguard/files; do
	diff -ru "$d" "$out/$d" || status=1
done
for f in config/webhook/manifests.yaml config/policies/baseline.yaml charts/ackguard/templates/baseline-policy.yaml docs/rules.md charts/ackguard/README.md; do
	diff -u "$f" "$out/$f" || status=1
done
if [[ $status != 0 ]]; then
	echo "generated files are stale: run make manifests" >&2
fi
exit $status
