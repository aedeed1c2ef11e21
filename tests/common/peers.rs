//! Real peer servers, installed at pinned versions by `scripts/test.sh` under
//! `tests/peers/` (npm packages in node_modules, the Python SDK in .venv).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where the peers live.
pub fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers")
}

/// The Python of the peers' virtual environment (Windows keeps it in
/// `Scripts`).
pub fn venv_python() -> PathBuf {
    if cfg!(windows) {
        dir().join(".venv/Scripts/python.exe")
    } else {
        dir().join(".venv/bin/python")
    }
}

fn require(path: PathBuf) -> PathBuf {
    assert!(
        path.exists(),
        "{} is missing: run `scripts/test.sh` (it installs the pinned peer servers)",
        path.display()
    );
    path
}

/// A peer server process, killed when dropped.
pub struct Peer {
    child: Child,
    pub port: u16,
    pub url: String,
    /// The authorization server's port, for peers that have one.
    pub auth_port: u16,
    what: &'static str,
    command: Box<dyn Fn() -> Command + Send>,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Peer {
    /// Kill the server (to test what the bridge does when it is gone).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Start the server again on the same port (after `kill`): a fresh
    /// process that knows none of the old sessions.
    pub fn start_again(&mut self) {
        self.child = spawn((self.command)(), self.port, self.what);
    }
}

fn wait_listening(port: u16, child: &mut Child, what: &str) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited before listening: {status}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{what} did not listen on port {port} within 30 s");
}

fn spawn(mut cmd: Command, port: u16, what: &str) -> Child {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("start {what}: {e}"));
    wait_listening(port, &mut child, what);
    child
}

/// Start the command `make` builds (stdio silenced) and wait until it
/// listens on `port`.
fn launch(
    make: impl Fn() -> Command + Send + 'static,
    port: u16,
    what: &'static str,
    path: &str,
) -> Peer {
    let child = spawn(make(), port, what);
    Peer {
        child,
        port,
        url: format!("http://127.0.0.1:{port}/{path}"),
        auth_port: 0,
        what,
        command: Box::new(make),
    }
}

/// A port for a server that is not running yet.
pub fn port() -> u16 {
    super::free_port()
}

/// `@modelcontextprotocol/server-everything` in the given mode
/// (`streamableHttp` or `sse`) on a free port.
pub fn everything(mode: &str) -> Peer {
    everything_on(mode, super::free_port())
}

/// `@modelcontextprotocol/server-everything` on a given port.
pub fn everything_on(mode: &str, port: u16) -> Peer {
    let script =
        require(dir().join("node_modules/@modelcontextprotocol/server-everything/dist/index.js"));
    let mode_arg = mode.to_owned();
    let make = move || {
        let mut cmd = Command::new("node");
        cmd.arg(&script)
            .arg(&mode_arg)
            .env("PORT", port.to_string());
        cmd
    };
    let path = if mode == "sse" { "sse" } else { "mcp" };
    launch(make, port, "server-everything (node)", path)
}

/// The TypeScript SDK's example server `simpleStreamableHttp` with `--oauth`:
/// its MCP endpoint on a free port (answering 401 without a token) and its
/// demo authorization server on another.
pub fn sdk_oauth_example() -> Peer {
    sdk_oauth_example_with("--oauth")
}

/// The same with `flag`: `--oauth`, or `--oauth-strict` (tokens must have
/// been asked for this server with the RFC 8707 resource indicator).
pub fn sdk_oauth_example_with(flag: &'static str) -> Peer {
    let script = require(dir().join(
        "node_modules/@modelcontextprotocol/sdk/dist/esm/examples/server/simpleStreamableHttp.js",
    ));
    let (port, auth_port) = (super::free_port(), super::free_port());
    let make = move || {
        let mut cmd = Command::new("node");
        cmd.arg(&script)
            .arg("--oauth")
            .arg(flag)
            .env("MCP_PORT", port.to_string())
            .env("MCP_AUTH_PORT", auth_port.to_string());
        cmd
    };
    with_auth_server(
        launch(make, port, "the TypeScript SDK OAuth example (node)", "mcp"),
        auth_port,
    )
}

/// `tests/peers/oauth_server.mjs`: the TypeScript SDK's authorization parts
/// with rotating refresh tokens and access tokens that live `ttl` seconds.
pub fn sdk_oauth_refreshing(ttl: u32) -> Peer {
    require(dir().join("node_modules/@modelcontextprotocol/sdk/package.json"));
    let (port, auth_port) = (super::free_port(), super::free_port());
    let make = move || {
        let mut cmd = Command::new("node");
        cmd.arg(dir().join("oauth_server.mjs"))
            .arg(port.to_string())
            .arg(auth_port.to_string())
            .arg(ttl.to_string())
            .current_dir(dir());
        cmd
    };
    with_auth_server(
        launch(make, port, "oauth_server.mjs (node)", "mcp"),
        auth_port,
    )
}

