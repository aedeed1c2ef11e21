//! The shape ARCHITECTURE.md draws, held against the code: every module
//! names only modules of a lower layer (never one above, never a sibling of
//! its own layer), leaves name no other module, and no source file grows
//! past 600 lines.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The layers, top first. A module may name only modules of a later row.
const LAYERS: [&[&str]; 9] = [
    &["commands"],
    &["cli"],
    &["relay"],
    &["connection"],
    &["protocol"],
    &["transport", "auth"],
    &["http"],
    &[
        "jsonrpc",
        "stdio",
        "url_policy",
        "headers",
        "tools",
        "files",
    ],
    // Text made safe for people, and the one secret type: what every leaf
    // may use.
    &["text", "secret"],
];

/// Longest a source file may be: past it, a file holds two concerns.
const MAX_LINES: usize = 600;

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|row| row.contains(&module))
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module `file` belongs to (`src/relay/pending.rs` → `relay`),
/// and whether `super::` in it means the crate root.
fn module_of(src: &Path, file: &Path) -> (String, bool) {
    let rel = file.strip_prefix(src).unwrap();
    let parts: Vec<&str> = rel.iter().map(|p| p.to_str().unwrap()).collect();
    let top = parts[0].trim_end_matches(".rs").to_owned();
    let root_is_super = parts.len() == 1 || (parts.len() == 2 && parts[1] == "mod.rs");
    (top, root_is_super)
}

/// The crate modules `text` names through `crate::` (or `super::` where
/// that is the crate root), outside comments.
fn named(text: &str, root_is_super: bool) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let code = line.trim_start();
        if code.starts_with("//") {
            continue;
        }
        let mut prefixes = vec!["crate::"];
        if root_is_super {
            prefixes.push("super::");
        }
        for prefix in prefixes {
            for (at, _) in code.match_indices(prefix) {
                let before = code[..at].chars().last();
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    continue;
                }
                let rest = &code[at + prefix.len()..];
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.push(name);
                }
            }
        }
    }
    out
}

#[test]
fn every_module_names_only_layers_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut wrong: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut checked = 0;
    for file in &files {
        let (module, root_is_super) = module_of(&src, file);
        if module == "main" || module == "lib" {
            continue;
        }
        let own = layer_of(&module).unwrap_or_else(|| {
            panic!("{module} is in no layer: add it to LAYERS and ARCHITECTURE.md")
        });
        let text = std::fs::read_to_string(file).unwrap();
        for name in named(&text, root_is_super) {
            if name == module {
                continue;
            }
            match layer_of(&name) {
                Some(l) if l > own => {}
                _ => wrong
                    .entry(file.strip_prefix(&src).unwrap().display().to_string())
                    .or_default()
                    .push(name),
            }
            checked += 1;
        }
    }
    assert!(
        checked > 100,
        "only {checked} names found: is the reader broken?"
    );
    assert!(
        wrong.is_empty(),
        "modules naming their own layer or one above: {wrong:#?}"
    );
}

#[test]
fn the_reader_sees_upward_and_sideways_names() {
    let text =
        "use crate::relay::Relay;\n// crate::commands in a comment\nlet x = super::auth::Auth;";
    assert_eq!(named(text, true), ["relay", "auth"]);
    assert_eq!(named(text, false), ["relay"]);
    assert!(layer_of("relay") < layer_of("connection"));
    assert_eq!(layer_of("transport"), layer_of("auth"));
}

#[test]
fn no_source_file_holds_more_than_one_concern_s_worth_of_lines() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let n = std::fs::read_to_string(f).unwrap().lines().count();
            (n > MAX_LINES).then(|| format!("{} ({n} lines)", f.display()))
        })
        .collect();
    assert!(long.is_empty(), "split these: {long:?}");
}
