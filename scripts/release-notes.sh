#!/usr/bin/env bash
# The release notes for a version tag: the CHANGELOG.md section of that
# version, printed to stdout.
#
#   scripts/release-notes.sh vX.Y.Z
#
# Fails when the tag is not Cargo.toml's version (a tag pushed before the
# version bump), or when the CHANGELOG has no section for it (a release
# without notes).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
[ $# -eq 1 ] || { echo "usage: $0 vX.Y.Z" >&2; exit 2; }
tag="$1"
version="$(sed -n '/^version = "/{s/^version = "\(.*\)"$/\1/p;q;}' "$root/Cargo.toml")"
if [ "$tag" != "v$version" ]; then
  echo "the tag $tag is not the version in Cargo.toml (v$version)" >&2
  exit 1
fi
notes="$(awk -v v="$version" '
  /^## \[/ { inside = (index($0, "## [" v "]") == 1); next }
  inside { print }
' "$root/CHANGELOG.md")"
if [ -z "$(printf '%s' "$notes" | tr -d '[:space:]')" ]; then
  echo "CHANGELOG.md has no section \"## [$version]\"" >&2
  exit 1
fi
printf '%s\n' "$notes"
