#!/usr/bin/env bash
# The tools the Linux release builds need, at pinned versions: zig (PyPI's
# ziglang, in a virtual environment of its own, as the C compiler and linker
# for every glibc and musl target) and cargo-zigbuild. In GitHub Actions the
# environment's bin goes on PATH for later steps; elsewhere, the line to put
# it there is printed.
set -euo pipefail
venv="${ZIG_VENV:-$HOME/.cache/mcp-bridge-zig}"
[ -x "$venv/bin/python3" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "ziglang==0.13.0.post1"
command -v cargo-zigbuild >/dev/null || cargo install --locked cargo-zigbuild --version 0.20.1
if [ -n "${GITHUB_PATH:-}" ]; then
  echo "$venv/bin" >>"$GITHUB_PATH"
else
  echo "export PATH=\"$venv/bin:\$PATH\"   # so that cargo-zigbuild finds zig (python3 -m ziglang)"
fi
