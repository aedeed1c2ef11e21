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
    &["text", "secret", "sync"],
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
/// that is the crate root), outside comments. Inside an inline module
/// (`mod tests { ... }`), `super::` is the file's own module, so only
/// `crate::` counts there.
fn named(text: &str, root_is_super: bool) -> Vec<String> {
    let mut out = Vec::new();
    // Brace depth, and the depths at which inline modules opened.
    let mut depth = 0usize;
    let mut inline: Vec<usize> = Vec::new();
    for line in text.lines() {
        let code = line.trim_start();
        if code.starts_with("//") {
            continue;
        }
        let mut prefixes = vec!["crate::"];
        if root_is_super && inline.is_empty() {
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
        if opens_inline_module(code) {
            inline.push(depth);
        }
        depth += code.matches('{').count();
        depth = depth.saturating_sub(code.matches('}').count());
        while inline.last().is_some_and(|&d| depth <= d) {
            inline.pop();
        }
    }
    out
}

/// Whether a line opens a module written inline: `mod tests {`.
fn opens_inline_module(code: &str) -> bool {
    let rest = code
        .trim_start_matches("pub(crate) ")
        .trim_start_matches("pub(super) ")
        .trim_start_matches("pub ");
    rest.starts_with("mod ") && rest.trim_end().ends_with('{')
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
    let nested = "use super::auth::Auth;\n#[cfg(test)]\nmod tests {\n    use super::same_origin;\n    fn f() { let _ = crate::relay::X; }\n}\nuse super::relay::Y;";
    assert_eq!(named(nested, true), ["auth", "relay", "relay"]);
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

/// The error types of every `Result<T, E>` written in `text`, outside
/// comments, as written.
fn error_types(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or_default();
        let mut rest = code;
        while let Some(at) = rest.find("Result<") {
            let body = &rest[at + "Result<".len()..];
            let (mut depth, mut comma, mut end) = (1usize, None, None);
            let bytes = body.as_bytes();
            for (i, b) in bytes.iter().enumerate() {
                match b {
                    b'<' => depth += 1,
                    // `->` and `=>` close nothing.
                    b'>' if i > 0 && (bytes[i - 1] == b'-' || bytes[i - 1] == b'=') => {}
                    b'>' => {
                        depth -= 1;
                        if depth == 0 {
                            end = Some(i);
                            break;
                        }
                    }
                    b',' if depth == 1 => comma = Some(i),
                    _ => {}
                }
            }
            if let (Some(c), Some(e)) = (comma, end) {
                out.push(body[c + 1..e].trim().to_owned());
            }
            rest = &body[end.unwrap_or(0)..];
        }
    }
    out
}

/// Words as an error type: what a typed error replaces.
fn is_words(error_type: &str) -> bool {
    matches!(
        error_type,
        "String" | "&str" | "&'static str" | "std::string::String"
    )
}

#[test]
fn the_reader_of_error_types_finds_words_where_they_are() {
    let found = error_types(
        "fn a() -> Result<Vec<(u8, String)>, String> {}\n\
         fn b() -> Result<u8, FileError> {} // Result<u8, String>\n\
         let c: Result<HashMap<String, u8>, &'static str> = f(|x| -> u8 { 1 });\n",
    );
    assert_eq!(found, ["String", "FileError", "&'static str"]);
    assert!(is_words(&found[0]) && !is_words(&found[1]) && is_words(&found[2]));
}

/// Below `commands/`, every layer returns a typed error (ARCHITECTURE.md,
/// "Errors"): words as the error type begin only where the user is told.
#[test]
fn errors_are_types_below_the_commands() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut words = Vec::new();
    for f in &files {
        let (module, _) = module_of(&src, f);
        if module == "commands" || module == "main" {
            continue;
        }
        let text = std::fs::read_to_string(f).unwrap();
        for e in error_types(&text) {
            if is_words(&e) {
                words.push(format!("{}: Result<_, {e}>", f.display()));
            }
        }
    }
    assert!(
        words.is_empty(),
        "give these a typed error (thiserror) instead of words: {words:#?}"
    );
}
