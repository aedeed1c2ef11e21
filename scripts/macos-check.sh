#!/usr/bin/env bash
# Checks and lints the macOS build (aarch64- and x86_64-apple-darwin, every
# target: library, binary, tests, benchmark) on Linux, so that the Keychain
# code and every cfg(target_os = "macos") branch compile clean on every
# change. Nothing is linked (that needs Apple's SDK); the release workflow
# builds and tests on a macOS runner.
#
# Only one crate compiles C for the target: ring, whose build script runs
# even for `cargo check`. Debian's clang targets Apple, and SDKROOT points it
# at scripts/macos-sdk: the four headers ring includes from a libc
# (TargetConditionals.h, string.h, stdlib.h, assert.h), reduced to what ring
# uses, so that glibc's headers are never mixed in. Its compiler's own
# headers (stdint.h, stddef.h, ...) come from clang.
# Needs: rustup, Debian's clang and llvm (scripts/test.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."

export SDKROOT="$PWD/scripts/macos-sdk"
for target in aarch64-apple-darwin x86_64-apple-darwin; do
  if ! rustup target list --installed | grep -x "$target" >/dev/null; then
    rustup target add "$target"
  fi
  var=$(echo "$target" | tr - _)
  echo "== macOS: cargo clippy --target $target --all-targets"
  env "CC_$var=clang" "AR_$var=llvm-ar" \
    cargo clippy --locked --target "$target" --all-targets -- -D warnings
done
