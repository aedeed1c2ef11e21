//! What the server says reaches the client exactly as a server of the
//! client's era would have said it.
//!
//! Against real servers, each answer through the bridge is compared with
//! the same SDK client connected directly (`tests/peers/ext_client.py`:
//! the Python SDK's client, and fastmcp-tasks' client half): MCP Apps from
//! two ext-apps example servers (handshake era only) and from an App on
//! FastMCP (both eras), and the Tasks lifecycle of SEP-2663 from
//! fastmcp-tasks; with the bridge in `--protocol auto` and `legacy`, and
//! clients of either era. Then the errors a 2026-07-28 server sends with an
//! HTTP 400 or 404, byte for byte, the same over HTTP+SSE and inside a
//! reply stream, and a quiet log while a dual-era client finds the era.

mod common;

use axum::http::Method;
use common::fake::{self, sse_server, Fake, Reply, Step};
use common::{peers, Bridge};
use serde_json::{json, Value};

type Report = Vec<(String, Value)>;

/// The outcome of `step` in a report.
fn step<'a>(report: &'a Report, name: &str) -> &'a Value {
    report
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no step {name:?} in {report:?}"))
}

/// The two reports agree step by step.
fn assert_same(what: &str, direct: &Report, bridged: &Report) {
    let names = |r: &Report| r.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(direct), names(bridged), "{what}: the same steps");
    for ((name, d), (_, b)) in direct.iter().zip(bridged) {
        assert_eq!(
            d, b,
            "{what}: step {name:?} differs\ndirect:  {d}\nbridged: {b}"
        );
    }
}

/// Every `_meta` key anywhere in `v` under the prefix 2026-07-28 reserves
/// (the server's `serverInfo` on each result): what a handshake-era client
/// must never get. (`resultType` cannot be told apart here: the SDK's
/// result model gives every result one.)
fn reserved_meta_keys(v: &Value, found: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                if k == "_meta" {
                    let keys = x.as_object().into_iter().flat_map(|m| m.keys());
                    found.extend(
                        keys.filter(|k| k.starts_with("io.modelcontextprotocol/"))
                            .cloned(),
                    );
                }
                reserved_meta_keys(x, found);
            }
        }
        Value::Array(items) => items.iter().for_each(|x| reserved_meta_keys(x, found)),
        _ => {}
    }
}

#[test]
fn apps_of_the_ext_apps_examples_pass_unchanged_in_both_modes_and_eras() {
    for (example, ui, call) in [
        (
            "map",
            "resources/read ui://cesium-map/mcp-app.html",
            "tools/call show-map",
        ),
        (
            "budget-allocator",
            "resources/read ui://budget-allocator/mcp-app.html",
            "tools/call get-budget-data",
        ),
    ] {
        let server = peers::ext_apps(example);
        let scenario = if example == "map" {
            "apps-map"
        } else {
            "apps-budget"
        };
        for client in ["legacy", "auto"] {
            let direct = peers::ext_client(scenario, client, &server.url, None);
            // What the comparison stands on: the App as the server gives it.
            let tools = &step(&direct, "tools/list")["result"]["tools"];
            assert!(
                tools
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|t| t["_meta"]["ui"]["resourceUri"]
                        .as_str()
                        .is_some_and(|u| u.starts_with("ui://"))),
                "{example}: a tool with _meta.ui: {tools}"
            );
            let page = &step(&direct, ui)["result"]["contents"][0];
            assert_eq!(page["mimeType"], "text/html;profile=mcp-app", "{example}");
            assert!(
                page["text"].as_str().unwrap().len() > 200_000,
                "{example}: the whole App page"
            );
            if example == "map" {
                assert!(
                    page["_meta"]["ui"]["csp"]["connectDomains"].is_array(),
                    "{page:.300}"
                );
            } else {
                let r = &step(&direct, call)["result"];
                assert!(
                    r["structuredContent"]["analytics"]["history"].is_array(),
                    "{r:.300}"
                );
            }
            for mode in ["auto", "legacy"] {
                let bridged =
                    peers::ext_client(scenario, client, &server.url, Some(&["--protocol", mode]));
                assert_same(
                    &format!("{example}, a {client} client, --protocol {mode}"),
                    &direct,
                    &bridged,
                );
            }
        }
    }
}

