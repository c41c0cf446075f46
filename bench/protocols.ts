/**
 * @module `npm run bench:protocols`: the same iris random forest through each front end, same server
 * process, alternating rounds. 1000-row FP32 batches via native JSON (`/predict/batch`), V2 REST
 * (`[1000, 4]` FP32 tensor) and V2 gRPC (raw contents), in rows/s; then single rows via native
 * `/predict`, V2 REST and V2 gRPC, in requests/s. Server and load generator are pinned to different CPUs (taskset),
 * everything on 127.0.0.1, bounded by BENCH_DURATION (s per round, default 3) × BENCH_ROUNDS (default 5).
 * Load generators: `wrk` for HTTP/1.1 and nghttp2's `h2load` for gRPC (C, installed with apt-get when
 * missing), because a Node client saturates its CPU before this server does on 1000-row gRPC calls
 * (grpc-js client-side framing); `BENCH_LOADGEN=node` drives every mode from Node clients instead
 * (node:http with keep-alive, grpc-js). Each gRPC run is checked against the server's own count of
 * successful calls, since h2load sees only HTTP statuses.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { Agent, request } from "node:http";
import { createServer } from "node:net";
import { cpus as cpuList, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { ensureTool, h2loadGrpc, wrk } from "./lib/loadgen.ts";
import { cpuMs } from "./lib/peers.ts";
import { pinLoadGenerator } from "./lib/pin.ts";

const duration = Number(process.env.BENCH_DURATION ?? 3);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
// All CPUs of the machine (not this process's affinity: the pinned re-run below sees only CPU 0).
const cpus = cpuList().length;
const { server: pin } = pinLoadGenerator(import.meta.url, cpus);

const bin = fileURLToPath(new URL("../bin/modelserve.js", import.meta.url));
const model = fileURLToPath(new URL("../examples/iris/models/random_forest.joblib", import.meta.url));
const proto = fileURLToPath(
  new URL("../vendor/open-inference-protocol/open_inference_grpc.proto", import.meta.url),
);

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

// 1000 rows cycling through a spread of iris flowers, as FP32 values (what every front end receives).
const BASE = [
  [5.1, 3.5, 1.4, 0.2],
  [6.7, 3.0, 5.2, 2.3],
  [5.9, 3.0, 4.2, 1.5],
  [6.3, 2.8, 5.1, 1.5],
  [4.9, 2.5, 4.5, 1.7],
].map((r) => r.map(Math.fround));
const ROWS = Array.from({ length: 1000 }, (_, i) => BASE[i % BASE.length]);
const flat = ROWS.flat();
const bodies = {
  nativeBatch: JSON.stringify({ instances: ROWS }),
  v2Batch: JSON.stringify({ inputs: [{ name: "input-0", shape: [1000, 4], datatype: "FP32", data: flat }] }),
  nativeOne: JSON.stringify({ sepal_length: 6.3, sepal_width: 2.8, petal_length: 5.1, petal_width: 1.5 }),
  v2One: JSON.stringify({
    inputs: [{ name: "input-0", shape: [1, 4], datatype: "FP32", data: [6.3, 2.8, 5.1, 1.5] }],
  }),
};
const rawBatch = Buffer.from(Float32Array.from(flat).buffer);

/** A modelserve process under test, with its ports and its gRPC client. */
interface Server {
  readonly label: string;
  readonly httpPort: number;
  readonly grpcPort: number;
  readonly child: ChildProcess;
  readonly client: grpc.Client;
}

