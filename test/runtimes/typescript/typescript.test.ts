import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import heuristic from "../../../examples/iris/heuristic.ts";
import { defineModel } from "../../../src/runtimes/typescript/define-model.ts";
import { typescriptRuntime } from "../../../src/runtimes/typescript/runtime.ts";
import { runRuntimeConformance } from "../../conformance/runtime-suite.ts";

const file = fileURLToPath(new URL("../../../examples/iris/heuristic.ts", import.meta.url));
// Rows spanning all three rule regions; expected answers come from the definition itself on named rows.
const rows = [
  [5.1, 3.5, 1.4, 0.2],
  [7.0, 3.2, 4.7, 1.4],
  [6.3, 3.3, 6.0, 2.5],
  [5.9, 3.2, 4.8, 1.8],
  [4.9, 3.0, 2.45, 0.2],
];
const named = rows.map(([sepal_length, sepal_width, petal_length, petal_width]) => ({
  sepal_length,
  sepal_width,
  petal_length,
  petal_width,
}));

runRuntimeConformance({
  runtime: typescriptRuntime,
  cases: [
    {
      file,
      rows,
      predict: heuristic.predict(named) as unknown[],
      predictProba: heuristic.predictProba!(named) as number[][],
      classes: ["setosa", "versicolor", "virginica"],
    },
  ],
});

describe("defineModel", () => {
  it("refuses malformed definitions at once", () => {
    const base = { name: "m", inputs: { x: "float" as const }, predict: () => [] };
    assert.throws(() => defineModel({ ...base, name: "bad name" }), /name must match/);
    assert.throws(() => defineModel({ ...base, inputs: {} }), /at least one input/);
    assert.throws(() => defineModel({ ...base, inputs: { c: "category" } }), /needs categories/);
    assert.throws(() => defineModel({ ...base, predictProba: () => [] }), /needs classes/);
  });

  it("gives the heuristic's rules", () => {
    assert.deepEqual(heuristic.predict(named), [
      "setosa",
      "versicolor",
      "virginica",
      "virginica",
      "versicolor",
    ]);
  });
});
