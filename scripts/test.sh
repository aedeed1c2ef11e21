#!/usr/bin/env bash
# Runs every test of mcp-bridge on a fresh machine: installs the pinned peer
# servers the interop tests use (npm packages and the Python SDK, under
# tests/peers/), checks formatting and lints (which also compiles the
# benchmark), lints the macOS build, builds and lints the Windows build and
# runs its unit tests under Wine, then runs the whole test suite (with the
# Windows end-to-end tests of tests/windows.rs).
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages for the sign-in tests: a real browser (Chromium), a real
# Secret Service keychain (gnome-keyring in its own D-Bus session) and
# libsecret's secret-tool to look inside it. gnome-keyring is pinned; Debian
# keeps only the newest Chromium security build, so it is taken as found and
# its version printed. iproute2: the private-address test makes a network
# namespace of its own. zip, unzip: the release archives' test. nginx and
# haproxy (Debian 12's lines, security updates included) and openssl: the
# deployment tests put them in front of real servers, with TLS from a CA the
# test makes. wine64 (Debian 12's Wine 8) and gcc-mingw-w64-x86-64: the
# Windows build is linked with mingw-w64 and tested under Wine. clang and
# llvm: the macOS check compiles ring's C for Apple's targets. musl: a
# musl loader on a glibc system, which the npm launcher must not take for a
# musl system.
debs="musl=1.2.3-1* chromium gnome-keyring=42.1-1+b2 libsecret-tools dbus iproute2 zip unzip nginx=1.22.1-9* haproxy=2.6.12-1* openssl wine64=8.0~repack-4 gcc-mingw-w64-x86-64=12.2.0-14* clang=1:14.0-55.7* llvm=1:14.0-55.7*"
missing=""
[ -e /lib/ld-musl-x86_64.so.1 ] || [ "$(uname -m)" != x86_64 ] || missing=1
command -v nginx >/dev/null || missing=1
command -v haproxy >/dev/null || missing=1
command -v openssl >/dev/null || missing=1
command -v ip >/dev/null || missing=1
command -v zip >/dev/null || missing=1
command -v unzip >/dev/null || missing=1
command -v chromium >/dev/null || missing=1
command -v gnome-keyring-daemon >/dev/null || missing=1
command -v secret-tool >/dev/null || missing=1
command -v dbus-run-session >/dev/null || missing=1
[ -x /usr/lib/wine/wine64 ] || missing=1
command -v x86_64-w64-mingw32-gcc >/dev/null || missing=1
command -v clang >/dev/null || missing=1
command -v llvm-ar >/dev/null || missing=1
if [ -n "$missing" ]; then
  echo "== installing Debian packages: $debs"
  as_root=""
  [ "$(id -u)" -eq 0 ] || as_root="sudo"
  $as_root apt-get update -qq
  # The version patterns go to apt as they are, never matched against files.
  set -f
  DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq --no-install-recommends $debs >/dev/null
  set +f
fi
chromium --version 2>/dev/null | grep -v unexpected || true
nginx -v 2>&1
# sed reads to the end: head would close the pipe early, and under pipefail
# haproxy's SIGPIPE (exit 141) would stop the whole run.
haproxy -v | sed -n 1p

scripts/test-peers.sh

# Disk: a CI machine may have only a few GB free. Without incremental state
# and with line tables only (enough for a panic's backtrace), the debug builds
# of three targets take about a third of the space, and link faster.
export CARGO_INCREMENTAL=0
export CARGO_PROFILE_DEV_DEBUG=line-tables-only

echo "== build the binary alone (as cargo install does, without dev-dependency features)"
cargo build --locked --bins

echo "== format and lint"
cargo fmt --check
cargo clippy --all-targets --locked -- -D warnings

scripts/macos-check.sh

echo "== Windows: the x86_64-pc-windows-gnu build, its lints, its unit tests under Wine"
# scripts/wine.sh adds the target, makes the Wine prefix and exports where
# the Windows binary is for tests/windows.rs, which drives it under Wine.
. scripts/wine.sh
cargo build --locked --target x86_64-pc-windows-gnu --bins
cargo clippy --locked --target x86_64-pc-windows-gnu --all-targets -- -D warnings
# One Wine server for every Windows process of the run, ended with it (one
# left running for this prefix by an earlier run is used as it is).
/usr/lib/wine/wineserver -p 2>/dev/null || true
trap '/usr/lib/wine/wineserver -k 2>/dev/null || true' EXIT
cargo test --locked --target x86_64-pc-windows-gnu --lib

echo "== tests"
cargo test --locked
