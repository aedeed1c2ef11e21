//! `mcp-bridge serve`: a stdio MCP server (server-everything, stdio mode)
//! put on the network, driven by real clients (the Python and TypeScript
//! SDKs' over both transports and both eras, MCP Inspector's CLI,
//! mcp-remote, and mcp-bridge itself in bridge mode) and by raw HTTP for
//! the rules and the faults: the guard against DNS rebinding, bounded bodies, sessions apart,
//! every request answered once (even when its child dies), a cut stream
//! resumed, and a drain that leaves no child behind.

mod common;

use common::served::Served;
use common::{peers, Bridge};
use serde_json::{json, Value};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// server-everything's stdio mode.
fn everything() -> Vec<String> {
    let script =
        peers::dir().join("node_modules/@modelcontextprotocol/server-everything/dist/index.js");
    assert!(
        script.exists(),
        "run scripts/test.sh: it installs the peers"
    );
    vec!["node".into(), script.display().to_string(), "stdio".into()]
}

fn client() -> reqwest::Client {
    common::person()
}

/// POST `msg` to `url` as a Streamable HTTP client does.
async fn post(url: &str, session: Option<&str>, msg: &Value) -> reqwest::Response {
    let mut req = client()
        .post(url)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream");
    if let Some(s) = session {
        req = req.header("mcp-session-id", s);
    }
    req.body(msg.to_string()).send().await.unwrap()
}

/// The messages of an event-stream body, read to its end; with the id of
/// each event.
async fn events(resp: reqwest::Response) -> Vec<(String, Value)> {
    let text = tokio::time::timeout(Duration::from_secs(20), resp.text())
        .await
        .expect("the stream ends")
        .unwrap();
    parse_events(&text)
}

fn parse_events(text: &str) -> Vec<(String, Value)> {
    text.split("\n\n")
        .filter_map(|ev| {
            let id = ev.lines().find_map(|l| l.strip_prefix("id: "))?.to_owned();
            let data = ev.lines().find_map(|l| l.strip_prefix("data: "))?;
            Some((id, serde_json::from_str(data).ok()?))
        })
        .collect()
}

