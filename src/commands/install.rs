//! `mcp-bridge install --client CLIENT NAME URL [options]` and `uninstall`:
//! the bridge written into an MCP client's configuration file, with the
//! absolute path of this binary (no PATH lookup and no npx at run time, so
//! the client starts it in milliseconds). The file is edited, not
//! rewritten: jsonc-parser's concrete syntax tree keeps every other entry,
//! the indentation, the key order and (where the client allows them, as VS
//! Code does) comments and trailing commas. The change is written
//! atomically, the previous file kept as FILE.bak.

use crate::cli::{Cli, ClientApp};
use crate::commands::Failure;
use crate::files::FileError;
use crate::secret::Secret;
use crate::text::Chain;
use clap::Parser;
use jsonc_parser::cst::{CstInputValue, CstObject, CstRootNode};
use jsonc_parser::ParseOptions;
use std::path::{Path, PathBuf};

/// Largest configuration file read (Claude Code's keeps history: generous).
const CONFIG_LIMIT: usize = 64 << 20;

/// What `install` was asked to do.
pub struct Install<'a> {
    /// The client whose configuration it is.
    pub client: ClientApp,
    /// `--config`: another file than the client's own.
    pub config: Option<&'a Path>,
    /// `--force`: replace an entry of that name.
    pub force: bool,
    /// `--dry-run`: print the change, write nothing.
    pub dry_run: bool,
    /// The entry's name.
    pub name: &'a str,
    /// The server's URL.
    pub url: &'a str,
    /// Bridge options, written as given (`${VAR}` stays unexpanded).
    pub options: &'a [Secret],
}

/// The file a client reads its MCP servers from on `os` (as
/// `std::env::consts::OS` names it), found through `env`.
pub fn config_path(
    client: ClientApp,
    os: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<PathBuf, Failure> {
    let var = |k: &str| env(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    let home = if os == "windows" {
        var("USERPROFILE").or_else(|| var("HOME"))
    } else {
        var("HOME")
    }
    .or_else(|| directories::BaseDirs::new().map(|b| b.home_dir().to_path_buf()))
    .ok_or("cannot tell the home directory (set HOME)")?;
    // Where desktop apps keep their settings.
    let app_config = || -> Result<PathBuf, Failure> {
        match os {
            "macos" => Ok(home.join("Library/Application Support")),
            "windows" => var("APPDATA").ok_or_else(|| "APPDATA is not set".into()),
            _ => Ok(var("XDG_CONFIG_HOME").unwrap_or_else(|| home.join(".config"))),
        }
    };
    Ok(match client {
        ClientApp::ClaudeDesktop => app_config()?
            .join("Claude")
            .join("claude_desktop_config.json"),
        ClientApp::ClaudeCode => home.join(".claude.json"),
        ClientApp::Cursor => home.join(".cursor").join("mcp.json"),
        ClientApp::Vscode => app_config()?.join("Code").join("User").join("mcp.json"),
        ClientApp::Windsurf => home
            .join(".codeium")
            .join("windsurf")
            .join("mcp_config.json"),
    })
}

/// The key of the object that holds the servers.
fn servers_key(client: ClientApp) -> &'static str {
    match client {
        ClientApp::Vscode => "servers",
        _ => "mcpServers",
    }
}

/// The entry for the bridge: this binary, the URL and the options.
fn entry(client: ClientApp, command: &str, url: &str, options: &[Secret]) -> CstInputValue {
    let mut args = vec![CstInputValue::String(url.to_owned())];
    args.extend(
        options
            .iter()
            .map(|o| CstInputValue::String(o.expose().to_owned())),
    );
    let mut fields = Vec::new();
    if matches!(client, ClientApp::Vscode | ClientApp::ClaudeCode) {
        fields.push(("type".to_owned(), CstInputValue::String("stdio".into())));
    }
    fields.push((
        "command".to_owned(),
        CstInputValue::String(command.to_owned()),
    ));
    fields.push(("args".to_owned(), CstInputValue::Array(args)));
    CstInputValue::Object(fields)
}

/// The file to edit: `--config`, or the client's own, with a link followed
/// (a dotfile manager's link stays a link).
fn target(client: ClientApp, config: Option<&Path>) -> Result<PathBuf, Failure> {
    let path = match config {
        Some(p) => p.to_path_buf(),
        None => config_path(client, std::env::consts::OS, &|k| std::env::var(k).ok())?,
    };
    let path = std::fs::canonicalize(&path).unwrap_or(path);
    // Without the `\\?\` prefix canonicalize gives on Windows, for the
    // person reading where it went.
    Ok(match path.to_str() {
        Some(p) => PathBuf::from(plain_path(p)),
        None => path,
    })
}

/// The file's text ("" when it does not exist yet) and its tree.
fn open(path: &Path) -> Result<(String, CstRootNode), Failure> {
    let bytes = crate::files::read_bounded(path, CONFIG_LIMIT)
        .map_err(FileError::io("read", path))?
        .unwrap_or_default();
    let text = String::from_utf8(bytes)
        .map_err(|_| format!("{} is not UTF-8 text; not changing it", path.display()))?;
    let root = CstRootNode::parse(&text, &ParseOptions::default()).map_err(|e| {
        format!(
            "{} is not valid JSON ({e}); fix it or name another file with --config",
            path.display(),
            e = Chain(&e)
        )
    })?;
    Ok((text, root))
}

/// The object holding the servers, made when missing; an error when the
/// file's root or that key holds something else (never overwritten).
fn servers(root: &CstRootNode, key: &str, path: &Path) -> Result<CstObject, Failure> {
    if root.value().is_some() && root.object_value().is_none() {
        return Err(format!(
            "{} does not hold a JSON object; not changing it",
            path.display()
        )
        .into());
    }
    let top = root.object_value_or_set();
    match top.get(key) {
        Some(prop) => prop.value().and_then(|v| v.as_object()).ok_or_else(|| {
            format!(
                "{key} in {} is not an object; not changing it",
                path.display()
            )
            .into()
        }),
        None => Ok(top.object_value_or_set(key)),
    }
}

/// Write `new` over `path`, keeping what was there as FILE.bak.
fn write(path: &Path, old: &str, new: &str) -> Result<(), Failure> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(FileError::io("create", dir))?;
    }
    if path.exists() {
        let mut bak = path.as_os_str().to_owned();
        bak.push(".bak");
        crate::files::write_private(Path::new(&bak), old.as_bytes())?;
    }
    Ok(crate::files::write_private(path, new.as_bytes())?)
}