#[test]
fn a_handshake_era_client_of_a_translated_server_gets_what_the_handshake_server_gives() {
    let server = peers::fastmcp_tasks();
    let mut direct = peers::ext_client("fastmcp", "legacy", &server.url, None);
    // The server itself answers a 2025-11-25 client: Apps as they are,
    // a tool that may run as a task runs inline, and one that must is
    // refused with -32021, even though the client declared Tasks in its
    // initialize (the extension is not defined in that era).
    let card = &step(&direct, "tools/call show_card")["result"];
    assert_eq!(
        card["structuredContent"]["n"], 123456789012345678_i64,
        "{card}"
    );
    assert_eq!(
        step(&direct, "tools/call double")["result"]["structuredContent"]["result"],
        42
    );
    let refused = &step(&direct, "tools/call must_task")["error"];
    assert_eq!(refused["code"], -32021, "{refused}");
    assert!(
        refused["data"]["requiredCapabilities"]["extensions"]["io.modelcontextprotocol/tasks"]
            .is_object()
    );

    // Translated (auto finds 2026-07-28) and relayed (legacy) alike.
    let translated = peers::ext_client(
        "fastmcp",
        "legacy",
        &server.url,
        Some(&["--protocol", "auto"]),
    );
    let mut leaked = Vec::new();
    for (_, outcome) in &translated {
        reserved_meta_keys(outcome, &mut leaked);
    }
    assert!(
        leaked.is_empty(),
        "2026-07-28 fields reached a 2025-11-25 client: {leaked:?}"
    );
    let relayed = peers::ext_client(
        "fastmcp",
        "legacy",
        &server.url,
        Some(&["--protocol", "legacy"]),
    );
    assert_same(
        "fastmcp, a legacy client, --protocol legacy",
        &direct,
        &relayed,
    );
    // One field is the server's own choice by era: in the handshake era it
    // lists 2025-11-25's experimental `execution.taskSupport`, which tasks
    // a translated client can never make; under 2026-07-28 it does not.
    for (name, outcome) in direct.iter_mut() {
        if name == "tools/list" {
            for tool in outcome["result"]["tools"].as_array_mut().unwrap() {
                tool.as_object_mut().unwrap().remove("execution");
            }
        }
    }
    assert_same(
        "fastmcp, a legacy client, --protocol auto",
        &direct,
        &translated,
    );
}

#[test]
fn a_modern_client_gets_the_servers_answers_untouched() {
    let server = peers::fastmcp_tasks();
    let direct = peers::ext_client("fastmcp", "auto", &server.url, None);
    assert_eq!(
        step(&direct, "resolved must_task")["result"]["structuredContent"]["result"],
        2
    );
    let refused = &step(&direct, "must_task without tasks")["error"];
    assert_eq!(refused["code"], -32021, "{refused}");
    let unknown = &step(&direct, "resources/read unknown")["error"];
    assert_eq!(unknown["data"]["uri"], "ui://card/none.html", "{unknown}");
    for mode in ["auto", "legacy"] {
        let bridged =
            peers::ext_client("fastmcp", "auto", &server.url, Some(&["--protocol", mode]));
        assert_same(
            &format!("fastmcp, a modern client, --protocol {mode}"),
            &direct,
            &bridged,
        );
    }
}

