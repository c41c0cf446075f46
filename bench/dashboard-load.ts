/**
 * @module `npm run bench:dashboard`: how heavy the dashboard is and how fast it loads on loopback, next
 * to Swagger UI (`/docs`) from the same server as a yardstick. The server (iris example, four models)
 * runs on one CPU, headless Chromium on another; each round opens a fresh browser context (cold cache)
 * per page and loads `/ui`, `/docs` and a bare page, rotating which goes first. The bare page (one
 * paragraph, sent by this process with the dashboard's own security headers) is the floor: what the
 * browser spends on any page with those headers (a `Cross-Origin-Opener-Policy` page from a fresh tab
 * costs a new renderer process). Reported: bytes on the wire, time to the `load` event (navigation
 * `loadEventEnd - startTime`), and for the dashboard the time until the models table is in the
 * document (its data fetched and rendered, timed inside the page by a mutation observer, so the
 * automation's round trips are not counted), as median [min–max] over the rounds.
 * `BENCH_DETAIL=1` adds the dashboard's milestones (response end, first subresource request, DOM
 * interactive, `DOMContentLoaded`, `load`, the `/models` request) to see where the time goes.
 */

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { type Browser, chromium } from "playwright-core";
import { UI_SECURITY_HEADERS } from "../src/server/routes/ui.ts";

const rounds = Number(process.env.BENCH_ROUNDS ?? 15);
const detail = process.env.BENCH_DETAIL === "1";
const chromiumPath = process.env.MODELSERVE_CHROMIUM ?? "/usr/bin/chromium";
const cpus = availableParallelism();
const canPin =
  process.env.BENCH_NO_PIN !== "1" && cpus > 1 && spawnSync("taskset", ["--version"]).status === 0;
const bin = fileURLToPath(new URL("../bin/modelserve.js", import.meta.url));
const config = fileURLToPath(new URL("../examples/iris/modelserve.json", import.meta.url));

async function startServer(): Promise<{ url: string; child: ChildProcess }> {
  const args = [process.execPath, bin, "serve", "--config", config, "--port", "0", "--log-level", "warn"];
  const [cmd, ...rest] = canPin ? ["taskset", "-c", String(cpus - 1), ...args] : args;
  const child = spawn(cmd, rest, { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`server did not start: ${err}`)), 60_000);
    child.stderr!.on("data", (d: Buffer) => {
      err += d;
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) {
        clearTimeout(t);
        resolve(m[1]);
      }
    });
    child.on("exit", (code) => reject(new Error(`server exited ${code}: ${err}`)));
  });
  return { url, child };
}

/**
 * Moves a process tree (Chromium: browser, zygotes, GPU and renderer processes) onto one CPU; renderers
 * forked later from the zygotes inherit it.
 */
