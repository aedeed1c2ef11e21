//! `serve --config FILE`: many stdio servers behind one port. FILE is the
//! `mcpServers` JSON that MCP clients already use (Claude Desktop, Cursor,
//! VS Code and Claude Code read the same shape):
//!
//! ```json
//! {"mcpServers": {"files": {"command": "npx", "args": ["-y", "..."],
//!                           "env": {"ROOT": "/srv"}}}}
//! ```
//!
//! Each server is served at `/servers/NAME/mcp` (and `/servers/NAME/sse`
//! for HTTP+SSE clients). Besides what clients read, an entry may set what
//! `serve` does for it alone: `shared` (one process for every session),
//! `maxSessions`, `idleTimeout` (seconds), `requireScopes` and `toolScopes`
//! (`{"TOOL": "SCOPE"}`), added to the command line's. Other fields of
//! clients (`type`, `autoApprove`, ...) are let be; an entry with `url`
//! instead of `command` (a remote server) or `"disabled": true` is left
//! out, with a line in the log.
//!
//! `${VAR}` and `${VAR:-default}` in `command`, `args` and `env` values are
//! `serve`'s own environment variables, as in Claude Code's `.mcp.json`:
//! a config can be shared without the tokens in it. A variable that is not
//! set and has no default is an error that names it.
//!
//! The file is read whole, up to [`MAX_FILE`] bytes, and checked whole
//! before anything is served from it: at start, a bad file stops `serve`;
//! on SIGHUP, it leaves what is served as it was.

use super::child::Program;
use crate::secret::Secret;
use serde_json::{Map, Value};
use std::path::Path;
use std::time::Duration;

/// The largest config file read.
pub const MAX_FILE: u64 = 1 << 20;
/// The most servers one config may name.
pub const MAX_SERVERS: usize = 100;

/// One server of the config.
#[derive(Debug, Clone, PartialEq)]
pub struct Server {
    /// Its name, the `NAME` of `/servers/NAME/mcp`.
    pub name: String,
    /// How to start it.
    pub program: Program,
    /// One process for every session.
    pub shared: bool,
    /// How many sessions it may have open at once, when the entry says.
    pub max_sessions: Option<usize>,
    /// How long a session of it may sit idle, when the entry says.
    pub idle_timeout: Option<Duration>,
    /// Scopes every request to it needs, besides `--require-scope`.
    pub required: Vec<String>,
    /// The scope a call of a tool needs, besides `--tool-scope`.
    pub tool_scopes: Vec<(String, String)>,
}

/// What a config holds: the servers to serve, and why any entry is left out.
#[derive(Debug, Default)]
pub struct Config {
    /// The servers, in the file's order.
    pub servers: Vec<Server>,
    /// `(name, why)` for each entry left out.
    pub skipped: Vec<(String, &'static str)>,
}

/// Why a config cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// It is larger than [`MAX_FILE`].
    #[error("{path} is larger than {MAX_FILE} bytes")]
    TooLarge {
        /// The file.
        path: String,
    },
    /// It is not JSON.
    #[error("{path} is not JSON")]
    NotJson {
        /// The file.
        path: String,
        /// Why.
        source: serde_json::Error,
    },
    /// It has no `mcpServers` object.
    #[error("the config has no \"mcpServers\" object")]
    NoServers,
    /// It names more than [`MAX_SERVERS`].
    #[error("the config names more than {MAX_SERVERS} servers")]
    TooMany,
    /// A name that cannot be a path segment.
    #[error("{0:?} is not a server name: 1 to 64 letters, digits, '-', '_' or '.'")]
    Name(String),
    /// An entry's field of the wrong shape.
    #[error("the server {name:?}: {field} must be {shape}")]
    Field {
        /// The server.
        name: String,
        /// The field.
        field: &'static str,
        /// What it must be.
        shape: &'static str,
    },
    /// `${VAR}` names a variable that is not set, with no default.
    #[error(
        "the server {name:?}: the variable {var} is not set (give a default with ${{{var}:-...}})"
    )]
    Unset {
        /// The server.
        name: String,
        /// The variable.
        var: String,
    },
    /// Every entry was left out.
    #[error("the config has no server to serve (each needs a \"command\")")]
    Empty,
}

