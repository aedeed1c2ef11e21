//! ARCHITECTURE.md names files and items; when one is renamed or removed,
//! the page must change with it. Every backticked path (`relay/pending.rs`,
//! `auth/grants/`) must be a file or folder of the repository, and every
//! backticked Rust path (`Http::send_with`, `url_policy::shown`) must be
//! made of names the code defines: modules, items, variants, fields. Paths
//! into other crates (`reqwest::Response`) are theirs to keep.

use std::collections::BTreeSet;
use std::path::Path;

/// The crates a page may name by their own paths.
const OTHER_CRATES: [&str; 15] = [
    "std",
    "core",
    "reqwest",
    "url",
    "serde",
    "serde_json",
    "keyring",
    "tokio",
    "hyper",
    "hyper_util",
    "clap",
    "rustls",
    "ring",
    "tracing",
    "http",
];

/// Every file of the repository that git keeps or would (not ignored), by
/// its path from the root.
fn files(root: &Path) -> Vec<String> {
    let out = std::process::Command::new("git")
        .args(["ls-files", "--cached", "--others", "--exclude-standard"])
        .current_dir(root)
        .output()
        .expect("git ls-files");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The names Rust code in `text` defines: items (`fn`, `struct`, `enum`,
/// `trait`, `type`, `mod`, `const`, `static`), enum variants and fields.
fn defined(text: &str, into: &mut BTreeSet<String>) {
    let words: Vec<&str> = text
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    for pair in words.windows(2) {
        if matches!(
            pair[0],
            "fn" | "struct" | "enum" | "trait" | "type" | "mod" | "const" | "static"
        ) {
            into.insert(pair[1].to_owned());
        }
    }
    for line in text.lines() {
        let code = line.trim_start();
        let code = code
            .strip_prefix("pub(crate) ")
            .or_else(|| code.strip_prefix("pub(super) "))
            .or_else(|| code.strip_prefix("pub "))
            .unwrap_or(code);
        let name: String = code
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let rest = code[name.len()..].trim_start();
        let variant = name.starts_with(char::is_uppercase)
            && (rest.starts_with('(') || rest.starts_with('{') || rest.starts_with(','));
        let field = !name.is_empty() && rest.starts_with(':') && !rest.starts_with("::");
        if variant || field {
            into.insert(name);
        }
    }
}

/// Whether `t` is written as a path in the repository.
fn is_file_path(t: &str) -> bool {
    let ext = [".rs", ".sh", ".py", ".mjs", ".js", ".md", ".yml", ".c"];
    let word = |c: char| c.is_alphanumeric() || "_-./".contains(c);
    t.chars().all(word) && (ext.iter().any(|e| t.ends_with(e)) || t.ends_with('/') && t.len() > 1)
}

/// Whether `t` is written as a Rust path: `a::b`, `Type::method`.
fn is_rust_path(t: &str) -> bool {
    t.contains("::")
        && t.split("::").all(|p| {
            p.starts_with(|c: char| c.is_alphabetic() || c == '_')
                && p.chars().all(|c| c.is_alphanumeric() || c == '_')
        })
}

/// What the page names that the repository does not have.
fn stale(page: &str, files: &[String], names: &BTreeSet<String>) -> (usize, Vec<String>) {
    let mut checked = 0;
    let mut gone = Vec::new();
    for (i, t) in page.split('`').enumerate() {
        if i % 2 == 0 || t.contains('\n') {
            continue;
        }
        if is_file_path(t) {
            checked += 1;
            let found = files.iter().any(|f| {
                f == t
                    || f.ends_with(&format!("/{t}"))
                    || t.ends_with('/') && format!("/{f}").contains(&format!("/{t}"))
            });
            if !found {
                gone.push(t.to_owned());
            }
        } else if is_rust_path(t) {
            let parts: Vec<&str> = t.split("::").collect();
            if OTHER_CRATES.contains(&parts[0]) {
                continue;
            }
            checked += 1;
            let known = |p: &&str| matches!(*p, "crate" | "self" | "super") || names.contains(*p);
            if !parts.iter().all(known) {
                gone.push(t.to_owned());
            }
        }
    }
    (checked, gone)
}

#[test]
fn every_file_and_item_architecture_md_names_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = files(root);
    let mut names = BTreeSet::new();
    for f in files.iter().filter(|f| f.ends_with(".rs")) {
        defined(&std::fs::read_to_string(root.join(f)).unwrap(), &mut names);
        // A module is named by its file or its folder.
        let p = Path::new(f);
        if let Some(stem) = p.file_stem() {
            names.insert(stem.to_string_lossy().into_owned());
        }
        if let Some(dir) = p.parent().and_then(Path::file_name) {
            names.insert(dir.to_string_lossy().into_owned());
        }
    }
    let page = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    // Short enough to be read, and kept true: mechanics and figures belong
    // in module comments and BENCHMARKS.md.
    let lines = page.lines().count();
    assert!(
        lines <= 250,
        "ARCHITECTURE.md has {lines} lines; keep it to 250"
    );
    let (checked, gone) = stale(&page, &files, &names);
    assert!(
        checked > 50,
        "only {checked} names read: is the reader broken?"
    );
    assert!(
        gone.is_empty(),
        "ARCHITECTURE.md names what is no longer there (change the page with the code): {gone:?}"
    );
}

#[test]
fn the_reader_tells_stale_names_from_live_ones() {
    let files = vec![
        "src/relay/pending.rs".to_owned(),
        "src/auth/grants/mod.rs".to_owned(),
    ];
    let mut names = BTreeSet::new();
    defined(
        "pub struct Http {\n    server: Url,\n}\nimpl Http {\n    pub async fn send_with(&self) {}\n}\nenum Kind {\n    Connect,\n    Lost(u8),\n}",
        &mut names,
    );
    for n in ["Http", "server", "send_with", "Kind", "Connect", "Lost"] {
        assert!(names.contains(n), "{n} in {names:?}");
    }
    names.insert("relay".into());
    let page = "`relay/pending.rs`, `pending.rs`, `auth/grants/`, `Http::send_with`, \
                `Kind::Lost`, `relay::Gone`, `gone.rs`, `Http::wire`, `reqwest::Response`, \
                `--header`, `tools/list`, `Mcp-Session-Id`";
    let (checked, gone) = stale(page, &files, &names);
    assert_eq!(gone, ["relay::Gone", "gone.rs", "Http::wire"]);
    assert_eq!(checked, 8);
}