function pinTree(root: number, cpu: number): void {
  const ps = spawnSync("ps", ["-e", "-o", "pid=,ppid="], { encoding: "utf8" }).stdout;
  const children = new Map<number, number[]>();
  for (const line of ps.trim().split("\n")) {
    const [pid, ppid] = line.trim().split(/\s+/).map(Number);
    children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const todo = [root];
  while (todo.length > 0) {
    const pid = todo.pop()!;
    spawnSync("taskset", ["-a", "-cp", String(cpu), String(pid)], { stdio: "ignore" });
    todo.push(...(children.get(pid) ?? []));
  }
}

interface Sample {
  readonly bytes: number;
  readonly loadMs: number;
  readonly readyMs?: number;
  /** Milestones of the navigation, ms from its start (`BENCH_DETAIL=1`). */
  readonly marks?: Readonly<Record<string, number>>;
}

/** Runs in the page before its own scripts: notes when the first model's table enters the document. */
const READY_PROBE = `new MutationObserver((_, o) => {
  if (document.querySelector("section.model")) { window.__ready = performance.now(); o.disconnect(); }
}).observe(document, { childList: true, subtree: true });`;

const MARKS = `(() => {
  const n = performance.getEntriesByType("navigation")[0];
  const res = performance.getEntriesByType("resource");
  const sub = res.filter((r) => r.initiatorType !== "fetch").map((r) => r.startTime);
  const models = res.find((r) => new URL(r.name).pathname.endsWith("/models"));
  const m = { responseEnd: n.responseEnd, domInteractive: n.domInteractive, domContentLoaded: n.domContentLoadedEventEnd, load: n.loadEventEnd };
  if (sub.length > 0) m.firstSubresource = Math.min(...sub);
  if (models) { m.modelsRequest = models.startTime; m.modelsResponse = models.responseEnd; }
  return m;
})()`;

async function load(browser: Browser, url: string, ready?: string): Promise<Sample> {
  const context = await browser.newContext();
  const page = await context.newPage();
  if (ready) await page.addInitScript(READY_PROBE.replace("section.model", ready));
  let bytes = 0;
  page.on("response", async (r) => {
    const len = Number(r.headers()["content-length"] ?? 0);
    bytes += len;
  });
  await page.goto(url, { waitUntil: "load", timeout: 120_000 });
  const loadMs = await page.evaluate<number>(
    "(() => { const n = performance.getEntriesByType('navigation')[0]; return n.loadEventEnd - n.startTime; })()",
  );
  let readyMs: number | undefined;
  if (ready) {
    await page.waitForSelector(ready, { timeout: 120_000 });
    readyMs = await page.evaluate<number>("window.__ready");
  }
  const marks = detail && ready ? await page.evaluate<Record<string, number>>(MARKS) : undefined;
  await context.close();
  return { bytes, loadMs, ...(readyMs !== undefined ? { readyMs } : {}), ...(marks ? { marks } : {}) };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (xs: number[]) =>
  `${median(xs).toFixed(1)} ms [${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}]`;

const { url, child } = await startServer();
// The floor: a bare page with the dashboard's headers, from this process (idle while the browser loads).
const bare = createServer((_req, res) => {
  res.writeHead(200, { "content-type": "text/html; charset=utf-8", ...UI_SECURITY_HEADERS });
  res.end(
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>bare</title></head><body><p>bare page</p></body></html>',
  );
});
await new Promise<void>((resolve) => bare.listen(0, "127.0.0.1", resolve));
const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/`;
const browserServer = await chromium.launchServer({
  executablePath: chromiumPath,
  headless: true,
  timeout: 30_000,
});
const browser = await chromium.connect(browserServer.wsEndpoint());
try {
  const ui: Sample[] = [];
  const docs: Sample[] = [];
  const floor: Sample[] = [];
  const pages = [
    () => load(browser, `${url}/ui`, "section.model").then((s) => ui.push(s)),
    () => load(browser, `${url}/docs`).then((s) => docs.push(s)),
    () => load(browser, bareUrl).then((s) => floor.push(s)),
  ];
  // One unmeasured round warms the server's asset caches and Chromium's process pool.
  await load(browser, `${url}/ui`, "section.model");
  await load(browser, `${url}/docs`);
  await load(browser, bareUrl);
  if (canPin) pinTree(browserServer.process().pid!, 0);
  for (let r = 0; r < rounds; r++)
    for (let i = 0; i < pages.length; i++) await pages[(r + i) % pages.length]();
  const kb = (s: Sample[]) => (median(s.map((x) => x.bytes)) / 1024).toFixed(1);
  process.stdout.write(
    `dashboard load on loopback, ${rounds} rounds, cold cache each${canPin ? ", server and browser on separate CPUs" : ""}\n` +
      `  /ui    ${kb(ui)} kB on the wire (gzip)  load event ${fmt(ui.map((s) => s.loadMs))}  models table in the page ${fmt(ui.map((s) => s.readyMs!))}\n` +
      `  /docs  ${kb(docs)} kB on the wire        load event ${fmt(docs.map((s) => s.loadMs))}\n` +
      `  bare page, same headers              load event ${fmt(floor.map((s) => s.loadMs))}\n`,
  );
  if (detail)
    for (const k of Object.keys(ui[0]?.marks ?? {})) {
      const xs = ui.map((s) => s.marks?.[k]).filter((x): x is number => x !== undefined);
      process.stdout.write(`    /ui ${k.padEnd(18)} ${fmt(xs)}\n`);
    }
} finally {
  await browser.close();
  await browserServer.close();
  child.kill("SIGTERM");
  bare.close();
}
