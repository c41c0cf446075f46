/**
 * @module Prediction routes: `/predict`, `/predict/batch`, `/predict_proba`, `/predict_proba/batch`
 * under the default model, `/models/{name}` and `/models/{name}/versions/{version}`.
 */

import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { Errors } from "../../errors.ts";
import { infer, type Method, probabilityMap } from "../../inference/run.ts";
import type { ReadyVersion } from "../../registry/model-registry.ts";
import type { AppContext, RequestModel, RequestModels } from "../context.ts";

type Params = { name?: string; version?: string };

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "string" ? "a string" : typeof v;
}

/**
 * Races a prediction against a timer. The prediction is not cancelled (a synchronous runtime cannot
 * be), but the client gets its answer; the registry still counts it in flight until it ends.
 */
function withTimeout<T>(work: Promise<T>, v: ReadyVersion, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Errors.inferenceTimeout(v.name, v.version, ms)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Registers the prediction routes. `models` receives what each request resolved to, for logs. */
export function predictRoutes(app: FastifyInstance, ctx: AppContext, models: RequestModels): void {
  const { registry, settings } = ctx;
  const maxInflight = settings.maxInflight ?? 0;
  const timeoutMs = settings.inferenceTimeoutMs ?? 0;

  const handler =
    (route: string, method: Method, batch: boolean) => async (req: FastifyRequest, reply: FastifyReply) => {
      reply.header("x-request-id", req.id);
      // Draining: a request that reached us is still answered in full; its keep-alive connection then
      // closes so the listener can shut.
      if (ctx.shuttingDown) reply.header("connection", "close");
      const params = req.params as Params;
      const entry: RequestModel = { route };
      models.set(req, entry);
      const key = typeof req.headers["x-routing-key"] === "string" ? req.headers["x-routing-key"] : undefined;
      let v: ReadyVersion;
      try {
        v = registry.resolve(params.name, params.version, key);
      } catch (err) {
        // A lazily registered version loads on its first request; that request waits for it.
        const d = (err as { code?: string; details?: { name: string; version: string; state: string } })
          .details;
        if (
          (err as { code?: string }).code !== "MS_MODEL_NOT_READY" ||
          !d ||
          !registry.canActivate(d.name, d.version)
        )
          throw err;
        await registry.activate(d.name, d.version);
        v = registry.resolve(d.name, d.version);
      }
      entry.model = v.name;
      entry.version = v.version;
      const body = req.body;
      if (body === null || body === undefined || typeof body !== "object" || Array.isArray(body)) {
        throw Errors.bodyNotObject(
          body === undefined ? "an empty body" : typeName(body),
          batch ? 'send {"instances": [row, ...]}' : 'send named features or {"features": [...]}',
        );
      }
      let rows: unknown[];
      if (batch) {
        const obj = body as Record<string, unknown>;
        const extra = Object.keys(obj).filter((k) => k !== "instances");
        if (!("instances" in obj)) throw Errors.invalidBatch('nothing: the body has no "instances" field');
        if (extra.length > 0)
          throw Errors.invalidBatch(`unexpected fields next to "instances": ${extra.join(", ")}`);
        const inst = obj.instances;
        if (!Array.isArray(inst)) throw Errors.invalidBatch(typeName(inst));
        if (inst.length === 0) throw Errors.emptyBatch();
        if (inst.length > settings.maxBatchSize)
          throw Errors.batchTooLarge(inst.length, settings.maxBatchSize);
        rows = inst;
      } else {
        rows = [body];
      }
      const table = v.validator.toTable(rows, batch ? "instances" : "");
      // A full server answers at once rather than queueing without bound.
      if (maxInflight > 0 && registry.totalInflight >= maxInflight) throw Errors.overloaded(maxInflight);
      let result: Awaited<ReturnType<typeof infer>>;
      registry.enter(v);
      try {
        if (timeoutMs > 0) {
          // The version stays in flight until the model really finishes, timed out or not.
          result = await withTimeout(
            infer(v, table, method).finally(() => registry.leave(v)),
            v,
            timeoutMs,
          );
        } else {
          try {
            result = await infer(v, table, method);
          } finally {
            registry.leave(v);
          }
        }
      } catch (err) {
        if (
          (err as { statusCode?: number }).statusCode !== undefined &&
          (err as { code?: string }).code?.startsWith("MS_")
        ) {
          throw err;
        }
        req.log.error({ err, reqId: req.id, model: v.name, version: v.version }, "inference failed");
        throw Errors.inferenceFailed(v.name, v.version, String(req.id));
      }
      if (ctx.metrics) {
        entry.inferenceMs = result.inferenceMs;
        entry.rows = table.rows;
        if (v.model.signature.output.classes !== undefined) entry.labels = result.predictions;
        else if (v.model.signature.output.task === "regression") entry.values = result.predictions;
      }
      ctx.drift?.observe(v, {
        rows: table.rows,
        columns: table.columns,
        numeric: table.numeric,
        strings: table.strings,
        predictions: result.predictions,
      });
      // Shadow traffic follows the default route only: a request pinned to a version is not mirrored.
      if (params.version === undefined && result.predictions)
        ctx.shadows.mirror(v, table, result.predictions);
      reply
        .header("x-model", `${v.name}@${v.version}`)
        .header("server-timing", `inference;dur=${result.inferenceMs.toFixed(3)}`);
      const { probabilities: p, classes } = result;
      const probaRows =
        p && classes
          ? Array.from({ length: table.rows }, (_, r) => probabilityMap(p, classes, r))
          : undefined;
      if (ctx.audit?.sampled()) {
        entry.audit = {
          rows,
          inputNames: v.model.signature.inputs.map((f) => f.name),
          predictions: result.predictions,
          probabilities: probaRows,
        };
      }
      if (method === "predict_proba") {
        return batch
          ? { model: v.name, version: v.version, classes, probabilities: probaRows }
          : { model: v.name, version: v.version, classes, probabilities: probaRows![0] };
      }
      if (batch) {
        return probaRows
          ? { model: v.name, version: v.version, predictions: result.predictions, probabilities: probaRows }
          : { model: v.name, version: v.version, predictions: result.predictions };
      }
      return probaRows
        ? {
            model: v.name,
            version: v.version,
            prediction: result.predictions![0],
            probabilities: probaRows[0],
          }
        : { model: v.name, version: v.version, prediction: result.predictions![0] };
    };

  for (const prefix of ["", "/models/:name", "/models/:name/versions/:version"]) {
    for (const [suffix, method, batch] of [
      ["/predict", "predict", false],
      ["/predict/batch", "predict", true],
      ["/predict_proba", "predict_proba", false],
      ["/predict_proba/batch", "predict_proba", true],
    ] as const) {
      app.post(`${prefix}${suffix}`, handler(`${prefix}${suffix}`, method, batch));
    }
  }
}