#[test]
fn the_tasks_lifecycle_is_the_same_through_the_bridge() {
    let server = peers::fastmcp_tasks();
    let direct = peers::ext_client("tasks", "auto", &server.url, None);
    assert_eq!(step(&direct, "create")["result"]["resultType"], "task");
    assert_eq!(step(&direct, "completed")["result"], true);
    assert_eq!(step(&direct, "result")["result"]["data"], 42);
    assert_eq!(
        step(&direct, "after cancel")["result"]["status"],
        "cancelled"
    );
    assert_eq!(step(&direct, "unknown id")["error"]["code"], -32602);
    for mode in ["auto", "legacy"] {
        let bridged = peers::ext_client("tasks", "auto", &server.url, Some(&["--protocol", mode]));
        assert_same(&format!("tasks, --protocol {mode}"), &direct, &bridged);
    }
}

/// A 2026-07-28 request with its envelope; `caps` its client capabilities.
fn modern(id: &str, method: &str, mut params: Value, version: &str, caps: Value) -> Value {
    params["_meta"] = json!({
        "io.modelcontextprotocol/protocolVersion": version,
        "io.modelcontextprotocol/clientCapabilities": caps,
    });
    json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
}

/// POST `msg` to `url` as a 2026-07-28 client does; the status and body.
async fn post_direct(url: &str, msg: &Value) -> (u16, String) {
    let method = msg["method"].as_str().unwrap();
    let mut req = common::person()
        .post(url)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header(
            "mcp-protocol-version",
            msg["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"]
                .as_str()
                .unwrap(),
        )
        .header("mcp-method", method);
    let p = &msg["params"];
    if let Some(name) = p["name"]
        .as_str()
        .or(p["uri"].as_str())
        .or(p["taskId"].as_str())
    {
        req = req.header("mcp-name", name);
    }
    let resp = req.body(msg.to_string()).send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

#[tokio::test]
async fn errors_sent_with_a_status_reach_the_client_byte_for_byte() {
    let server = peers::fastmcp_tasks();
    let tasks = json!({"extensions": {"io.modelcontextprotocol/tasks": {}}});
    let cases = [
        // A tool that only runs as a task, for a client without Tasks.
        (
            400,
            -32021,
            modern(
                "e1",
                "tools/call",
                json!({"name": "must_task", "arguments": {"n": 1}}),
                "2026-07-28",
                json!({}),
            ),
        ),
        (
            404,
            -32601,
            modern("e2", "nope/nope", json!({}), "2026-07-28", json!({})),
        ),
        (
            400,
            -32602,
            modern(
                "e3",
                "resources/read",
                json!({"uri": "ui://card/none.html"}),
                "2026-07-28",
                json!({}),
            ),
        ),
        (
            400,
            -32602,
            modern(
                "e4",
                "tasks/get",
                json!({"taskId": "no-such-task"}),
                "2026-07-28",
                tasks.clone(),
            ),
        ),
        // A revision the server does not speak (last: the first request
        // tells the bridge the client's era).
        (
            400,
            -32022,
            modern("e5", "tools/list", json!({}), "2099-01-01", json!({})),
        ),
    ];
    let mut b = Bridge::start(&server.url, &["-v"]).await;
    for (status, code, msg) in &cases {
        let (got_status, body) = post_direct(&server.url, msg).await;
        assert_eq!(got_status, *status, "directly: {body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["error"]["code"], *code, "directly: {body}");
        b.send(msg.clone()).await;
        b.response(msg["id"].clone()).await;
        assert_eq!(b.raw_response(&msg["id"]), body, "through the bridge");
    }
    assert!(
        !b.stderr().contains("WARN"),
        "the server's answers are not failures:\n{}",
        b.stderr()
    );
    b.close_and_wait().await;

    // A handshake-era client through the translation gets the same bytes:
    // the Tasks it declared in initialize are not carried into 2026-07-28.
    let mut b = Bridge::start(&server.url, &["--protocol", "auto"]).await;
    b.initialize_with(tasks.clone()).await;
    for (id, name, params) in [
        (
            "t1",
            "tools/call",
            json!({"name": "must_task", "arguments": {"n": 1}}),
        ),
        (
            "t2",
            "resources/read",
            json!({"uri": "ui://card/none.html"}),
        ),
    ] {
        let (_, body) = post_direct(
            &server.url,
            &modern(id, name, params.clone(), "2026-07-28", json!({})),
        )
        .await;
        b.request(json!(id), name, params).await;
        assert_eq!(b.raw_response(&json!(id)), body, "translated");
    }
    // Tasks' own methods are not defined in the client's era: not found,
    // as a server of that era without them answers.
    let r = b
        .request(json!("t3"), "tasks/get", json!({"taskId": "no-such-task"}))
        .await;
    assert_eq!(r["error"]["code"], -32601, "{r}");
    b.close_and_wait().await;
}

#[tokio::test]
async fn a_json_rpc_error_with_a_status_over_http_sse_is_the_servers() {
    let refusal = r#"{"jsonrpc":"2.0","id":7,"error":{"code":-32602,"message":"invalid arguments: field x must be a number","data":{"field":"x","z":1.10,"a":[]}}}"#;
    let (sse, _control) = sse_server(404, |n| Some(format!("/message?n={n}")));
    let fake = Fake::start(move |seen| {
        let name = seen
            .body
            .as_ref()
            .and_then(|b| b["params"]["name"].as_str());
        match (seen.path(), name) {
            ("/message", Some("refused")) => Reply::Json(400, refusal.to_owned(), vec![]),
            ("/message", Some("refused-null")) => Reply::Json(
                400,
                r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"no"}}"#.into(),
                vec![],
            ),
            _ => sse(seen),
        }
    })
    .await;
    let mut b = Bridge::start(&fake.url, &["--transport", "sse-only"]).await;
    b.initialize().await;
    b.call_tool(json!(7), "refused", json!({})).await;
    assert_eq!(b.raw_response(&json!(7)), refusal);
    // An error body that answers nothing the client sent stays the
    // bridge's, naming the status.
    let r = b.call_tool(json!(8), "refused-null", json!({})).await;
    assert_eq!(r["error"]["data"]["httpStatus"], 400, "{r}");
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("mcp-bridge: "),
        "{r}"
    );
    b.close_and_wait().await;
}

