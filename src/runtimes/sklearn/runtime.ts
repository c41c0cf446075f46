/**
 * @module The `sklearn` runtime: joblib and pickle files read by a pickle VM that executes nothing,
 * an allow-list of names, and estimators rebuilt in TypeScript. The signature comes from the fitted
 * estimator (feature names, classes, missing-value support).
 */

import { Errors, isModelServeError } from "../../errors.ts";
import { detectCompression } from "../../formats/compression/detect.ts";
import type { PyObject, PyValue } from "../../formats/pickle/py-objects.ts";
import { withShared } from "../common/shared-model.ts";
import { runtimeOf } from "../descriptor.ts";
import { type LoadLimits, loadLimits, loadsInline } from "../load-limits.ts";
import { rememberDigest } from "../loading/digest-cache.ts";
import { runLoaderWorker, sharedCopy, siblingModule } from "../loading/loader-worker-host.ts";
import type { FeatureTable, Runtime, RuntimeModel } from "../runtime.ts";
import { ESTIMATOR_BUILDERS, loadBuildersFor } from "./builders.ts";
import { BudgetError, ConsistencyError, checkBuilt, checkDeclaredCounts, withBuildBudget } from "./checks.ts";
import { containerBooster, containerEstimator, isContainer } from "./containers.ts";
import { DataError, dense } from "./data.ts";
import { sklearnDescriptor } from "./descriptor.ts";
import type { BuildContext, SkEstimator } from "./estimator.ts";
import { isResampler, resamplerReason } from "./estimators/composition/resamplers.ts";
import { labelEncoderClasses } from "./estimators/preprocessing/label-encoder.ts";
import { boosterPipelineExplainer } from "./explain-model.ts";
import { adoptLayouts, type Layouts } from "./layouts.ts";
import { dataOf, estimatorModel, guarded } from "./model.ts";
import { AttributeError, attr, isBoosterWrapper, isObject, stateOf, str } from "./py-access.ts";
import { signatureOf } from "./signature.ts";
import { rememberStreamSize, streamSizeOf } from "./stream-size.ts";

/** `_sklearn_version` of the top object, or of the first estimator in a container file. */
function sklearnVersionOf(value: PyValue): string | undefined {
  if (isObject(value)) return str(attr(value, "_sklearn_version"));
  const items = Array.isArray(value)
    ? value
    : typeof value === "object" && value !== null && "kind" in value
      ? value.kind === "tuple"
        ? value.items
        : value.kind === "dict"
          ? [...value.map.values()]
          : []
      : [];
  for (const v of items)
    if (isObject(v) && str(attr(v, "_sklearn_version"))) return str(attr(v, "_sklearn_version"));
  return undefined;
}

/** Whether an estimator holds any fitted attribute (scikit-learn names them with a trailing `_`). */
function isFitted(o: PyObject): boolean {
  const state = o.state;
  if (!state || typeof state !== "object" || !("kind" in state) || state.kind !== "dict") return true;
  // A Pipeline learns nothing itself: it is fitted when its last step is.
  if (o.name === "Pipeline") {
    const steps = state.map.get("steps");
    const last = Array.isArray(steps) ? steps[steps.length - 1] : undefined;
    const est =
      last && typeof last === "object" && "kind" in last && last.kind === "tuple" ? last.items[1] : undefined;
    return !isObject(est) || isFitted(est);
  }
  for (const k of state.map.keys())
    if (typeof k === "string" && k.endsWith("_") && !k.startsWith("__")) return true;
  return false;
}

