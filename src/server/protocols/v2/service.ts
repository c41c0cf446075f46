/**
 * @module The V2 (Open Inference Protocol) operations, shared by the REST routes and the gRPC service:
 * server metadata, liveness and readiness, model metadata and readiness, and inference through the
 * shared prediction path. Transport-free: callers decode tensors and encode answers.
 */

import { Errors } from "../../../errors.ts";
import type { ReadyVersion } from "../../../inference/version.ts";
import type { ModelSignature } from "../../../runtimes/runtime.ts";
import { PACKAGE_VERSION } from "../../../version.ts";
import type { AppContext, RequestModel } from "../../context.ts";
import { type ExtraScore, predictThroughPipeline } from "../frontend.ts";
import {
  buildOutputs,
  defaultOutputs,
  featureDatatype,
  type OutputTensor,
  outputMetadata,
  outputNames,
  tensorsToRows,
} from "./codec.ts";
import type { Datatype } from "./datatypes.ts";
import type { InputTensor } from "./tensor.ts";

/** Server metadata (`GET /v2`, `ServerMetadata`). */
export function serverMetadata(): { name: string; version: string; extensions: string[] } {
  return { name: "modelserve", version: PACKAGE_VERSION, extensions: [] };
}

/** Whether the server is ready: every startup model loaded and not shutting down. */
export function serverReady(ctx: AppContext): boolean {
  return !ctx.shuttingDown && ctx.registry.allReady();
}

/** The version a metadata or readiness request addresses (any state), or a 404 error. */
function addressed(ctx: AppContext, name: string, version?: string) {
  const { registry } = ctx;
  if (!registry.names().includes(name)) throw Errors.modelNotFound(name, registry.names());
  const label = version ?? registry.defaultVersion(name);
  const v = label === undefined ? undefined : registry.get(name, label);
  if (!v) throw Errors.versionNotFound(name, version ?? "(none)", registry.versions(name));
  return v;
}

/** Whether a model (version) is ready; throws 404 errors for unknown names and versions. */
export function modelReady(ctx: AppContext, name: string, version?: string): boolean {
  const v = addressed(ctx, name, version);
  // A lazily registered version is servable: its first request loads it.
  return !ctx.shuttingDown && (v.state === "ready" || v.state === "unloaded");
}

/** One tensor's metadata. */
export interface TensorMetadata {
  readonly name: string;
  readonly datatype: Datatype;
  readonly shape: readonly number[];
}

/** Input tensor metadata: one `[-1]` tensor per feature (`[-1, ...shape]` for tensor features). */
export function inputMetadata(sig: ModelSignature): TensorMetadata[] {
  return sig.inputs.map((f) => ({
    name: f.name,
    datatype: featureDatatype(f),
    shape: f.dtype === "tensor" ? [-1, ...(f.shape ?? [])] : [-1],
  }));
}

/** Model metadata (`GET /v2/models/{name}[/versions/{v}]`, `ModelMetadata`). */
export function modelMetadata(
  ctx: AppContext,
  name: string,
  version?: string,
): {
  name: string;
  versions: string[];
  platform: string;
  inputs: TensorMetadata[];
  outputs: TensorMetadata[];
  properties: Record<string, string>;
} {
  const v = addressed(ctx, name, version);
  if (!v.model) throw Errors.modelNotReady(v.name, v.version, v.state);
  const sig = v.model.signature;
  const info = v.model.info;
  const properties: Record<string, string> = {
    version: v.version,
    task: sig.output.task,
    framework: info.framework,
    model_type: info.modelType,
  };
  if (sig.output.classes) properties.classes = JSON.stringify(sig.output.classes);
  return {
    name: v.name,
    versions: ctx.registry.versions(name),
    platform: info.runtime,
    inputs: inputMetadata(sig),
    outputs: outputMetadata(sig),
    properties,
  };
}

/** A decoded V2 inference request. */
export interface InferRequest {
  readonly name: string;
  readonly version?: string;
  readonly id?: string;
  readonly routingKey?: string;
  readonly inputs: readonly InputTensor[];
  /** Requested output names; undefined: the model's default outputs. */
  readonly outputs?: readonly string[];
}

/** The answer of one inference, before transport encoding. */
export interface InferAnswer {
  readonly model_name: string;
  readonly model_version: string;
  readonly id: string;
  readonly outputs: OutputTensor[];
  /** The version that answered (for headers and logs). */
  readonly served: ReadyVersion;
  readonly inferenceMs: number;
}

/** Runs one V2 inference through the shared prediction path. */
export async function inferV2(
  ctx: AppContext,
  req: InferRequest,
  entry: RequestModel,
  requestId: string,
  logError: (fields: Record<string, unknown>, msg: string) => void,
): Promise<InferAnswer> {
  let requested: readonly string[] = [];
  const res = await predictThroughPipeline(
    ctx,
    {
      name: req.name,
      version: req.version,
      routingKey: req.routingKey,
      requestId,
      logError,
      decode: (v) => {
        const sig = v.model.signature;
        const offered = outputNames(sig);
        if (req.outputs) {
          const seen = new Set<string>();
          for (const o of req.outputs) {
            if (!offered.includes(o))
              throw Errors.invalidInferRequest(
                `model "${v.name}" has no output "${o}"; outputs: ${offered.join(", ")}`,
              );
            if (seen.has(o)) throw Errors.invalidInferRequest(`output "${o}" is requested twice`);
            seen.add(o);
          }
          requested = [...req.outputs];
        } else requested = defaultOutputs(sig);
        const decoded = tensorsToRows(sig, req.inputs, ctx.settings.maxBatchSize, v.validator);
        // The default outputs hold no extra score.
        if (!req.outputs) return decoded;
        const extras = requested.filter(
          (o): o is ExtraScore => o === "raw_score" || o === "decision_function",
        );
        return { ...decoded, extras };
      },
    },
    entry,
  );
  const sig = res.version.model.signature;
  return {
    model_name: res.version.name,
    model_version: res.version.version,
    id: req.id ?? requestId,
    outputs: buildOutputs(sig, requested, res.result, res.extras),
    served: res.version,
    inferenceMs: res.result.inferenceMs,
  };
}
