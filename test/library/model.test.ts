import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { deploy, loadModel, tableFromRows } from "../../src/index.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const iris = join(root, "examples/iris");
const golden = (name: string, kind: "inputs" | "expected") =>
  JSON.parse(readFileSync(join(iris, "golden", `${name}.${kind}.json`), "utf8"));
const inputs = golden("random_forest", "inputs") as Record<string, number>[];
const expected = golden("random_forest", "expected") as { predict: string[]; predict_proba: number[][] };
const CLASSES = ["setosa", "versicolor", "virginica"];
const keyed = (p: number[]) => Object.fromEntries(CLASSES.map((c, i) => [c, p[i]]));
const positional = inputs.map((r) => [r.sepal_length, r.sepal_width, r.petal_length, r.petal_width]);

describe("loadModel (library API)", () => {
  it("predicts many named rows, many positional rows and one row as scikit-learn does", async () => {
    const model = await loadModel(join(iris, "models/random_forest.joblib"));
    assert.deepEqual(await model.predict(inputs), expected.predict);
    assert.deepEqual(await model.predict(positional), expected.predict);
    assert.equal(await model.predict(inputs[1]), expected.predict[1]);
    assert.equal(await model.predict(positional[2]), expected.predict[2]);
    assert.deepEqual(model.classes, CLASSES);
    assert.deepEqual(model.featureNames, ["sepal_length", "sepal_width", "petal_length", "petal_width"]);
  });

  it("answers probabilities keyed by class label", async () => {
    const model = await loadModel(join(iris, "models/random_forest.joblib"));
    assert.deepEqual(await model.predictProba(inputs), expected.predict_proba.map(keyed));
    assert.deepEqual(await model.predictProba(positional[0]), keyed(expected.predict_proba[0]));
  });

  it("still answers the low-level table calls", async () => {
    const model = await loadModel(join(iris, "models/random_forest.joblib"));
    const out = await model.predict(tableFromRows(model.signature, inputs));
    assert.deepEqual(out, { kind: "labels", labels: expected.predict });
    const p = await model.predictProba(tableFromRows(model.signature, inputs.slice(0, 2)));
    assert.deepEqual(Array.from(p.data), expected.predict_proba.slice(0, 2).flat());
  });

  it("rejects what is not a row, and probabilities of a regressor, with stable codes", async () => {
    const model = await loadModel(join(iris, "models/random_forest.joblib"));
    await assert.rejects(model.predict(42 as never), { code: "MS_INVALID_INPUT" });
    await assert.rejects(model.predict({ sepal_length: "wide" }), { code: "MS_INVALID_INPUT" });
    const reg = await loadModel(join(root, "test/fixtures/lightgbm/diabetes_regression/model.txt"));
    await assert.rejects(reg.predictProba([[0, 0, 0, 0, 0, 0, 0, 0, 0, 0]]), {
      code: "MS_METHOD_NOT_SUPPORTED",
    });
    const heuristic = await loadModel(join(iris, "heuristic.ts"));
    await assert.rejects(heuristic.explain(inputs[0]), { code: "MS_METHOD_NOT_SUPPORTED" });
  });

  it("explains rows with TreeSHAP: per class, adding up to the probabilities", async () => {
    const model = await loadModel(join(iris, "models/random_forest.joblib"));
    const many = (await model.explain(inputs.slice(0, 2))) as {
      base_value: Record<string, number>;
      contributions: Record<string, Record<string, number>>;
    }[];
    const proba = await model.predictProba(inputs.slice(0, 2));
    assert.equal(many.length, 2);
    many.forEach((e, r) => {
      for (const cls of Object.keys(proba[r])) {
        const sum = e.base_value[cls] + Object.values(e.contributions[cls]).reduce((a, b) => a + b, 0);
        assert.ok(Math.abs(sum - (proba[r][cls] as number)) < 1e-12, `${r} ${cls}`);
      }
    });
    const one = await model.explain(inputs[2]);
    assert.ok(!Array.isArray(one));
    const c = await model.explain(tableFromRows(model.signature, inputs.slice(0, 3)));
    assert.equal(c.rows, 3);
    assert.equal(c.outputSpace, "probability");
  });
});

