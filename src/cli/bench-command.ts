/**
 * @module `modelserve bench <url-or-model>`: load-tests a prediction route with autocannon, request
 * bodies cycling through rows from a file or the model's own example, and prints throughput, latency
 * percentiles and answers by HTTP status. A model path is served in-process for the run.
 */

import { extname } from "node:path";
import { Worker } from "node:worker_threads";
import type autocannon from "autocannon";
import { type Command, InvalidArgumentError, Option } from "commander";
import { Errors, ModelServeError } from "../errors.ts";
import type { ModelSignature } from "../runtimes/runtime.ts";
import { exampleRow } from "../schema/json-schema.ts";
import { readRows } from "../schema/rows-file.ts";
import { LatencyHistogram } from "./latency-histogram.ts";
import { classifyTarget, type TargetKind } from "./targets.ts";
import { table } from "./text.ts";

/** Longest run `bench` accepts, in seconds: a benchmark is bounded. */
export const MAX_DURATION_S = 300;
/** Most connections `bench` opens. */
export const MAX_CONNECTIONS = 1000;
/** Most rows per request with `--batch`. */
export const MAX_BATCH = 10_000;
/** Most distinct request bodies: rows beyond are not sent (each connection keeps its own copies). */
export const MAX_BODIES = 1000;

/** Options of {@link runBench}. */
export interface BenchOptions {
  /** A server URL (`http://host:port`, with a path prefix if mounted under one) or a model path. */
  readonly target: string;
  /** Rows to send (`.json`, `.jsonl`, `.csv`); default: the model's example row. */
  readonly rows?: string;
  /** Model to bench (default: the server's default model, through the bare routes). */
  readonly model?: string;
  readonly connections: number;
  /** Seconds. */
  readonly duration: number;
  readonly route: "predict" | "predict_proba";
  /** Rows per request; above 1 the batch route is used. */
  readonly batch: number;
  /** Draw autocannon's progress bar on stderr (default: when stderr is a terminal). */
  readonly progress?: boolean;
}

/** What a run measured. */
export interface BenchSummary {
  readonly target: string;
  /** The URL that was loaded. */
  readonly url: string;
  readonly model: string;
  readonly route: string;
  readonly connections: number;
  readonly durationSeconds: number;
  readonly batch: number;
  /** Distinct request bodies the connections cycled through. */
  readonly bodies: number;
  /** Answers received, any status. */
  readonly requests: number;
  readonly requestsPerSecond: number;
  /** Rows scored per second (2xx answers × rows per request). */
  readonly rowsPerSecond: number;
  /** Response times of every answer, any status. */
  readonly latencyMs: {
    readonly p50: number;
    readonly p95: number;
    readonly p99: number;
    readonly max: number;
    readonly mean: number;
  };
  /** Answers by HTTP status. */
  readonly statuses: Readonly<Record<string, number>>;
  readonly non2xx: number;
  /** Connection errors and timeouts (no answer at all). */
  readonly errors: number;
  readonly timeouts: number;
}

interface Running {
  readonly url: string;
  stop(): Promise<void>;
}

/** Serves a model path on 127.0.0.1 in a worker thread, until `stop`. */
async function serveInWorker(target: string, kind: Exclude<TargetKind, "url">): Promise<Running> {
  // The worker module sits next to this one: `.ts` when run from source, `.js` from dist.
  const ext = extname(new URL(import.meta.url).pathname);
  const worker = new Worker(new URL(`./bench-server${ext}`, import.meta.url), {
    workerData: { target, kind },
  });
  const first = await new Promise<{ url?: string; error?: string; code?: string }>((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`the benchmark server stopped (exit code ${code})`)));
  });
  if (first.error || !first.url) {
    await worker.terminate();
    throw first.code ? new ModelServeError(first.code, 400, first.error ?? "") : new Error(first.error);
  }
  return {
    url: first.url,
    async stop() {
      const closed = new Promise((resolve) => {
        worker.once("message", resolve);
        worker.once("exit", resolve);
      });
      worker.postMessage("close");
      await closed;
      await worker.terminate();
    },
  };
}

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  let res: Response;
  try {
    res = await fetch(url, { headers: { accept: "application/json" } });
  } catch (err) {
    throw new Error(`cannot reach ${url}: ${(err as Error).cause ?? (err as Error).message}`);
  }
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch {
    return { status: res.status, body: undefined };
  }
}

interface ModelListing {
  readonly defaultModel: string | null;
  readonly models: readonly { readonly name: string }[];
}

