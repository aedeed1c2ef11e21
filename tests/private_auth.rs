//! Sign-in never reaches into the network the MCP server is not in: an
//! authorization server on a private address (named in metadata by a name
//! that resolves there, or by the address itself) is refused for a server on
//! loopback, reached with --allow-private-auth, and reached without it when
//! the MCP server is on a private address too.
//!
//! The private address exists only inside a network namespace this test
//! makes (as root, `ip netns`), with `auth.internal` in that namespace's
//! own hosts file: no byte leaves the machine. The rules on every kind of
//! address are unit tests in src/http/reach.rs.

// Network namespaces (`ip netns`) are Linux's.
#![cfg(target_os = "linux")]

mod common;

use common::infra::Netns;
use common::oauth_fake::{Behaviour, OAuthFake};
use common::Bridge;
use serde_json::json;
use std::os::fd::AsRawFd;

const SECRET: &str = "private-auth-s3cret";
const PRIVATE: &str = "10.77.0.2";

/// A network namespace with loopback and a private address on it; removed
/// when dropped.
struct Namespace {
    ns: Netns,
}

impl Namespace {
    fn new() -> Namespace {
        let netns = Netns::new("");
        netns.ip(&["addr", "add", &format!("{PRIVATE}/32"), "dev", "lo"]);
        let ns = Namespace { ns: netns };
        // `ip netns exec` puts this file over /etc/hosts for what it runs.
        let etc = format!("/etc/netns/{}", ns.ns.name);
        std::fs::create_dir_all(&etc).unwrap();
        std::fs::write(
            format!("{etc}/hosts"),
            format!("127.0.0.1 localhost\n{PRIVATE} auth.internal\n"),
        )
        .unwrap();
        ns
    }

    /// A listener on every address inside the namespace: a thread enters
    /// it just to make the socket, which stays there.
    fn listen(&self) -> tokio::net::TcpListener {
        let path = format!("/var/run/netns/{}", self.ns.name);
        let std = std::thread::spawn(move || {
            let ns = std::fs::File::open(&path).unwrap();
            // SAFETY: setns on a namespace file descriptor this thread owns;
            // only this short-lived thread changes namespace.
            let rc = unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) };
            assert_eq!(rc, 0, "setns: {}", std::io::Error::last_os_error());
            let l = std::net::TcpListener::bind("0.0.0.0:0").unwrap();
            l.set_nonblocking(true).unwrap();
            l
        })
        .join()
        .unwrap();
        tokio::net::TcpListener::from_std(std).unwrap()
    }

    /// A fake MCP server at `http://HOST:PORT/mcp` inside the namespace
    /// whose metadata names `issuer` (given the port) as its authorization
    /// server.
    fn fake(&self, host: &str, issuer: impl Fn(u16) -> String) -> OAuthFake {
        let listener = self.listen();
        let port = listener.local_addr().unwrap().port();
        OAuthFake::serve(
            listener,
            format!("http://{host}:{port}"),
            Behaviour {
                machine_client: Some(("machine-1".into(), SECRET.into())),
                issuer: Some(issuer(port)),
                ..Behaviour::default()
            },
        )
    }

    async fn bridge(&self, url: &str, extra: &[&str]) -> Bridge {
        let info = json!({"client_id": "machine-1", "client_secret": SECRET}).to_string();
        let mut args = vec![
            "-v",
            "--allow-http",
            "--client-credentials",
            "--static-oauth-client-info",
            &info,
        ];
        args.extend_from_slice(extra);
        Bridge::start_via(&self.ns.exec(), url, &args, &[]).await
    }
}

/// Start the bridge, call a tool, and return the answer and stderr.
async fn call(ns: &Namespace, fake: &OAuthFake, extra: &[&str]) -> (serde_json::Value, String) {
    let mut b = ns.bridge(&fake.url, extra).await;
    let init = b
        .request(json!(0), "initialize", common::init_params())
        .await;
    if init.get("error").is_some() {
        b.close_and_wait().await;
        return (init, b.stderr());
    }
    b.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        .await;
    let r = b.call_tool(json!(1), "whoami", json!({})).await;
    b.close_and_wait().await;
    (r, b.stderr())
}

#[tokio::test]
async fn a_private_authorization_server_is_reached_only_when_the_server_is_private_or_allowed() {
    let ns = Namespace::new();

    // A server on loopback names an authorization server whose name
    // resolves to a private address: refused, with the way out named.
    let by_name = ns.fake("127.0.0.1", |p| format!("http://auth.internal:{p}"));
    let (r, err) = call(&ns, &by_name, &[]).await;
    let shown = format!("{r} {err}");
    assert!(r.get("error").is_some(), "{shown}");
    assert!(
        shown.contains("auth.internal (10.77.0.2) is a private address")
            && shown.contains("--allow-private-auth"),
        "{shown}"
    );
    assert_eq!(by_name.count("token"), 0, "{:?}", by_name.events());

    // The same address written in the metadata: refused before connecting.
    let literal = ns.fake("127.0.0.1", |p| format!("http://{PRIVATE}:{p}"));
    let (r, err) = call(&ns, &literal, &[]).await;
    let shown = format!("{r} {err}");
    assert!(shown.contains("10.77.0.2 is a private address"), "{shown}");
    assert!(literal.events().is_empty() || literal.count("token") == 0);

    // The user says the authorization server is internal: signed in.
    let (r, err) = call(&ns, &by_name, &["--allow-private-auth"]).await;
    assert!(r.get("result").is_some(), "{r} {err}");
    assert_eq!(by_name.count("token client_credentials"), 1);

    // An MCP server on a private address may use internal sign-in.
    let internal = ns.fake(PRIVATE, |p| format!("http://auth.internal:{p}"));
    let (r, err) = call(&ns, &internal, &[]).await;
    assert!(r.get("result").is_some(), "{r} {err}");
    assert_eq!(internal.count("token client_credentials"), 1);
}
