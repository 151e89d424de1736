#!/usr/bin/env bash
# A pipeline step that judges the manifests a change would apply, under the
# cluster's GuardrailPolicies and GuardrailExceptions, before they reach the
# cluster. Works in any CI that runs a shell; needs ackguard on PATH
# (go install github.com/ackguard/ackguard@VERSION, or the release binary).
#
#   POLICIES   folder of GuardrailPolicies, GuardrailExceptions and
#              Namespaces (default platform/guardrails)
#   MANIFESTS  folder of the application's manifests (default deploy/)
#   OVERLAY    when set, a kustomize overlay rendered first instead
#   OWNERS     comma-separated AWS account IDs that own the resources
#
# Exit status is ackguard's: 0 nothing would be denied, 1 something would
# (the step fails with the findings printed), 2 an input could not be read
# or a policy is invalid, or kustomize could not render OVERLAY.
set -euo pipefail

POLICIES=${POLICIES:-platform/guardrails}
MANIFESTS=${MANIFESTS:-deploy/}
args=(--policy "$POLICIES")
if [[ -n ${OWNERS:-} ]]; then
	args+=(--owner-account "$OWNERS")
fi

status=0
if [[ -n ${OVERLAY:-} ]]; then
	# Rendered first, with kustomize's own status: piped straight into
	# ackguard, a kustomize failure would come out of the pipe as exit 1,
	# "the cluster would deny", with nothing judged.
	rendered=$(mktemp)
	trap 'rm -f "$rendered"' EXIT
	kstatus=0
	kustomize build "$OVERLAY" >"$rendered" || kstatus=$?
	if ((kstatus != 0)); then
		echo "ackguard: kustomize build $OVERLAY failed (exit $kstatus); nothing was judged" >&2
		exit 2
	fi
	# Rendered manifests come in on standard input ("-").
	ackguard scan "${args[@]}" - <"$rendered" || status=$?
else
	ackguard scan "${args[@]}" "$MANIFESTS" || status=$?
fi

case $status in
0) echo "ackguard: nothing would be denied" ;;
1) echo "ackguard: the cluster would deny the resources above; fix them or ask for a GuardrailException" >&2 ;;
*) echo "ackguard: an input could not be judged (exit $status); see the errors above" >&2 ;;
esac
exit "$status"