/// The absolute path of this binary, as the entry's command.
fn this_binary() -> Result<String, Failure> {
    let exe = std::env::current_exe()
        .and_then(std::fs::canonicalize)
        .map_err(|e| format!("cannot tell where this binary is: {e}", e = Chain(&e)))?;
    let shown = plain_path(&exe.display().to_string());
    if shown.contains("_npx") {
        eprintln!("mcp-bridge: warning: this binary is in npx's cache ({shown}), which npm may clear; install it for good (npm install -g mcp-bridge, or cargo install mcp-bridge --locked) and run install again from there");
    }
    Ok(shown)
}

/// A Windows path without the `\\?\` prefix canonicalize gives it, which
/// not every client's process launcher takes (`C:\...` stays as it is).
fn plain_path(p: &str) -> String {
    match p.strip_prefix(r"\\?\") {
        Some(rest) if rest.as_bytes().get(1) == Some(&b':') => rest.to_owned(),
        _ => p.to_owned(),
    }
}

/// Check that the URL and options are what the bridge accepts, so that a
/// typo fails now and not when the client starts it.
fn check_options(url: &str, options: &[Secret]) -> Result<(), Failure> {
    let options: Vec<&str> = options.iter().map(Secret::expose).collect();
    crate::url_policy::check_url(url, options.contains(&"--allow-http"))?;
    let argv = ["mcp-bridge", url]
        .into_iter()
        .chain(options.iter().copied());
    Cli::try_parse_from(argv).map(|_| ()).map_err(|e| {
        let own = ["--force", "--dry-run", "--config", "--client"];
        let text = match options.iter().find(|o| own.contains(o)) {
            Some(o) => format!("{o} is an option of install: put it before NAME"),
            None => {
                let said = Chain(&e).to_string();
                let first = said.lines().next().unwrap_or_default();
                format!(
                    "the bridge would not start with these options: {}",
                    first.trim_start_matches("error: ")
                )
            }
        };
        text.into()
    })
}

/// `install`: the summary for stdout, or why not.
pub fn install(a: &Install<'_>) -> Result<String, Failure> {
    check_options(a.url, a.options)?;
    if a.name.trim().is_empty() {
        return Err("the server's name is empty".into());
    }
    let path = target(a.client, a.config)?;
    let (old, root) = open(&path)?;
    let key = servers_key(a.client);
    let list = servers(&root, key, &path)?;
    let command = this_binary()?;
    let value = entry(a.client, &command, a.url, a.options);
    let verb = match list.get(a.name) {
        Some(_) if !a.force => {
            return Err(format!(
                "{} already has a server named {:?}; pass --force to replace it",
                path.display(),
                a.name
            )
            .into())
        }
        Some(prop) => {
            prop.set_value(value);
            "replaced"
        }
        None => {
            list.append(a.name, value);
            "added"
        }
    };
    let new = root.to_string();
    let shown = list.get(a.name).map(|p| p.to_string()).unwrap_or_default();
    if a.dry_run {
        return Ok(format!(
            "would have {verb} in {} ({key}):\n{}",
            path.display(),
            dedent(&shown)
        ));
    }
    write(&path, &old, &new)?;
    Ok(format!(
        "{verb} {:?} in {}; restart the client to use it",
        a.name,
        path.display()
    ))
}

