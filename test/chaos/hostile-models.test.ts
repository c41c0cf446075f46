/**
 * Chaos: every file of the hostile corpus (bombs, then each damage class for every format), then a
 * large legitimate model, dropped into a watched repository while a good model serves under load.
 * Each hostile file must end as a failed version with its documented refusal, the large model must
 * load and answer, no request to the good model may fail, and the good model's p99 latency must stay
 * within 2× its unloaded p99 (or 5 ms above it). The unloaded p99 is measured in the same run just before
 * and just after the loading phase (the larger of the two), so a noisy host shifts both sides alike.
 */
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { generateLoad, quantile, type ServerChild, startServer } from "./hostile-load.ts";
import { writeLargeBooster } from "./large-booster.ts";

const fixtures = fileURLToPath(new URL("../fixtures/hostile/", import.meta.url));
const good = fileURLToPath(new URL("../../examples/iris/models/random_forest.joblib", import.meta.url));

/** Every file of the hostile corpus, one version each: the bombs first, then each folder's files. */
const DROPPED = ["bombs", "sklearn-1.9.1", "sklearn-1.2.1", "xgboost", "lightgbm", "onnx"].flatMap((dir) =>
  Object.keys(JSON.parse(readFileSync(join(fixtures, dir, "expected.json"), "utf8"))).map(
    (f) => `${dir}/${f}`,
  ),
);

function expectedOf(rel: string): { code: string; fragment: string } {
  const [dir, file] = rel.split("/");
  return (JSON.parse(readFileSync(join(fixtures, dir, "expected.json"), "utf8")) as Record<string, never>)[
    file
  ];
}

const row = JSON.stringify({ sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 });

describe("chaos: hostile models dropped into a watched repository under load", { timeout: 600_000 }, () => {
  let repo: string;
  let server: ServerChild;

  before(async () => {
    repo = mkdtempSync(join(tmpdir(), "ms-chaos-hostile-"));
    mkdirSync(join(repo, "iris", "1"), { recursive: true });
    copyFileSync(good, join(repo, "iris", "1", "model.joblib"));
    server = await startServer([
      "--repository",
      repo,
      "--watch",
      "--watch-interval",
      "100",
      "--port",
      "0",
      "--log-level",
      "error",
    ]);
  });

  after(() => {
    server?.child.kill("SIGKILL");
    rmSync(repo, { recursive: true, force: true });
  });

  it("refuses every file while the good model keeps answering, p99 within 2× (or 5 ms) of unloaded", async () => {
    const target = `${server.url}/models/iris/predict`;
    const unloadedWindow = async () => {
      const l = generateLoad(target, row, 2);
      await new Promise((r) => setTimeout(r, 5000));
      return l.stop();
    };
    // Warm up, then the unloaded window before.
    let load = generateLoad(target, row, 2);
    await new Promise((r) => setTimeout(r, 2000));
    await load.stop();
    const before = await unloadedWindow();

    load = generateLoad(target, row, 2);
    const outcomes: { file: string; state: string; error?: { code?: string; message?: string } }[] = [];
    for (const [i, rel] of DROPPED.entries()) {
      const version = String(i + 1);
      const dir = join(repo, "hostile", version);
      mkdirSync(dir, { recursive: true });
      copyFileSync(join(fixtures, rel), join(dir, rel.split("/")[1]));
      const deadline = Date.now() + 120_000;
      let v: { state: string; error?: { code?: string; message?: string } } | undefined;
      while (Date.now() < deadline) {
        const r = await fetch(`${server.url}/models/hostile/versions/${version}`);
        if (r.status === 200) {
          v = (await r.json()) as typeof v;
          if (v!.state === "failed" || v!.state === "ready") break;
        }
        await new Promise((res) => setTimeout(res, 100));
      }
      outcomes.push({ file: rel, state: v?.state ?? "never seen", error: v?.error });
    }
    // Then a large legitimate model (a 10 MB XGBoost JSON, 600 trees): it loads and answers, and its
    // loading costs the good model no more than the hostile files did.
    mkdirSync(join(repo, "large", "1"), { recursive: true });
    const staged = join(repo, "large-model.json");
    writeLargeBooster(staged);
    renameSync(staged, join(repo, "large", "1", "model.json"));
    let largeState = "never seen";
    for (const deadline = Date.now() + 120_000; Date.now() < deadline; ) {
      const r = await fetch(`${server.url}/models/large/versions/1`);
      if (r.status === 200) {
        largeState = ((await r.json()) as { state: string }).state;
        if (largeState === "failed" || largeState === "ready") break;
      }
      await new Promise((res) => setTimeout(res, 100));
    }
    const loaded = await load.stop();
    assert.equal(largeState, "ready", "the large legitimate model loads");
    const answer = await fetch(`${server.url}/models/large/predict`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ features: Array.from({ length: 30 }, (_, i) => i / 3) }),
    });
    assert.equal(answer.status, 200, await answer.clone().text());
    const afterwards = await unloadedWindow();
    assert.deepEqual([...before.failures, ...afterwards.failures], []);
    const p99Unloaded = Math.max(quantile(before.latencies, 0.99), quantile(afterwards.latencies, 0.99));
    const unloaded = { latencies: [...before.latencies, ...afterwards.latencies] };

    for (const o of outcomes) {
      const e = expectedOf(o.file);
      assert.equal(o.state, "failed", `${o.file} ends as a failed version`);
      assert.ok(
        JSON.stringify(o.error).includes(e.code),
        `${o.file}: ${JSON.stringify(o.error)} carries ${e.code}`,
      );
    }
    assert.deepEqual(loaded.failures, [], "no request to the good model failed");
    const p99Loaded = quantile(loaded.latencies, 0.99);
    const summary = `p99 unloaded ${p99Unloaded.toFixed(2)} ms (${unloaded.latencies.length} requests), while loading hostile files ${p99Loaded.toFixed(2)} ms (${loaded.latencies.length} requests)`;
    console.log(summary);
    // The bar is 2× the unloaded p99 (measured 1.1–1.9× in this test's runs); the guard allows 5 ms above
    // it as well: with three busy threads on two shared cores a millisecond p99 can double from
    // scheduling alone, while what this guards against — an event loop held by a parse — costs tens or
    // hundreds of milliseconds.
    assert.ok(p99Loaded <= Math.max(2 * p99Unloaded, p99Unloaded + 5), summary);
  });
});
