#!/bin/sh
# A real browser for the tests: record the URL mcp-bridge handed over, then
# load it in headless Chromium (the sign-in pages redirect to the bridge's
# callback without a person).
printf '%s\n' "$1" >> "${BROWSER_LOG:?}"
profile=$(mktemp -d)
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --timeout=15000 --dump-dom "$1" >/dev/null 2>&1
rm -rf "$profile"
