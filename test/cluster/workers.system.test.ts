/**
 * `serve --workers 2` as real processes: one port served by two workers, metrics and stats that
 * count every request, a killed worker replaced, hot swaps under load that every worker makes at the
 * same instant, rate limits and failed-authentication budgets that hold across workers, and SIGTERM
 * draining everything.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { Agent, request } from "node:http";
import { createServer } from "node:net";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { addVersion, tempDir } from "../lifecycle-helpers.ts";
import { callOk, decodeRaw, oipClient, rawFp32 } from "../protocols/oip.ts";
import { type ServerProcess, startServer } from "../server-process.ts";

interface Answer {
  readonly status: number;
  readonly body: string;
  readonly headers: Record<string, string | string[] | undefined>;
}

/** One HTTP call; `agent: false` opens a new connection, so the cluster may hand it to any worker. */
function call(
  url: string,
  path: string,
  options: {
    method?: string;
    body?: unknown;
    headers?: Record<string, string>;
    agent?: Agent | false;
    timeoutMs?: number;
  } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const data = options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = request(
      `${url}${path}`,
      {
        method: options.method ?? (data ? "POST" : "GET"),
        agent: options.agent ?? false,
        headers: { ...(data ? { "content-type": "application/json" } : {}), ...options.headers },
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => {
          body += d;
        });
        res.on("end", () => resolve({ status: res.statusCode!, body, headers: res.headers }));
      },
    );
    req.on("error", reject);
    const ms = options.timeoutMs ?? 10_000;
    req.setTimeout(ms, () => req.destroy(new Error(`no answer to ${path} in ${ms} ms`)));
    req.end(data);
  });
}

/** The worker processes (children) of a primary. */
function childrenOf(pid: number): number[] {
  const out = execFileSync("ps", ["-o", "pid=", "--ppid", String(pid)], { encoding: "utf8" });
  return out
    .split("\n")
    .map((s) => Number(s.trim()))
    .filter((n) => n > 0);
}