/// A property as written in the file, moved left as a whole: its first
/// line has lost its indentation to the tree, the others keep it.
fn dedent(prop: &str) -> String {
    let prop = prop.trim();
    let indent = prop
        .lines()
        .last()
        .map_or(0, |l| l.len() - l.trim_start().len());
    prop.lines()
        .enumerate()
        .map(|(i, l)| {
            let cut = if i == 0 {
                0
            } else {
                indent.min(l.len() - l.trim_start().len())
            };
            &l[cut..]
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `uninstall`: the summary for stdout, or why not.
pub fn uninstall(
    client: ClientApp,
    config: Option<&Path>,
    name: &str,
    dry_run: bool,
) -> Result<String, Failure> {
    let path = target(client, config)?;
    if !path.exists() {
        return Ok(format!(
            "{} does not exist; nothing to remove",
            path.display()
        ));
    }
    let (old, root) = open(&path)?;
    let key = servers_key(client);
    let found = root
        .object_value()
        .and_then(|o| o.get(key))
        .and_then(|p| p.value())
        .and_then(|v| v.as_object())
        .and_then(|o| o.get(name));
    let Some(prop) = found else {
        return Ok(format!(
            "{} has no server named {name:?}; nothing to remove",
            path.display()
        ));
    };
    if dry_run {
        return Ok(format!(
            "would have removed from {} ({key}):\n{}",
            path.display(),
            dedent(&prop.to_string())
        ));
    }
    prop.remove();
    write(&path, &old, &root.to_string())?;
    Ok(format!("removed {name:?} from {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn each_client_file_is_where_that_client_reads_it_on_each_os() {
        let linux = env_of(&[("HOME", "/home/u")]);
        let xdg = env_of(&[("HOME", "/home/u"), ("XDG_CONFIG_HOME", "/xdg")]);
        let mac = env_of(&[("HOME", "/Users/u")]);
        let win = env_of(&[
            ("USERPROFILE", r"C:\Users\u"),
            ("APPDATA", r"C:\Users\u\AppData\Roaming"),
        ]);
        // Compared as paths (component by component), so the test holds
        // on a Windows host too, where join adds `\`.
        let p = |c, os, env: &dyn Fn(&str) -> Option<String>| config_path(c, os, env).unwrap();
        use ClientApp::*;
        assert_eq!(
            p(ClaudeDesktop, "linux", &linux),
            Path::new("/home/u/.config/Claude/claude_desktop_config.json")
        );
        assert_eq!(
            p(ClaudeDesktop, "linux", &xdg),
            Path::new("/xdg/Claude/claude_desktop_config.json")
        );
        assert_eq!(
            p(ClaudeDesktop, "macos", &mac),
            Path::new("/Users/u/Library/Application Support/Claude/claude_desktop_config.json")
        );
        assert!(p(ClaudeDesktop, "windows", &win).starts_with(r"C:\Users\u\AppData\Roaming"));
        assert_eq!(
            p(ClaudeCode, "linux", &linux),
            Path::new("/home/u/.claude.json")
        );
        assert_eq!(
            p(Cursor, "macos", &mac),
            Path::new("/Users/u/.cursor/mcp.json")
        );
        assert!(p(Cursor, "windows", &win).starts_with(r"C:\Users\u"));
        assert_eq!(
            p(Vscode, "linux", &xdg),
            Path::new("/xdg/Code/User/mcp.json")
        );
        assert_eq!(
            p(Vscode, "macos", &mac),
            Path::new("/Users/u/Library/Application Support/Code/User/mcp.json")
        );
        assert_eq!(
            p(Windsurf, "linux", &linux),
            Path::new("/home/u/.codeium/windsurf/mcp_config.json")
        );
        assert!(config_path(ClaudeDesktop, "windows", &env_of(&[("USERPROFILE", "C:")])).is_err());
    }

    #[test]
    fn windows_verbatim_paths_are_written_plain() {
        assert_eq!(
            plain_path(r"\\?\C:\Users\u\mcp-bridge.exe"),
            r"C:\Users\u\mcp-bridge.exe"
        );
        assert_eq!(
            plain_path(r"\\?\UNC\server\share\m.exe"),
            r"\\?\UNC\server\share\m.exe"
        );
        assert_eq!(plain_path("/usr/bin/mcp-bridge"), "/usr/bin/mcp-bridge");
    }

    #[test]
    fn options_are_checked_as_the_bridge_would_take_them() {
        let o = |v: &[&str]| v.iter().map(|s| Secret::from(*s)).collect::<Vec<_>>();
        assert!(check_options("https://h/mcp", &o(&["--header", "A: ${B}"])).is_ok());
        assert!(check_options("https://h/mcp", &o(&["--no-such-flag"])).is_err());
        assert!(check_options("not a url", &[]).is_err());
        let e = check_options("https://h/mcp", &o(&["--force"])).unwrap_err();
        assert!(e.to_string().contains("put it before NAME"), "{e}");
    }
}
