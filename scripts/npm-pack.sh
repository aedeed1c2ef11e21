#!/usr/bin/env bash
# Make the npm packages of mcp-bridge from built binaries:
#
#   scripts/npm-pack.sh OUT_DIR [PLATFORM=BINARY ...]
#
# writes into OUT_DIR the tarball of the launcher package `mcp-bridge` and
# one tarball per platform package `@mcp-bridge/PLATFORM`. PLATFORM is one of
# linux-x64-glibc linux-x64-musl linux-arm64-glibc linux-arm64-musl
# darwin-x64 darwin-arm64 win32-x64 win32-arm64. With no PLATFORM=BINARY, the
# platform this runs on is packed from target/release/mcp-bridge (built when
# missing). The version of every package is Cargo.toml's. Prints the tarball
# paths, one a line.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

usage() { echo "usage: $0 OUT_DIR [PLATFORM=BINARY ...]" >&2; exit 2; }
[ $# -ge 1 ] || usage
mkdir -p "$1"
out="$(cd "$1" && pwd)"
shift

version="$(sed -n '/^version = "/{s/^version = "\(.*\)"$/\1/p;q;}' "$root/Cargo.toml")"
[ -n "$version" ] || { echo "no version in Cargo.toml" >&2; exit 1; }
# The repository named everywhere comes from Cargo.toml too.
repo="$(sed -n '/^repository = "/{s/^repository = "\(.*\)"$/\1/p;q;}' "$root/Cargo.toml")"
[ -n "$repo" ] || { echo "no repository in Cargo.toml" >&2; exit 1; }
platforms="linux-x64-glibc linux-x64-musl linux-arm64-glibc linux-arm64-musl darwin-x64 darwin-arm64 win32-x64 win32-arm64"

# The platform this script runs on, as a package name part.
host_platform() {
  local os cpu
  case "$(uname -s)" in
    Linux) os=linux ;;
    Darwin) os=darwin ;;
    MINGW* | MSYS* | CYGWIN*) os=win32 ;;
    *) echo "unsupported system $(uname -s)" >&2; exit 1 ;;
  esac
  case "$(uname -m)" in
    x86_64 | amd64) cpu=x64 ;;
    aarch64 | arm64) cpu=arm64 ;;
    *) echo "unsupported CPU $(uname -m)" >&2; exit 1 ;;
  esac
  if [ "$os" = linux ]; then
    if ldd --version 2>&1 | grep -i musl >/dev/null; then echo "$os-$cpu-musl"; else echo "$os-$cpu-glibc"; fi
  else
    echo "$os-$cpu"
  fi
}

pairs=("$@")
if [ ${#pairs[@]} -eq 0 ]; then
  bin="$root/target/release/mcp-bridge"
  if [ ! -x "$bin" ]; then
    echo "building $bin" >&2
    cargo build --release --locked --manifest-path "$root/Cargo.toml" >&2
  fi
  pairs=("$(host_platform)=$bin")
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

pack() { (cd "$1" && npm pack --silent --pack-destination "$out" | tail -n1 | sed "s|^|$out/|"); }

# The launcher: no dependencies but the optional platform packages.
optional=""
for p in $platforms; do
  optional="$optional${optional:+,}
    \"@mcp-bridge/$p\": \"$version\""
done
mkdir -p "$work/launcher/bin"
sed "s|^const REPO = .*|const REPO = '$repo';|" "$root/scripts/npm/mcp-bridge.js" >"$work/launcher/bin/mcp-bridge.js"
grep -q "^const REPO = '$repo';" "$work/launcher/bin/mcp-bridge.js" || { echo "the launcher has no REPO line" >&2; exit 1; }
chmod 755 "$work/launcher/bin/mcp-bridge.js"
cp "$root/README.md" "$root/LICENSE-MIT" "$root/LICENSE-APACHE" "$work/launcher/"
cat >"$work/launcher/package.json" <<JSON
{
  "name": "mcp-bridge",
  "version": "$version",
  "description": "Run a remote MCP server (Streamable HTTP, HTTP+SSE) as if it were a local stdio server: OAuth sign-in, keychain, reconnects. A native binary.",
  "keywords": ["mcp", "model-context-protocol", "mcp-remote", "proxy", "stdio", "oauth"],
  "license": "MIT OR Apache-2.0",
  "homepage": "$repo",
  "repository": { "type": "git", "url": "git+$repo.git" },
  "bin": { "mcp-bridge": "bin/mcp-bridge.js" },
  "files": ["bin/mcp-bridge.js", "README.md", "LICENSE-MIT", "LICENSE-APACHE"],
  "engines": { "node": ">=18" },
  "optionalDependencies": {$optional
  }
}
JSON
pack "$work/launcher"

for pair in "${pairs[@]}"; do
  name="${pair%%=*}"
  bin="${pair#*=}"
  case " $platforms " in *" $name "*) ;; *) echo "unknown platform $name (one of: $platforms)" >&2; exit 2 ;; esac
  [ -f "$bin" ] || { echo "no binary at $bin" >&2; exit 1; }
  IFS=- read -r os cpu libc <<<"$name"
  exe=mcp-bridge
  [ "$os" = win32 ] && exe=mcp-bridge.exe
  dir="$work/$name"
  mkdir -p "$dir/bin"
  cp "$bin" "$dir/bin/$exe"
  chmod 755 "$dir/bin/$exe"
  cp "$root/LICENSE-MIT" "$root/LICENSE-APACHE" "$dir/"
  libc_field=""
  [ -n "${libc:-}" ] && libc_field="
  \"libc\": [\"$libc\"],"
  cat >"$dir/package.json" <<JSON
{
  "name": "@mcp-bridge/$name",
  "version": "$version",
  "description": "The mcp-bridge binary for $name; installed by the mcp-bridge package.",
  "license": "MIT OR Apache-2.0",
  "homepage": "$repo",
  "repository": { "type": "git", "url": "git+$repo.git" },
  "os": ["$os"],
  "cpu": ["$cpu"],$libc_field
  "files": ["bin/$exe", "LICENSE-MIT", "LICENSE-APACHE"],
  "preferUnplugged": true,
  "publishConfig": { "access": "public" }
}
JSON
  pack "$dir"
done