/// Read and check the config at `path`; each server's process takes lines
/// of up to `max_line` bytes.
pub fn load(path: &Path, max_line: usize) -> Result<Config, ConfigError> {
    use std::io::Read;
    let shown = path.display().to_string();
    let read = |source| ConfigError::Read {
        path: shown.clone(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read)?;
    let mut text = String::new();
    file.take(MAX_FILE + 1)
        .read_to_string(&mut text)
        .map_err(read)?;
    if text.len() as u64 > MAX_FILE {
        return Err(ConfigError::TooLarge { path: shown });
    }
    let doc: Value = serde_json::from_str(&text).map_err(|source| ConfigError::NotJson {
        path: shown,
        source,
    })?;
    parse(&doc, max_line)
}

/// The servers of a config document, `${VAR}` read from the environment.
pub fn parse(doc: &Value, max_line: usize) -> Result<Config, ConfigError> {
    parse_with(doc, max_line, &|k| std::env::var(k).ok())
}

/// The servers of a config document, `${VAR}` read from `vars`.
fn parse_with(
    doc: &Value,
    max_line: usize,
    vars: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, ConfigError> {
    let entries = doc
        .get("mcpServers")
        .and_then(Value::as_object)
        .ok_or(ConfigError::NoServers)?;
    if entries.len() > MAX_SERVERS {
        return Err(ConfigError::TooMany);
    }
    let mut config = Config::default();
    for (name, entry) in entries {
        if !is_name(name) {
            return Err(ConfigError::Name(crate::text::clean(name, 100)));
        }
        let field = |field, shape| ConfigError::Field {
            name: name.clone(),
            field,
            shape,
        };
        let entry = entry
            .as_object()
            .ok_or_else(|| field("the entry", "an object"))?;
        if entry.get("disabled").and_then(Value::as_bool) == Some(true) {
            config.skipped.push((name.clone(), "it is disabled"));
            continue;
        }
        let expand = |s: &str| expand(s, vars, name);
        let command = match entry.get("command") {
            Some(Value::String(c)) if !c.is_empty() => expand(c)?,
            None if entry.contains_key("url") => {
                config
                    .skipped
                    .push((name.clone(), "it is a remote server (a url, not a command)"));
                continue;
            }
            _ => return Err(field("command", "a string")),
        };
        let args = strings(entry, "args")
            .ok_or_else(|| field("args", "an array of strings"))?
            .iter()
            .map(|a| expand(a))
            .collect::<Result<Vec<_>, _>>()?;
        let env = match entry.get("env") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Object(vars)) => vars
                .iter()
                .map(|(k, v)| match v {
                    Value::String(v) if !k.is_empty() && !k.contains(['=', '\0']) => {
                        Ok((k.clone(), Secret::from(expand(v)?)))
                    }
                    _ => Err(field("env", "an object of strings")),
                })
                .collect::<Result<Vec<_>, _>>()?,
            Some(_) => return Err(field("env", "an object of strings")),
        };
        let count = |key, shape| match entry.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_u64()
                .filter(|n| *n > 0)
                .map(Some)
                .ok_or_else(|| field(key, shape)),
        };
        let max_sessions = count("maxSessions", "a whole number above 0")?;
        let idle = count("idleTimeout", "a number of seconds above 0")?;
        let shared = match entry.get("shared") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(field("shared", "true or false")),
        };
        let required = strings(entry, "requireScopes")
            .ok_or_else(|| field("requireScopes", "an array of strings"))?;
        let tool_scopes = match entry.get("toolScopes") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Object(tools)) => tools
                .iter()
                .map(|(t, s)| Some((t.clone(), s.as_str().filter(|s| is_scope(s))?.to_owned())))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| field("toolScopes", "an object of TOOL: SCOPE"))?,
            Some(_) => return Err(field("toolScopes", "an object of TOOL: SCOPE")),
        };
        if required.iter().any(|s| !is_scope(s)) {
            return Err(field("requireScopes", "scopes without spaces or quotes"));
        }
        config.servers.push(Server {
            name: name.clone(),
            program: Program {
                command,
                args,
                env,
                max_line,
            },
            shared,
            max_sessions: max_sessions.map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
            idle_timeout: idle.map(Duration::from_secs),
            required,
            tool_scopes,
        });
    }
    if config.servers.is_empty() {
        return Err(ConfigError::Empty);
    }
    Ok(config)
}