/** Builds the estimator for an unpickled object (one estimator, or a container file: see containers.ts). */
export function buildEstimator(value: PyValue, fileName: string): SkEstimator {
  const container = isContainer(value);
  if (!isObject(value) && !container)
    throw Errors.invalidModel(fileName, "the file does not hold a fitted estimator");
  const version = sklearnVersionOf(value);
  // An object the pickle memo shares (one tree in a million ensemble slots) is built once.
  const built = new Map<PyObject, SkEstimator>();
  const building = new Set<PyObject>();
  const ctx: BuildContext = {
    file: fileName,
    sklearnVersion: version,
    build(v, path) {
      if (!isObject(v)) throw Errors.invalidModel(fileName, `${path} is not an estimator`);
      const done = built.get(v);
      if (done) return done;
      if (building.has(v)) throw Errors.invalidModel(fileName, `${path} (${v.name}) contains itself`);
      if (isResampler(v)) throw Errors.unsupportedModel(fileName, resamplerReason(v));
      const builder = ESTIMATOR_BUILDERS[v.name];
      if (!builder) throw Errors.unsupportedModel(fileName, `${v.name} (at ${path}) is not implemented`);
      checkDeclaredCounts(v);
      building.add(v);
      try {
        const est = builder(v, ctx);
        checkBuilt(est, v === value);
        built.set(v, est);
        return est;
      } finally {
        building.delete(v);
      }
    },
  };
  const budget = {
    maxTreeNodes: loadLimits().maxTreeNodes,
    streamBytes: streamSizeOf(value) ?? Number.POSITIVE_INFINITY,
  };
  try {
    return withBuildBudget(budget, () =>
      container ? containerEstimator(value, ctx) : ctx.build(value, (value as PyObject).name),
    );
  } catch (err) {
    if (isModelServeError(err)) throw err;
    if (err instanceof ConsistencyError) throw Errors.inconsistentModel(fileName, err.message);
    if (err instanceof BudgetError) throw Errors.limitExceeded(fileName, err.message);
    if (err instanceof AttributeError && isObject(value) && !isFitted(value))
      throw Errors.invalidModel(
        fileName,
        `${(value as PyObject).name} was saved before fit(): it has no fitted attributes (${err.message})`,
      );
    if (err instanceof AttributeError || err instanceof DataError)
      throw Errors.invalidModel(fileName, err.message);
    if (err instanceof RangeError)
      throw Errors.limitExceeded(fileName, `building the model ran out of room (${err.message})`);
    throw Errors.invalidModel(fileName, (err as Error).message);
  }
}

/** The steps of a Pipeline whose last step is a pickled XGBoost/LightGBM wrapper, else undefined. */
function boosterPipelineSteps(value: PyValue): PyValue[] | undefined {
  if (!isObject(value) || value.name !== "Pipeline") return undefined;
  const steps = attr(value, "steps");
  if (!Array.isArray(steps) || steps.length < 2) return undefined;
  const last = steps[steps.length - 1];
  const est =
    typeof last === "object" && last !== null && "kind" in last && last.kind === "tuple"
      ? last.items[1]
      : undefined;
  return isBoosterWrapper(est) ? steps : undefined;
}

/**
 * A Pipeline ending in a pickled booster wrapper: the steps before it are rebuilt here (synchronous, as
 * any pipeline), their dense output handed to the booster's own runtime model, whose answers are kept.
 */
function boosterPipelineModel(
  o: PyObject,
  steps: PyValue[],
  fileName: string,
  boosters: typeof import("./boosters.ts"),
): RuntimeModel {
  const lastStep = steps[steps.length - 1] as { items: readonly PyValue[] };
  const booster = boosters.boosterWrapperModel(lastStep.items[1] as PyObject, fileName);
  const state = new Map(stateOf(o));
  state.set("steps", steps.slice(0, -1));
  const head = buildEstimator({ ...o, state: { kind: "dict", map: state, otherEntries: [] } }, fileName);
  if (!head.transform)
    throw Errors.unsupportedModel(fileName, "a Pipeline whose steps before the booster cannot transform");
  const names = booster.signature.inputs.map((f) => f.name);
  const tableOf = (t: FeatureTable): FeatureTable =>
    guarded(() => {
      const d = dense(head.transform!(dataOf(t)));
      if (d.cols !== names.length)
        throw new DataError(`the steps before the booster give ${d.cols} columns; it takes ${names.length}`);
      return {
        rows: d.rows,
        columns: names,
        numeric: d.data,
        strings: names.map(() => undefined),
        tensors: names.map(() => undefined),
      };
    });
  const own = signatureOf(head);
  return {
    ...booster,
    signature: { ...booster.signature, inputs: own.inputs },
    details: { ...booster.details, modelType: `Pipeline(${booster.details.modelType})` },
    predict: (t) => booster.predict(tableOf(t)),
    predictProba: booster.predictProba ? (t) => booster.predictProba!(tableOf(t)) : undefined,
    rawScore: booster.rawScore ? (t) => booster.rawScore!(tableOf(t)) : undefined,
    explain: booster.explain
      ? boosterPipelineExplainer(
          steps.slice(0, -1),
          (v) => buildEstimator(v, fileName),
          booster,
          own.inputs.map((f) => f.name),
          (t) => guarded(() => dataOf(t)),
        )
      : undefined,
  };
}

/** The scikit-learn runtime. */
export const sklearnRuntime: Runtime = /* @__PURE__ */ runtimeOf(
  sklearnDescriptor,
  async (source, options) => {
    const read = await readPickleForLoad(source, loadsInline(options));
    const model = await modelFromValue(read.value, source);
    if (!read.fromWorker || !loadLimits().sharedMemory) return model;
    // The pool's threads rebuild the model from the same value and layouts, whose arrays are shared.
    const data: SklearnPoolData = {
      value: read.value,
      layouts: read.fromWorker.layouts,
      streamBytes: read.fromWorker.streamBytes,
      fileName: source.fileName,
      head: headOf(source.bytes),
      limits: loadLimits(),
    };
    return withShared(model, siblingModule(import.meta.url, "pool-bind"), data);
  },
);

