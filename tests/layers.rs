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
    &["relay", "serve"],
    &["connection"],
    &["protocol"],
    &["transport", "auth", "pins"],
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

/// One source file of the crate, read.
struct Source {
    /// Its path, as `src/...`.
    path: PathBuf,
    /// The top-level module it belongs to.
    module: String,
    /// Whether `super::` in it means the crate root.
    root_is_super: bool,
    text: String,
}

/// Every source file of the crate.
fn crate_sources() -> Vec<Source> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    files
        .into_iter()
        .map(|f| {
            let (module, root_is_super) = module_of(&src, &f);
            Source {
                text: std::fs::read_to_string(&f).unwrap(),
                path: Path::new("src").join(f.strip_prefix(&src).unwrap()),
                module,
                root_is_super,
            }
        })
        .collect()
}

/// The code of a file as tokens: identifiers, `::` and single punctuation.
/// Comments (line, block, doc) and literals (strings, raw strings, chars)
/// are left out, so that neither a `crate::` in words nor a `//` inside a
/// string fools the reader.
fn tokens(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '/' && at(i + 1) == '/' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == 'r'
            && (at(i + 1) == '"' || at(i + 1) == '#' && matches!(at(i + 2), '"' | '#'))
        {
            // A raw string: r"..", r#".."#, with as many hashes to close.
            let mut j = i + 1;
            let mut hashes = 0;
            while at(j) == '#' {
                hashes += 1;
                j += 1;
            }
            j += 1;
            loop {
                if j >= chars.len() {
                    break;
                }
                if chars[j] == '"' && (1..=hashes).all(|k| at(j + k) == '#') {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            i = j;
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
        } else if c == '\'' {
            // A char literal ('x', '\n') or a lifetime ('a): only the first
            // closes with a quote.
            if at(i + 1) == '\\' {
                i += 2;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if at(i + 2) == '\'' {
                i += 3;
            } else {
                i += 1;
            }
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(chars[start..i].iter().collect());
        } else if c == ':' && at(i + 1) == ':' {
            out.push("::".to_owned());
            i += 2;
        } else {
            out.push(c.to_string());
            i += 1;
        }
    }
    out
}

/// The crate modules `text` names through `crate::` (or `super::` where
/// that is the crate root), in code only: a path in full, `use` and
/// `pub use`, and every member of a group (`use crate::{relay::Relay,
/// http::{Http, X}}`, over as many lines as it takes). Inside an inline
/// module (`mod tests { ... }`), `super::` is the file's own module, so
/// only `crate::` counts there.
fn named(text: &str, root_is_super: bool) -> Vec<String> {
    let t = tokens(text);
    let is_ident = |s: &str| {
        s.chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_')
    };
    let mut out = Vec::new();
    // Brace depth, and the depths at which inline modules opened.
    let mut depth = 0usize;
    let mut inline: Vec<usize> = Vec::new();
    let mut i = 0;
    while i < t.len() {
        match t[i].as_str() {
            "mod"
                if t.get(i + 1).is_some_and(|n| is_ident(n))
                    && t.get(i + 2).map(String::as_str) == Some("{") =>
            {
                inline.push(depth);
            }
            "{" => depth += 1,
            "}" => {
                depth = depth.saturating_sub(1);
                while inline.last().is_some_and(|&d| depth <= d) {
                    inline.pop();
                }
            }
            // The start of a path (not `x::super`), at the crate or its root.
            root @ ("crate" | "super")
                if t.get(i + 1).map(String::as_str) == Some("::")
                    && (i == 0 || t[i - 1] != "::") =>
            {
                let counts = root == "crate" || root_is_super && inline.is_empty();
                // `super::super::x` from a file below a module is not the root.
                let after = t.get(i + 2).map(String::as_str).unwrap_or_default();
                if counts && after == "{" {
                    out.extend(group(&t[i + 2..]));
                } else if counts && is_ident(after) && after != "super" && after != "self" {
                    out.push(after.to_owned());
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// The first name of each member of the group `t` opens with `{`.
fn group(t: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0;
    let mut first = true;
    for tok in t {
        match tok.as_str() {
            "{" => depth += 1,
            "}" => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            "," if depth == 1 => first = true,
            name if depth == 1 && first => {
                if name != "self" {
                    out.push(name.to_owned());
                }
                first = false;
            }
            _ => {}
        }
    }
    out
}

#[test]
fn every_module_names_only_layers_below_it() {
    let mut wrong: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut checked = 0;
    for file in crate_sources() {
        let module = file.module.as_str();
        if module == "main" || module == "lib" {
            continue;
        }
        let own = layer_of(module).unwrap_or_else(|| {
            panic!("{module} is in no layer: add it to LAYERS and ARCHITECTURE.md")
        });
        for name in named(&file.text, file.root_is_super) {
            if name == module {
                continue;
            }
            match layer_of(&name) {
                Some(l) if l > own => {}
                _ => wrong
                    .entry(file.path.display().to_string())
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
fn the_reader_sees_every_form_of_a_path() {
    // A group, as rust-analyzer's import merging writes it.
    assert_eq!(
        named("use crate::{relay::Relay, http::Http};", false),
        ["relay", "http"]
    );
    // Nested groups and a group over several lines: each member's first name.
    let lines = "use crate::{\n    relay::{Relay, Settings},\n    connection::{self, Connection},\n    jsonrpc,\n};";
    assert_eq!(named(lines, false), ["relay", "connection", "jsonrpc"]);
    // `pub use`, a path in full inside code, and `super::{..}` at the root.
    assert_eq!(named("pub use crate::relay::Relay;", false), ["relay"]);
    assert_eq!(
        named(
            "fn f() { crate::commands::run(crate::cli::X::new()); }",
            false
        ),
        ["commands", "cli"]
    );
    assert_eq!(named("use super::{auth, http::X};", true), ["auth", "http"]);
    assert!(named("use super::{auth, http::X};", false).is_empty());
    // Words are not code: comments, doc comments, strings, raw strings.
    let words = "/// see crate::relay\n/* crate::auth */\nlet a = \"crate::cli\";\nlet b = r#\"crate::commands \"x\" \"#;\nlet c = '\"'; // crate::http\nuse crate::files;";
    assert_eq!(named(words, false), ["files"]);
    // `pub(crate)` and `pub(super)` name no module; a lifetime is no char.
    assert!(named(
        "pub(crate) fn f<'a>(x: &'a str) {}\npub(super) struct S;",
        true
    )
    .is_empty());
    // `super::super::` from below a module is not the crate root's child.
    assert!(named("use super::super::X;", true).is_empty());
}

#[test]
fn no_source_file_holds_more_than_one_concern_s_worth_of_lines() {
    let long: Vec<String> = crate_sources()
        .iter()
        .filter_map(|f| {
            let n = f.text.lines().count();
            (n > MAX_LINES).then(|| format!("{} ({n} lines)", f.path.display()))
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
    let mut words = Vec::new();
    for f in crate_sources() {
        if f.module == "commands" || f.module == "main" {
            continue;
        }
        for e in error_types(&f.text) {
            if is_words(&e) {
                words.push(format!("{}: Result<_, {e}>", f.path.display()));
            }
        }
    }
    assert!(
        words.is_empty(),
        "give these a typed error (thiserror) instead of words: {words:#?}"
    );
}

/// clap is the command line's business: below `cli/` and `commands/`, the
/// layers have their own enums, which `cli` maps its choices onto.
#[test]
fn clap_stays_in_the_command_line() {
    let leaks: Vec<String> = crate_sources()
        .iter()
        .filter(|f| !matches!(f.module.as_str(), "cli" | "commands" | "main"))
        .filter(|f| {
            let t = tokens(&f.text);
            t.windows(2).any(|w| w[0] == "clap" && w[1] == "::")
        })
        .map(|f| f.path.display().to_string())
        .collect();
    assert!(leaks.is_empty(), "clap below cli/: {leaks:?}");
    // The reader would see it.
    let t = tokens("#[derive(Debug, clap::ValueEnum)]\nenum E { A }");
    assert!(t.windows(2).any(|w| w[0] == "clap" && w[1] == "::"));
}

/// An error variant whose message is a string it carries (`#[error("{0}")]`
/// over a `String`): words in a typed error's clothing. Below `commands/`,
/// a failure is a variant with its fields, its sentence written once.
fn worded_variants(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if *line != r#"#[error("{0}")]"# {
            continue;
        }
        let next = lines[i + 1..]
            .iter()
            .find(|l| !l.starts_with("///") && !l.starts_with("#["))
            .copied()
            .unwrap_or_default();
        if next.ends_with("(String),") || next.ends_with("(String);") {
            found.push(next.to_owned());
        }
    }
    found
}

#[test]
fn no_error_below_the_commands_is_a_string_in_disguise() {
    let mut worded = Vec::new();
    for f in crate_sources() {
        if f.module == "commands" || f.module == "main" {
            continue;
        }
        for v in worded_variants(&f.text) {
            worded.push(format!("{}: {v}", f.path.display()));
        }
    }
    // The x-mcp-header rules name what broke in a sentence built where it
    // broke; they are shown, never decided on.
    worded.retain(|w| !w.contains("RuleBroken"));
    assert!(
        worded.is_empty(),
        "give each failure a variant with its fields: {worded:#?}"
    );
    let sample = "pub enum E {\n    /// Said.\n    #[error(\"{0}\")]\n    Flow(String),\n    #[error(\"{0}\")]\n    Code(u16),\n}";
    assert_eq!(worded_variants(sample), ["Flow(String),"]);
}

/// `serve` is the other direction, a flow beside the bridge's: it stands on
/// the shared leaves and names nothing of the bridge's client side, which
/// never names it either.
#[test]
fn serve_and_the_bridge_stand_apart_on_the_shared_leaves() {
    const CLIENT_SIDE: [&str; 5] = ["relay", "connection", "transport", "http", "auth"];
    let mut crossing = Vec::new();
    for f in crate_sources() {
        let names = named(&f.text, f.root_is_super);
        let wrong: Vec<String> = match f.module.as_str() {
            "serve" => names
                .into_iter()
                .filter(|n| CLIENT_SIDE.contains(&n.as_str()))
                .collect(),
            m if CLIENT_SIDE.contains(&m) => names.into_iter().filter(|n| n == "serve").collect(),
            _ => continue,
        };
        if !wrong.is_empty() {
            crossing.push(format!("{}: {wrong:?}", f.path.display()));
        }
    }
    assert!(
        crossing.is_empty(),
        "serve and the bridge's client side name each other: {crossing:?}"
    );
}

/// Error variants (or error structs) whose message shows the cause that
/// `source()` returns too: a field named `source`, or one marked
/// `#[source]` or `#[from]`, named again in the `#[error(...)]` text. A
/// chain printer would say that cause twice.
fn causes_said_twice(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let starts: Vec<usize> = text.match_indices("#[error(").map(|(i, _)| i).collect();
    for (n, &start) in starts.iter().enumerate() {
        let rest = &text[start..];
        let Some(attr_len) = rest.find(")]\n") else {
            continue;
        };
        let message = &rest[..attr_len];
        if message.contains("transparent") {
            continue;
        }
        let end = starts.get(n + 1).map_or(text.len(), |&next| next) - start;
        let body = &rest[attr_len..end.min(rest.find("\n}\n").unwrap_or(rest.len()))];
        let named_source = body.contains(" source:");
        let tuple_source = body.contains("(#[from]") || body.contains("(#[source]");
        let says_named = ["{source", ".source", "(source"]
            .iter()
            .any(|s| message.contains(s));
        let says_tuple = ["{0", ".0"].iter().any(|s| message.contains(s));
        if named_source && says_named || tuple_source && says_tuple {
            found.push(message.trim_start_matches("#[error(").to_owned());
        }
    }
    found
}

#[test]
fn no_error_says_its_cause_in_its_words_and_as_its_source() {
    let mut twice = Vec::new();
    for f in crate_sources() {
        for m in causes_said_twice(&f.text) {
            twice.push(format!("{}: {m}", f.path.display()));
        }
    }
    assert!(
        twice.is_empty(),
        "keep the cause as source() and let text::Chain print it: {twice:#?}"
    );
    let sample = "enum E {\n    #[error(\"cannot read {path}: {source}\")]\n    Read { path: String, source: io::Error },\n    \
                  #[error(\"cannot read {path}\")]\n    Kept { path: String, source: io::Error },\n    \
                  #[error(\"bad: {0}\")]\n    Parse(#[from] ParseError),\n    \
                  #[error(\"said: {0}\")]\n    Said(io::Error),\n    \
                  #[error(transparent)]\n    Other(#[from] Other),\n}\n\
                  #[error(\"cannot start: {}\", why(.source))]\npub struct S {\n    source: io::Error,\n}\n";
    assert_eq!(
        causes_said_twice(sample),
        [
            "\"cannot read {path}: {source}\"",
            "\"bad: {0}\"",
            "\"cannot start: {}\", why(.source)"
        ]
    );
}
