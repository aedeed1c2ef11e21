//! What `cargo publish` would upload: only what building needs (and the
//! Rust sources of the test and bench targets, so cargo knows them), never
//! the test peers, the scripts or CI; the licenses the manifest names; and
//! no warning (a missing `repository`, a target left out). A full
//! `cargo publish --dry-run` builds everything again and takes minutes:
//! run it by hand when the manifest changes.

use std::process::Command;

/// Run cargo in this crate with its own target directory (the test run
/// holds the usual one).
fn cargo(args: &[&str]) -> (bool, String, String) {
    let target = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO"))
        .args(args)
        .args(["--allow-dirty", "--locked", "--offline"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("CARGO_TARGET_DIR", target.path())
        .output()
        .expect("run cargo");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_crate_holds_what_building_needs_and_no_peer_script_or_ci_file() {
    let (ok, list, err) = cargo(&["package", "--list"]);
    assert!(ok, "{err}");
    let files: Vec<&str> = list.lines().collect();
    for needed in [
        "Cargo.toml",
        "Cargo.lock",
        "README.md",
        "LICENSE-MIT",
        "LICENSE-APACHE",
        "src/main.rs",
        "src/lib.rs",
        // build.rs lays out the code by this list (x86_64 Linux).
        "build.rs",
        "scripts/symbol-order.txt",
    ] {
        assert!(files.contains(&needed), "{needed} missing from {files:?}");
    }
    for f in &files {
        assert!(
            !(f.starts_with("tests/peers/")
                || (f.starts_with("scripts/") && *f != "scripts/symbol-order.txt")
                || f.starts_with(".ci/")
                || f.starts_with(".github/")
                || f.starts_with("target/")
                || f.contains("node_modules")),
            "{f} should not be published"
        );
    }
}

#[test]
fn packaging_prints_no_warning() {
    let (ok, _, err) = cargo(&["package", "--no-verify"]);
    assert!(ok, "{err}");
    assert!(!err.contains("warning"), "{err}");
    assert!(err.contains("Packaged"), "{err}");
}
