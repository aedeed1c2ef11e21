//! The release path, as far as it runs on this machine: the workflow file
//! parses and runs only scripts that exist; the archives are named and laid
//! out as `cargo binstall` looks for them, with checksums that verify; the
//! npm packages are made from the eight archives and published platforms
//! first (a dry run); the notes are the CHANGELOG section of the tag and a
//! tag that is not Cargo.toml's version is refused. Building the eight
//! targets needs zig and other runners: `scripts/release-build.sh TARGET
//! OUT_DIR` does it by hand (see BENCHMARKS.md for the glibc floor check).

// The release scripts are bash with GNU tar, zip and unzip.
#![cfg(target_os = "linux")]

use std::path::{Path, PathBuf};
use std::process::Command;
use yaml_rust2::{Yaml, YamlLoader};

const TARGETS: [&str; 8] = [
    "x86_64-unknown-linux-gnu",
    "aarch64-unknown-linux-gnu",
    "x86_64-unknown-linux-musl",
    "aarch64-unknown-linux-musl",
    "x86_64-apple-darwin",
    "aarch64-apple-darwin",
    "x86_64-pc-windows-msvc",
    "aarch64-pc-windows-msvc",
];
const VERSION: &str = env!("CARGO_PKG_VERSION");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(cmd: &mut Command) -> (bool, String, String) {
    let out = cmd.output().expect("run");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn script(name: &str) -> Command {
    let mut c = Command::new("bash");
    c.arg(root().join("scripts").join(name));
    c
}

fn workflow() -> Yaml {
    let text = std::fs::read_to_string(root().join(".github/workflows/release.yml")).unwrap();
    YamlLoader::load_from_str(&text)
        .expect("release.yml parses")
        .remove(0)
}

fn strings(y: &Yaml) -> Vec<String> {
    match y {
        Yaml::String(s) => vec![s.clone()],
        Yaml::Array(a) => a.iter().flat_map(strings).collect(),
        _ => Vec::new(),
    }
}

#[test]
fn the_workflow_runs_on_version_tags_and_only_scripts_that_exist() {
    let w = workflow();
    assert_eq!(strings(&w["on"]["push"]["tags"]), ["v*"]);
    let jobs = w["jobs"].as_hash().expect("jobs");
    let job = |name: &str| &w["jobs"][name];

    // Every `run:` names scripts that are here and executable.
    let mut named = 0;
    for (_, j) in jobs {
        for step in j["steps"].as_vec().expect("steps") {
            let Some(run) = step["run"].as_str() else {
                continue;
            };
            for (at, _) in run.match_indices("scripts/") {
                let name: String = run[at..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || "/-_.".contains(*c))
                    .collect();
                let path = root().join(&name);
                assert!(path.is_file(), "{name} (in {run:?}) does not exist");
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    let mode = path.metadata().unwrap().permissions().mode();
                    assert!(mode & 0o111 != 0, "{name} is not executable");
                }
                named += 1;
            }
        }
    }
    assert!(named >= 5, "the workflow runs its scripts ({named})");

    // The eight targets, each built by the build script.
    let matrix = job("build")["strategy"]["matrix"]["include"]
        .as_vec()
        .expect("a matrix");
    let targets: Vec<&str> = matrix.iter().filter_map(|m| m["target"].as_str()).collect();
    assert_eq!(targets, TARGETS);
    let build_runs: Vec<&str> = job("build")["steps"]
        .as_vec()
        .unwrap()
        .iter()
        .filter_map(|s| s["run"].as_str())
        .collect();
    assert!(build_runs
        .iter()
        .any(|r| r.contains("scripts/release-build.sh ${{ matrix.target }}")));

    // The whole test suite on Windows and macOS runners, not a smoke test:
    // the peers installed, the lints, then every test.
    let tested: Vec<String> = strings(&job("test")["strategy"]["matrix"]["os"]);
    assert_eq!(tested, ["windows-latest", "macos-latest"]);
    let test_runs: Vec<&str> = job("test")["steps"]
        .as_vec()
        .unwrap()
        .iter()
        .filter_map(|s| s["run"].as_str())
        .collect();
    assert_eq!(
        test_runs,
        [
            "scripts/test-peers.sh",
            "cargo clippy --all-targets --locked -- -D warnings",
            "cargo test --locked"
        ]
    );

    // Order: nothing published before the builds and the tests passed; the
    // release after the crate and npm.
    let needs = |name: &str| strings(&job(name)["needs"]);
    assert_eq!(needs("crate"), ["build", "test"]);
    assert_eq!(needs("npm"), ["build", "test"]);
    for n in ["build", "test", "crate", "npm"] {
        assert!(needs("github").contains(&n.to_owned()), "github needs {n}");
    }
    // npm provenance needs an OIDC token.
    assert_eq!(
        job("npm")["permissions"]["id-token"].as_str(),
        Some("write")
    );
}

