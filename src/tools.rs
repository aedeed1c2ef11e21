//! `--ignore-tool` and `--allow-tool`: which of the server's tools the
//! client may see and call.

use bytes::Bytes;
use serde_json::Value;

/// The tool globs from the command line.
#[derive(Debug, Clone, Default)]
pub struct ToolFilter {
    ignore: Vec<String>,
    allow: Vec<String>,
}

impl ToolFilter {
    /// A filter hiding tools matching any of `ignore`, and, when `allow` is
    /// not empty, tools matching none of it.
    pub fn new(ignore: &[String], allow: &[String]) -> Self {
        let lower = |v: &[String]| v.iter().map(|g| g.to_lowercase()).collect();
        ToolFilter {
            ignore: lower(ignore),
            allow: lower(allow),
        }
    }

    /// True when nothing is filtered.
    pub fn is_empty(&self) -> bool {
        self.ignore.is_empty() && self.allow.is_empty()
    }

    /// The flag that hides the tool `name`, or `None` when it is offered.
    pub fn hides(&self, name: &str) -> Option<&'static str> {
        let name = name.to_lowercase();
        if self.ignore.iter().any(|g| matches(g, &name)) {
            Some("--ignore-tool")
        } else if !self.allow.is_empty() && !self.allow.iter().any(|g| matches(g, &name)) {
            Some("--allow-tool")
        } else {
            None
        }
    }

    /// A `tools/list` answer without the hidden tools (the cursor and
    /// everything else kept). The answer is returned as it came when nothing
    /// in it is hidden or it is not a list of tools.
    pub fn list(&self, raw: Bytes) -> Bytes {
        if self.is_empty() {
            return raw;
        }
        let Ok(mut v) = serde_json::from_slice::<Value>(&raw) else {
            return raw;
        };
        let Some(tools) = v.pointer_mut("/result/tools").and_then(Value::as_array_mut) else {
            return raw;
        };
        let before = tools.len();
        tools.retain(|t| {
            t.get("name")
                .and_then(Value::as_str)
                .is_none_or(|n| self.hides(n).is_none())
        });
        let hidden = before - tools.len();
        if hidden == 0 {
            return raw;
        }
        tracing::debug!("hid {hidden} of {before} tools from tools/list");
        match serde_json::to_vec(&v) {
            Ok(out) => Bytes::from(out),
            Err(_) => raw,
        }
    }
}

/// `*` matches any run of characters (none included); everything else
/// matches itself. Both sides are lower case already.
fn matches(glob: &str, name: &str) -> bool {
    let g: Vec<char> = glob.chars().collect();
    let n: Vec<char> = name.chars().collect();
    let (mut gi, mut ni) = (0, 0);
    // Where the last `*` was, and the name position it is matched up to.
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if gi < g.len() && g[gi] == '*' {
            star = Some((gi, ni));
            gi += 1;
        } else if gi < g.len() && g[gi] == n[ni] {
            gi += 1;
            ni += 1;
        } else if let Some((sg, sn)) = star {
            gi = sg + 1;
            ni = sn + 1;
            star = Some((sg, sn + 1));
        } else {
            return false;
        }
    }
    g[gi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_as_mcp_remote_does() {
        assert!(matches("delete*", "delete_file"));
        assert!(matches("*file*", "delete_file_now"));
        assert!(matches("*", ""));
        assert!(matches("a*b*c", "axxbyyc"));
        assert!(!matches("a*b*c", "axxbyy"));
        assert!(matches("echo", "echo"));
        assert!(!matches("echo", "echo2"));
        assert!(!matches("get-env", "getXenv"), "only * is special");
        assert!(matches("a.b", "a.b"));
        assert!(!matches("a.b", "axb"));
    }

    #[test]
    fn ignore_and_allow_combine() {
        let f = ToolFilter::new(&["Get-*".into()], &["get-*".into(), "echo".into()]);
        assert_eq!(f.hides("GET-ENV"), Some("--ignore-tool"));
        assert_eq!(f.hides("echo"), None);
        assert_eq!(f.hides("ECHO"), None);
        assert_eq!(f.hides("add"), Some("--allow-tool"));
        assert!(ToolFilter::default().hides("anything").is_none());
    }

    #[test]
    fn lists_lose_only_hidden_tools() {
        let f = ToolFilter::new(&["b*".into()], &[]);
        let raw = Bytes::from_static(
            br#"{"jsonrpc":"2.0","id":3,"result":{"tools":[{"name":"a"},{"name":"bb"},{"name":"c"}],"nextCursor":"x"}}"#,
        );
        let v: Value = serde_json::from_slice(&f.list(raw)).unwrap();
        assert_eq!(
            v["result"]["tools"],
            serde_json::json!([{"name":"a"},{"name":"c"}])
        );
        assert_eq!(v["result"]["nextCursor"], "x");
        assert_eq!(v["id"], 3);
        let untouched =
            Bytes::from_static(br#"{"jsonrpc":"2.0","id":3,"result":{"tools":[{"name":"a"}]}}"#);
        assert_eq!(f.list(untouched.clone()), untouched);
        let error =
            Bytes::from_static(br#"{"jsonrpc":"2.0","id":3,"error":{"code":1,"message":"m"}}"#);
        assert_eq!(f.list(error.clone()), error);
    }
}