/// Open a session: its id.
async fn initialize(url: &str) -> String {
    let init = json!({"jsonrpc":"2.0","id":0,"method":"initialize","params":{
        "protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}});
    let resp = post(url, None, &init).await;
    assert_eq!(resp.status(), 200);
    let session = resp.headers()["mcp-session-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let answer = events(resp).await;
    assert_eq!(
        answer[0].1["result"]["serverInfo"]["name"],
        "mcp-servers/everything"
    );
    let done = post(
        url,
        Some(&session),
        &json!({"jsonrpc":"2.0","method":"notifications/initialized"}),
    )
    .await;
    assert_eq!(done.status(), 202);
    session
}

fn call(id: Value, name: &str, args: Value) -> Value {
    json!({"jsonrpc":"2.0","id":id,"method":"tools/call","params":{"name":name,"arguments":args}})
}

/// What the Python SDK's client (tests/peers/serve_client.py) got from
/// `target`, step by step.
fn client_steps(target: &str) -> Vec<(String, Value)> {
    client_steps_in(target, "legacy")
}

/// The same, the client in `mode` (legacy, auto, 2026-07-28).
fn client_steps_in(target: &str, mode: &str) -> Vec<(String, Value)> {
    let out = std::process::Command::new(peers::venv_python())
        .arg(peers::dir().join("serve_client.py"))
        .args([target, mode])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{target}: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    serde_json::from_slice(
        out.stdout
            .rsplit(|b| *b == b'\n')
            .find(|l| !l.is_empty())
            .unwrap(),
    )
    .unwrap()
}

/// The client's steps through serve at `target` are the same as directly.
fn same_as_directly(target: &str) {
    let direct = client_steps(&format!("stdio:{}", everything().join(" ")));
    let through = client_steps(target);
    // What the comparison stands on: progress, sampling and elicitation
    // reached the client and its answers the server.
    let step = |r: &[(String, Value)], n: &str| r.iter().find(|(s, _)| s == n).unwrap().1.clone();
    assert_eq!(step(&direct, "progress")["result"], json!([1.0, 2.0, 3.0]));
    assert!(step(&direct, "sampling")
        .to_string()
        .contains("streams flow east"));
    assert!(step(&direct, "elicitation")
        .to_string()
        .contains("declined"));
    assert_eq!(direct.len(), through.len());
    for ((name, d), (_, t)) in direct.iter().zip(&through) {
        assert_eq!(d, t, "step {name} differs through serve at {target}");
    }
}

#[test]
fn a_real_client_gets_through_serve_what_it_gets_directly() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let served = rt.block_on(Served::start(&[], &everything()));
    same_as_directly(&served.url);
}

/// The HTTP+SSE transport (`GET /sse`, `POST /messages`): the same client
/// over it gets the same answers, and the session's child ends when the
/// client lets go of its stream.
#[test]
fn an_http_sse_client_gets_through_serve_what_it_gets_directly() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let served = rt.block_on(Served::start(&[], &everything()));
    same_as_directly(&format!("sse:http://127.0.0.1:{}/sse", served.port));
    let deadline = Instant::now() + Duration::from_secs(10);
    while !served.stderr().contains("closed its SSE stream; ended") {
        assert!(Instant::now() < deadline, "{}", served.stderr());
        std::thread::sleep(Duration::from_millis(50));
    }
    let pids = served.pids();
    assert_eq!(pids.len(), 1, "{}", served.stderr());
    for pid in pids {
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::path::Path::new(&format!("/proc/{pid}")).exists() {
            assert!(Instant::now() < deadline, "the child {pid} is left");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Through `b`, a client that takes sampling: initialize, a tool call, and
/// a sampling request of the server's answered by the client.
async fn relay_a_session(b: &mut Bridge) {
    let init = b.initialize_with(json!({"sampling": {}})).await;
    assert_eq!(init["serverInfo"]["name"], "mcp-servers/everything");
    let r = b
        .call_tool(json!(1), "get-sum", json!({"a": 40, "b": 2}))
        .await;
    assert!(common::text_of(&r).contains("42"), "{r}");
    let r = b.sampling_round_trip(json!("s"), "streams flow east").await;
    assert!(common::text_of(&r).contains("streams flow east"), "{r}");
}

#[tokio::test]
async fn mcp_bridge_over_http_sse_in_front_of_serve() {
    let served = Served::start(&[], &everything()).await;
    let url = format!("http://127.0.0.1:{}/sse", served.port);
    let mut b = Bridge::start(&url, &["-v", "--transport", "sse-only"]).await;
    relay_a_session(&mut b).await;
    let (code, _) = b.close_and_wait().await;
    assert_eq!(code, Some(0));
}

/// What the TypeScript SDK's client (tests/peers/ts_client.mjs) got from
/// `target`, step by step.
fn ts_steps(target: &str, config: &std::path::Path) -> Vec<(String, Value)> {
    let out = std::process::Command::new("node")
        .arg(peers::dir().join("ts_client.mjs"))
        .arg(target)
        .current_dir(peers::dir())
        // mcp-remote keeps its state here, not in the home directory.
        .env("MCP_REMOTE_CONFIG_DIR", config)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{target}: {text}");
    serde_json::from_str(text.lines().rfind(|l| !l.is_empty()).unwrap()).unwrap()
}

/// The TypeScript SDK's client over Streamable HTTP and over HTTP+SSE, and
/// mcp-remote (the bridge most clients use today) in front of serve: each
/// gets, step by step, what the same client gets from the server directly.
#[test]
fn the_typescript_sdk_and_mcp_remote_get_through_serve_what_they_get_directly() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let served = rt.block_on(Served::start(&[], &everything()));
    let config = tempfile::tempdir().unwrap();
    // The TypeScript SDK runs a notification's handler a tick after it
    // reads it, and drops the request's progress handler as soon as the
    // answer is read: the last progress notification, which comes right
    // before the answer, is now and then lost, directly over stdio too
    // (and through mcp-remote in front of server-everything's own HTTP).
    // So the progress seen is 1, 2 and then 3 or not.
    let progress_ok = |steps: &[(String, Value)]| {
        let p = &steps.iter().find(|(s, _)| s == "progress").unwrap().1["result"];
        *p == json!([1, 2, 3]) || *p == json!([1, 2])
    };
    let direct = ts_steps(&format!("stdio:{}", everything().join(" ")), config.path());
    assert!(progress_ok(&direct), "{direct:?}");
    let step = |r: &[(String, Value)], n: &str| r.iter().find(|(s, _)| s == n).unwrap().1.clone();
    assert!(step(&direct, "sampling")
        .to_string()
        .contains("streams flow east"));
    let remote = peers::dir().join("node_modules/mcp-remote/dist/proxy.js");
    for target in [
        format!("http:{}", served.url),
        format!("sse:http://127.0.0.1:{}/sse", served.port),
        format!(
            "stdio:node {} {} --transport http-only",
            remote.display(),
            served.url
        ),
    ] {
        let through = ts_steps(&target, config.path());
        assert!(progress_ok(&through), "{target}: {through:?}");
        assert_eq!(direct.len(), through.len(), "{target}");
        for ((name, d), (_, t)) in direct.iter().zip(&through) {
            if name != "progress" {
                assert_eq!(d, t, "step {name} differs through {target}");
            }
        }
    }
}

/// A 2026-07-28 client (the Python SDK in that mode: no session, the
/// envelope on every request) gets the same answers as a handshake-era
/// client, in its own era's words, from a process serve shares among such
/// clients, the server's own requests included; and mcp-bridge with
/// `--protocol modern` in front of serve translates for a client of the
/// handshake era.
#[test]
fn a_2026_07_28_client_is_served_without_a_session() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let served = rt.block_on(Served::start(&[], &everything()));
    let legacy = client_steps_in(&served.url, "legacy");
    let modern = client_steps_in(&served.url, "2026-07-28");
    let step = |r: &[(String, Value)], n: &str| r.iter().find(|(s, _)| s == n).unwrap().1.clone();
    // Sampling and elicitation too: the server's requests reach the
    // 2026-07-28 client as input_required rounds, and its answers the
    // server.
    for name in ["echo", "sum", "prompt", "long", "sampling", "elicitation"] {
        let (l, m) = (step(&legacy, name), step(&modern, name));
        assert_eq!(m["result"]["resultType"], "complete", "{name}: {m}");
        assert_eq!(
            l["result"]["content"], m["result"]["content"],
            "{name}: {l} / {m}"
        );
    }
    assert_eq!(step(&modern, "progress")["result"], json!([1.0, 2.0, 3.0]));
    let tools = step(&modern, "tools");
    assert_eq!(tools["result"]["ttlMs"], 0, "{tools}");
    assert!(tools.to_string().contains("\"echo\""), "{tools}");
    // One process serves the 2026-07-28 client's requests, besides the
    // legacy client's own.
    assert_eq!(served.pids().len(), 2, "{}", served.stderr());
    rt.block_on(async {
        let mut b = Bridge::start(&served.url, &["-v", "--protocol", "modern"]).await;
        let init = b.initialize_with(json!({})).await;
        assert_eq!(
            init["serverInfo"]["name"], "mcp-servers/everything",
            "{init}"
        );
        let r = b
            .call_tool(json!(1), "get-sum", json!({"a": 40, "b": 2}))
            .await;
        assert!(common::text_of(&r).contains("42"), "{r}");
        assert!(r.get("resultType").is_none(), "translated back: {r}");
        assert!(
            b.stderr().contains("protocol era: 2026-07-28"),
            "{}",
            b.stderr()
        );
        let (code, _) = b.close_and_wait().await;
        assert_eq!(code, Some(0));
    });
}

/// One 2026-07-28 `tools/call` on serve, raw: its status and JSON answer.
async fn modern_call(url: &str, id: u64, tool: &str, extra: Value) -> (u16, Value) {
    let mut params = json!({
        "name": tool,
        "arguments": {},
        "_meta": {
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": {"elicitation": {}},
        },
    });
    for (k, v) in extra.as_object().unwrap() {
        params[k] = v.clone();
    }
    let r = client()
        .post(url)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", "tools/call")
        .header("mcp-name", tool)
        .body(json!({"jsonrpc":"2.0","id":id,"method":"tools/call","params":params}).to_string())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (
        status,
        serde_json::from_str(&r.text().await.unwrap()).unwrap(),
    )
}

/// The names of the tools serve lists to a 2026-07-28 client that declares
/// the client capabilities `caps`.
async fn modern_tool_names(url: &str, caps: Value) -> Vec<String> {
    let params = json!({"_meta": {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": caps,
    }});
    let r = client()
        .post(url)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", "tools/list")
        .body(json!({"jsonrpc":"2.0","id":1,"method":"tools/list","params":params}).to_string())
        .send()
        .await
        .unwrap();
    let list: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    let tools = list["result"]["tools"].as_array().expect("a list");
    tools
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect()
}

/// A 2026-07-28 client declares its capabilities on each request, and the
/// server sees them: server-everything lists its roots tool only to a
/// client that takes roots, and its sampling tool only to one that takes
/// sampling. Each set of capabilities has its own child; the same set
/// again finds the same child.
#[tokio::test]
async fn a_2026_07_28_client_s_own_capabilities_reach_the_server() {
    let served = Served::start(&[], &everything()).await;
    let url = &served.url;
    let (roots, sampling) = ("get-roots-list", "trigger-sampling-request");
    let has = |names: &[String], n: &str| names.iter().any(|x| x == n);
    let none = modern_tool_names(url, json!({})).await;
    assert!(
        has(&none, "echo") && !has(&none, roots) && !has(&none, sampling),
        "{none:?}"
    );
    let r = modern_tool_names(url, json!({"roots": {}})).await;
    assert!(has(&r, roots) && !has(&r, sampling), "{r:?}");
    let s = modern_tool_names(url, json!({"sampling": {}})).await;
    assert!(has(&s, sampling) && !has(&s, roots), "{s:?}");
    let again = modern_tool_names(url, json!({"sampling": {}})).await;
    assert_eq!(s, again);
    assert_eq!(served.pids().len(), 3, "{}", served.stderr());
}

/// The input_required rounds, raw: the server's elicitation comes as a
/// question under a key with a requestState; a state the server did not
/// give is refused; a retry without the answer is asked again; the answer
/// reaches the server, and the retry gets the tool's result.
#[tokio::test]
async fn a_server_s_question_is_an_input_required_round_for_a_2026_07_28_client() {
    let served = Served::start(&[], &everything()).await;
    let url = &served.url;
    let (status, first) = modern_call(url, 1, "trigger-elicitation-request", json!({})).await;
    assert_eq!(status, 200, "{first}");
    let result = &first["result"];
    assert_eq!(result["resultType"], "input_required", "{first}");
    let requests = result["inputRequests"].as_object().unwrap();
    assert_eq!(requests.len(), 1, "{first}");
    let question = requests.values().next().unwrap();
    assert_eq!(question["method"], "elicitation/create", "{first}");
    assert!(question.get("id").is_none() && question.get("jsonrpc").is_none());
    let state = result["requestState"].as_str().unwrap().to_owned();

    let tampered = format!("{state}x");
    let (status, refused) = modern_call(
        url,
        2,
        "trigger-elicitation-request",
        json!({"requestState": tampered}),
    )
    .await;
    assert_eq!(
        (status, refused["error"]["code"].as_i64()),
        (400, Some(-32602)),
        "{refused}"
    );
    // Another tool's retry may not take this request's place.
    let (status, _) = modern_call(url, 3, "echo", json!({"requestState": state})).await;
    assert_eq!(status, 400);

    // That refusal let the held request go: start again.
    let (_, first) = modern_call(url, 4, "trigger-elicitation-request", json!({})).await;
    let state = first["result"]["requestState"].as_str().unwrap().to_owned();
    let key = first["result"]["inputRequests"]
        .as_object()
        .unwrap()
        .keys()
        .next()
        .unwrap()
        .clone();
    let (_, again) = modern_call(
        url,
        5,
        "trigger-elicitation-request",
        json!({"requestState": state}),
    )
    .await;
    assert_eq!(
        again["result"]["resultType"], "input_required",
        "asked again: {again}"
    );
    assert!(
        again["result"]["inputRequests"].get(&key).is_some(),
        "{again}"
    );
    let (status, done) = modern_call(
        url,
        6,
        "trigger-elicitation-request",
        json!({"requestState": state, "inputResponses": {key: {"action": "decline"}}}),
    )
    .await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["id"], 6);
    assert_eq!(done["result"]["resultType"], "complete", "{done}");
    assert!(done.to_string().contains("declined"), "{done}");
}

/// The conformance fixture server (tests/peers/fixture_server.py) over stdio.
fn fixture() -> Vec<String> {
    vec![
        peers::venv_python().display().to_string(),
        peers::dir().join("fixture_server.py").display().to_string(),
    ]
}

/// `subscriptions/listen`, by the Python SDK's `Client.listen`
/// (tests/peers/listen_client.py): the stream is acknowledged with what the
/// server honours, then carries the tool list changes and the updates of
/// the resource it names, in order, and nothing it did not ask for (an
/// update of another resource, a prompt list change). The server is
/// subscribed to the resource while the stream is open, and unsubscribed
/// when it closes.
#[tokio::test]
async fn a_2026_07_28_client_listens_for_what_it_asked_and_nothing_else() {
    let served = Served::start(&[], &fixture()).await;
    let out = tokio::process::Command::new(peers::venv_python())
        .arg(peers::dir().join("listen_client.py"))
        .arg(&served.url)
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        served.stderr()
    );
    let got: Value = serde_json::from_slice(&out.stdout).unwrap();
    let watched = "test://watched-resource";
    assert_eq!(
        got["honored"],
        json!({"toolsListChanged": true, "resourceSubscriptions": [watched]})
    );
    assert_eq!(
        got["events"],
        json!([
            ["ToolsListChanged", null],
            ["ResourceUpdated", watched],
            ["ToolsListChanged", null]
        ])
    );
    assert_eq!(got["added"].as_array().unwrap().len(), 2, "{got}");
    let unsubscribed = format!("fixture: resources/unsubscribe {watched}");
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !served.stderr().contains(&unsubscribed) {
        assert!(std::time::Instant::now() < deadline, "{}", served.stderr());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let subscribed = format!("fixture: resources/subscribe {watched}");
    assert_eq!(served.stderr().matches(&subscribed).count(), 1);
}

/// Two questions the server asks at once are one round: both under their
/// keys, and both answers reach it (the conformance fixture server's
/// `asks_two_at_once`, elicitation and sampling together).
#[tokio::test]
async fn questions_asked_at_once_are_one_round() {
    let served = Served::start(&[], &fixture()).await;
    let caps = json!({"_meta": {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {"elicitation": {}, "sampling": {}},
    }});
    let (status, first) = modern_call(&served.url, 1, "asks_two_at_once", caps.clone()).await;
    assert_eq!(status, 200, "{first}");
    let requests = first["result"]["inputRequests"]
        .as_object()
        .unwrap()
        .clone();
    assert_eq!(requests.len(), 2, "{first}");
    let mut answers = serde_json::Map::new();
    for (key, q) in &requests {
        let answer = match q["method"].as_str() {
            Some("elicitation/create") => json!({"action": "decline"}),
            Some("sampling/createMessage") => json!({
                "role": "assistant", "model": "m", "stopReason": "endTurn",
                "content": {"type": "text", "text": "hello there"},
            }),
            other => panic!("asked {other:?}"),
        };
        answers.insert(key.clone(), answer);
    }
    let mut retry = caps;
    retry["requestState"] = first["result"]["requestState"].clone();
    retry["inputResponses"] = Value::Object(answers);
    let (status, done) = modern_call(&served.url, 2, "asks_two_at_once", retry).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(
        done["result"]["content"][0]["text"], "user: decline; model: hello there",
        "{done}"
    );
}

/// MCP Inspector's CLI (pinned in tests/peers): the same requests over
/// stdio directly, through serve over Streamable HTTP, and over HTTP+SSE,
/// print the same answers.
#[test]
fn mcp_inspector_s_cli_gets_through_serve_what_it_gets_directly() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let served = rt.block_on(Served::start(&[], &everything()));
    let inspector = peers::dir().join("node_modules/@modelcontextprotocol/inspector");
    let bin = inspector.join(
        serde_json::from_str::<Value>(
            &std::fs::read_to_string(inspector.join("package.json")).unwrap(),
        )
        .unwrap()["bin"]["mcp-inspector"]
            .as_str()
            .unwrap(),
    );
    let home = tempfile::tempdir().unwrap();
    let ask = |target: &[String], args: &[&str]| -> Value {
        let out = std::process::Command::new("node")
            .arg(&bin)
            .arg("--cli")
            .args(target)
            .args(args)
            .env("MCP_CATALOG_PATH", home.path().join("catalog.json"))
            .env("HOME", home.path())
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{target:?} {args:?}: {text}");
        // Its answer is the JSON after whatever it says first.
        serde_json::from_str(&text[text.find('{').unwrap_or(0)..]).unwrap()
    };
    let requests: [&[&str]; 4] = [
        &["--method", "tools/list"],
        &[
            "--method",
            "tools/call",
            "--tool-name",
            "get-sum",
            "--tool-arg",
            "a=40",
            "b=2",
        ],
        &["--method", "prompts/get", "--prompt-name", "simple-prompt"],
        &[
            "--method",
            "resources/read",
            "--uri",
            "demo://resource/static/document/architecture.md",
        ],
    ];
    let sse = format!("http://127.0.0.1:{}/sse", served.port);
    for args in requests {
        let direct = ask(&everything(), args);
        assert!(direct.is_object(), "{direct}");
        if args[1] == "tools/call" {
            assert!(
                direct.to_string().contains("The sum of 40 and 2 is 42"),
                "{direct}"
            );
        }
        for target in [&served.url, &sse] {
            let through = ask(std::slice::from_ref(target), args);
            assert_eq!(direct, through, "{args:?} through {target}");
        }
    }
}

/// `--shared`: every session on one server process, their requests under
/// ids of serve's own, so that the same ids in two sessions never get each
/// other's answers, or progress; the server's own request reaches the
/// client whose call it belongs to; and when the process dies, every
/// session's requests are answered and the next session gets a new one.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn shared_sessions_run_on_one_server_and_their_answers_never_cross() {
    let served = Served::start(&["--shared"], &everything()).await;
    // The first session's initialize is the one the server sees: this
    // client takes sampling.
    let mut bridge = Bridge::start(&served.url, &["-v", "--protocol", "legacy"]).await;
    bridge.initialize_with(json!({"sampling": {}})).await;
    let (a, b) = (initialize(&served.url).await, initialize(&served.url).await);
    let mut pids = served.pids();
    pids.dedup();
    assert_eq!(pids.len(), 1, "one process: {}", served.stderr());
    let mut calls = Vec::new();
    for i in 0..10 {
        for (who, session) in [("a", &a), ("b", &b)] {
            let (url, session) = (served.url.clone(), session.clone());
            let m = call(json!(i), "echo", json!({"message": format!("{who}-{i}")}));
            calls.push(tokio::spawn(async move {
                (who, i, events(post(&url, Some(&session), &m).await).await)
            }));
        }
    }
    for c in calls {
        let (who, i, evs) = c.await.unwrap();
        assert_eq!(evs.len(), 1, "{evs:?}");
        let answer = &evs[0].1;
        assert_eq!(answer["id"], i);
        assert!(
            answer.to_string().contains(&format!("Echo: {who}-{i}")),
            "{who} {i}: {answer}"
        );
    }
    // The same progress token in both sessions: each gets its own.
    let long = |id: u64| {
        json!({"jsonrpc":"2.0","id":id,"method":"tools/call","params":{
            "name":"trigger-long-running-operation","arguments":{"duration":1,"steps":2},
            "_meta":{"progressToken":"t"}}})
    };
    let long = long(100);
    let (ra, rb) = tokio::join!(
        post(&served.url, Some(&a), &long),
        post(&served.url, Some(&b), &long)
    );
    for evs in [events(ra).await, events(rb).await] {
        let progress = evs
            .iter()
            .filter(|(_, m)| m["method"] == "notifications/progress");
        assert_eq!(progress.clone().count(), 2, "{evs:?}");
        assert!(progress
            .clone()
            .all(|(_, m)| m["params"]["progressToken"] == "t"));
    }
    // The server's own request goes to the client whose call asked.
    let r = bridge
        .sampling_round_trip(json!("s"), "streams flow east")
        .await;
    assert!(common::text_of(&r).contains("streams flow east"), "{r}");
    let _ = bridge.close_and_wait().await;
    // The process dies with a call in flight on each session.
    let slow = |id: u64| {
        call(
            json!(id),
            "trigger-long-running-operation",
            json!({"duration": 30, "steps": 2}),
        )
    };
    let (url_a, url_b, sa, sb) = (served.url.clone(), served.url.clone(), a.clone(), b.clone());
    let fa = tokio::spawn(async move { events(post(&url_a, Some(&sa), &slow(7)).await).await });
    let fb = tokio::spawn(async move { events(post(&url_b, Some(&sb), &slow(8)).await).await });
    tokio::time::sleep(Duration::from_millis(500)).await;
    // SAFETY: SIGKILL to the server process this test's serve started.
    unsafe {
        libc::kill(pids[0] as libc::pid_t, libc::SIGKILL);
    }
    for (f, id) in [(fa, 7), (fb, 8)] {
        let evs = tokio::time::timeout(Duration::from_secs(10), f)
            .await
            .unwrap()
            .unwrap();
        let answer = &evs.last().unwrap().1;
        assert_eq!(answer["id"], id, "{evs:?}");
        assert!(answer.get("error").is_some(), "{answer}");
    }
    let c = initialize(&served.url).await;
    let r = post(
        &served.url,
        Some(&c),
        &call(json!(1), "echo", json!({"message": "again"})),
    )
    .await;
    assert!(events(r).await[0].1.to_string().contains("again"));
    let mut after = served.pids();
    after.dedup();
    assert_eq!(after.len(), 2, "a new process: {}", served.stderr());
}

