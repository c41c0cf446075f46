/**
 * @module How the benches keep the load generator and the server apart: the bench re-runs itself on
 * CPU 0 (the load generator's), and starts servers with `taskset -c <last CPU>`. CPUs are counted once,
 * before pinning (a pinned process sees one CPU), and handed to the re-run in `BENCH_CPUS`.
 */

import { spawnSync } from "node:child_process";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";

/** What a bench knows about pinning once {@link pinLoadGenerator} returned. */
export interface Pinning {
  /** CPUs of the machine (or `BENCH_CPUS`). */
  readonly cpus: number;
  /** Whether `taskset` can pin (more than one CPU and the tool present). */
  readonly canPin: boolean;
  /** The last CPU, where single-process servers run. */
  readonly last: string;
  /** Command prefix that starts a server on the last CPU (empty when pinning is not possible). */
  readonly server: readonly string[];
}

/**
 * Re-runs the calling bench (`self`: its `import.meta.url`) pinned to CPU 0 and exits with its status,
 * unless this already is that run or pinning is not possible; then returns the pinning facts.
 */
export function pinLoadGenerator(
  self: string,
  cpus = Number(process.env.BENCH_CPUS ?? availableParallelism()),
): Pinning {
  const canPin = cpus > 1 && spawnSync("taskset", ["--version"]).status === 0;
  if (canPin && process.env.BENCH_PINNED !== "1") {
    const r = spawnSync(
      "taskset",
      ["-c", "0", process.execPath, fileURLToPath(self), ...process.argv.slice(2)],
      {
        stdio: "inherit",
        env: { ...process.env, BENCH_PINNED: "1", BENCH_CPUS: String(cpus) },
      },
    );
    process.exit(r.status ?? 1);
  }
  const last = String(cpus - 1);
  return { cpus, canPin, last, server: canPin ? ["taskset", "-c", last] : [] };
}
