//! Three `mcp-bridge serve --replica NAME` replicas behind Debian's HAProxy
//! and nginx, which route a session's requests by the replica name that
//! starts its `Mcp-Session-Id`, with no state shared between the replicas
//! nor kept by the balancer. Both terminate TLS with a CA the test makes;
//! the replicas learn the name clients reach them by from `--public-url`.
//! The configurations are the ones README.md gives.
//!
//! Four clients (mcp-bridge: two of the handshake era, without cookies, and
//! two of 2026-07-28) make 200 calls; one replica is killed midway. And one
//! `serve` with OAuth under a path prefix behind nginx's TLS, whose
//! metadata must name the URLs clients see.

// Debian's nginx and HAProxy, and openssl.
#![cfg(target_os = "linux")]

mod common;

use common::infra::{self, Ca, Daemon};
use common::served::Served;
use common::{peers, text_of, Bridge};
use serde_json::json;
use std::path::Path;
use std::process::Command;

/// Replicas' names.
const NAMES: [&str; 3] = ["r1", "r2", "r3"];

fn everything() -> Vec<String> {
    let script =
        peers::dir().join("node_modules/@modelcontextprotocol/server-everything/dist/index.js");
    vec!["node".into(), script.display().to_string(), "stdio".into()]
}

/// HAProxy routing by the session id's prefix (`use-server`, which a
/// replica that is down does not hold: the request is balanced anew, and
/// the replica it reaches answers 404 for a session it does not hold).
fn haproxy(dir: &Path, port: u16, ca: &Ca, replicas: &[u16]) -> Daemon {
    let mut rules = String::new();
    let mut servers = String::new();
    for (name, p) in NAMES.iter().zip(replicas) {
        rules.push_str(&format!(
            "  use-server {name} if {{ req.hdr(mcp-session-id) -m beg {name}. }}\n  use-server {name} if {{ urlp(sessionId) -m beg {name}. }}\n"
        ));
        servers.push_str(&format!(
            "  server {name} 127.0.0.1:{p} check inter 300 fall 1 rise 1\n"
        ));
    }
    let cfg = format!(
        "global
  log stdout format raw local0
defaults
  mode http
  log global
  log-format \"%HM %HU %ST %b/%s\"
  timeout connect 2s
  timeout client 1h
  timeout server 1h
  option redispatch
  retries 2
frontend mcp
  bind 127.0.0.1:{port} ssl crt {combined}
  default_backend replicas
backend replicas
  balance roundrobin
{rules}{servers}",
        combined = ca.combined.display()
    );
    let conf = dir.join("haproxy.cfg");
    std::fs::write(&conf, cfg).unwrap();
    let mut cmd = Command::new("haproxy");
    cmd.arg("-db").arg("-f").arg(&conf);
    infra::daemon(cmd, dir.join("haproxy.log"), port, "haproxy")
}

/// nginx routing by the session id's prefix (a `map` to an upstream of the
/// replica, with the others as its backups: a replica that is down passes
/// the request on, and the one it reaches answers 404 for a session it
/// does not hold).
fn nginx(dir: &Path, port: u16, ca: &Ca, replicas: &[u16]) -> Daemon {
    let mut map = String::new();
    let mut upstreams = String::new();
    for (i, (name, p)) in NAMES.iter().zip(replicas).enumerate() {
        map.push_str(&format!("    ~^{name}\\.  {name};\n"));
        let backups: String = replicas
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, q)| format!(" server 127.0.0.1:{q} backup;"))
            .collect();
        upstreams.push_str(&format!(
            "  upstream {name} {{ server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;{backups} }}\n"
        ));
    }
    let all: String = replicas
        .iter()
        .map(|p| format!(" server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;"))
        .collect();
    let http = format!(
        "  map $http_mcp_session_id $mcp_replica {{
{map}    default replicas;
  }}
  upstream replicas {{{all} }}
{upstreams}  server {{
    listen 127.0.0.1:{port} ssl;
    ssl_certificate {cert};
    ssl_certificate_key {key};
    location / {{
      proxy_pass http://$mcp_replica;
      proxy_http_version 1.1;
      proxy_set_header Connection \"\";
      proxy_set_header Host $http_host;
      proxy_buffering off;
      proxy_read_timeout 1h;
      proxy_next_upstream error timeout;
    }}
  }}