/** Starts `serve` of the iris forest from a checkout's `bin/modelserve.js`, pinned like the others. */
async function startServer(label: string, binPath: string): Promise<Server> {
  const httpPort = await freePort();
  const grpcPort = await freePort();
  const [cmd, ...args] = [
    ...pin,
    process.execPath,
    binPath,
    "serve",
    `iris=${model}`,
    "--port",
    String(httpPort),
    "--grpc-port",
    String(grpcPort),
    "--log-level",
    "warn",
  ];
  const child: ChildProcess = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on("data", (d: Buffer) => {
      err += d;
      if (/listening on http/.test(err)) resolve();
    });
    child.once("exit", (c) => reject(new Error(`server exited ${c}: ${err}`)));
  });
  const client = new grpc.Client(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
  return { label, httpPort, grpcPort, child, client };
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });
function post(srv: Server, path: string, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: srv.httpPort,
        path,
        method: "POST",
        agent,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on("end", () =>
          res.statusCode === 200 ? resolve() : reject(new Error(`${path}: ${res.statusCode}`)),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const def = protoLoader.loadSync(proto, { keepCase: true, longs: Number, defaults: true });
// biome-ignore lint/suspicious/noExplicitAny: the method definitions are dynamic.
const inferDef = (def["inference.GRPCInferenceService"] as any).ModelInfer;
// Like the JSON bodies above, the request is encoded once: the load generator measures the server.
const grpcRequest: Buffer = inferDef.requestSerialize({
  model_name: "iris",
  inputs: [{ name: "input-0", datatype: "FP32", shape: [1000, 4] }],
  raw_input_contents: [rawBatch],
});
// One row (the fourth flower), for single-row calls.
const grpcRequestOne: Buffer = inferDef.requestSerialize({
  model_name: "iris",
  inputs: [{ name: "input-0", datatype: "FP32", shape: [1, 4] }],
  raw_input_contents: [Buffer.from(Float32Array.from(BASE[3]).buffer)],
});
function grpcInfer(srv: Server, request: Buffer = grpcRequest): Promise<void> {
  return new Promise((resolve, reject) =>
    srv.client.makeUnaryRequest(
      "/inference.GRPCInferenceService/ModelInfer",
      (b: Buffer) => b,
      (b: Buffer) => inferDef.responseDeserialize(b) as { raw_output_contents: Buffer[] },
      request,
      (e, res) =>
        e
          ? reject(e)
          : res?.raw_output_contents.length === 2
            ? resolve()
            : reject(new Error("no raw outputs")),
    ),
  );
}

/** CPU time (user + system) of a server process so far, in ms. */
const serverCpuMs = (srv: Server): number => cpuMs(srv.child.pid);

/** Closed loop: `concurrency` callers for `duration` s; returns calls per second and server CPU ms. */
async function measure(
  srv: Server,
  send: () => Promise<void>,
  concurrency: number,
): Promise<{ rate: number; calls: number; cpuMs: number }> {
  let done = 0;
  const cpu0 = serverCpuMs(srv);
  const end = performance.now() + duration * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      await send();
      done++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { rate: done / ((performance.now() - t0) / 1000), calls: done, cpuMs: serverCpuMs(srv) - cpu0 };
}

/** One measured run of a mode: calls per second, calls completed, server CPU ms meanwhile. */
interface Measured {
  rate: number;
  calls: number;
  cpuMs: number;
}

const loadgen = process.env.BENCH_LOADGEN === "node" ? "node" : "c";
if (loadgen === "c") {
  ensureTool("wrk");
  ensureTool("h2load");
}

/** Successful gRPC ModelInfer calls so far, from the server's metrics. */
async function grpcSuccesses(srv: Server): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${srv.httpPort}/metrics`)).text();
  const line = text
    .split("\n")
    .find(
      (l) =>
        l.startsWith("modelserve_http_requests_total{") &&
        l.includes('route="/inference.GRPCInferenceService/ModelInfer"') &&
        l.includes('status="200"'),
    );
  return line ? Number(line.slice(line.lastIndexOf(" ") + 1)) : 0;
}

/** A C load generator run, with the server CPU it cost. */
async function measureC(
  srv: Server,
  run: () => { rps: number; requests: number; errors: number },
  grpcCall: boolean,
) {
  const cpu0 = serverCpuMs(srv);
  const ok0 = grpcCall ? await grpcSuccesses(srv) : 0;
  const r = run();
  const cpuMs = serverCpuMs(srv) - cpu0;
  if (r.errors > 0) throw new Error(`${r.errors} failed requests`);
  if (grpcCall) {
    const ok = (await grpcSuccesses(srv)) - ok0;
    // h2load counts HTTP 200s; the server counts calls that answered grpc-status 0 (a few may still
    // be in flight when h2load stops).
    if (ok < r.requests) throw new Error(`h2load counted ${r.requests} calls, the server answered ${ok}`);
  }
  return { rate: r.rps, calls: r.requests, cpuMs };
}

/** One measured workload. */
interface Mode {
  name: string;
  unit: string;
  rows: number;
  concurrency: number;
  send: (srv: Server) => Promise<void>;
  c: (srv: Server) => Promise<Measured>;
}

const modes: Mode[] = [
  {
    name: "native JSON /predict/batch",
    unit: "rows/s",
    rows: 1000,
    concurrency: 4,
    send: (srv) => post(srv, "/predict/batch", bodies.nativeBatch),
    c: (srv) =>
      measureC(srv, () => wrk(srv.httpPort, "/predict/batch", bodies.nativeBatch, 4, duration), false),
  },
  {
    name: "V2 REST infer [1000,4] FP32",
    unit: "rows/s",
    rows: 1000,
    concurrency: 4,
    send: (srv) => post(srv, "/v2/models/iris/infer", bodies.v2Batch),
    c: (srv) =>
      measureC(srv, () => wrk(srv.httpPort, "/v2/models/iris/infer", bodies.v2Batch, 4, duration), false),
  },
  {
    name: "V2 gRPC infer raw FP32",
    unit: "rows/s",
    rows: 1000,
    concurrency: 4,
    send: grpcInfer,
    c: (srv) =>
      measureC(
        srv,
        () =>
          h2loadGrpc(srv.grpcPort, "/inference.GRPCInferenceService/ModelInfer", grpcRequest, 4, 1, duration),
        true,
      ),
  },
  {
    name: "native /predict (1 row)",
    unit: "req/s",
    rows: 1,
    concurrency: 16,
    send: (srv) => post(srv, "/predict", bodies.nativeOne),
    c: (srv) => measureC(srv, () => wrk(srv.httpPort, "/predict", bodies.nativeOne, 16, duration), false),
  },
  {
    name: "V2 REST infer [1,4] (1 row)",
    unit: "req/s",
    rows: 1,
    concurrency: 16,
    send: (srv) => post(srv, "/v2/models/iris/infer", bodies.v2One),
    c: (srv) =>
      measureC(srv, () => wrk(srv.httpPort, "/v2/models/iris/infer", bodies.v2One, 16, duration), false),
  },
  {
    name: "V2 gRPC infer raw [1,4] (1 row)",
    unit: "req/s",
    rows: 1,
    concurrency: 16,
    send: (srv) => grpcInfer(srv, grpcRequestOne),
    c: (srv) =>
      measureC(
        srv,
        () =>
          h2loadGrpc(
            srv.grpcPort,
            "/inference.GRPCInferenceService/ModelInfer",
            grpcRequestOne,
            16,
            1,
            duration,
          ),
        true,
      ),
  },
];

// This tree's server, and with BENCH_AGAINST=DIR a second one from another built checkout (a
// `git worktree` of an older commit) in the same alternating rounds: a same-run before/after.
const against = process.env.BENCH_AGAINST;
const servers = [await startServer("this tree", bin)];
if (against)
  servers.push(await startServer("BENCH_AGAINST", `${against.replace(/\/$/, "")}/bin/modelserve.js`));

// Warm-up of every path (JIT on both sides; the gRPC answer decoded and checked), then alternating rounds.
for (const srv of servers) for (const m of modes) for (let i = 0; i < 50; i++) await m.send(srv);
const key = (srv: Server, m: Mode) => `${srv.label}\u0000${m.name}`;
const results = new Map<string, number[]>();
// Server CPU per 1000 rows, summed over rounds: the cost of each front end, whatever else runs here.
const cpu = new Map<string, { ms: number; rows: number }>();
for (let r = 0; r < rounds; r++)
  for (const m of modes)
    for (const srv of servers) {
      const res = loadgen === "c" ? await m.c(srv) : await measure(srv, () => m.send(srv), m.concurrency);
      const k = key(srv, m);
      if (!results.has(k)) {
        results.set(k, []);
        cpu.set(k, { ms: 0, rows: 0 });
      }
      results.get(k)!.push(res.rate * m.rows);
      const c = cpu.get(k)!;
      c.ms += res.cpuMs;
      c.rows += res.calls * m.rows;
    }

agent.destroy();
for (const srv of servers) {
  srv.client.close();
  srv.child.kill("SIGTERM");
}

const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const line = (srv: Server, m: Mode) => {
  const xs = results.get(key(srv, m))!;
  const c = cpu.get(key(srv, m))!;
  return `${m.name.padEnd(30)} ${med(xs).toFixed(0).padStart(8)} ${m.unit} [${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}]  server CPU ${((c.ms / c.rows) * 1000).toFixed(1)} ms per 1000 rows`;
};
const ratio = (srv: Server, a: Mode, b: Mode) =>
  (med(results.get(key(srv, a))!) / med(results.get(key(srv, b))!)).toFixed(2);
const out = [
  `iris random forest (100 trees); server on CPU ${pin.length ? cpus - 1 : "any"}, load on CPU ${pin.length ? 0 : "any"} (${loadgen === "c" ? "wrk and h2load" : "Node clients"}); ${rounds} alternating rounds of ${duration} s; median [min–max]; load average ${loadavg()[0].toFixed(2)}`,
];
for (const srv of servers) {
  if (servers.length > 1) out.push(`## ${srv.label}`);
  out.push(
    ...modes.map((m) => line(srv, m)),
    `V2 gRPC raw / native JSON (1000-row batches): ${ratio(srv, modes[2], modes[0])}×`,
    `V2 REST / native JSON (1000-row batches): ${ratio(srv, modes[1], modes[0])}×`,
    `V2 REST / native /predict (single row): ${ratio(srv, modes[4], modes[3])}×`,
    `V2 gRPC / native /predict (single row): ${ratio(srv, modes[5], modes[3])}×`,
  );
}
if (servers.length > 1) {
  out.push("## this tree / BENCH_AGAINST, same rounds (medians; per round in brackets)");
  for (const m of modes) {
    const a = results.get(key(servers[0], m))!;
    const b = results.get(key(servers[1], m))!;
    out.push(
      `${m.name.padEnd(30)} ${(med(a) / med(b)).toFixed(2)}× [${a.map((x, i) => (x / b[i]).toFixed(2)).join(", ")}]`,
    );
  }
}
process.stdout.write(`${out.join("\n")}\n`);
