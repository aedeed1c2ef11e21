//! `--header` and `--header-file`: parsing `Name: value`, expanding `${VAR}`
//! from the environment, and keeping the values out of every log.

use crate::secret::Secret;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use std::path::Path;

/// Why a header could not be used; every variant names what to fix.
#[derive(Debug, thiserror::Error)]
pub enum HeaderError {
    /// `${VAR}` names a variable that is not set.
    #[error("{header}: environment variable {var} is not set")]
    UnsetVar {
        /// "header NAME", or the option whose value it is (never the value).
        header: String,
        /// The missing variable.
        var: String,
    },
    /// Not of the form `Name: value`, or a name/value HTTP does not allow.
    #[error("malformed header {0}: expected \"Name: value\"")]
    Malformed(String),
    /// A `${` without its closing `}`.
    #[error("{0}: unterminated ${{...}} in the value")]
    Unterminated(String),
    /// The header file could not be read.
    #[error("cannot read header file {path}")]
    File {
        /// The file given to --header-file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Expand `${VAR}` references from the environment in the value of the
/// option `what` (a secret: the error names the option and the variable,
/// never the value).
pub fn expand_vars(what: &str, value: &str) -> Result<String, HeaderError> {
    expand(what, value, &|v| std::env::var(v).ok())
}

/// Expand `${VAR}` references; `$` not followed by `{` is kept as is.
fn expand(
    header: &str,
    value: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<String, HeaderError> {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| HeaderError::Unterminated(header.to_owned()))?;
        let var = &after[..end];
        let val = env(var).ok_or_else(|| HeaderError::UnsetVar {
            header: header.to_owned(),
            var: var.to_owned(),
        })?;
        out.push_str(&val);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Parse one `Name: value` (or `Name:value`, which survives clients that split
/// arguments on spaces) and expand the value.
fn parse_one(
    spec: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(HeaderName, HeaderValue), HeaderError> {
    // Without a colon there is no telling name from value, and the text may
    // be a secret: say what is wrong without echoing it.
    let (name, value) = spec
        .split_once(':')
        .ok_or_else(|| HeaderError::Malformed("with no ':' in it".to_owned()))?;
    let name = name.trim();
    let hname = HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| HeaderError::Malformed(format!("{name:?} (not a valid header name)")))?;
    let value = expand(&format!("header {name}"), value.trim(), env)?;
    let mut hvalue = HeaderValue::from_str(value.trim()).map_err(|_| {
        HeaderError::Malformed(format!("{name} (its value has characters HTTP forbids)"))
    })?;
    hvalue.set_sensitive(true);
    Ok((hname, hvalue))
}

/// Build the header map from `--header` values and `--header-file` files, in
/// that order (a later header of the same name is added, not replaced).
pub fn collect(
    specs: &[Secret],
    files: &[impl AsRef<Path>],
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<HeaderMap, HeaderError> {
    let mut map = HeaderMap::new();
    for spec in specs {
        let (n, v) = parse_one(spec.expose(), env)?;
        map.append(n, v);
    }
    for file in files {
        let path = file.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| HeaderError::File {
            path: path.display().to_string(),
            source,
        })?;
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (n, v) = parse_one(line, env)?;
            map.append(n, v);
        }
    }
    Ok(map)
}

/// The names of the headers, for logs: values never leave this module.
pub fn names(map: &HeaderMap) -> String {
    let mut names: Vec<&str> = map.keys().map(HeaderName::as_str).collect();
    names.dedup();
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(var: &str) -> Option<String> {
        match var {
            "TOKEN" => Some("s3cret".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn parses_and_expands() {
        let map = collect(
            &["Authorization: Bearer ${TOKEN}".into(), "X-A:b c".into()],
            &[] as &[&Path],
            &env,
        )
        .unwrap();
        assert_eq!(map["authorization"], "Bearer s3cret");
        assert!(map["authorization"].is_sensitive());
        assert_eq!(map["x-a"], "b c");
    }

    #[test]
    fn dollar_without_brace_is_literal() {
        let map = collect(&["X: $5 ${EMPTY}".into()], &[] as &[&Path], &env).unwrap();
        assert_eq!(map["x"], "$5");
    }

    #[test]
    fn unset_variable_is_named() {
        let e = collect(&["X: ${NOPE_VAR}".into()], &[] as &[&Path], &env).unwrap_err();
        assert!(e.to_string().contains("NOPE_VAR"), "{e}");
    }

    #[test]
    fn malformed_headers_are_refused_without_echoing_values() {
        let e = collect(&["NoColonSecretValue".into()], &[] as &[&Path], &env).unwrap_err();
        assert!(matches!(e, HeaderError::Malformed(_)));
        assert!(!e.to_string().contains("SecretValue"), "{e}");
        assert!(collect(&["Bad Name: v".into()], &[] as &[&Path], &env).is_err());
        assert!(collect(&["X: ${TOKEN".into()], &[] as &[&Path], &env).is_err());
        let e = collect(&["X: a\u{7}b".into()], &[] as &[&Path], &env).unwrap_err();
        assert!(!e.to_string().contains("a\u{7}b"));
    }

    #[test]
    fn header_file_skips_comments_and_blank_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h");
        std::fs::write(&path, "# secrets\n\nX-Key: ${TOKEN}\n  X-Other: 1  \n").unwrap();
        let map = collect(&[], &[&path], &env).unwrap();
        assert_eq!(map["x-key"], "s3cret");
        assert_eq!(map["x-other"], "1");
        assert_eq!(names(&map), "x-key, x-other");
    }
}