/// A peer that also runs an authorization server on `auth_port`: wait for
/// it too, and name the MCP URL by `localhost`, as the peer's metadata does.
fn with_auth_server(mut peer: Peer, auth_port: u16) -> Peer {
    wait_listening(auth_port, &mut peer.child, "its authorization server");
    peer.url = format!("http://localhost:{}/mcp", peer.port);
    peer.auth_port = auth_port;
    peer
}

/// The Python SDK server in `tests/peers/py_server.py`, mode `stateful`,
/// `stateless-json`, `sse` or `modern-only`.
pub fn python(mode: &str) -> Peer {
    let python = require(venv_python());
    let port = super::free_port();
    let mode_arg = mode.to_owned();
    let make = move || {
        let mut cmd = Command::new(&python);
        cmd.arg(dir().join("py_server.py"))
            .arg(port.to_string())
            .arg(&mode_arg);
        cmd
    };
    let path = if mode == "sse" { "sse" } else { "mcp" };
    launch(make, port, "the Python SDK server", path)
}

/// Run the Python SDK's own stdio client (`tests/peers/py_client.py`, era
/// mode `auto`) with mcp-bridge as its server; returns its JSON report.
pub fn python_client(url: &str, tool: &str, args: &str) -> serde_json::Value {
    let python = require(venv_python());
    let out = Command::new(python)
        .arg(dir().join("py_client.py"))
        .args([super::bin(), url, tool, args])
        .stdin(Stdio::null())
        .output()
        .expect("run the Python SDK client");
    report(out, "the Python client")
}

