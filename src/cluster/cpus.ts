/**
 * @module How many CPUs this process may really use: the smaller of the CPUs it is allowed to run on
 * (affinity, `os.availableParallelism`) and its container's CPU quota (cgroup v2 `cpu.max`, or v1
 * `cpu.cfs_quota_us` / `cpu.cfs_period_us`). A pod limited to 2 CPUs on a 64-core node gets 2 workers,
 * not 64.
 */

import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";

const read = (path: string): string | undefined => {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return undefined;
  }
};

/**
 * The CPU quota of the cgroup, in CPUs (fractional), or undefined when unlimited or unknown.
 * `root` is the cgroup mount point (tests point it at a fake tree).
 */
export function cgroupCpuQuota(root = "/sys/fs/cgroup"): number | undefined {
  // cgroup v2: "max 100000" (unlimited) or "200000 100000" (2 CPUs).
  const v2 = read(`${root}/cpu.max`);
  if (v2 !== undefined) {
    const [quota, period] = v2.split(/\s+/);
    const q = Number(quota);
    const p = Number(period);
    return quota !== "max" && q > 0 && p > 0 ? q / p : undefined;
  }
  // cgroup v1: a quota of -1 is unlimited.
  for (const dir of [`${root}/cpu`, `${root}/cpu,cpuacct`, `${root}/cpuacct,cpu`]) {
    const q = Number(read(`${dir}/cpu.cfs_quota_us`));
    const p = Number(read(`${dir}/cpu.cfs_period_us`));
    if (Number.isFinite(q) && Number.isFinite(p) && p > 0) return q > 0 ? q / p : undefined;
  }
  return undefined;
}

/**
 * CPUs this process may use: affinity-limited parallelism, capped by the cgroup quota rounded up
 * (a 1.5-CPU quota still gets 2 event loops' worth of bursts), at least 1.
 */
export function usableCpus(root?: string, parallelism = availableParallelism()): number {
  const quota = cgroupCpuQuota(root);
  const cpus = quota === undefined ? parallelism : Math.min(parallelism, Math.ceil(quota));
  return Math.max(1, cpus);
}

/** The number of workers `--workers` asks for: a count, or `auto` for {@link usableCpus}. */
export function resolveWorkers(value: number | "auto", root?: string): number {
  return value === "auto" ? usableCpus(root) : value;
}
