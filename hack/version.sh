#!/usr/bin/env bash
# Prints the version a build of this checkout stamps into the binary, the
# image and the chart: the latest v-tag without its v (v1.2.3 -> 1.2.3),
# followed on an untagged commit by git describe's count and commit
# (1.2.3-4-gabc1234) and -dirty for uncommitted changes; 0.0.0-g<commit>
# before the first tag. Each is a SemVer 2 version, as Helm requires of a
# chart's version. Fails on a tag that would not give one (v1.2, version-1).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! d=$(git describe --tags --always --dirty --match 'v[0-9]*' 2>/dev/null); then
  echo 0.0.0-dev
  exit 0
fi
case $d in
  v[0-9]*) v=${d#v} ;;
  *) v=0.0.0-g$d ;;
esac
semver='^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$'
if [[ ! $v =~ $semver ]]; then
  echo "hack/version.sh: git describe gave $d; $v is no SemVer 2 version (tag releases vMAJOR.MINOR.PATCH[-PRERELEASE])" >&2
  exit 1
fi
echo "$v"
