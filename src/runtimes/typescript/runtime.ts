/**
 * @module The `typescript` runtime: serves models declared with `defineModel`, from a module file
 * (`.ts`, `.js`, `.mjs`) or from an object passed to `deploy`.
 */

import { pathToFileURL } from "node:url";
import { Errors } from "../../errors.ts";
import { sha256Hex } from "../../util/hash.ts";
import { runtimeOf } from "../descriptor.ts";
import type {
  FeatureTable,
  Label,
  LoadedModel,
  Matrix,
  PredictOutput,
  Runtime,
  RuntimeModel,
} from "../runtime.ts";
import { type FeatureValue, isModelDefinition, type ModelDefinition, type Row } from "./define-model.ts";
import { typescriptDescriptor } from "./descriptor.ts";

/** Turns a table back into named rows for a TypeScript predictor. */
function rowsOf(def: ModelDefinition, table: FeatureTable): Row[] {
  const specs = def.inputSpecs;
  const width = specs.length;
  const rows: Row[] = new Array(table.rows);
  for (let r = 0; r < table.rows; r++) {
    const row: Record<string, FeatureValue> = {};
    for (let c = 0; c < width; c++) {
      const spec = specs[c];
      const s = table.strings[c];
      const t = table.tensors[c];
      if (s) row[spec.name] = s[r];
      else if (t) {
        const size = t.data.length / table.rows;
        row[spec.name] = Array.from(t.data.subarray(r * size, (r + 1) * size));
      } else {
        const v = table.numeric[r * width + c];
        row[spec.name] = Number.isNaN(v) ? null : spec.dtype === "bool" ? v === 1 : v;
      }
    }
    rows[r] = row;
  }
  return rows;
}

function fail(def: ModelDefinition, what: string): never {
  throw Errors.invalidDefinition(`"${def.name}"`, what);
}

/** Builds a runtime model from a definition. */
function modelFromDefinition(def: ModelDefinition): RuntimeModel {
  // /predict asks for labels and probabilities of the same table right after each other: remember the
  // last table's rows (one slot, no WeakMap: per-request ephemerons cost the garbage collector more).
  let lastTable: FeatureTable | undefined;
  let lastRows: Row[] = [];
  const rows = (table: FeatureTable): Row[] => {
    if (table !== lastTable) {
      lastRows = rowsOf(def, table);
      lastTable = table;
    }
    return lastRows;
  };
  const classes = def.classes;
  const task = def.task ?? (classes ? "classification" : "regression");
  const labelsOut = task === "classification" || task === "clustering" || task === "anomaly-detection";
  return {
    signature: {
      inputs: def.inputSpecs,
      output: labelsOut ? { task, classes } : { task },
      capabilities: {
        predict: true,
        predictProba: typeof def.predictProba === "function",
        decisionFunction: false,
        transform: false,
        rawScore: false,
      },
    },
    details: {
      format: "typescript",
      framework: "modelserve",
      modelType: "TypeScriptModel",
      metadata: def.description ? { description: def.description } : undefined,
    },
    async predict(table: FeatureTable): Promise<PredictOutput> {
      const out = await def.predict(rows(table));
      if (!Array.isArray(out) || out.length !== table.rows) {
        fail(
          def,
          `predict returned ${Array.isArray(out) ? out.length : typeof out} results for ${table.rows} rows`,
        );
      }
      if (labelsOut) return { kind: "labels", labels: out as Label[] };
      const width = Array.isArray(out[0]) ? (out[0] as number[]).length : 1;
      const data = new Float64Array(table.rows * width);
      out.forEach((v, i) => {
        if (Array.isArray(v)) data.set(v as number[], i * width);
        else if (typeof v === "number") data[i] = v;
        else fail(def, `predict returned ${typeof v} for a regression row`);
      });
      return { kind: "values", values: { rows: table.rows, cols: width, data } };
    },
    predictProba: def.predictProba
      ? async (table: FeatureTable): Promise<Matrix> => {
          const out = await def.predictProba!(rows(table));
          const k = classes!.length;
          if (!Array.isArray(out) || out.length !== table.rows)
            fail(def, "predictProba returned the wrong number of rows");
          const data = new Float64Array(table.rows * k);
          out.forEach((p, i) => {
            if (!Array.isArray(p) || p.length !== k)
              fail(def, `predictProba row ${i} must have ${k} probabilities`);
            data.set(p, i * k);
          });
          return { rows: table.rows, cols: k, data };
        }
      : undefined,
  };
}

/** A definition as a fully described loaded model (for `deploy(defineModel(...))`). */
export function loadDefinition(def: ModelDefinition, loadTimeMs = 0): LoadedModel {
  const model = modelFromDefinition(def);
  const fingerprint = sha256Hex(
    JSON.stringify({ name: def.name, version: def.version, inputs: def.inputSpecs, classes: def.classes }) +
      def.predict.toString() +
      (def.predictProba?.toString() ?? ""),
  );
  return {
    ...model,
    info: {
      ...model.details,
      runtime: "typescript",
      sha256: fingerprint,
      sizeBytes: 0,
      loadTimeMs,
      loadedAt: new Date().toISOString(),
    },
  };
}

/** The runtime for TypeScript/JavaScript modules whose default (or `model`) export is a definition. */
export const typescriptRuntime: Runtime = /* @__PURE__ */ runtimeOf(typescriptDescriptor, async (source) => {
  if (!source.path)
    throw Errors.invalidModel(source.fileName, "a TypeScript model must be loaded from a file path");
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(source.path).href)) as Record<string, unknown>;
  } catch (err) {
    throw Errors.invalidModel(
      source.fileName,
      `the module failed to import: ${err instanceof Error ? err.message : err}`,
    );
  }
  const def = [mod.default, mod.model].find(isModelDefinition);
  if (!def) {
    throw Errors.invalidModel(
      source.fileName,
      "the module must export a defineModel(...) result as default or as `model`",
    );
  }
  return modelFromDefinition(def);
});
