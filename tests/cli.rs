//! The command line: what starts, what is refused, and how.

mod common;

use common::run_to_exit;

fn refused(args: &[&str], env: &[(&str, &str)], expect: &str) {
    let (code, stdout, stderr) = run_to_exit(args, env);
    assert_eq!(code, Some(2), "exit code 2 for {args:?}; stderr: {stderr}");
    assert!(stdout.is_empty(), "nothing on stdout: {stdout}");
    assert_eq!(
        stderr.trim().lines().count(),
        1,
        "a one-line error: {stderr}"
    );
    assert!(stderr.contains(expect), "{expect:?} in {stderr:?}");
}

#[test]
fn unsupported_schemes_and_bad_urls_exit_2() {
    refused(&["ftp://example.com/mcp"], &[], "scheme \"ftp\"");
    refused(&["file:///etc/passwd"], &[], "only https");
    refused(&["not a url"], &[], "not a valid URL");
    refused(&["http://example.com/mcp"], &[], "--allow-http");
    refused(
        &["https://u:hunter2@example.com/mcp"],
        &[],
        "credentials in the URL",
    );
    let (_, _, stderr) = run_to_exit(&["https://u:hunter2@example.com/mcp"], &[]);
    assert!(!stderr.contains("hunter2"));
}

#[test]
fn unset_variable_in_a_header_is_named() {
    refused(
        &[
            "https://example.com/mcp",
            "--header",
            "Authorization: Bearer ${NO_SUCH_TOKEN_VAR}",
        ],
        &[],
        "NO_SUCH_TOKEN_VAR",
    );
}

#[test]
fn malformed_headers_stop_start_up() {
    refused(
        &["https://example.com/mcp", "--header", "NoColonHere"],
        &[],
        "malformed header",
    );
    refused(
        &["https://example.com/mcp", "--header", "Bad Name: x"],
        &[],
        "malformed header",
    );
    refused(
        &[
            "https://example.com/mcp",
            "--header-file",
            "/no/such/headers/file",
        ],
        &[],
        "/no/such/headers/file",
    );
}

/// The exit line is the error's sentence and then each cause under it,
/// once: "cannot read header file F: No such file or directory (os error 2)".
#[test]
fn an_error_line_names_each_cause_once() {
    let cases: [(&[&str], &str, &str); 2] = [
        (
            &["https://example.com/mcp", "--header-file", "/no/such/file"],
            "cannot read header file /no/such/file: ",
            "No such file or directory",
        ),
        (
            &["not a url"],
            "\"not a url\" is not a valid URL: ",
            "relative URL without a base",
        ),
    ];
    for (args, sentence, cause) in cases {
        let (_, _, stderr) = run_to_exit(args, &[]);
        let line = stderr.trim();
        assert!(line.contains(&format!("{sentence}{cause}")), "{line}");
        assert_eq!(line.matches(cause).count(), 1, "{line}");
    }
}

#[test]
fn allow_http_permits_plain_http_elsewhere() {
    // Accepted, so the bridge starts, reads EOF from stdin and exits 0.
    let (code, stdout, stderr) = run_to_exit(&["http://example.invalid/mcp", "--allow-http"], &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.is_empty());
}

#[test]
fn help_shows_examples_and_version_is_printed() {
    let (code, stdout, _) = run_to_exit(&["--help"], &[]);
    assert_eq!(code, Some(0));
    assert!(stdout.contains("Examples:"), "{stdout}");
    assert!(stdout.contains("--header"), "{stdout}");
    for flag in [
        "--request-timeout",
        "--connect-timeout",
        "--ping-interval",
        "--keep-alive",
        "--retry-timeout",
    ] {
        assert!(stdout.contains(flag), "{flag} missing from --help");
    }
    assert!(
        stdout.contains("0, the default, means no limit"),
        "the request timeout's default is stated: {stdout}"
    );
    let (code, stdout, _) = run_to_exit(&["--version"], &[]);
    assert_eq!(code, Some(0));
    assert_eq!(
        stdout.trim(),
        format!("mcp-bridge {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn verbose_and_quiet_conflict() {
    let (code, _, stderr) = run_to_exit(&["https://example.com/mcp", "-v", "-q"], &[]);
    assert_eq!(code, Some(2), "{stderr}");
}

#[test]
fn timeouts_and_pings_are_checked() {
    let url = "http://127.0.0.1:9/mcp";
    for (args, expect) in [
        (
            &["--request-timeout", "soon"][..],
            "not a number of seconds",
        ),
        (&["--ping-interval", "1e9"][..], "not a number of seconds"),
        (
            &["--headers-timeout", "never"][..],
            "not a number of seconds",
        ),
        (&["--silent", "-v"][..], "cannot be used with"),
        (&["--no-proxy", "--enable-proxy"][..], "cannot be used with"),
    ] {
        let mut all = vec![url];
        all.extend_from_slice(args);
        let (code, stdout, stderr) = run_to_exit(&all, &[]);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stdout.is_empty());
        assert!(stderr.contains(expect), "{args:?}: {stderr}");
    }
}