interface ModelDetail {
  readonly defaultVersion: string | null;
  readonly versions: readonly { readonly version: string; readonly signature?: ModelSignature }[];
}

/** The signature of a model's default version, from `GET /models/{name}`. */
async function signatureOf(base: string, model: string): Promise<ModelSignature> {
  const { status, body } = await getJson(`${base}/models/${encodeURIComponent(model)}`);
  const detail = body as ModelDetail | undefined;
  const v = detail?.versions?.find((x) => x.version === detail.defaultVersion) ?? detail?.versions?.[0];
  if (status !== 200 || !v?.signature) throw new Error(`${base}/models/${model} did not describe the model`);
  return v.signature;
}

/** The request example the server documents for a route, from `/openapi.json`. */
async function documentedExample(base: string, path: string): Promise<unknown> {
  const { status, body } = await getJson(`${base}/openapi.json`);
  if (status !== 200) return undefined;
  const doc = body as {
    paths?: Record<string, { post?: { requestBody?: { content?: Record<string, { example?: unknown }> } } }>;
  };
  return doc.paths?.[path]?.post?.requestBody?.content?.["application/json"]?.example;
}

/** Request bodies: one row each, or `{"instances": [...]}` of `batch` rows, cycling through the rows. */
export function requestBodies(rows: readonly unknown[], batch: number): string[] {
  if (rows.length === 0) throw new Error("no rows to send");
  if (batch <= 1) return rows.slice(0, MAX_BODIES).map((r) => JSON.stringify(r));
  const count = Math.min(MAX_BODIES, Math.ceil(rows.length / batch));
  const bodies: string[] = [];
  for (let b = 0; b < count; b++) {
    const instances = Array.from({ length: batch }, (_, i) => rows[(b * batch + i) % rows.length]);
    bodies.push(JSON.stringify({ instances }));
  }
  return bodies;
}

async function load(
  url: string,
  bodies: readonly string[],
  opts: BenchOptions,
): Promise<{ result: autocannon.Result; histogram: LatencyHistogram; statuses: Map<number, number> }> {
  const histogram = new LatencyHistogram();
  const statuses = new Map<number, number>();
  let instance: autocannon.Instance | undefined;
  // autocannon is an optional peer dependency: only this command needs it.
  let run: typeof autocannon;
  try {
    run = (await import("autocannon")).default;
  } catch {
    throw Errors.runtimeDependencyMissing("bench", "autocannon");
  }
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    instance = run(
      {
        url,
        method: "POST",
        headers: { "content-type": "application/json" },
        connections: opts.connections,
        duration: opts.duration,
        requests: bodies.map((body) => ({ body })),
      },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
    // autocannon emits the client first; its type declarations leave it out.
    (instance as unknown as NodeJS.EventEmitter).on(
      "response",
      (_client: unknown, statusCode: number, _bytes: number, ms: number) => {
        histogram.record(ms);
        statuses.set(statusCode, (statuses.get(statusCode) ?? 0) + 1);
      },
    );
    if (opts.progress ?? process.stderr.isTTY === true) {
      run.track(instance, {
        outputStream: process.stderr,
        renderProgressBar: true,
        renderResultsTable: false,
        renderLatencyTable: false,
      });
    }
  });
  return { result, histogram, statuses };
}