/// The strings of the array `key`, none when it is absent; `None` when it
/// is not an array of strings.
fn strings(entry: &Map<String, Value>, key: &str) -> Option<Vec<String>> {
    match entry.get(key) {
        None | Some(Value::Null) => Some(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect(),
        Some(_) => None,
    }
}

/// `s` with each `${VAR}` and `${VAR:-default}` replaced by the variable's
/// value (or the default, when it is unset or empty), in the entry of the
/// server `name`; a variable that is unset with no default is an error. A
/// `${` that does not start a reference (no `}`, or not a name inside) is
/// kept as it is.
fn expand(
    s: &str,
    vars: &dyn Fn(&str) -> Option<String>,
    name: &str,
) -> Result<String, ConfigError> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find("${") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[at..]);
            return Ok(out);
        };
        let inner = &after[..end];
        let (var, default) = match inner.split_once(":-") {
            Some((v, d)) => (v, Some(d)),
            None => (inner, None),
        };
        let is_var = var
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
            && var.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !is_var {
            out.push_str("${");
            rest = after;
            continue;
        }
        match (vars(var), default) {
            (Some(v), _) if !v.is_empty() => out.push_str(&v),
            (_, Some(d)) => out.push_str(d),
            // Set, but empty.
            (Some(_), None) => {}
            (None, None) => {
                return Err(ConfigError::Unset {
                    name: name.to_owned(),
                    var: var.to_owned(),
                })
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A name that is one path segment: 1 to 64 of letters, digits, `-`, `_`
/// and `.` (not `.` or `..` alone).
pub fn is_name(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s != "."
        && s != ".."
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// A scope that can be put in a challenge's quoted string.
fn is_scope(s: &str) -> bool {
    !s.is_empty() && !s.contains([' ', '"', '\\']) && !s.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_client_s_config_is_served_with_what_serve_adds() {
        let doc = json!({"mcpServers": {
            "files": {"command": "npx", "args": ["-y", "fs", "/srv"], "env": {"A": "1"}},
            "remote": {"url": "https://example.com/mcp"},
            "off": {"command": "x", "disabled": true},
            "heavy": {"command": "big", "shared": true, "maxSessions": 3, "idleTimeout": 60,
                      "requireScopes": ["mcp"], "toolScopes": {"write": "files:write"},
                      "autoApprove": []}
        }});
        let c = parse(&doc, 1000).unwrap();
        let names: Vec<&str> = c.servers.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["files", "heavy"]);
        let files = &c.servers[0];
        assert_eq!(files.program.args, ["-y", "fs", "/srv"]);
        assert_eq!(files.program.env, [("A".to_owned(), Secret::from("1"))]);
        assert!(!files.shared);
        let heavy = &c.servers[1];
        assert!(heavy.shared);
        assert_eq!(heavy.max_sessions, Some(3));
        assert_eq!(heavy.idle_timeout, Some(Duration::from_secs(60)));
        assert_eq!(heavy.required, ["mcp"]);
        assert_eq!(
            heavy.tool_scopes,
            [("write".to_owned(), "files:write".to_owned())]
        );
        assert_eq!(c.skipped.len(), 2);
    }

    #[test]
    fn bad_configs_are_refused_whole() {
        for (doc, want) in [
            (json!({}), "mcpServers"),
            (json!({"mcpServers": {}}), "no server"),
            (
                json!({"mcpServers": {"a/b": {"command": "x"}}}),
                "not a server name",
            ),
            (
                json!({"mcpServers": {"..": {"command": "x"}}}),
                "not a server name",
            ),
            (json!({"mcpServers": {"a": {"command": 1}}}), "command"),
            (
                json!({"mcpServers": {"a": {"command": "x", "args": "y"}}}),
                "args",
            ),
            (
                json!({"mcpServers": {"a": {"command": "x", "env": {"K": 1}}}}),
                "env",
            ),
            (
                json!({"mcpServers": {"a": {"command": "x", "maxSessions": 0}}}),
                "maxSessions",
            ),
            (
                json!({"mcpServers": {"a": {"command": "x", "toolScopes": {"t": "a b"}}}}),
                "toolScopes",
            ),
            (
                json!({"mcpServers": {"a": {"command": "x", "requireScopes": ["\""]}}}),
                "requireScopes",
            ),
            (
                json!({"mcpServers": {"a": {"command": "x"}, "b": 3}}),
                "entry",
            ),
        ] {
            let e = parse(&doc, 1000).unwrap_err().to_string();
            assert!(e.contains(want), "{doc}: {e}");
        }
        let many: Map<String, Value> = (0..=MAX_SERVERS)
            .map(|i| (format!("s{i}"), json!({"command": "x"})))
            .collect();
        assert!(matches!(
            parse(&json!({"mcpServers": many}), 1000),
            Err(ConfigError::TooMany)
        ));
    }

    #[test]
    fn variables_are_the_environment_s_and_an_unset_one_is_named() {
        let vars = |k: &str| match k {
            "TOKEN" => Some("s3cret".to_owned()),
            "HOME_DIR" => Some("/home/a".to_owned()),
            "EMPTY" => Some(String::new()),
            _ => None,
        };
        let doc = json!({"mcpServers": {"a": {
            "command": "${HOME_DIR}/bin/server",
            "args": ["--root=${ROOT:-/srv}", "${EMPTY}", "${EMPTY:-x}", "$HOME_DIR", "${not a var}", "${", "a${TOKEN}b${TOKEN}"],
            "env": {"API_TOKEN": "${TOKEN}"}
        }}});
        let c = parse_with(&doc, 1000, &vars).unwrap();
        let p = &c.servers[0].program;
        assert_eq!(p.command, "/home/a/bin/server");
        assert_eq!(
            p.args,
            [
                "--root=/srv",
                "",
                "x",
                "$HOME_DIR",
                "${not a var}",
                "${",
                "as3cretbs3cret"
            ]
        );
        assert_eq!(p.env, [("API_TOKEN".to_owned(), Secret::from("s3cret"))]);
        for field in [
            json!({"command": "${MISSING}"}),
            json!({"command": "x", "args": ["${MISSING}"]}),
            json!({"command": "x", "env": {"K": "${MISSING}"}}),
        ] {
            let doc = json!({"mcpServers": {"a": field}});
            let e = parse_with(&doc, 1000, &vars).unwrap_err().to_string();
            assert!(e.contains("the variable MISSING is not set"), "{e}");
        }
    }

    #[test]
    fn a_file_too_large_or_not_json_is_an_error() {
        let dir = std::env::temp_dir().join(format!("mcp-bridge-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let big = dir.join("big.json");
        std::fs::write(&big, vec![b' '; MAX_FILE as usize + 1]).unwrap();
        assert!(matches!(load(&big, 1), Err(ConfigError::TooLarge { .. })));
        let bad = dir.join("bad.json");
        std::fs::write(&bad, "{").unwrap();
        assert!(matches!(load(&bad, 1), Err(ConfigError::NotJson { .. })));
        assert!(matches!(
            load(&dir.join("none.json"), 1),
            Err(ConfigError::Read { .. })
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
