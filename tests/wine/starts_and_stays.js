// A stdio "server" for serve's Windows test: it starts a process of its
// own, detached (outside Node's own job), and stays; the test looks for
// that process after the session, and serve, end.
const { spawn } = require("node:child_process");
const marker = process.argv[2];
spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)", marker], {
  detached: true,
  stdio: "ignore",
}).unref();
process.stdin.resume();