",
        cert = ca.cert.display(),
        key = ca.key.display(),
    );
    infra::nginx_with(dir, port, &http)
}

/// How many handshake-era sessions `replica` started (its 2026-07-28
/// processes not counted).
fn sessions_on(replica: &Served) -> usize {
    replica
        .stderr()
        .lines()
        .filter(|l| l.contains(": started ") && !l.contains("2026-07-28"))
        .count()
}

async fn echo(b: &mut Bridge, id: u64) {
    let r = b
        .call_tool(json!(id), "echo", json!({"message": format!("call {id}")}))
        .await;
    assert!(
        text_of(&r).contains(&format!("call {id}")),
        "call {id}: {r}\n{}",
        b.stderr()
    );
}

/// 200 calls from four clients through the balancer `start` makes, one
/// replica killed after the first 100.
async fn four_clients_and_a_lost_replica(start: fn(&Path, u16, &Ca, &[u16]) -> Daemon) {
    let dir = tempfile::tempdir().unwrap();
    let ca = infra::make_ca(dir.path());
    let port = common::free_port();
    let public = format!("https://localhost:{port}");
    let mut replicas = Vec::new();
    for name in NAMES {
        let args = ["--replica", name, "--public-url", public.as_str()];
        replicas.push(Served::start(&args, &everything()).await);
    }
    let ports: Vec<u16> = replicas.iter().map(|r| r.port).collect();
    let lb = start(dir.path(), port, &ca, &ports);
    let url = format!("{public}/mcp");
    let ca_file = ca.ca.display().to_string();
    let mut clients = Vec::new();
    for era in ["legacy", "legacy", "modern", "modern"] {
        let mut args = vec!["--ca-cert", ca_file.as_str(), "--protocol", era, "-v"];
        if era == "legacy" {
            // What a client without a cookie jar does: nothing but the
            // session id to route by.
            args.push("--disable-cookies");
        }
        let mut b = Bridge::start(&url, &args).await;
        b.initialize().await;
        clients.push(b);
    }
    for round in 0..25u64 {
        for (i, b) in clients.iter_mut().enumerate() {
            echo(b, round * 4 + i as u64).await;
        }
    }
    for b in &clients {
        assert!(
            !b.stderr().contains("the server lost the session"),
            "every session stayed on its replica:\n{}\n{}",
            b.stderr(),
            lb.output()
        );
    }
    let on: Vec<usize> = replicas.iter().map(sessions_on).collect();
    assert_eq!(on.iter().sum::<usize>(), 2, "{on:?}");
    // The replica holding a session dies.
    let lost = on.iter().position(|n| *n > 0).unwrap();
    let gone = replicas.remove(lost);
    let mut gone = gone;
    gone.child.kill().await.unwrap();
    for round in 25..50u64 {
        for (i, b) in clients.iter_mut().enumerate() {
            echo(b, round * 4 + i as u64).await;
        }
    }
    // Its sessions' clients got 404 and started anew, once each; the others,
    // and the 2026-07-28 clients, went on as they were.
    let renewed: usize = clients
        .iter()
        .map(|b| b.stderr().matches("a new session started").count())
        .sum();
    assert_eq!(renewed, on[lost], "{}", lb.output());
    for b in &clients[2..] {
        assert!(!b.stderr().contains("lost the session"), "{}", b.stderr());
    }
}

#[tokio::test]
async fn haproxy_routes_each_session_to_its_replica_by_its_id() {
    four_clients_and_a_lost_replica(haproxy).await;
}

#[tokio::test]
async fn nginx_routes_each_session_to_its_replica_by_its_id() {
    four_clients_and_a_lost_replica(nginx).await;
}

/// TLS at nginx, with `serve` under a path prefix (`/team/`) and OAuth in
/// front: with `--public-url https://localhost:PORT/team`, the challenge,
/// the metadata (at the well-known name before the prefix, RFC 9728) and
/// the audience are the URLs clients see, and mcp-bridge signs in through
/// them by itself (oidc-provider, DPoP-bound tokens whose proofs name the
/// public URL) and calls a tool.
#[tokio::test]
async fn behind_tls_and_a_path_prefix_the_metadata_names_the_public_urls() {
    behind_tls_and_a_path_prefix(false).await;
}