/// The JSON report a client script printed as its last line, once it
/// exited successfully.
fn report(out: std::process::Output, what: &str) -> serde_json::Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{what} failed ({}): {stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

/// Connect the Python SDK's stdio client (era mode `auto`) to mcp-bridge
/// for `url` and nothing more; its report: `seconds` it took and the
/// `error` it saw (null when it connected).
pub fn python_client_connect(url: &str) -> serde_json::Value {
    let python = require(venv_python());
    let mut cmd = Command::new(python);
    for v in super::OUTSIDE {
        cmd.env_remove(v);
    }
    let out = cmd
        .arg(dir().join("py_client.py"))
        .args([super::bin(), url, "-", "{}"])
        .stdin(Stdio::null())
        .output()
        .expect("run the Python SDK client");
    let stdout = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(stdout.lines().last().unwrap_or_default()).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// A real deployment's sign-in: oidc-provider (`tests/peers/oidc_provider.mjs`,
/// its defaults on) as the authorization server of the Python SDK's MCP
/// server (`tests/peers/py_resource.py`, verifying the provider's JWTs).
pub struct OidcDeployment {
    /// The MCP server (`url`), the provider on `auth_port`.
    pub resource: Peer,
    /// The provider.
    pub provider: Peer,
}

impl OidcDeployment {
    /// The provider's issuer.
    pub fn issuer(&self) -> String {
        format!("http://localhost:{}", self.provider.port)
    }

    /// What the provider counts: registrations (the scope each asked for),
    /// code exchanges and refreshes.
    pub async fn stats(&self) -> serde_json::Value {
        let url = format!("http://127.0.0.1:{}/stats", self.provider.port);
        let resp = super::person().get(url).send().await;
        let body = resp.expect("the provider's stats").bytes().await.unwrap();
        serde_json::from_slice(&body).expect("the provider's stats are JSON")
    }
}

/// Start an oidc-provider deployment: the resource in `mode` (`plain`,
/// `stepup`, `dpop-advertised`), tokens for `scopes` living `ttl` seconds,
/// and `extra` scopes added to the ones the provider lists (none: its stock
/// `openid offline_access`).
pub fn oidc_deployment(mode: &str, scopes: &str, ttl: u32, extra: Option<&str>) -> OidcDeployment {
    let python = require(venv_python());
    let port = super::free_port();
    let resource_url = format!("http://127.0.0.1:{port}/mcp");
    let provider = oidc_provider(&resource_url, scopes, ttl, extra);
    let auth_port = provider.port;
    let issuer = format!("http://localhost:{auth_port}");
    let mode = mode.to_owned();
    let make = move || {
        let mut cmd = Command::new(&python);
        cmd.arg(dir().join("py_resource.py"))
            .arg(port.to_string())
            .arg(&issuer)
            .arg(&mode);
        cmd
    };
    let resource = launch(make, port, "the Python SDK resource server", "mcp");
    OidcDeployment { resource, provider }
}

/// oidc-provider alone (`tests/peers/oidc_provider.mjs`, its defaults on),
/// issuing JWT access tokens for `resource` with `scopes`, living `ttl`
/// seconds; `extra` scopes added to the ones it lists. Its issuer is
/// `http://localhost:{port}`.
pub fn oidc_provider(resource: &str, scopes: &str, ttl: u32, extra: Option<&str>) -> Peer {
    oidc_provider_with(resource, scopes, ttl, extra, &[])
}

/// The same, with `env` set for it (`OIDC_ACCESS_TOKEN_FORMAT`,
/// `OIDC_INTROSPECTION_CLIENT`: see tests/peers/oidc_provider.mjs).
pub fn oidc_provider_with(
    resource: &str,
    scopes: &str,
    ttl: u32,
    extra: Option<&str>,
    env: &[(&str, &str)],
) -> Peer {
    require(dir().join("node_modules/oidc-provider/package.json"));
    let auth_port = super::free_port();
    let (resource, scopes, extra) = (
        resource.to_owned(),
        scopes.to_owned(),
        extra.map(str::to_owned),
    );
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let make = move || {
        let mut cmd = Command::new("node");
        cmd.envs(env.iter().map(|(k, v)| (k, v)));
        cmd.arg(dir().join("oidc_provider.mjs"))
            .arg(auth_port.to_string())
            .arg(&resource)
            .arg(&scopes)
            .arg(ttl.to_string())
            .args(extra.as_deref())
            .current_dir(dir());
        cmd
    };
    launch(make, auth_port, "oidc-provider (node)", "")
}

/// An MCP Apps example server of `@modelcontextprotocol/ext-apps`
/// (`server-map`, `server-budget-allocator`): Streamable HTTP on a free port,
/// the handshake era only.
pub fn ext_apps(example: &'static str) -> Peer {
    let script = require(dir().join(format!(
        "node_modules/@modelcontextprotocol/server-{example}/dist/index.js"
    )));
    let port = super::free_port();
    let make = move || {
        let mut cmd = Command::new("node");
        cmd.arg(&script).env("PORT", port.to_string());
        cmd
    };
    launch(make, port, "an ext-apps example server (node)", "mcp")
}

/// `tests/peers/tasks_server.py`: FastMCP with fastmcp-tasks (the Tasks
/// extension) and an MCP App, both eras on one URL.
pub fn fastmcp_tasks() -> Peer {
    let python = require(venv_python());
    let port = super::free_port();
    let make = move || {
        let mut cmd = Command::new(&python);
        cmd.arg(dir().join("tasks_server.py")).arg(port.to_string());
        cmd
    };
    launch(make, port, "the fastmcp-tasks server", "mcp")
}

/// Run `tests/peers/ext_client.py` (the Python SDK's client, and
/// fastmcp-tasks' client half) through one extension `scenario` in era
/// `mode` against `url`: directly, or through mcp-bridge started with
/// `bridge_args` (with a data directory of its own). Its report: each step
/// and what came of it.
pub fn ext_client(
    scenario: &str,
    mode: &str,
    url: &str,
    bridge_args: Option<&[&str]>,
) -> Vec<(String, serde_json::Value)> {
    let python = require(venv_python());
    let home = tempfile::tempdir().expect("a data dir for the bridge");
    let target = match bridge_args {
        None => url.to_owned(),
        Some(args) => format!("bridge:{} {url} {}", super::bin(), args.join(" ")),
    };
    let mut cmd = Command::new(python);
    for v in super::OUTSIDE {
        cmd.env_remove(v);
    }
    let out = cmd
        .arg(dir().join("ext_client.py"))
        .args([scenario, mode, target.trim_end()])
        .env("MCP_BRIDGE_DATA_DIR", home.path())
        .stdin(Stdio::null())
        .output()
        .expect("run the extension client");
    let steps = report(out, &format!("the extension client on {target}"));
    serde_json::from_value(steps).expect("[step, outcome] pairs")
}

/// The Python SDK server whose `add` tool the environment defines
/// (`tests/peers/changing_server.py`): `env` is read at each start, so a
/// test changes it, kills the server and starts it again on the same URL.
pub fn changing(env: std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>) -> Peer {
    let python = require(venv_python());
    let port = super::free_port();
    let make = move || {
        let mut cmd = Command::new(&python);
        cmd.arg(dir().join("changing_server.py"))
            .arg(port.to_string())
            .envs(env.lock().unwrap().iter().cloned());
        cmd
    };
    launch(make, port, "the changing Python SDK server", "mcp")
}
