// A browser stand-in that runs wherever Node does, Windows included. It
// appends the URL it was handed to the file BROWSER_LOG names; the test then
// plays the person. With --follow it also follows the authorization
// server's redirects to the bridge's loopback callback, as the browser of a
// person already signed in would.
// Usage (as BROWSER): node record-browser.mjs [--follow] URL
import { appendFileSync } from "node:fs";

const args = process.argv.slice(2);
const follow = args[0] === "--follow";
const url = args[args.length - 1];
appendFileSync(process.env.BROWSER_LOG, url + "\n");
if (follow) {
  const res = await fetch(url, { redirect: "follow" });
  await res.text();
}