#[tokio::test]
async fn mcp_bridge_in_front_of_serve_relays_a_session() {
    let served = Served::start(&[], &everything()).await;
    let mut b = Bridge::start(&served.url, &["-v"]).await;
    relay_a_session(&mut b).await;
    // The bridge found serve's 2026-07-28 side: the server's sampling
    // request went to the client through input_required, translated both
    // ways (serve for the server, the bridge for the client).
    assert!(
        b.stderr().contains("protocol era: 2026-07-28"),
        "{}",
        b.stderr()
    );
    let (code, _) = b.close_and_wait().await;
    assert_eq!(code, Some(0));
}

#[tokio::test]
async fn the_guard_refuses_other_hosts_and_origins_and_admits_its_own() {
    let served = Served::start(
        &["--allow-origin", "https://app.example.com"],
        &everything(),
    )
    .await;
    let hello = json!({"jsonrpc":"2.0","id":1,"method":"ping"});
    let with = |name: &'static str, value: String| {
        client()
            .post(&served.url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .header(name, value)
            .body(hello.to_string())
    };
    // DNS rebinding: a page on another site, or a name that resolves here.
    let r = with("origin", "http://evil.example.com".into())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = with("host", "evil.example.com".into())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // Its own names and the allowed origin get as far as the session check.
    for origin in [
        format!("http://localhost:{}", served.port),
        format!("http://127.0.0.1:{}", served.port),
        "https://app.example.com".to_owned(),
    ] {
        let r = with("origin", origin.clone()).send().await.unwrap();
        assert_eq!(
            r.status(),
            400,
            "{origin}: no session yet, but past the guard"
        );
    }
    let r = with("host", format!("localhost:{}", served.port))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(served
        .stderr()
        .contains("refused a request from the origin"));
    // The HTTP+SSE paths have the same guard, before any session starts.
    let base = format!("http://127.0.0.1:{}", served.port);
    let evil = "http://evil.example.com";
    let r = client()
        .get(format!("{base}/sse"))
        .header("origin", evil)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = client()
        .post(format!("{base}/messages?sessionId=x"))
        .header("host", "evil.example.com")
        .body(hello.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(served.pids().is_empty(), "no child for a refused request");
}

#[tokio::test]
async fn bad_bodies_are_refused_and_the_session_lives_on() {
    let served = Served::start(&["--max-message-size", "1M"], &everything()).await;
    let session = initialize(&served.url).await;
    let big = "x".repeat(50 << 20);
    let r = client()
        .post(&served.url)
        .header("content-type", "application/json")
        .header("mcp-session-id", &session)
        .body(big)
        .send()
        .await;
    // The server may answer before the whole body is sent, or close on it.
    if let Ok(r) = r {
        assert_eq!(r.status(), 413);
    }
    let r = client()
        .post(&served.url)
        .header("content-type", "application/json")
        .header("mcp-session-id", &session)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let v: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(v["error"]["code"], -32700, "{v}");
    let r = post(
        &served.url,
        Some("no-such-session"),
        &call(json!(1), "echo", json!({"message":"x"})),
    )
    .await;
    assert_eq!(r.status(), 404);
    let r = post(
        &served.url,
        Some(&session),
        &call(json!(2), "echo", json!({"message":"still here"})),
    )
    .await;
    let answer = events(r).await;
    assert!(
        answer[0].1.to_string().contains("Echo: still here"),
        "{answer:?}"
    );
}

#[tokio::test]
async fn sessions_are_apart_and_each_ends_with_its_child() {
    let served = Served::start(&[], &everything()).await;
    let a = initialize(&served.url).await;
    let b = initialize(&served.url).await;
    assert_ne!(a, b);
    let pids = served.pids();
    assert_eq!(pids.len(), 2, "a child each: {}", served.stderr());
    let r = client()
        .delete(&served.url)
        .header("mcp-session-id", &a)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = post(
        &served.url,
        Some(&a),
        &call(json!(1), "echo", json!({"message":"x"})),
    )
    .await;
    assert_eq!(r.status(), 404, "a session gone is 404");
    let r = post(
        &served.url,
        Some(&b),
        &call(json!(1), "echo", json!({"message":"b"})),
    )
    .await;
    assert!(events(r).await[0].1.to_string().contains("Echo: b"));
    #[cfg(target_os = "linux")]
    {
        let gone = |pid: u32| !std::path::Path::new(&format!("/proc/{pid}")).exists();
        let deadline = Instant::now() + Duration::from_secs(5);
        while !gone(pids[0]) && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(gone(pids[0]), "the deleted session's child ended");
        assert!(!gone(pids[1]), "the other session's child runs on");
    }
}

#[tokio::test]
async fn fifty_calls_at_once_on_one_session_are_each_answered_once() {
    let served = Served::start(&[], &everything()).await;
    let session = initialize(&served.url).await;
    let calls = (0..50).map(|i| {
        let url = served.url.clone();
        let session = session.clone();
        async move {
            let r = post(
                &url,
                Some(&session),
                &call(json!(i), "get-sum", json!({"a": i, "b": 1})),
            )
            .await;
            events(r).await
        }
    });
    let all = futures_join(calls.collect()).await;
    for (i, evs) in all.iter().enumerate() {
        let answers: Vec<&Value> = evs
            .iter()
            .map(|(_, v)| v)
            .filter(|v| v.get("id").is_some())
            .collect();
        assert_eq!(answers.len(), 1, "call {i}: {evs:?}");
        assert_eq!(answers[0]["id"], i);
        assert!(
            answers[0].to_string().contains(&format!("is {}", i + 1)),
            "{}",
            answers[0]
        );
    }
}

/// Await every future, in order.
async fn futures_join<F>(fs: Vec<F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = fs.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_child_killed_mid_call_is_answered_and_the_next_session_gets_a_new_one() {
    let served = Served::start(&[], &everything()).await;
    let session = initialize(&served.url).await;
    let long = call(
        json!("long"),
        "trigger-long-running-operation",
        json!({"duration": 30, "steps": 3}),
    );
    let pending = tokio::spawn({
        let (url, session) = (served.url.clone(), session.clone());
        async move { events(post(&url, Some(&session), &long).await).await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pid = served.pids()[0];
    // SAFETY: a plain kill of the child this test's server started.
    unsafe {
        libc::kill(pid as libc::pid_t, libc::SIGKILL);
    }
    let killed = Instant::now();
    let evs = tokio::time::timeout(Duration::from_secs(5), pending)
        .await
        .unwrap()
        .unwrap();
    let answer = &evs.last().expect("an answer").1;
    assert_eq!(answer["id"], "long");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("process"),
        "{answer}"
    );
    assert!(
        killed.elapsed() < Duration::from_secs(1),
        "answered in {:?}",
        killed.elapsed()
    );
    let r = post(
        &served.url,
        Some(&session),
        &call(json!(1), "echo", json!({"message":"x"})),
    )
    .await;
    assert_eq!(r.status(), 404, "its session is gone");
    initialize(&served.url).await;
    assert_eq!(served.pids().len(), 2, "a fresh child");
}

/// A server whose stderr is not text, or has a line without end, goes on
/// being served, and what it writes after that still reaches the log.
#[cfg(unix)]
#[tokio::test]
async fn a_childs_stderr_that_is_not_text_or_has_no_end_is_copied_on() {
    // A long line that is not noise: a server's own words, read to the end.
    let words = format!("Error: {} end-of-the-words", "why ".repeat(100));
    let script = format!(
        "printf '\\377\\376 not text\\n' >&2; \
         head -c 300000 /dev/zero | tr '\\0' x >&2; echo >&2; \
         echo '{words}' >&2; \
         echo stderr-after-the-noise >&2; exec {}",
        everything().join(" ")
    );
    let served = Served::start(&[], &["sh".into(), "-c".into(), script]).await;
    let session = initialize(&served.url).await;
    let r = post(
        &served.url,
        Some(&session),
        &call(json!(1), "echo", json!({"message":"still here"})),
    )
    .await;
    let answer = &events(r).await[0].1;
    assert!(answer.to_string().contains("still here"), "{answer}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !served.stderr().contains("stderr-after-the-noise") {
        assert!(Instant::now() < deadline, "{:.2000}", served.stderr());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        served.stderr().contains(&words),
        "{:.2000}",
        served.stderr()
    );
    let longest = served.stderr().lines().map(str::len).max().unwrap_or(0);
    assert!(
        longest < 10_000,
        "a line of {longest} bytes reached the log"
    );
}

#[tokio::test]
async fn a_cut_reply_stream_is_resumed_with_last_event_id() {
    let served = Served::start(&[], &everything()).await;
    let session = initialize(&served.url).await;
    let long = json!({"jsonrpc":"2.0","id":"long","method":"tools/call","params":{
        "name":"trigger-long-running-operation","arguments":{"duration": 2, "steps": 4},
        "_meta":{"progressToken":"p"}}});
    let mut resp = post(&served.url, Some(&session), &long).await;
    // Read the first event, then drop the connection, as a proxy might.
    let mut first = String::new();
    while !first.contains("\n\n") {
        let chunk = resp.chunk().await.unwrap().expect("an event");
        first.push_str(&String::from_utf8_lossy(&chunk));
    }
    drop(resp);
    let (last_id, v) = parse_events(&first).remove(0);
    assert_eq!(v["params"]["progress"], 1, "{v}");
    let resumed = client()
        .get(&served.url)
        .header("accept", "text/event-stream")
        .header("mcp-session-id", &session)
        .header("last-event-id", &last_id)
        .send()
        .await
        .unwrap();
    assert_eq!(resumed.status(), 200);
    let rest = events(resumed).await;
    let progress: Vec<u64> = rest
        .iter()
        .filter_map(|(_, m)| m["params"]["progress"].as_u64())
        .collect();
    assert_eq!(progress, [2, 3, 4], "nothing lost, nothing twice: {rest:?}");
    assert_eq!(rest.last().unwrap().1["id"], "long");
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn sigterm_answers_what_is_in_flight_and_leaves_no_child() {
    let mut served = Served::start(&["--drain-timeout", "1"], &everything()).await;
    let session = initialize(&served.url).await;
    // A 2026-07-28 listen stream open, which the shutdown ends with its
    // result.
    let listen = {
        let url = served.url.clone();
        tokio::spawn(async move {
            let params = json!({
                "_meta": {
                    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                    "io.modelcontextprotocol/clientCapabilities": {},
                },
                "notifications": {"toolsListChanged": true},
            });
            let m =
                json!({"jsonrpc":"2.0","id":"l-1","method":"subscriptions/listen","params":params});
            let r = client()
                .post(&url)
                .header("content-type", "application/json")
                .header("accept", "application/json, text/event-stream")
                .header("mcp-protocol-version", "2026-07-28")
                .header("mcp-method", "subscriptions/listen")
                .body(m.to_string())
                .send()
                .await
                .unwrap();
            let text = r.text().await.unwrap();
            let data = text.lines().filter_map(|l| l.strip_prefix("data: "));
            data.map(|d| serde_json::from_str::<Value>(d).unwrap())
                .collect::<Vec<_>>()
        })
    };
    let mut pending = Vec::new();
    for i in 0..20 {
        let (url, session) = (served.url.clone(), session.clone());
        // Long calls: the drain waits a second, then answers them.
        let m = call(
            json!(i),
            "trigger-long-running-operation",
            json!({"duration": 20, "steps": 2}),
        );
        pending.push(tokio::spawn(async move {
            events(post(&url, Some(&session), &m).await).await
        }));
    }
    // Every call in flight (its stream open: the log has its line) before
    // the signal, however slow the machine.
    let deadline = Instant::now() + Duration::from_secs(10);
    while served.stderr().matches("POST /mcp → 200").count() < 22 {
        assert!(Instant::now() < deadline, "{}", served.stderr());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let pids = served.pids();
    // SAFETY: SIGTERM to the server this test started.
    unsafe {
        libc::kill(served.child.id().unwrap() as libc::pid_t, libc::SIGTERM);
    }
    for (i, p) in pending.into_iter().enumerate() {
        let evs = tokio::time::timeout(Duration::from_secs(10), p)
            .await
            .unwrap()
            .unwrap();
        let answers: Vec<_> = evs.iter().filter(|(_, m)| m.get("id").is_some()).collect();
        assert_eq!(answers.len(), 1, "call {i}: {evs:?}");
        assert_eq!(answers[0].1["id"], i);
    }
    let heard = tokio::time::timeout(Duration::from_secs(10), listen)
        .await
        .unwrap()
        .unwrap();
    // The acknowledgement first and the result last (between them, what
    // server-everything says of its tools as it starts).
    assert_eq!(
        heard[0]["method"],
        "notifications/subscriptions/acknowledged"
    );
    let last = heard.last().unwrap();
    assert_eq!(last["id"], "l-1", "{heard:?}");
    assert_eq!(last["result"]["resultType"], "complete", "{heard:?}");
    let status = tokio::time::timeout(Duration::from_secs(10), served.child.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.code(), Some(0));
    for pid in pids {
        assert!(
            !std::path::Path::new(&format!("/proc/{pid}")).exists(),
            "child {pid} left behind: {:?}\n{}",
            std::fs::read_to_string(format!("/proc/{pid}/stat")),
            served.stderr()
        );
    }
}

/// serve killed outright (no drain: SIGKILL, as the OOM killer does)
/// still takes its children with it. A server busy with a long call does
/// not end when its stdin closes, so without that it would run on,
/// orphaned, until the call is done.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_killed_serve_leaves_no_child_running() {
    let mut served = Served::start(&[], &everything()).await;
    for i in 0..2 {
        let (url, session) = (served.url.clone(), initialize(&served.url).await);
        let m = call(
            json!(i),
            "trigger-long-running-operation",
            json!({"duration": 60, "steps": 2}),
        );
        tokio::spawn(async move { post(&url, Some(&session), &m).await });
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while served.stderr().matches("POST /mcp → 200").count() < 4 {
        assert!(Instant::now() < deadline, "{}", served.stderr());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let pids = served.pids();
    assert_eq!(pids.len(), 2, "{}", served.stderr());
    served.child.start_kill().unwrap();
    served.child.wait().await.unwrap();
    let running = |pid: &u32| {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .is_ok_and(|stat| !stat.rsplit(')').next().unwrap_or("").starts_with(" Z"))
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while pids.iter().any(running) {
        assert!(Instant::now() < deadline, "children left running: {pids:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn limits_and_the_childs_environment() {
    let served = Served::start(
        &[
            "--max-sessions",
            "1",
            "--env",
            "SERVE_TEST_VALUE=from-the-command-line",
        ],
        &everything(),
    )
    .await;
    let session = initialize(&served.url).await;
    let init = json!({"jsonrpc":"2.0","id":0,"method":"initialize","params":{
        "protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}});
    let r = post(&served.url, None, &init).await;
    assert_eq!(r.status(), 503);
    assert!(r.headers().contains_key("retry-after"));
    // The child sees --env, and nothing of the HTTP request.
    let r = client()
        .post(&served.url)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-session-id", &session)
        .header("authorization", "Bearer planted-client-token")
        .body(call(json!(1), "get-env", json!({})).to_string())
        .send()
        .await
        .unwrap();
    let env = events(r).await[0].1.to_string();
    assert!(env.contains("from-the-command-line"), "{env:.300}");
    assert!(!env.contains("planted-client-token"));
    let ready = client()
        .get(format!("http://127.0.0.1:{}/readyz", served.port))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 503, "no room for another session");
    let health = client()
        .get(format!("http://127.0.0.1:{}/healthz", served.port))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    assert!(!served.stderr().contains("planted-client-token"));
}

/// POST `msg` with `Authorization: Bearer token` (none when `None`).
async fn post_as(
    url: &str,
    token: Option<&str>,
    session: Option<&str>,
    msg: &Value,
) -> reqwest::Response {
    let mut req = client()
        .post(url)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    if let Some(s) = session {
        req = req.header("mcp-session-id", s);
    }
    req.body(msg.to_string()).send().await.unwrap()
}

/// `--bearer-token-file`: without a key, or with one not in the file, a
/// request gets 401 with the `WWW-Authenticate` RFC 6750 asks for, and no
/// server process starts; with one, it is served, and its session is
/// reached with that key only. The log names the key's line, never a key.
/// mcp-bridge in front, with the key in `--header`, gets its tools.
#[tokio::test]
async fn bearer_keys_admit_their_holders_only() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("keys");
    let (alpha, beta) = ("alpha-Key-0123456789", "beta.Key~9876543210");
    std::fs::write(&file, format!("# keys\n{alpha}\n\n{beta}\n")).unwrap();
    let file = file.display().to_string();
    let served = Served::start(&["--bearer-token-file", &file], &everything()).await;
    let url = &served.url;
    let init = json!({"jsonrpc":"2.0","id":0,"method":"initialize","params":{
        "protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}});

    let none = post_as(url, None, None, &init).await;
    assert_eq!(none.status(), 401);
    assert_eq!(none.headers()["www-authenticate"], r#"Bearer realm="mcp""#);
    let wrong = post_as(url, Some("alpha-Key-012345678"), None, &init).await;
    assert_eq!(wrong.status(), 401);
    let challenge = wrong.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        challenge.contains(r#"error="invalid_token""#),
        "{challenge}"
    );
    let sse = client()
        .get(format!("{}/sse", url.trim_end_matches("/mcp")))
        .send()
        .await
        .unwrap();
    assert_eq!(sse.status(), 401);
    assert!(served.pids().is_empty(), "no process for a refused request");

    let r = post_as(url, Some(alpha), None, &init).await;
    assert_eq!(r.status(), 200);
    let session = r.headers()["mcp-session-id"].to_str().unwrap().to_owned();
    let _ = events(r).await;
    let echo = call(json!(1), "echo", json!({"message": "hi"}));
    let mine = post_as(url, Some(alpha), Some(&session), &echo).await;
    assert_eq!(mine.status(), 200);
    assert!(events(mine).await.iter().any(|(_, m)| m["id"] == 1));
    // Another key does not reach the session, nor learn it is there.
    let theirs = post_as(url, Some(beta), Some(&session), &echo).await;
    assert_eq!(theirs.status(), 404);

    let mut b = Bridge::start(
        url,
        &["-v", "--header", &format!("Authorization: Bearer {beta}")],
    )
    .await;
    b.initialize_with(json!({})).await;
    let r = b
        .call_tool(json!(2), "echo", json!({"message": "through the bridge"}))
        .await;
    assert!(common::text_of(&r).contains("through the bridge"), "{r}");
    b.close_and_wait().await;

    let log = served.stderr();
    assert!(log.contains("by the key of line 2"), "{log}");
    assert!(log.contains("by the key of line 4"), "{log}");
    assert!(
        !log.contains(alpha) && !log.contains(beta) && !log.contains("alpha-Key"),
        "{log}"
    );
}
