#!/usr/bin/env bash
# Sets image.repository in the chart values file $1 to $IMAGE and, given
# the chart's Chart.yaml as $2, the ackguard image its Artifact Hub
# annotation (artifacthub.io/images) lists to $IMAGE:$VERSION, so that
# Artifact Hub shows and scans the image the packaged chart runs (make
# chart-package runs it on the copy it packages, never on charts/).
set -euo pipefail
file=$1
chart=${2:-}
: "${IMAGE:?set IMAGE to the image repository, e.g. ghcr.io/ackguard/ackguard}"
awk -v image="$IMAGE" '
  /^image:/ { in_image = 1; print; next }
  in_image && /^[^ #]/ { in_image = 0 }
  in_image && !done && /^  repository:/ { print "  repository: " image; done = 1; next }
  { print }
  END { if (!done) { print "no image.repository in the values" > "/dev/stderr"; exit 1 } }
' "$file" > "$file.new"
mv "$file.new" "$file"
if [[ -n "$chart" ]]; then
  : "${VERSION:?set VERSION to the version of the packaged chart}"
  awk -v image="$IMAGE:$VERSION" '
    /^  artifacthub.io\/images:/ { in_images = 1; print; next }
    in_images && /^  [^ ]/ { in_images = 0 }
    in_images && /^    - name: ackguard$/ { named = 1; print; next }
    in_images && named && !done && /^      image:/ { print "      image: " image; done = 1; next }
    { print }
    END { if (!done) { print "no ackguard image in the artifacthub.io/images annotation" > "/dev/stderr"; exit 1 } }
  ' "$chart" > "$chart.new"
  mv "$chart.new" "$chart"
fi
