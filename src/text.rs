//! Text for people: server-supplied words made safe for messages and
//! terminals, the gist of an error body, the one printer that turns an
//! error and its causes into a line, and the one table renderer the
//! subcommands print with.

/// How much of the server's own words goes into an error message.
const DETAIL_CHARS: usize = 300;

/// How many causes under an error [`Chain`] prints: a chain is a few
/// levels deep; a longer one is a bug, or a hostile `source()`.
const MAX_CAUSES: usize = 16;

/// An error and every cause under it, as one line: `a: b: c`.
///
/// Every error of the crate shows its own sentence in `Display` and keeps
/// what caused it as `source()`, never both, so this printer is how an
/// error becomes text wherever a person reads it: the exit line, a log
/// line, the message of a JSON-RPC error. A cause with no words adds none.
pub struct Chain<'a, E: ?Sized>(pub &'a E);

impl<E: std::error::Error + ?Sized> std::fmt::Display for Chain<'_, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The walk is one function, not one per error type.
        causes(f, format_args!("{}", self.0), self.0.source())
    }
}

/// `first`, then each cause from `next` on.
fn causes(
    f: &mut std::fmt::Formatter<'_>,
    first: std::fmt::Arguments<'_>,
    mut next: Option<&(dyn std::error::Error + 'static)>,
) -> std::fmt::Result {
    f.write_fmt(first)?;
    for _ in 0..MAX_CAUSES {
        let Some(e) = next else { break };
        let words = e.to_string();
        if !words.is_empty() {
            write!(f, ": {words}")?;
        }
        next = e.source();
    }
    Ok(())
}

/// Control characters out, at most `max` characters: server-supplied text
/// that goes into messages and pages.
pub fn clean(v: &str, max: usize) -> String {
    v.chars().filter(|c| !c.is_control()).take(max).collect()
}

/// Text from the network as a log line or message may show it: control
/// characters (CR, LF, NUL, escapes) written as escapes, so that a hostile
/// server can neither forge log lines nor drive a terminal, and at most
/// `max` characters (then `…`).
pub fn escaped(s: &str, max: usize) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i == max {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    out
}

/// A name from the network (a method, a tool), as a log line shows it.
pub fn for_log(s: &str) -> String {
    escaped(s, 100)
}

/// A short, readable summary of a body: an HTML page's title (or its text),
/// else the first characters, whitespace folded and every other control
/// character escaped.
pub fn gist(body: &[u8], content_type: &str) -> String {
    let text = String::from_utf8_lossy(body);
    let lower = text.to_ascii_lowercase();
    let looks_html = content_type.contains("html") || lower.trim_start().starts_with('<');
    let picked: String = if looks_html {
        match (lower.find("<title>"), lower.find("</title>")) {
            (Some(a), Some(b)) if b > a + 7 => text[a + 7..b].to_owned(),
            _ => strip_tags(&text),
        }
    } else {
        text.into_owned()
    };
    let folded = picked.split_whitespace().collect::<Vec<_>>().join(" ");
    escaped(&folded, DETAIL_CHARS)
}

fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len().min(4096));
    let mut in_tag = false;
    for c in html.chars().take(16 * 1024) {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// Columns padded to their widest cell, each row after `indent` and cells
/// `gap` apart; the last column is not padded and trailing spaces go.
pub fn table(indent: &str, gap: &str, header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let n = cells.len();
        let mut s = String::from(indent);
        for (i, c) in cells.into_iter().enumerate() {
            if i > 0 {
                s.push_str(gap);
            }
            if i + 1 == n {
                s.push_str(c);
            } else {
                s.push_str(&format!("{c:<w$}", w = widths[i]));
            }
        }
        s.trim_end().to_owned() + "\n"
    };
    let mut out = line(header.to_vec());
    for r in rows {
        out.push_str(&line(r.iter().map(String::as_str).collect()));
    }
    out
}

/// `secs` (and `millis`) since 1970 as RFC 3339 UTC,
/// `2026-12-06T21:03:04.123Z`, by the days-to-civil algorithm of the
/// proleptic Gregorian calendar.
pub fn utc_millis(secs: u64, millis: u32) -> String {
    let days = (secs / 86_400) as i64;
    let (h, m, s) = ((secs % 86_400) / 3600, (secs % 3600) / 60, secs % 60);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let mo = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(mo <= 2);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{m:02}:{s:02}.{millis:03}Z")
}

/// `secs` since 1970 as RFC 3339 UTC, to the second.
pub fn utc(secs: u64) -> String {
    let mut t = utc_millis(secs, 0);
    t.replace_range(19.., "Z");
    t
}

/// Now, as RFC 3339 UTC with milliseconds.
pub fn now_utc() -> String {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    utc_millis(d.as_secs(), d.subsec_millis())
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_are_rfc_3339_utc() {
        assert_eq!(super::utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(
            super::utc_millis(1_796_515_200 + 3_661, 7),
            "2026-12-06T01:01:01.007Z"
        );
    }

    use super::*;

    /// An error caused by the one under it, `depth` levels deep.
    #[derive(Debug)]
    struct Level(usize);

    impl std::fmt::Display for Level {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "level {}", self.0)
        }
    }

    impl std::error::Error for Level {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            // Leaked so that each level can lend the next: a test only.
            (self.0 > 0).then(|| &*Box::leak(Box::new(Level(self.0 - 1))) as _)
        }
    }

    #[test]
    fn a_chain_prints_every_cause_once_and_stops() {
        assert_eq!(Chain(&Level(2)).to_string(), "level 2: level 1: level 0");
        let io = std::io::Error::other("");
        assert_eq!(Chain(&io).to_string(), "");
        // A chain without end is cut.
        let deep = Chain(&Level(1000)).to_string();
        assert_eq!(deep.matches("level").count(), MAX_CAUSES + 1, "{deep}");
    }

    #[test]
    fn gist_prefers_an_html_title() {
        let page =
            b"<html><head><title>502 Bad Gateway</title></head><body><h1>x</h1></body></html>";
        assert_eq!(gist(page, "text/html"), "502 Bad Gateway");
        assert_eq!(gist(b"<p>oops <b>down</b></p>", ""), "oops down");
        let long = "a ".repeat(1000);
        assert!(gist(long.as_bytes(), "text/plain").chars().count() <= DETAIL_CHARS + 1);
    }

    #[test]
    fn tables_line_up() {
        let rows = [
            vec!["echo".into(), "Echoes".into()],
            vec!["get-sum".into(), "".into()],
        ];
        let t = table("  ", " ", &["NAME", "DESCRIPTION"], &rows);
        assert_eq!(t, "  NAME    DESCRIPTION\n  echo    Echoes\n  get-sum\n");
        let t = table("", "  ", &["A", "B"], &[vec!["xyz".into(), "1".into()]]);
        assert_eq!(t, "A    B\nxyz  1\n");
    }

    #[test]
    fn excerpts_escape_every_control_character() {
        let body = b"oops\0 \x1b[31mred\x07 \x7f end";
        let g = gist(body, "text/plain");
        assert!(!g.chars().any(char::is_control), "{g:?}");
        assert_eq!(g, "oops\\0 \\u{1b}[31mred\\u{7} \\u{7f} end");
        assert_eq!(for_log(&"a".repeat(300)).chars().count(), 101);
        assert_eq!(for_log("a\r\nb"), "a\\r\\nb");
    }

    #[test]
    fn control_characters_are_removed() {
        assert_eq!(clean("a\u{1b}[31mb\n", 10), "a[31mb");
        assert_eq!(clean("abcdef", 3), "abc");
    }
}
