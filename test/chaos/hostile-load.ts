/**
 * Helpers of the hostile-model chaos test: a server child on a temporary watched repository, and a
 * keep-alive load generator that records every request's latency and failure.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { Agent, request } from "node:http";

/** A running server child and its URL. */
export interface ServerChild {
  readonly url: string;
  readonly child: ChildProcess;
  stderr(): string;
}

/**
 * Starts `modelserve serve` from the sources with `args`; resolves once it listens. `cpus` pins it
 * (and its loader worker) with `taskset -c`.
 */
export async function startServer(args: readonly string[], cpus?: string): Promise<ServerChild> {
  const entry = new URL("./serve-child.ts", import.meta.url).pathname;
  const command = [process.execPath, entry, "serve", ...args];
  const [file, ...rest] = cpus ? ["taskset", "-c", cpus, ...command] : command;
  const child = spawn(file, rest, { stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${err}`)), 60_000);
    child.stderr!.on("data", (d: Buffer) => {
      err += d;
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.stdout!.on("data", (d: Buffer) => {
      err += d;
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}): ${err}`));
    });
  });
  return { url, child, stderr: () => err };
}

/** Latencies (ms) and failures of a load run. */
export interface LoadResult {
  readonly latencies: number[];
  readonly failures: string[];
}

/** The q-quantile of values (nearest rank). */
export function quantile(values: readonly number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

/**
 * Sends `body` to `url` from `connections` keep-alive connections, one request at a time each, until
 * `stop()` is called; collects every latency and every failed request (status ≠ 200 or error).
 */
export function generateLoad(url: string, body: string, connections: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const result: LoadResult = { latencies: [], failures: [] };
  let running = true;
  const one = () =>
    new Promise<void>((resolve) => {
      const started = performance.now();
      const req = request(
        url,
        { method: "POST", agent, headers: { "content-type": "application/json" }, timeout: 30_000 },
        (res) => {
          res.resume();
          res.on("end", () => {
            result.latencies.push(performance.now() - started);
            if (res.statusCode !== 200) result.failures.push(`status ${res.statusCode}`);
            resolve();
          });
        },
      );
      req.on("error", (e) => {
        result.failures.push(e.message);
        resolve();
      });
      req.on("timeout", () => req.destroy(new Error("timeout")));
      req.end(body);
    });
  const loops = Array.from({ length: connections }, async () => {
    while (running) await one();
  });
  return {
    result,
    /** Clears what was recorded so far (after a warm-up). */
    reset() {
      result.latencies.length = 0;
      result.failures.length = 0;
    },
    async stop(): Promise<LoadResult> {
      running = false;
      await Promise.all(loops);
      agent.destroy();
      return { latencies: [...result.latencies], failures: [...result.failures] };
    },
  };
}