/// What binstall asks for: the pkg-url and bin-dir templates of Cargo.toml,
/// filled in for `target` (tgz: binstall tries `.tgz` and `.tar.gz`).
fn binstall(target: &str) -> (String, String) {
    let toml = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let field = |key: &str| {
        toml.lines()
            .find_map(|l| l.strip_prefix(&format!("{key} = \"")))
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or_else(|| panic!("{key} missing from Cargo.toml"))
            .to_owned()
    };
    let zip = target.contains("windows");
    if zip {
        assert!(
            toml.contains(&format!(
                "[package.metadata.binstall.overrides.{target}]\npkg-fmt = \"zip\""
            )),
            "{target} needs a zip override"
        );
    }
    let fill = |t: String| {
        t.replace("{ repo }", "REPO")
            .replace("{ name }", "mcp-bridge")
            .replace("{ target }", target)
            .replace("{ version }", VERSION)
            .replace("{ bin }", "mcp-bridge")
            .replace("{ binary-ext }", if zip { ".exe" } else { "" })
            .replace("{ archive-suffix }", if zip { ".zip" } else { ".tar.gz" })
    };
    let url = fill(field("pkg-url"));
    let file = url.rsplit('/').next().unwrap().to_owned();
    assert!(url.starts_with(&format!("REPO/releases/download/v{VERSION}/")));
    (file, fill(field("bin-dir")))
}

fn listing(archive: &Path) -> Vec<String> {
    let (ok, out, err) = if archive.extension().is_some_and(|e| e == "zip") {
        run(Command::new("unzip").arg("-Z1").arg(archive))
    } else {
        run(Command::new("tar").arg("-tzf").arg(archive))
    };
    assert!(ok, "{err}");
    out.lines().map(str::to_owned).collect()
}

#[test]
fn archives_are_where_binstall_looks_and_npm_packages_come_from_them() {
    let dist = tempfile::tempdir().unwrap();
    // A stand-in binary: packaging never runs it.
    let stand_in = dist.path().join("stand-in");
    std::fs::write(&stand_in, b"#!/bin/sh\necho stand-in\n").unwrap();
    for target in TARGETS {
        let (ok, out, err) = run(script("release-build.sh")
            .args(["--package", target])
            .arg(&stand_in)
            .arg(dist.path()));
        assert!(ok, "{target}: {err}");
        let archive = PathBuf::from(out.trim());
        let (file, bin_dir) = binstall(target);
        assert_eq!(archive.file_name().unwrap().to_str().unwrap(), file);
        let (_, named, _) = run(script("release-build.sh").args(["--archive-name", target]));
        assert_eq!(named.trim(), file);
        let inside = listing(&archive);
        let dir = bin_dir.split('/').next().unwrap().to_owned();
        for want in [bin_dir.clone(), format!("{dir}/LICENSE-MIT")] {
            assert!(inside.contains(&want), "{want} not in {file}: {inside:?}");
        }
        let (ok, _, err) = run(Command::new("sha256sum")
            .arg("-c")
            .arg(format!("{file}.sha256"))
            .current_dir(dist.path()));
        assert!(ok, "{file}: {err}");
    }

    // npm: eight platform packages and the launcher, from the archives.
    let npm = tempfile::tempdir().unwrap();
    let (ok, out, err) = run(script("npm-pack-all.sh").arg(dist.path()).arg(npm.path()));
    assert!(ok, "{err}");
    assert_eq!(out.lines().count(), 9, "{out}");
    // A dry run of the publication: every platform before the launcher.
    let (ok, out, err) = run(script("npm-publish.sh").arg(npm.path()).arg("--dry-run"));
    assert!(ok, "{out}\n{err}");
    let said = format!("{out}{err}");
    let order: Vec<usize> = [
        "@mcp-bridge/linux-x64-glibc",
        "@mcp-bridge/win32-arm64",
        "+ mcp-bridge@",
    ]
    .iter()
    .map(|p| {
        said.find(p)
            .unwrap_or_else(|| panic!("{p} not published: {said}"))
    })
    .collect();
    assert!(order[0] < order[2] && order[1] < order[2], "{said}");

    // A missing archive stops it.
    std::fs::remove_file(dist.path().join(binstall(TARGETS[7]).0)).unwrap();
    let (ok, _, err) = run(script("npm-pack-all.sh")
        .arg(dist.path())
        .arg(npm.path().join("again")));
    assert!(!ok && err.contains("missing"), "{err}");
}

#[test]
fn the_notes_are_the_changelog_section_of_the_tag() {
    // A copy of the scripts beside a manifest and a changelog of our own.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("scripts")).unwrap();
    std::fs::copy(
        root().join("scripts/release-notes.sh"),
        dir.path().join("scripts/release-notes.sh"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("Cargo.toml"),
        "[package]\nname = \"mcp-bridge\"\nversion = \"1.2.0\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("CHANGELOG.md"),
        "# Changelog\n\n## [Unreleased]\n\n- next\n\n## [1.2.0] - 2026-11-29\n\n### Added\n- this release\n\n## [1.1.0]\n\n- older\n",
    )
    .unwrap();
    let notes = |tag: &str| {
        run(Command::new("bash")
            .arg(dir.path().join("scripts/release-notes.sh"))
            .arg(tag))
    };
    let (ok, out, err) = notes("v1.2.0");
    assert!(ok, "{err}");
    assert!(out.contains("- this release"), "{out}");
    assert!(!out.contains("older") && !out.contains("next"), "{out}");
    let (ok, _, err) = notes("v1.1.0");
    assert!(!ok && err.contains("not the version"), "{err}");
    std::fs::write(dir.path().join("CHANGELOG.md"), "## [Unreleased]\n- x\n").unwrap();
    let (ok, _, err) = notes("v1.2.0");
    assert!(!ok && err.contains("no section"), "{err}");
}