/** Runs a benchmark and returns what it measured; starts and stops the server for a model path. */
export async function runBench(opts: BenchOptions): Promise<BenchSummary> {
  const kind = await classifyTarget(opts.target);
  const running: Running =
    kind === "url"
      ? { url: opts.target, stop: async () => undefined }
      : await serveInWorker(opts.target, kind);
  try {
    const base = running.url.replace(/\/+$/, "");
    const { status, body } = await getJson(`${base}/models`);
    const listing = body as ModelListing | undefined;
    if (status !== 200 || !listing || !Array.isArray(listing.models))
      throw new Error(`${base}/models did not answer a model listing (status ${status}): is it modelserve?`);
    const names = listing.models.map((m) => m.name);
    if (opts.model && !names.includes(opts.model))
      throw new Error(`${base} serves no model "${opts.model}"; it serves ${names.join(", ") || "none"}`);
    const model = opts.model ?? listing.defaultModel;
    if (!model) throw new Error(`${base} has no default model; choose one with --model`);
    const prefix = opts.model ? `/models/${encodeURIComponent(model)}` : "";
    const sig = await signatureOf(base, model);
    if (opts.route === "predict_proba" && !sig.capabilities.predictProba)
      throw new Error(`model ${model} has no predict_proba; bench --route predict`);
    let rows: unknown[];
    if (opts.rows) rows = await readRows(opts.rows, sig.inputs);
    else {
      const example = (await documentedExample(base, `${prefix}/${opts.route}`)) ?? exampleRow(sig);
      rows = [example];
    }
    const bodies = requestBodies(rows, opts.batch);
    const path = `${prefix}/${opts.route}${opts.batch > 1 ? "/batch" : ""}`;
    const { result, histogram, statuses } = await load(`${base}${path}`, bodies, opts);
    const seconds = result.duration > 0 ? result.duration : opts.duration;
    const ok = [...statuses].filter(([s]) => s >= 200 && s < 300).reduce((n, [, c]) => n + c, 0);
    const requests = histogram.count;
    const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
    return {
      target: opts.target,
      url: `${base}${path}`,
      model,
      route: opts.route,
      connections: opts.connections,
      durationSeconds: seconds,
      batch: opts.batch,
      bodies: bodies.length,
      requests,
      requestsPerSecond: round(requests / seconds),
      rowsPerSecond: round((ok * opts.batch) / seconds),
      latencyMs: {
        p50: round(histogram.percentile(50), 3),
        p95: round(histogram.percentile(95), 3),
        p99: round(histogram.percentile(99), 3),
        max: round(histogram.max, 3),
        mean: round(histogram.mean, 3),
      },
      statuses: Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0]).map(([s, c]) => [String(s), c])),
      non2xx: requests - ok,
      errors: result.errors,
      timeouts: result.timeouts,
    };
  } finally {
    await running.stop();
  }
}

/** The summary as text tables. */
export function formatSummary(s: BenchSummary): string {
  const head =
    `POST ${s.url} (model ${s.model}): ${s.connections} connection${s.connections === 1 ? "" : "s"}, ` +
    `${s.durationSeconds} s, ${s.batch} row${s.batch === 1 ? "" : "s"} per request, ${s.bodies} distinct bod${s.bodies === 1 ? "y" : "ies"}`;
  const metrics = table(
    ["metric", "value"],
    [
      ["requests/s", String(s.requestsPerSecond)],
      ["rows/s", String(s.rowsPerSecond)],
      ["requests", String(s.requests)],
      ["latency p50", `${s.latencyMs.p50} ms`],
      ["latency p95", `${s.latencyMs.p95} ms`],
      ["latency p99", `${s.latencyMs.p99} ms`],
      ["latency max", `${s.latencyMs.max} ms`],
      ["non-2xx", String(s.non2xx)],
      ["errors", String(s.errors)],
      ["timeouts", String(s.timeouts)],
    ],
  );
  const statuses = table(
    ["status", "count"],
    Object.entries(s.statuses).map(([code, n]) => [code, String(n)]),
  );
  return `${head}\n\n${metrics}\n\n${statuses}\n`;
}

const bounded = (name: string, min: number, max: number, integer: boolean) => (v: string) => {
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max)
    throw new InvalidArgumentError(
      `${name} must be ${integer ? "a whole number" : "a number"} from ${min} to ${max}`,
    );
  return n;
};

/** Adds `modelserve bench` to the program. */
export function registerBenchCommand(program: Command): void {
  program
    .command("bench")
    .description("load-test a server or a model with autocannon: throughput, latency percentiles, statuses")
    .argument("<target>", "server URL (http://host:port), or a model file, bundle, repository or config file")
    .option("--rows <file>", "rows to send, cycled (.json, .jsonl, .csv); default: the model's example row")
    .option("--model <name>", "model to bench (default: the server's default model)")
    .option(
      "-c, --connections <n>",
      "concurrent connections",
      bounded("connections", 1, MAX_CONNECTIONS, true),
      10,
    )
    .option(
      "-d, --duration <seconds>",
      `seconds to run (at most ${MAX_DURATION_S})`,
      bounded("duration", 0.1, MAX_DURATION_S, false),
      10,
    )
    .addOption(
      new Option("--route <route>", "route to load").choices(["predict", "predict_proba"]).default("predict"),
    )
    .option(
      "--batch <rows>",
      "rows per request (above 1: the batch route)",
      bounded("batch", 1, MAX_BATCH, true),
      1,
    )
    .option("--json", "print the summary as JSON")
    .action(async (target: string, o: Record<string, unknown>) => {
      const summary = await runBench({
        target,
        rows: o.rows as string | undefined,
        model: o.model as string | undefined,
        connections: o.connections as number,
        duration: o.duration as number,
        route: o.route as "predict" | "predict_proba",
        batch: o.batch as number,
      });
      process.stdout.write(o.json ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary));
    });
}
