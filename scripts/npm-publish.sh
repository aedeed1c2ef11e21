#!/usr/bin/env bash
# Publish the npm packages made by scripts/npm-pack.sh, platform packages
# first and the launcher last (so that the launcher never points at a
# platform package that is not there yet), with provenance.
#
#   scripts/npm-publish.sh DIR [--dry-run]
#
# DIR holds mcp-bridge-VERSION.tgz and the mcp-bridge-<platform>-VERSION.tgz
# files. Needs npm logged in (NODE_AUTH_TOKEN) and, for provenance, a CI
# with an OIDC token (GitHub Actions with id-token: write).
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 DIR [--dry-run]" >&2; exit 2; }
dir="$1"
shift
extra=("$@")
provenance=(--provenance)
case " ${extra[*]:-} " in *" --dry-run "*) provenance=() ;; esac
launcher=""
count=0
for t in "$dir"/mcp-bridge-*.tgz; do
  case "$(basename "$t")" in
    mcp-bridge-[0-9]*) launcher="$t" ;;
    *)
      npm publish "$t" --access public "${provenance[@]}" "${extra[@]}"
      count=$((count + 1)) ;;
  esac
done
[ -n "$launcher" ] || { echo "no launcher tarball in $dir" >&2; exit 1; }
[ "$count" -eq 8 ] || { echo "expected 8 platform packages in $dir, found $count" >&2; exit 1; }
npm publish "$launcher" --access public "${provenance[@]}" "${extra[@]}"