#[tokio::test]
async fn an_error_inside_a_reply_stream_keeps_every_byte() {
    // The server could not tie its error to the request (id null): it
    // answers the request, with only the id changed.
    let fake = Fake::start(|seen| match seen.rpc_method() {
        "tools/call" => Reply::Sse(
            vec![Step::Text(
                "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32603,\"message\":\"boom\",\"data\":{\"z\":1.10,\"a\":1}}}\n\n".into(),
            )],
            vec![],
        ),
        _ => fake::mcp(seen),
    })
    .await;
    let mut b = Bridge::start(&fake.url, &[]).await;
    b.initialize().await;
    b.call_tool(json!("s"), "any", json!({})).await;
    assert_eq!(
        b.raw_response(&json!("s")),
        r#"{"jsonrpc":"2.0","id":"s","error":{"code":-32603,"message":"boom","data":{"z":1.10,"a":1}}}"#
    );
    b.close_and_wait().await;
}

#[tokio::test]
async fn finding_the_era_is_not_a_warning() {
    // A dual-era client asks server/discover first; a handshake-era server
    // refuses it with 400, and the client falls back to initialize.
    let fake = Fake::start(fake::mcp).await;
    let mut b = Bridge::start(&fake.url, &[]).await;
    let r = b
        .request(
            json!(1),
            "server/discover",
            json!({"_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}}),
        )
        .await;
    assert!(r["error"].is_object(), "{r}");
    assert_eq!(
        fake.seen_with(Method::POST)[0].rpc_method(),
        "server/discover"
    );
    b.initialize().await;
    let r = b.call_tool(json!(2), "echo", json!({"x": 1})).await;
    assert_eq!(r["result"]["echo"]["x"], 1, "{r}");
    b.close_and_wait().await;
    assert_eq!(
        b.stderr(),
        "",
        "nothing to act on, so nothing logged by default"
    );
}
