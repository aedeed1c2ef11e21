//! `Mcp-Param-*` headers (2026-07-28, `x-mcp-header`), checked against the
//! arguments of a `tools/call`: a gateway in front may have routed on a
//! header, so a call whose headers say something other than its body is
//! refused (-32020) before the server runs it.
//!
//! Each property the tool's `inputSchema` annotates must agree with its
//! header: both present and equal once the header is decoded (integers
//! compared as numbers), or both absent (a null, or a value of a type that
//! has no header, counts as absent). A header sent twice is refused, since
//! readers of the first and of the last copy would disagree. Headers the
//! schema does not name are not this check's business. The annotations
//! come from the tools the child lists ([`super::pool::Pooled::annotations`]).

use crate::protocol::stateless::envelope::decode_header_value;
use crate::protocol::stateless::params::{value_text, Annotation};
use hyper::header::HeaderMap;
use serde_json::Value;

/// The `Mcp-Param-*` headers of a request, names in lower case, values
/// trimmed of the white space around them (RFC 9110, 5.5).
pub fn sent(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|(name, _)| name.as_str().starts_with("mcp-param-"))
        .map(|(name, value)| {
            let v = String::from_utf8_lossy(value.as_bytes()).trim().to_owned();
            (name.as_str().to_owned(), v)
        })
        .collect()
}

/// How a call's `Mcp-Param-*` header disagrees with its arguments.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Mismatch {
    /// The header came more than once.
    #[error("{header} is sent more than once")]
    Twice { header: String },
    /// The header came, and the argument is absent (or has no header form).
    #[error("{header} is sent, but the arguments have no {argument:?} it could stand for")]
    Unfounded { header: String, argument: String },
    /// The argument is there, and its header is not.
    #[error("{header} is missing, and the arguments have {argument:?}")]
    Missing { header: String, argument: String },
    /// The header's base64 form does not decode.
    #[error("{header} is not valid =?base64?...?=")]
    Undecodable { header: String },
    /// Both are there, with different values.
    #[error("{header} differs from the argument {argument:?}")]
    Differs { header: String, argument: String },
}

/// Whether the headers `sent` agree with the arguments `args` of a call to
/// a tool annotated with `annotations`.
pub fn verify(
    annotations: &[Annotation],
    args: &Value,
    sent: &[(String, String)],
) -> Result<(), Mismatch> {
    for a in annotations {
        let name = format!("mcp-param-{}", a.header.to_ascii_lowercase());
        let header = format!("Mcp-Param-{}", a.header);
        let argument = a.path.join(".");
        let mut copies = sent.iter().filter(|(n, _)| *n == name).map(|(_, v)| v);
        let value = copies.next();
        if copies.next().is_some() {
            return Err(Mismatch::Twice { header });
        }
        match (value_text(a, args), value) {
            (None, None) => {}
            (None, Some(_)) => return Err(Mismatch::Unfounded { header, argument }),
            (Some(_), None) => return Err(Mismatch::Missing { header, argument }),
            (Some(text), Some(raw)) => {
                let Some(said) = decode_header_value(raw) else {
                    return Err(Mismatch::Undecodable { header });
                };
                let integer = |t: &str| t.parse::<i64>().ok();
                let equal = match (integer(&text), a_number(a, args)) {
                    (Some(n), true) => integer(&said) == Some(n),
                    _ => said == text,
                };
                if !equal {
                    return Err(Mismatch::Differs { header, argument });
                }
            }
        }
    }
    Ok(())
}

/// Whether the annotated value is a JSON number (compared as a number).
fn a_number(a: &Annotation, args: &Value) -> bool {
    a.path
        .iter()
        .try_fold(args, |v, key| v.get(key))
        .is_some_and(Value::is_number)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::stateless::params::annotations;
    use serde_json::json;

    fn check(args: Value, headers: &[(&str, &str)]) -> Result<(), Mismatch> {
        let schema = json!({"type": "object", "properties": {
            "region": {"type": "string", "x-mcp-header": "Region"},
            "opts": {"type": "object", "properties": {
                "tier": {"type": "integer", "x-mcp-header": "Tier"},
                "fast": {"type": "boolean", "x-mcp-header": "Fast"}
            }}
        }});
        let sent: Vec<(String, String)> = headers
            .iter()
            .map(|(n, v)| (n.to_ascii_lowercase(), (*v).to_owned()))
            .collect();
        verify(&annotations(&schema).unwrap(), &args, &sent)
    }

    #[test]
    fn headers_must_match_the_arguments() {
        let args = json!({"region": "eu", "opts": {"tier": 3, "fast": true}});
        let all = [
            ("Mcp-Param-Region", "eu"),
            ("Mcp-Param-Tier", "3"),
            ("mcp-param-fast", "true"),
        ];
        assert_eq!(check(args.clone(), &all), Ok(()));
        // Integers are compared as numbers; a base64 form is decoded.
        let other = [
            ("Mcp-Param-Region", "=?base64?ZXU=?="),
            ("Mcp-Param-Tier", "03"),
            ("Mcp-Param-Fast", "true"),
        ];
        assert_eq!(check(args.clone(), &other), Ok(()));
        let (tier, fast) = (("Mcp-Param-Tier", "3"), ("Mcp-Param-Fast", "true"));
        let refused = [
            (vec![("Mcp-Param-Region", "us"), tier, fast], "differs"),
            (
                vec![("Mcp-Param-Region", "=?base64?ZXU?="), tier, fast],
                "base64",
            ),
            (vec![all[0], all[0], tier, fast], "more than once"),
            (vec![tier, fast], "missing"),
            (vec![all[0], ("Mcp-Param-Tier", "4"), fast], "differs"),
        ];
        for (headers, why) in refused {
            let got = check(args.clone(), &headers).unwrap_err().to_string();
            assert!(got.contains(why), "{headers:?}: {got}");
        }
    }

    #[test]
    fn an_absent_or_null_value_has_no_header() {
        assert_eq!(check(json!({"region": null}), &[]), Ok(()));
        let got = check(json!({}), &[("Mcp-Param-Tier", "1")])
            .unwrap_err()
            .to_string();
        assert!(got.contains("no \"opts.tier\""), "{got}");
        // A value of a type with no header must not come with one either.
        let got = check(json!({"region": ["eu"]}), &[("Mcp-Param-Region", "eu")]);
        assert!(got.is_err());
        // A header the schema does not name is not checked.
        assert_eq!(check(json!({}), &[("Mcp-Param-Other", "x")]), Ok(()));
    }

    #[test]
    fn a_string_that_looks_like_a_number_is_compared_as_text() {
        assert!(check(json!({"region": "7"}), &[("Mcp-Param-Region", "07")]).is_err());
    }
}
