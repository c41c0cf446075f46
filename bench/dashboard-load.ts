/**
 * @module `npm run bench:dashboard`: how heavy the dashboard is and how fast it loads on loopback, next
 * to Swagger UI (`/docs`) from the same server as a yardstick. The server (iris example, four models)
 * runs on one CPU, headless Chromium on another; each round opens a fresh browser context (cold cache)
 * and loads `/ui` then `/docs`, alternating which goes first. Reported: bytes on the wire, time to the
 * `load` event, and for the dashboard the time until the models table is on screen (its data fetched
 * and rendered), as median [min–max] over the rounds.
 */

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { type Browser, chromium } from "playwright-core";

const rounds = Number(process.env.BENCH_ROUNDS ?? 15);
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
}

async function load(browser: Browser, url: string, ready?: string): Promise<Sample> {
  const context = await browser.newContext();
  const page = await context.newPage();
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
    readyMs = await page.evaluate<number>("performance.now()");
  }
  await context.close();
  return { bytes, loadMs, ...(readyMs !== undefined ? { readyMs } : {}) };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (xs: number[]) =>
  `${median(xs).toFixed(1)} ms [${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}]`;

const { url, child } = await startServer();
const browserServer = await chromium.launchServer({
  executablePath: chromiumPath,
  headless: true,
  timeout: 30_000,
});
const browser = await chromium.connect(browserServer.wsEndpoint());
try {
  const ui: Sample[] = [];
  const docs: Sample[] = [];
  // One unmeasured round warms the server's asset caches and Chromium's process pool.
  await load(browser, `${url}/ui`, "section.model");
  await load(browser, `${url}/docs`);
  if (canPin) pinTree(browserServer.process().pid!, 0);
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      ui.push(await load(browser, `${url}/ui`, "section.model"));
      docs.push(await load(browser, `${url}/docs`));
    } else {
      docs.push(await load(browser, `${url}/docs`));
      ui.push(await load(browser, `${url}/ui`, "section.model"));
    }
  }
  const kb = (s: Sample[]) => (median(s.map((x) => x.bytes)) / 1024).toFixed(1);
  process.stdout.write(
    `dashboard load on loopback, ${rounds} rounds, cold cache each${canPin ? ", server and browser on separate CPUs" : ""}\n` +
      `  /ui    ${kb(ui)} kB on the wire (gzip)  load event ${fmt(ui.map((s) => s.loadMs))}  models table on screen ${fmt(ui.map((s) => s.readyMs!))}\n` +
      `  /docs  ${kb(docs)} kB on the wire        load event ${fmt(docs.map((s) => s.loadMs))}\n`,
  );
} finally {
  await browser.close();
  await browserServer.close();
  child.kill("SIGTERM");
}
