#!/usr/bin/env bash
# Build, check and archive mcp-bridge for one release target:
#
#   scripts/release-build.sh TARGET OUT_DIR     build into OUT_DIR/
#   scripts/release-build.sh --archive-name TARGET   print the archive's name
#   scripts/release-build.sh --package TARGET BINARY OUT_DIR
#                                 archive a binary built elsewhere
#
# TARGET is one of the eight release targets below. Linux binaries are made
# with cargo-zigbuild (zig as the C compiler and linker): glibc ones against
# glibc 2.17, so that they start on every distribution still in use (RHEL 7,
# Debian 8, Ubuntu 14.04 and later), checked here with objdump; musl ones
# static, checked with `file`. macOS and Windows are built with cargo on
# their own runners. Each binary that can run here is smoke-tested
# (--version, and a bad URL must exit 2). The archive is
# mcp-bridge-TARGET-vVERSION.tar.gz (.zip for Windows) holding a directory of
# that name with the binary, README, CHANGELOG, licenses and completions,
# with a .sha256 file beside it. Needs: cargo, and for Linux targets
# cargo-zigbuild and zig (`pip install ziglang`).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

targets="x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu x86_64-unknown-linux-musl aarch64-unknown-linux-musl x86_64-apple-darwin aarch64-apple-darwin x86_64-pc-windows-msvc aarch64-pc-windows-msvc"
glibc_floor="2.17"

version="$(sed -n '/^version = "/{s/^version = "\(.*\)"$/\1/p;q;}' "$root/Cargo.toml")"

known() { case " $targets " in *" $1 "*) ;; *) echo "unknown target $1 (one of: $targets)" >&2; exit 2 ;; esac; }
suffix() { case "$1" in *windows*) echo zip ;; *) echo tar.gz ;; esac; }
archive_name() { echo "mcp-bridge-$1-v$version.$(suffix "$1")"; }

# Archive BINARY as TARGET's release into OUT_DIR; print the archive's path.
package() {
  local target="$1" bin="$2" out="$3" exe=mcp-bridge
  case "$target" in *windows*) exe=mcp-bridge.exe ;; esac
  local name dir stage
  name="$(archive_name "$target")"
  dir="${name%.tar.gz}"
  dir="${dir%.zip}"
  stage="$(mktemp -d)"
  mkdir -p "$stage/$dir"
  cp "$bin" "$stage/$dir/$exe"
  chmod 755 "$stage/$dir/$exe"
  cp "$root/README.md" "$root/CHANGELOG.md" "$root/LICENSE-MIT" "$root/LICENSE-APACHE" "$stage/$dir/"
  cp -R "$root/completions" "$stage/$dir/completions"
  rm -f "$out/$name"
  case "$name" in
    *.zip)
      if command -v 7z >/dev/null; then
        (cd "$stage" && 7z a -tzip -bso0 "$out/$name" "$dir" >&2)
      else
        (cd "$stage" && zip -qr "$out/$name" "$dir")
      fi ;;
    *) tar -C "$stage" -czf "$out/$name" "$dir" ;;
  esac
  rm -rf "$stage"
  if command -v sha256sum >/dev/null; then
    (cd "$out" && sha256sum "$name" >"$name.sha256")
  else
    (cd "$out" && shasum -a 256 "$name" >"$name.sha256")
  fi
  echo "$out/$name"
}

case "${1:-}" in
  --archive-name)
    [ $# -eq 2 ] || { echo "usage: $0 --archive-name TARGET" >&2; exit 2; }
    known "$2"
    archive_name "$2"
    exit 0 ;;
  --package)
    [ $# -eq 4 ] || { echo "usage: $0 --package TARGET BINARY OUT_DIR" >&2; exit 2; }
    known "$2"
    [ -f "$3" ] || { echo "no binary at $3" >&2; exit 1; }
    mkdir -p "$4"
    package "$2" "$3" "$(cd "$4" && pwd)"
    exit 0 ;;
esac
[ $# -eq 2 ] || { echo "usage: $0 TARGET OUT_DIR | --archive-name TARGET | --package TARGET BINARY OUT_DIR" >&2; exit 2; }
target="$1"
known "$target"
mkdir -p "$2"
out="$(cd "$2" && pwd)"

exe=mcp-bridge
case "$target" in *windows*) exe=mcp-bridge.exe ;; esac

echo "== building $target (v$version)" >&2
case "$target" in
  *-linux-gnu)
    cargo zigbuild --release --locked --manifest-path "$root/Cargo.toml" --target "$target.$glibc_floor" >&2 ;;
  *-linux-musl)
    cargo zigbuild --release --locked --manifest-path "$root/Cargo.toml" --target "$target" >&2 ;;
  *)
    cargo build --release --locked --manifest-path "$root/Cargo.toml" --target "$target" >&2 ;;
esac
target_dir="${CARGO_TARGET_DIR:-$root/target}"
bin="$target_dir/$target/release/$exe"
[ -f "$bin" ] || { echo "no binary at $bin" >&2; exit 1; }

echo "== checking $bin" >&2
case "$target" in
  *-linux-gnu)
    # The newest glibc symbol version the binary needs.
    highest="$(objdump -T "$bin" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -t. -k1,1n -k2,2n -k3,3n | tail -n1)"
    newest="$(printf '%s\n%s\n' "$highest" "$glibc_floor" | sort -t. -k1,1n -k2,2n -k3,3n | tail -n1)"
    if [ "$newest" != "$glibc_floor" ]; then
      echo "$bin needs glibc $highest, newer than the floor $glibc_floor" >&2
      exit 1
    fi
    echo "needs glibc $highest at most (floor $glibc_floor)" >&2 ;;
  *-linux-musl)
    if ! file "$bin" | grep -Eq 'statically linked|static-pie linked'; then
      echo "$bin is not static: $(file "$bin")" >&2
      exit 1
    fi
    echo "static: $(file -b "$bin")" >&2 ;;
esac

# Smoke test where this machine can run it.
host="$(rustc -vV | sed -n 's/^host: //p')"
runs=""
case "$target" in
  "$host") runs=1 ;;
  x86_64-unknown-linux-musl) [ "$host" = x86_64-unknown-linux-gnu ] && runs=1 ;;
  aarch64-unknown-linux-musl) [ "$host" = aarch64-unknown-linux-gnu ] && runs=1 ;;
  x86_64-apple-darwin) [ "$host" = aarch64-apple-darwin ] && runs=1 ;; # Rosetta
esac
if [ -n "$runs" ]; then
  said="$("$bin" --version)"
  [ "$said" = "mcp-bridge $version" ] || { echo "$bin --version said: $said" >&2; exit 1; }
  code=0
  "$bin" "not a url" </dev/null 2>/dev/null || code=$?
  [ "$code" -eq 2 ] || { echo "$bin with a bad URL exited $code, not 2" >&2; exit 1; }
  echo "smoke test passed: $said" >&2
else
  echo "not run here (host $host)" >&2
fi

package "$target" "$bin" "$out"
