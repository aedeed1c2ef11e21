// A browser stand-in that runs wherever Node does, Windows included: it
// appends the URL it was handed to the file named by its first argument,
// then follows the authorization server's redirects to the bridge's
// loopback callback, as the browser of a person already signed in would.
// Usage (as BROWSER): node follow-browser.mjs LOG %s
import { appendFileSync } from "node:fs";

const [log, url] = process.argv.slice(2);
appendFileSync(log, url + "\n");
const res = await fetch(url, { redirect: "follow" });
await res.text();
