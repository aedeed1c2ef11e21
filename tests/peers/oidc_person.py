"""A person at the browser for oidc-provider's own login and consent pages
(its development interactions, on by default): the BROWSER mcp-bridge
starts with the authorization URL. It records the URL (one line per tab in
$BROWSER_LOG), loads it with a cookie jar as a browser would, signs in as
any user, approves the consent page, and follows the redirects back to the
bridge's loopback callback. Only the standard library is used.

Usage: python oidc_person.py URL
"""

import html
import http.cookiejar
import os
import re
import sys
import urllib.parse
import urllib.request


def form_of(page: str):
    """The action and fields of the page's one form, if it has one."""
    m = re.search(r'<form[^>]*action="([^"]+)"[^>]*>(.*?)</form>', page, re.S)
    if not m:
        return None
    fields = dict(
        re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', m.group(2))
    )
    return html.unescape(m.group(1)), fields


def main():
    url = sys.argv[1]
    with open(os.environ["BROWSER_LOG"], "a") as log:
        log.write(url + "\n")
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    resp = opener.open(url, timeout=20)
    for _ in range(6):
        page = resp.read().decode("utf-8", "replace")
        where = resp.geturl()
        form = form_of(page)
        # Back at the bridge (its page says how the sign-in went), or at a
        # page with nothing to fill in: done.
        if form is None or urllib.parse.urlsplit(where).port != urllib.parse.urlsplit(url).port:
            return
        action, fields = form
        if fields.get("prompt") == "login":
            fields.update(login="alice", password="any")
        data = urllib.parse.urlencode(fields).encode()
        resp = opener.open(urllib.parse.urljoin(where, action), data=data, timeout=20)


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # the callback page may answer an error status
        print(f"oidc_person: {e}", file=sys.stderr)
