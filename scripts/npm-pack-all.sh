#!/usr/bin/env bash
# The npm packages of a release, from its eight archives:
#
#   scripts/npm-pack-all.sh DIST_DIR OUT_DIR
#
# takes each platform's binary out of mcp-bridge-TARGET-vVERSION.{tar.gz,zip}
# in DIST_DIR (as scripts/release-build.sh made them) and hands all eight to
# scripts/npm-pack.sh. Fails when an archive is missing.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
[ $# -eq 2 ] || { echo "usage: $0 DIST_DIR OUT_DIR" >&2; exit 2; }
dist="$1"
out="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
pairs=()
while read -r platform target; do
  name="$("$root/scripts/release-build.sh" --archive-name "$target")"
  archive="$dist/$name"
  [ -f "$archive" ] || { echo "missing $archive" >&2; exit 1; }
  dir="${name%.tar.gz}"
  dir="${dir%.zip}"
  mkdir -p "$work/$platform"
  case "$name" in
    *.zip)
      exe=mcp-bridge.exe
      unzip -q -o "$archive" "$dir/$exe" -d "$work/$platform" ;;
    *)
      exe=mcp-bridge
      tar -xzf "$archive" -C "$work/$platform" "$dir/$exe" ;;
  esac
  pairs+=("$platform=$work/$platform/$dir/$exe")
done <<'MAP'
linux-x64-glibc x86_64-unknown-linux-gnu
linux-arm64-glibc aarch64-unknown-linux-gnu
linux-x64-musl x86_64-unknown-linux-musl
linux-arm64-musl aarch64-unknown-linux-musl
darwin-x64 x86_64-apple-darwin
darwin-arm64 aarch64-apple-darwin
win32-x64 x86_64-pc-windows-msvc
win32-arm64 aarch64-pc-windows-msvc
MAP
"$root/scripts/npm-pack.sh" "$out" "${pairs[@]}"