const until = async (
  what: string,
  ok: () => Promise<boolean> | boolean,
  ms = 20_000,
  lastSeen: () => string = () => "",
) => {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} ${lastSeen()}`.trim());
    await new Promise((r) => setTimeout(r, 50));
  }
};

const sample = (text: string, series: string): number | undefined => {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

const servers: ServerProcess[] = [];
after(() => {
  for (const s of servers) s.child.kill("SIGKILL");
});

describe("serve --workers 2", { timeout: 120_000 }, () => {
  it("serves one port from two workers; /metrics and /stats count every request", async () => {
    const repo = tempDir("workers-basic");
    addVersion(repo, "lin", "1", 3);
    const s = await startServer(["--repository", repo, "--workers", "2", "--log-level", "warn"]);
    servers.push(s);
    assert.match(s.stderr(), /listening on http:\/\/\S+ \(2 workers\)/);
    // One banner for the whole cluster, not one per worker.
    assert.equal(s.stderr().match(/listening on/g)?.length, 1);
    assert.equal(childrenOf(s.pid).length, 2);
    for (let i = 0; i < 40; i++) {
      const r = await call(s.url, "/models/lin/predict", { body: { x: i } });
      assert.equal(r.status, 200);
      assert.deepEqual(JSON.parse(r.body), { model: "lin", version: "1", prediction: 3 * i });
    }
    const metrics = (await call(s.url, "/metrics")).body;
    assert.equal(
      sample(
        metrics,
        'modelserve_http_requests_total{model="lin",version="1",route="/models/:name/predict",status="200"}',
      ),
      40,
    );
    // Both workers answered: each reports its own memory under its index.
    assert.ok(sample(metrics, 'modelserve_process_resident_memory_bytes{worker="1"}')! > 0);
    assert.ok(sample(metrics, 'modelserve_process_resident_memory_bytes{worker="2"}')! > 0);
    assert.equal(sample(metrics, "modelserve_workers"), 2);
    const stats = JSON.parse((await call(s.url, "/stats")).body);
    assert.equal(stats.models[0].requests, 40);
    assert.equal(stats.models[0].latencyMs.window, 40);
    assert.deepEqual(stats.workers, { running: 2, restarts: 0 });

    // A worker killed outright is replaced; once the primary saw it die, requests keep being answered
    // by the other worker while the replacement loads.
    const [victim] = childrenOf(s.pid);
    process.kill(victim!, "SIGKILL");
    // Connections the kernel had queued for the dying worker are reset (never left hanging): the
    // probe retries through them.
    // A probe that lands on a connection the dying worker held gives up after 2 s and tries again;
    // what the last probe saw goes into the failure message.
    let seen = "";
    const alive = () => {
      try {
        return childrenOf(s.pid).join(", ");
      } catch {
        return "none"; // ps exits 1 when the primary has no child
      }
    };
    await until(
      "the primary to see the death",
      async () => {
        const r = await call(s.url, "/stats", { timeoutMs: 2_000 }).catch((err: Error) => {
          seen = `(last probe: ${err.message})`;
          return undefined;
        });
        if (r === undefined) return false;
        seen = `(last probe: ${r.status} ${r.body.slice(0, 300)})`;
        return r.status === 200 && JSON.parse(r.body).workers?.restarts === 1;
      },
      30_000,
      // Should it ever time out: what the server logged and which workers were alive say why.
      () => `${seen}; workers alive: ${alive()}; server log: ${s.stderr().slice(-2000)}`,
    );
    for (let i = 0; i < 10; i++)
      assert.equal((await call(s.url, "/models/lin/predict", { body: { x: 1 } })).status, 200);
    await until("the replacement", async () => {
      const m = (await call(s.url, "/metrics")).body;
      return sample(m, "modelserve_workers") === 2 && sample(m, "modelserve_worker_restarts_total") === 1;
    });
    assert.equal(childrenOf(s.pid).length, 2);

    // SIGTERM drains every worker, then the primary exits 0.
    const workers = childrenOf(s.pid);
    s.child.kill("SIGTERM");
    assert.equal(await s.exited, 0);
    for (const pid of workers) assert.throws(() => process.kill(pid, 0), /ESRCH/);
  });

  it("switches every worker at once on hot swaps under load: no failure, no answer from a version left", async () => {
    const repo = tempDir("workers-swap");
    addVersion(repo, "lin", "1", 1);
    addVersion(repo, "lin", "2", 2);
    const s = await startServer([
      "--repository",
      repo,
      "--workers",
      "2",
      "--admin",
      "--log-level",
      "warn",
      "--watch",
      "--watch-interval",
      "100",
    ]);
    servers.push(s);
    const put = (version: string) =>
      call(s.url, "/admin/models/lin/default", { method: "PUT", body: { version } });
    assert.equal((await put("1")).status, 200);

    interface Record_ {
      sent: number;
      received: number;
      version: string;
      status: number;
    }
    const records: Record_[] = [];
    let running = true;
    // Eight keep-alive connections, spread over both workers by the cluster.
    const loops = Array.from({ length: 8 }, async () => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      while (running) {
        const sent = performance.now();
        const r = await call(s.url, "/models/lin/predict", { body: { x: 1 }, agent });
        const received = performance.now();
        records.push({
          sent,
          received,
          status: r.status,
          version: r.status === 200 ? JSON.parse(r.body).version : "",
        });
      }
      agent.destroy();
    });
    // Each switch: when the admin call was sent and when it returned, and the version it set.
    const switches: { sent: number; returned: number; to: string }[] = [];
    await new Promise((r) => setTimeout(r, 200));
    for (let k = 0; k < 12; k++) {
      const to = k % 2 === 0 ? "2" : "1";
      const sent = performance.now();
      const r = await put(to);
      assert.equal(r.status, 200, r.body);
      assert.equal(JSON.parse(r.body).defaultVersion, to);
      switches.push({ sent, returned: performance.now(), to });
      await new Promise((res) => setTimeout(res, 150));
    }
    // A new version appearing in the watched repository is promoted on both workers together.
    const before = performance.now();
    assert.equal(
      (await call(s.url, "/admin/models/lin/default", { method: "PUT", body: { version: null } })).status,
      200,
    );
    addVersion(repo, "lin", "3", 3);
    await until("version 3 to be served", () => records.some((r) => r.version === "3" && r.sent > before));
    await new Promise((res) => setTimeout(res, 300));
    running = false;
    await Promise.all(loops);

    assert.ok(records.length > 200, `only ${records.length} requests ran`);
    assert.deepEqual(
      records.filter((r) => r.status !== 200),
      [],
      "every request under the swaps succeeded",
    );
    for (let k = 0; k < switches.length; k++) {
      const sw = switches[k]!;
      const nextSent = switches[k + 1]?.sent ?? before;
      const window = records.filter((r) => r.sent > sw.sent && r.sent < nextSent);
      // Once any worker answered with the new version, no request sent later got the old one.
      const firstNew = window.find((r) => r.version === sw.to);
      assert.ok(firstNew, `switch ${k} to ${sw.to} was seen`);
      const stale = window.filter((r) => r.sent > firstNew.received && r.version !== sw.to);
      assert.deepEqual(stale, [], `switch ${k}: answers from a version already left`);
      // And once the admin call returned, every worker had switched.
      assert.deepEqual(
        window.filter((r) => r.sent > sw.returned && r.version !== sw.to),
        [],
        `switch ${k}: old answers after the change returned`,
      );
    }
    const promoted = records.filter((r) => r.sent > before);
    const first3 = promoted.find((r) => r.version === "3")!;
    assert.deepEqual(
      promoted.filter((r) => r.sent > first3.received && r.version !== "3"),
      [],
      "after the first answer from the new version, only the new version",
    );
    s.child.kill("SIGTERM");
    assert.equal(await s.exited, 0);
  });

  it("holds a rate limit and the failed-authentication budget across workers", async () => {
    const repo = tempDir("workers-limits");
    addVersion(repo, "lin", "1", 1);
    const s = await startServer(
      ["--repository", repo, "--workers", "2", "--rate-limit", "10", "--log-level", "warn"],
      { env: { MODELSERVE_API_KEYS: "good:k-0123456789abcdef,burst:k-burst-0123456789ab" } },
    );
    servers.push(s);
    const statuses: number[] = [];
    for (let i = 0; i < 24; i++) {
      const r = await call(s.url, "/models/lin/predict", {
        body: { x: 1 },
        headers: { "x-api-key": "k-0123456789abcdef" },
      });
      statuses.push(r.status);
    }
    // New connections alternate between the workers; a per-worker limit would let 20 through.

    assert.equal(statuses.filter((c) => c === 200).length, 10);
    assert.equal(statuses.filter((c) => c === 429).length, 14);
    const bad: number[] = [];
    for (let i = 0; i < 14; i++) {
      const r = await call(s.url, "/models/lin/predict", {
        body: { x: 1 },
        headers: { "x-api-key": "wrong" },
      });
      bad.push(r.status);
    }
    assert.deepEqual(bad, [...Array(10).fill(401), ...Array(4).fill(429)]);
    // A burst on keep-alive connections: a worker sends the hits of one turn of its loop together;
    // each is still counted once, in order (the ten answered saw ten distinct counts).
    const agents = [new Agent({ keepAlive: true }), new Agent({ keepAlive: true })];
    const burst = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        call(s.url, "/models/lin/predict", {
          body: { x: 1 },
          headers: { "x-api-key": "k-burst-0123456789ab" },
          agent: agents[i % 2],
        }),
      ),
    );
    for (const a of agents) a.destroy();
    const answered = burst.filter((r) => r.status === 200);
    assert.equal(answered.length, 10);
    assert.equal(burst.filter((r) => r.status === 429).length, 20);
    assert.deepEqual(
      answered.map((r) => Number(r.headers["ratelimit-remaining"])).sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
    s.child.kill("SIGTERM");
    assert.equal(await s.exited, 0);
  });

  it("answers the Open Inference Protocol over gRPC from the workers", async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const p = (probe.address() as { port: number }).port;
        probe.close(() => resolve(p));
      });
    });
    const model = fileURLToPath(new URL("../../examples/iris/models/random_forest.joblib", import.meta.url));
    const s = await startServer([
      `iris=${model}`,
      "--workers",
      "2",
      "--grpc-port",
      String(port),
      "--log-level",
      "warn",
    ]);
    servers.push(s);
    const clients = Array.from({ length: 6 }, () => oipClient(port));
    try {
      for (const client of clients) {
        assert.deepEqual(await callOk(client, "ServerReady", {}), { ready: true });
        const res = await callOk<{ raw_output_contents: Buffer[] }>(client, "ModelInfer", {
          model_name: "iris",
          inputs: [{ name: "input-0", datatype: "FP32", shape: [1, 4] }],
          raw_input_contents: [rawFp32([6.7, 3.0, 5.2, 2.3])],
        });
        assert.deepEqual(decodeRaw("BYTES", res.raw_output_contents[0]!), ["virginica"]);
      }
    } finally {
      for (const c of clients) c.close();
    }
    s.child.kill("SIGTERM");
    assert.equal(await s.exited, 0);
  });
});
