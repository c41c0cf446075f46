import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { cgroupCpuQuota, resolveWorkers, usableCpus } from "../../src/cluster/cpus.ts";
import { tempDir } from "../lifecycle-helpers.ts";

/** A fake cgroup tree with the given files. */
function cgroup(files: Record<string, string>): string {
  const root = tempDir("cgroup");
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe("usable CPUs", () => {
  it("reads a cgroup v2 quota, and max as unlimited", () => {
    assert.equal(cgroupCpuQuota(cgroup({ "cpu.max": "200000 100000\n" })), 2);
    assert.equal(cgroupCpuQuota(cgroup({ "cpu.max": "150000 100000\n" })), 1.5);
    assert.equal(cgroupCpuQuota(cgroup({ "cpu.max": "max 100000\n" })), undefined);
  });

  it("reads a cgroup v1 quota, and -1 as unlimited", () => {
    const v1 = (q: string) => cgroup({ "cpu/cpu.cfs_quota_us": q, "cpu/cpu.cfs_period_us": "100000" });
    assert.equal(cgroupCpuQuota(v1("300000")), 3);
    assert.equal(cgroupCpuQuota(v1("-1")), undefined);
    assert.equal(cgroupCpuQuota(tempDir("no-cgroup")), undefined);
  });

  it("takes the smaller of the quota (rounded up) and the CPUs the process may run on", () => {
    const two = cgroup({ "cpu.max": "200000 100000" });
    assert.equal(usableCpus(two, 64), 2);
    assert.equal(usableCpus(cgroup({ "cpu.max": "150000 100000" }), 64), 2);
    assert.equal(usableCpus(cgroup({ "cpu.max": "50000 100000" }), 64), 1);
    assert.equal(usableCpus(two, 1), 1);
    assert.equal(usableCpus(cgroup({ "cpu.max": "max 100000" }), 6), 6);
  });

  it("resolves --workers: a count as given, auto from the cgroup", () => {
    const four = cgroup({ "cpu.max": "400000 100000" });
    assert.equal(resolveWorkers(3, four), 3);
    assert.ok(resolveWorkers("auto", four) >= 1 && resolveWorkers("auto", four) <= 4);
  });
});

describe("the workers key", () => {
  it("takes a count or auto from the environment and the command line, and refuses anything else", async () => {
    const { loadConfig } = await import("../../src/config/config.ts");
    assert.equal(loadConfig({ env: {} }).workers, 1);
    assert.equal(loadConfig({ env: { MODELSERVE_WORKERS: "4" } }).workers, 4);
    assert.equal(loadConfig({ env: { MODELSERVE_WORKERS: "auto" } }).workers, "auto");
    assert.equal(loadConfig({ env: {}, cli: { workers: "2" } }).workers, 2);
    for (const bad of ["0", "-1", "two", "1.5", "257"]) {
      assert.throws(
        () => loadConfig({ env: { MODELSERVE_WORKERS: bad } }),
        (e: { code?: string; message?: string }) =>
          e.code === "MS_INVALID_CONFIG" && /workers/.test(e.message!),
        bad,
      );
    }
  });
});