/// The same with no `--public-url`: nginx, a `--trusted-proxy`, says the
/// scheme, host and prefix the client used (X-Forwarded-*), and serve
/// makes its resource, metadata and audience from them. The same headers
/// sent straight to serve by anyone else change nothing.
#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_url_is_believed_and_from_others_not() {
    behind_tls_and_a_path_prefix(true).await;
}

async fn behind_tls_and_a_path_prefix(forwarded: bool) {
    let dir = tempfile::tempdir().unwrap();
    let ca = infra::make_ca(dir.path());
    let port = common::free_port();
    let public = format!("https://localhost:{port}/team");
    let url = format!("{public}/mcp");
    let provider = peers::oidc_provider(&url, "mcp:tools", 3600, None);
    let issuer = format!("http://localhost:{}", provider.port);
    let mut args = vec!["--auth-issuer", issuer.as_str()];
    let (host, headers) = if forwarded {
        args.extend(["--trusted-proxy", "127.0.0.1"]);
        // The proxy's own Host for the backend: the forwarded one counts.
        (
            "",
            "proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $http_host;
      proxy_set_header X-Forwarded-Prefix /team;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        )
    } else {
        args.extend(["--public-url", public.as_str()]);
        ("proxy_set_header Host $http_host;", "")
    };
    let served = Served::start(&args, &everything()).await;
    let backend = served.port;
    let http = format!(
        "  server {{
    listen 127.0.0.1:{port} ssl;
    ssl_certificate {cert};
    ssl_certificate_key {key};
    location /team/ {{
      proxy_pass http://127.0.0.1:{backend}/;
      proxy_http_version 1.1;
      proxy_set_header Connection \"\";
      {host}
      {headers}
      proxy_buffering off;
    }}
    location /.well-known/oauth-protected-resource/team/ {{
      proxy_pass http://127.0.0.1:{backend};
      {host}
      {headers}
    }}
  }}
",
        cert = ca.cert.display(),
        key = ca.key.display(),
    );
    let _nginx = infra::nginx_with(dir.path(), port, &http);

    let data = dir.path().join("data").display().to_string();
    let person = peers::dir().join("oidc_person.py").display().to_string();
    let browser = format!("python3 {person}");
    let log = dir.path().join("browser.log").display().to_string();
    let env = [
        ("MCP_BRIDGE_DATA_DIR", data.as_str()),
        ("BROWSER", browser.as_str()),
        ("BROWSER_LOG", log.as_str()),
    ];
    let ca_file = ca.ca.display().to_string();
    let args = ["--ca-cert", ca_file.as_str(), "--token-store", "file", "-v"];
    let mut b = Bridge::start_with_env(&url, &args, &env).await;
    b.initialize().await;
    echo(&mut b, 1).await;
    let stderr = b.stderr();
    let metadata =
        format!("https://localhost:{port}/.well-known/oauth-protected-resource/team/mcp");
    assert!(
        stderr.contains(&metadata),
        "the challenge named {metadata}:\n{stderr}"
    );
    let tabs = std::fs::read_to_string(&log).unwrap();
    assert!(
        tabs.contains(&format!(
            "resource=https%3A%2F%2Flocalhost%3A{port}%2Fteam%2Fmcp"
        )),
        "the token is for the public URL: {tabs}"
    );
    assert!(
        served.stderr().contains("by alice of"),
        "{}",
        served.stderr()
    );
    // Straight to serve from another address, with forwarding headers of
    // its own: with --trusted-proxy they are not believed, and serve
    // names its own address; with --public-url, that URL.
    let _ = common::person();
    let other = reqwest::Client::builder()
        .no_proxy()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .build()
        .unwrap();
    let forged = other
        .get(format!(
            "http://127.0.0.1:{backend}/.well-known/oauth-protected-resource/mcp"
        ))
        .header("x-forwarded-host", "evil.example")
        .header("x-forwarded-proto", "https")
        .header("x-forwarded-for", "203.0.113.66")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 200);
    let forged: serde_json::Value = serde_json::from_str(&forged.text().await.unwrap()).unwrap();
    let own = if forwarded {
        format!("http://127.0.0.1:{backend}/mcp")
    } else {
        url.clone()
    };
    assert_eq!(forged["resource"], own.as_str());
    let log = served.stderr();
    assert!(log.contains("from 127.0.0.2"), "{log}");
    assert!(!log.contains("203.0.113.66"), "{log}");
}
