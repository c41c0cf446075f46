/**
 * @module Tests of how the scikit-learn estimator folders contribute their builders: every family
 * folder's `index.ts` exports `builders` and nothing else, no class is claimed by two families, and the
 * runtime's table is exactly the union of the families' tables (a folder left out of `builders.ts`, or
 * a class shadowed by another family, fails here rather than as a silently different model), and the
 * class → family index that lets a load import only the families it needs names every class rightly.
 */

import assert from "node:assert/strict";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  ESTIMATOR_BUILDERS,
  FAMILY_OF,
  loadAllFamilies,
  loadBuildersFor,
} from "../../../src/runtimes/sklearn/builders.ts";
import { readPickle } from "../../../src/runtimes/sklearn/parse-pickle.ts";

const ESTIMATORS = fileURLToPath(new URL("../../../src/runtimes/sklearn/estimators/", import.meta.url));
const families = readdirSync(ESTIMATORS)
  .filter((name) => statSync(join(ESTIMATORS, name)).isDirectory())
  .sort();

/** Each family's module, imported from its folder's index.ts. */
async function familyTables(): Promise<Map<string, Record<string, unknown>>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const f of families)
    out.set(
      f,
      (await import(pathToFileURL(join(ESTIMATORS, f, "index.ts")).href)) as Record<string, unknown>,
    );
  return out;
}

describe("sklearn estimator families", () => {
  it("finds the family folders", () => {
    assert.ok(families.length >= 10, `only ${families.join(", ")}`);
    for (const f of ["composition", "ensemble", "linear", "preprocessing", "trees"])
      assert.ok(families.includes(f), f);
  });

  it("each folder's index.ts exports only its builders table, of functions", async () => {
    for (const [family, mod] of await familyTables()) {
      assert.deepEqual(
        Object.keys(mod),
        ["builders"],
        `${family}/index.ts exports ${Object.keys(mod).join(", ")}`,
      );
      const table = mod.builders as Record<string, unknown>;
      assert.ok(Object.keys(table).length > 0, `${family} has no builders`);
      for (const [cls, builder] of Object.entries(table))
        assert.equal(typeof builder, "function", `${family}: ${cls} is not a builder function`);
    }
  });

  it("no class is built by two families", async () => {
    const owner = new Map<string, string>();
    for (const [family, mod] of await familyTables()) {
      for (const cls of Object.keys(mod.builders as object)) {
        assert.equal(owner.get(cls), undefined, `${cls} is in both ${owner.get(cls)} and ${family}`);
        owner.set(cls, family);
      }
    }
  });

  it("FAMILY_OF names each class's family, for every class of every family", async () => {
    const want: Record<string, string> = {};
    for (const [family, mod] of await familyTables())
      for (const cls of Object.keys(mod.builders as object)) want[cls] = family;
    const missing = Object.keys(want).filter((c) => FAMILY_OF[c] !== want[c]);
    const extra = Object.keys(FAMILY_OF).filter((c) => !(c in want));
    assert.deepEqual(
      { missing, extra },
      { missing: [], extra: [] },
      "update FAMILY_OF in src/runtimes/sklearn/builders.ts",
    );
  });

  it("a load imports the families of the classes its file holds, and those suffice", async () => {
    // In a fresh process: this one has imported every family already.
    const { execFile } = await import("node:child_process");
    const { promisify } = await import("node:util");
    const fixture = fileURLToPath(
      new URL("../../fixtures/sklearn/1.9.1/prep-pipeline-minmax-rf/model.joblib", import.meta.url),
    );
    const builders = new URL("../../../src/runtimes/sklearn/builders.ts", import.meta.url).href;
    const loader = new URL("../../../src/runtimes/load-model.ts", import.meta.url).href;
    const code = `
      const b = await import(${JSON.stringify(builders)});
      const { loadModel } = await import(${JSON.stringify(loader)});
      const m = await loadModel(${JSON.stringify(fixture)});
      const families = [...new Set(Object.keys(b.ESTIMATOR_BUILDERS).map((c) => b.FAMILY_OF[c]))].sort();
      process.stdout.write(JSON.stringify({ task: m.signature.output.task, families }));
    `;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--disable-warning=ExperimentalWarning", "--input-type=module", "-e", code],
      { timeout: 60_000 },
    );
    // A Pipeline (composition) of MinMaxScaler (preprocessing) and a forest (trees).
    assert.deepEqual(JSON.parse(stdout), {
      task: "classification",
      families: ["composition", "preprocessing", "trees"],
    });
  });

  it("loadBuildersFor finds classes anywhere in a value", async () => {
    const fixture = fileURLToPath(
      new URL("../../fixtures/sklearn/1.9.1/prep-pipeline-minmax-rf/model.joblib", import.meta.url),
    );
    const { readFileSync } = await import("node:fs");
    const value = await readPickle(new Uint8Array(readFileSync(fixture)), "model.joblib");
    await loadBuildersFor(value);
    for (const cls of ["Pipeline", "MinMaxScaler", "RandomForestClassifier", "DecisionTreeClassifier"])
      assert.equal(typeof ESTIMATOR_BUILDERS[cls], "function", cls);
  });

  it("the runtime's table is every family's builders, and nothing else", async () => {
    await loadAllFamilies();
    const union = new Map<string, unknown>();
    for (const mod of (await familyTables()).values())
      for (const [cls, b] of Object.entries(mod.builders as object)) union.set(cls, b);
    assert.deepEqual(Object.keys(ESTIMATOR_BUILDERS).sort(), [...union.keys()].sort());
    for (const [cls, b] of union) assert.equal(ESTIMATOR_BUILDERS[cls], b, cls);
  });

  it("keeps the classes the families are named for in their folders", async () => {
    const tables = await familyTables();
    const has = (family: string, cls: string) =>
      assert.ok(cls in (tables.get(family)!.builders as object), `${cls} not in ${family}`);
    has("composition", "Pipeline");
    has("preprocessing", "StandardScaler");
    has("preprocessing", "ColumnTransformer");
    has("ensemble", "VotingClassifier");
    has("boosting", "HistGradientBoostingClassifier");
    has("trees", "RandomForestClassifier");
  });
});
