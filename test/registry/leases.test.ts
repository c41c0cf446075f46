import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LeaseBook } from "../../src/registry/leases.ts";
import { budgetVictims } from "../../src/registry/memory-budget.ts";
import { ModelRegistry } from "../../src/registry/model-registry.ts";
import { hashKey, NameRoutes } from "../../src/registry/routing.ts";
import type { LoadedModel } from "../../src/runtimes/runtime.ts";
import { defineModel } from "../../src/runtimes/typescript/define-model.ts";
import { loadDefinition } from "../../src/runtimes/typescript/runtime.ts";

const model = (name: string): LoadedModel =>
  loadDefinition(
    defineModel({ name, inputs: { x: "float" }, predict: (rows) => rows.map((r) => r.x as number) }),
  );

describe("leases", () => {
  it("counts a lease until it is released, once, whatever the number of release calls", () => {
    const r = new ModelRegistry();
    const v = r.register("m", "1", model("m"));
    const a = r.acquire("m");
    assert.ok(!(a instanceof Promise));
    const b = r.acquire("m") as Exclude<typeof a, Promise<unknown>>;
    assert.equal(a.version, v);
    assert.equal(r.inflight(v), 2);
    assert.equal(r.totalInflight, 2);
    a.release();
    a.release();
    assert.equal(r.inflight(v), 1);
    b.release();
    assert.equal(r.totalInflight, 0);
  });

  it("keeps a version's model open until its last lease is released", async () => {
    const r = new ModelRegistry();
    let closed = 0;
    const m = { ...model("m"), close: async () => void closed++ };
    r.register("m", "1", m);
    const lease = r.acquire("m") as { release(): void };
    let unloaded = false;
    const unloading = r.unload("m", "1", 10_000).then(() => {
      unloaded = true;
    });
    await new Promise((res) => setTimeout(res, 20));
    assert.equal(unloaded, false);
    assert.equal(closed, 0);
    assert.throws(() => r.acquire("m"), /is unloading, not ready/);
    lease.release();
    await unloading;
    assert.equal(closed, 1);
  });

  it("loads a lazily registered version on first acquire, once for concurrent requests", async () => {
    const r = new ModelRegistry();
    let loads = 0;
    r.registerLazy("m", "1", {
      load: async () => {
        loads++;
        await new Promise((res) => setTimeout(res, 10));
        return model("m");
      },
    });
    const [a, b] = await Promise.all([r.acquire("m"), r.acquire("m", "1")]);
    assert.equal(loads, 1);
    assert.equal(a.version.state, "ready");
    assert.equal(b.version, a.version);
    assert.equal(r.totalInflight, 2);
    a.release();
    b.release();
  });

  it("refuses a version that failed to load with its error, and holds no lease", async () => {
    const r = new ModelRegistry();
    await r.load("m", "1", async () => {
      throw new Error("corrupt");
    });
    assert.throws(
      () => r.acquire("m"),
      (e: Error & { code?: string }) => e.code === "MS_MODEL_LOAD_FAILED",
    );
    assert.equal(r.totalInflight, 0);
  });

  it("wakes a drain as soon as the version is idle, or gives up after the deadline", async () => {
    const book = new LeaseBook();
    const r = new ModelRegistry();
    const v = r.register("m", "1", model("m"));
    book.enter(v);
    const started = Date.now();
    const done = book.drain(v, 5000);
    setTimeout(() => book.leave(v), 20);
    await done;
    assert.ok(Date.now() - started < 2000);
    book.enter(v);
    const t0 = Date.now();
    await book.drain(v, 30);
    assert.ok(Date.now() - t0 >= 25);
    assert.equal(book.inflight(v), 1);
  });
});

describe("routing", () => {
  const ready = (labels: string[]) =>
    new Map(labels.map((l) => [l, { name: "m", version: l, state: "ready" as const, since: "" }]));

  it("defaults to the newest servable version unless one is pinned, and remembers the previous default", () => {
    const routes = new NameRoutes();
    routes.update(ready(["1", "2"]));
    assert.equal(routes.current, "2");
    routes.update(ready(["1", "2", "10"]));
    assert.equal(routes.current, "10");
    assert.deepEqual(routes.history, ["2"]);
    routes.pinned = "1";
    routes.update(ready(["1", "2", "10"]));
    assert.equal(routes.current, "1");
  });

  it("splits by weight, the same arm for the same routing key", () => {
    const routes = new NameRoutes();
    routes.setSplit("m", [
      { version: "a", weight: 3 },
      { version: "b", weight: 1 },
    ]);
    const counts = { a: 0, b: 0 } as Record<string, number>;
    for (let i = 0; i < 4000; i++) counts[routes.choose(`user-${i}`)!]++;
    assert.ok(Math.abs(counts.a / 4000 - 0.75) < 0.04, JSON.stringify(counts));
    for (let i = 0; i < 50; i++) assert.equal(routes.choose("alice"), routes.choose("alice"));
    assert.throws(() => routes.setSplit("m", [{ version: "a", weight: 0 }]), /positive total weight/);
    assert.throws(() => routes.setSplit("m", [{ version: "a", weight: -1 }]), /must be ≥ 0/);
    // FNV-1a of the empty string is its offset basis.
    assert.equal(hashKey(""), 0x811c9dc5);
    assert.equal(hashKey("a"), 0xe40c292c);
  });
});

describe("memory budget", () => {
  it("unloads least recently used idle versions that can load again, never one in use or kept", () => {
    const book = new LeaseBook();
    const mk = (version: string, size: number) => ({
      name: "m",
      version,
      state: "ready" as const,
      since: "",
      loader: { load: async () => model("m") },
      model: { ...model("m"), info: { ...model("m").info, sizeBytes: size } },
    });
    const a = mk("a", 100);
    const b = mk("b", 100);
    const c = mk("c", 100);
    book.enter(b);
    book.leave(b);
    book.enter(a);
    book.leave(a);
    book.enter(c); // c stays in flight
    assert.deepEqual(
      budgetVictims([a, b, c], 150, book).map((v) => v.version),
      ["b", "a"],
    );
    assert.deepEqual(
      budgetVictims([a, b, c], 150, book, "m@b").map((v) => v.version),
      ["a"],
    );
    assert.deepEqual(budgetVictims([a, b, c], 0, book), []);
  });
});