/** A shared copy of a file's first bytes (never a view: that would keep the whole file alive). */
function headOf(bytes: Uint8Array): Uint8Array {
  const head = new Uint8Array(new SharedArrayBuffer(Math.min(4096, bytes.byteLength)));
  head.set(bytes.subarray(0, head.length));
  return head;
}

/** What a thread of the inference pool receives to rebuild a scikit-learn model (see pool-bind.ts). */
export interface SklearnPoolData {
  /** The unpickled value, as the loader worker sent it (its arrays in shared memory). */
  readonly value: PyValue;
  /** The loader worker's layouts, keyed by objects of `value`. */
  readonly layouts: Layouts;
  /** Size of the decompressed pickle stream (the build budget). */
  readonly streamBytes: number;
  readonly fileName: string;
  /** The file's first bytes (its compression names the format). */
  readonly head: Uint8Array;
  /** The load budgets in force (the build's node budget). */
  readonly limits: LoadLimits;
}

/** What a runtime load receives. */
type Source = Parameters<Runtime["load"]>[0];

/**
 * Reads the pickle of a source: in the loader worker (decompression, unpickling and a full dry-run
 * build under the load budgets, off the event loop, whose prepared layouts the build here then binds),
 * or here when the load runs inline ({@link loadsInline}).
 */
async function readPickleForLoad(
  source: Source,
  inline: boolean,
): Promise<{ value: PyValue; fromWorker?: PickleWorkerResult }> {
  if (inline) {
    // Only here: a process whose loads run in loader workers never loads the pickle reader itself.
    const { readPickle } = await import("./parse-pickle.ts");
    return { value: await readPickle(source.bytes, source.fileName) };
  }
  const r = await runLoaderWorker<PickleWorkerResult>(
    siblingModule(import.meta.url, "pickle-worker"),
    { bytes: sharedCopy(source.bytes), fileName: source.fileName },
    source.fileName,
  );
  rememberDigest(source.bytes, r.sha256);
  rememberStreamSize(r.value, r.streamBytes);
  adoptLayouts(r.layouts);
  return { value: r.value, fromWorker: r };
}

/** What the pickle worker sends back. */
export interface PickleWorkerResult {
  /** The unpickled value (its typed arrays moved, not copied). */
  readonly value: PyValue;
  /** What the dry-run build laid out, keyed by objects of `value` (arrays moved too): see layouts.ts. */
  readonly layouts: Layouts;
  /** Size of the decompressed pickle stream. */
  readonly streamBytes: number;
  /** SHA-256 (hex) of the file's bytes. */
  readonly sha256: string;
}

/** Builds the runtime model of an unpickled value (estimators, pickled boosters, containers). */
export async function modelFromValue(value: PyValue, source: Source): Promise<RuntimeModel> {
  // The builders of every class the value holds, imported before the synchronous build.
  await loadBuildersFor(value);
  // Pickled XGBoost/LightGBM wrappers: their module (and both boosters' runtimes) only for such files.
  const boosters = () => import("./boosters.ts");
  if (isBoosterWrapper(value)) return (await boosters()).boosterWrapperModel(value, source.fileName);
  const inContainer = isContainer(value) ? containerBooster(value) : undefined;
  if (inContainer) {
    const { boosterWrapperModel, relabel } = await boosters();
    const m = boosterWrapperModel(inContainer.booster, source.fileName);
    if (!inContainer.encoder) return m;
    const names = labelEncoderClasses(inContainer.encoder);
    const own = m.signature.output.classes;
    // Only classes that are exactly 0…k−1 (in order, within the encoder's range) are its codes.
    const codes = own !== undefined && own.length <= names.length && own.every((c, i) => c === i);
    return codes && own
      ? relabel(
          m,
          own.map((c) => names[c as number]),
        )
      : m;
  }
  const steps = boosterPipelineSteps(value);
  if (steps && isObject(value)) return boosterPipelineModel(value, steps, source.fileName, await boosters());
  const est = buildEstimator(value, source.fileName);
  const version = sklearnVersionOf(value);
  try {
    return estimatorModel(est, {
      format:
        detectCompression(source.bytes) === "none" ? "pickle" : `joblib-${detectCompression(source.bytes)}`,
      version,
    });
  } catch (err) {
    // A layout the loader worker prepared for the typical values that does not fit (see layouts.ts).
    if (err instanceof ConsistencyError) throw Errors.inconsistentModel(source.fileName, err.message);
    throw err;
  }
}
