#!/usr/bin/env node
// The npm launcher of mcp-bridge: `npx -y mcp-bridge URL`. It finds the
// native binary that npm installed for this platform (one optional
// dependency per platform, picked by their os/cpu/libc fields) and becomes
// it: with process.execve where Node has it (22.15 and later, not on
// Windows), so no Node process stays behind; otherwise it runs the binary
// with the same stdio, passes SIGINT, SIGTERM and SIGHUP on, and ends as the
// binary ended (its exit code, or the same signal). No dependencies, no
// install script: pnpm and bun block those.
'use strict';

const fs = require('fs');
const path = require('path');

// Replaced with Cargo.toml's repository by scripts/npm-pack.sh.
const REPO = 'https://github.com/mcp-bridge/mcp-bridge';
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * The C library this Node runs on, which is the one npm chose the platform
 * package by: musl when Node's own process has musl's loader mapped. A
 * musl loader merely installed on a glibc system (Debian's musl package)
 * does not count. Without /proc, Node's report says whether it runs on
 * glibc.
 */
function libc() {
  try {
    return /\/ld-musl-/.test(fs.readFileSync('/proc/self/maps', 'utf8')) ? 'musl' : 'glibc';
  } catch (_) {
    const header = process.report && process.report.getReport().header;
    return header && header.glibcVersionRuntime ? 'glibc' : 'musl';
  }
}

/** The platform packages that may hold this platform's binary, best first. */
function candidates() {
  const base = `${process.platform}-${process.arch}`;
  if (process.platform !== 'linux') return [base];
  // A static musl binary runs on glibc systems too: the other one second.
  return libc() === 'musl' ? [`${base}-musl`] : [`${base}-glibc`, `${base}-musl`];
}

function binary() {
  const given = process.env.MCP_BRIDGE_BINARY;
  if (given) return given;
  const exe = process.platform === 'win32' ? 'mcp-bridge.exe' : 'mcp-bridge';
  const tried = candidates();
  for (const name of tried) {
    let dir;
    try {
      dir = path.dirname(require.resolve(`@mcp-bridge/${name}/package.json`));
    } catch (_) {
      continue;
    }
    return path.join(dir, 'bin', exe);
  }
  process.stderr.write(
    `mcp-bridge: no prebuilt binary for ${tried[0]} is installed (the optional package ` +
      `@mcp-bridge/${tried[0]} is missing: npm skips it with --omit=optional or --no-optional, ` +
      `and there is none for an unsupported platform); reinstall without that flag, or install ` +
      `with \`cargo install mcp-bridge --locked\`, \`cargo binstall mcp-bridge\` or a download ` +
      `from ${REPO}/releases, and set MCP_BRIDGE_BINARY to the binary's path\n`,
  );
  process.exit(1);
}

function run(bin, args) {
  if (typeof process.execve === 'function' && process.platform !== 'win32') {
    try {
      process.execve(bin, [bin, ...args], process.env);
    } catch (_) {
      // Not replaced (an old kernel, a sandbox): run it as a child below.
    }
  }
  const { spawn } = require('child_process');
  // The handlers go in before the spawn: a signal that came between the
  // two would have ended this process by default and left the binary
  // running. A handler runs on the event loop, after `child` is set.
  let child = null;
  const forward = (signal) => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  for (const signal of FORWARDED) process.on(signal, forward);
  child = spawn(bin, args, { stdio: 'inherit', windowsHide: true });
  child.on('error', (e) => {
    process.stderr.write(`mcp-bridge: cannot run ${bin}: ${e.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    if (signal) {
      // End the way the binary ended: the same signal, default action.
      for (const s of FORWARDED) process.removeAllListeners(s);
      process.kill(process.pid, signal);
      // A signal that does not end a process by default: still not zero.
      setTimeout(() => process.exit(1), 100);
      return;
    }
    process.exit(code === null ? 1 : code);
  });
}

run(binary(), process.argv.slice(2));
