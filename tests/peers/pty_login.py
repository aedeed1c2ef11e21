"""Play a person at an SSH terminal for `mcp-bridge login URL --no-browser`:
run it on a pseudo-terminal, open the authorization URL it prints as a
browser on another machine would (following nothing: that browser cannot
reach the bridge's loopback), and paste the address the authorization
server redirected to into the terminal.

Usage: python pty_login.py BRIDGE URL   (MCP_BRIDGE_DATA_DIR in the environment)
Prints everything the bridge wrote, then "exit N".
"""

import os
import pty
import re
import select
import sys
import time
import urllib.error
import urllib.request


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def main():
    bridge, url = sys.argv[1], sys.argv[2]
    pid, fd = pty.fork()
    if pid == 0:
        env = {k: v for k, v in os.environ.items() if k not in ("BROWSER", "DISPLAY", "WAYLAND_DISPLAY")}
        os.execve(bridge, [bridge, "login", url, "--no-browser"], env)
    out = b""
    pasted = False
    deadline = time.time() + float(os.environ.get("PTY_LOGIN_LIMIT", "30"))
    while time.time() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
        text = out.decode("utf-8", "replace")
        found = re.search(r"visit: (\S+)", text)
        if found and not pasted and "paste here" in text:
            opener = urllib.request.build_opener(NoRedirect)
            try:
                opener.open(found.group(1), timeout=10)
                location = None
            except urllib.error.HTTPError as e:
                location = e.headers.get("Location")
            os.write(fd, (location or "nothing").encode() + b"\n")
            pasted = True
    done, status = os.waitpid(pid, os.WNOHANG)
    if done == 0:
        # Bounded: a bridge still waiting is stopped.
        os.kill(pid, 15)
        _, status = os.waitpid(pid, 0)
    sys.stdout.write(out.decode("utf-8", "replace"))
    print(f"\nexit {os.waitstatus_to_exitcode(status)}")


if __name__ == "__main__":
    main()