describe("README library examples", () => {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const run = (file: string) => {
    const r = spawnSync(process.execPath, [file], { cwd: root, encoding: "utf8", timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    return r;
  };

  for (const file of ["examples/library/predict.ts", "examples/library/deploy.ts"]) {
    it(`${file} is in the README word for word`, () => {
      assert.ok(readme.includes(`\`\`\`ts\n${readFileSync(join(root, file), "utf8")}\`\`\``), file);
    });
  }

  it("loadModel's TSDoc example is examples/library/predict.ts (type-checked by npm test, run below)", () => {
    const src = readFileSync(join(root, "src/library/model.ts"), "utf8");
    const block = /\* @example\n((?: \*.*\n)+?) \*\/\nexport async function loadModel/.exec(src)?.[1];
    assert.ok(block, "loadModel has an @example");
    const code = block.replace(/^ \* ?/gm, "");
    assert.equal(code, readFileSync(join(root, "examples/library/predict.ts"), "utf8"));
  });

  it("predict.ts prints scikit-learn's answers", () => {
    const out = JSON.parse(run("examples/library/predict.ts").stdout);
    assert.deepEqual(out, {
      label: expected.predict[0],
      probabilities: expected.predict_proba.slice(1, 3).map(keyed),
      classes: CLASSES,
    });
  });

  it("deploy.ts serves quietly with the given logger and prints the answer", () => {
    const r = run("examples/library/deploy.ts");
    const lines = r.stdout.trim().split("\n");
    assert.equal(lines.length, 1, `only the answer on stdout, got: ${r.stdout}`);
    const body = JSON.parse(lines[0]);
    assert.deepEqual(body.predictions, [expected.predict[0]]);
    assert.deepEqual(body.probabilities, [keyed(expected.predict_proba[0])]);
  });
});

describe("deploy logging", () => {
  const model = join(iris, "models/random_forest.joblib");
  const predictOnce = (url: string) =>
    fetch(`${url}/predict`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ features: [5.5, 3.5, 1.3, 0.2] }),
    });

  it("is quiet by default, and logs at the level asked for (option or MODELSERVE_LOG_LEVEL)", async () => {
    for (const [opts, level] of [
      [{}, "silent"],
      [{ logLevel: "warn" as const }, "warn"],
      [{ env: { MODELSERVE_LOG_LEVEL: "debug" } }, "debug"],
    ] as const) {
      const s = await deploy(model, { port: 0, env: {}, ...opts });
      try {
        assert.equal(s.app.log.level, level, JSON.stringify(opts));
      } finally {
        await s.close();
      }
    }
  });

  it("hands its lines to a pino-compatible logger", async () => {
    const lines: unknown[] = [];
    const noop = () => undefined;
    const logger = {
      level: "info",
      info: (o: unknown, m?: string) => lines.push(m ?? o),
      warn: noop,
      error: noop,
      debug: noop,
      fatal: noop,
      trace: noop,
      silent: noop,
      child: () => logger,
    };
    const s = await deploy(model, { port: 0, logger });
    try {
      assert.equal((await predictOnce(s.url)).status, 200);
    } finally {
      await s.close();
    }
    assert.ok(lines.length > 0, "the custom logger received the request line");
  });
});

describe("library API on a multi-output classifier", () => {
  const dir = join(root, "test/fixtures/sklearn/1.9.1/multi-moc-proba-rf-iris");
  const x = JSON.parse(readFileSync(join(dir, "expected.json"), "utf8"));
  const rows: number[][] = JSON.parse(readFileSync(join(dir, "inputs.json"), "utf8"));

  it("predicts one label per output, and gives the probability matrix for a table", async () => {
    const model = await loadModel(join(dir, "model.joblib"));
    assert.deepEqual(await model.predict(rows), x.predict);
    assert.deepEqual(model.signature.output.outputClasses, x.output_classes);
    const p = await model.predictProba(tableFromRows(model.signature, rows));
    // Output after output: the 3-class then the 2-class columns of scikit-learn's list, exactly (trees).
    assert.equal(p.cols, 5);
    for (let r = 0; r < rows.length; r++)
      assert.deepEqual(Array.from(p.data.subarray(r * 5, r * 5 + 5)), [
        ...x.predict_proba_outputs[0][r],
        ...x.predict_proba_outputs[1][r],
      ]);
  });

  it("refuses plain-value predictProba with a reason that points to the table and HTTP answers", async () => {
    const model = await loadModel(join(dir, "model.joblib"));
    await assert.rejects(
      model.predictProba(rows),
      (e: Error & { code?: string }) =>
        e.code === "MS_METHOD_NOT_SUPPORTED" && /multi-output classifier/.test(e.message),
    );
  });
});
