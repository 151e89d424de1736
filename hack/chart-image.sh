#!/usr/bin/env bash
# Sets image.repository in the chart values file $1 to $IMAGE (make
# chart-package runs it on the copy it packages, never on charts/).
set -euo pipefail
file=$1
: "${IMAGE:?set IMAGE to the image repository, e.g. ghcr.io/ackguard/ackguard}"
awk -v image="$IMAGE" '
  /^image:/ { in_image = 1; print; next }
  in_image && /^[^ #]/ { in_image = 0 }
  in_image && !done && /^  repository:/ { print "  repository: " image; done = 1; next }
  { print }
  END { if (!done) { print "no image.repository in the values" > "/dev/stderr"; exit 1 } }
' "$file" > "$file.new"
mv "$file.new" "$file"
