//! Lays out the functions mcp-bridge runs in its everyday work together, at
//! the front of its code, on x86_64 Linux with LLD: the kernel maps code in
//! whole folios around each page that runs, so scattered functions cost
//! resident memory in every process (scripts/symbol-order.sh says how much,
//! and makes the list). Anything else builds as it would without this file:
//! another target, a debug build, a linker of one's own, or
//! `MCP_BRIDGE_SYMBOL_ORDER=off`. A name the list has and the build does
//! not is skipped by the linker, so a stale list never breaks a build.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=MCP_BRIDGE_SYMBOL_ORDER");
    let var = |k: &str| std::env::var(k).unwrap_or_default();
    let list = Path::new(&var("CARGO_MANIFEST_DIR")).join("scripts/symbol-order.txt");
    let wanted = var("MCP_BRIDGE_SYMBOL_ORDER") != "off"
        && var("TARGET") == "x86_64-unknown-linux-gnu"
        && var("PROFILE") == "release"
        // A linker of one's own (cargo-zigbuild's, say) may not take LLD's
        // flags; rustc links this target with its own LLD since 1.90.
        && std::env::var_os("RUSTC_LINKER").is_none()
        && !var("CARGO_ENCODED_RUSTFLAGS").contains("link")
        && rustc_minor(&var("RUSTC")).is_some_and(|m| m >= 90)
        && list.is_file();
    if wanted {
        // Only then: a build without the list need not run again for it.
        println!("cargo:rerun-if-changed=scripts/symbol-order.txt");
        println!(
            "cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={}",
            list.display()
        );
        println!("cargo:rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
    }
}

/// The minor version of `rustc` ("rustc 1.95.0 (...)" gives 95).
fn rustc_minor(rustc: &str) -> Option<u32> {
    let out = Command::new(rustc).arg("--version").output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let version = text.split_whitespace().nth(1)?;
    let mut parts = version.split('.');
    (parts.next()? == "1").then_some(())?;
    parts.next()?.parse().ok()
}
