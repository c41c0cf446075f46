/**
 * @module Explanation routes: `POST /explain` and `/explain/batch` under the default model,
 * `/models/{name}` and `/models/{name}/versions/{version}`. Each row is answered with its prediction,
 * the bias (`base_value`) and every input's exact TreeSHAP contribution, in the model's
 * `output_space`. Request handling mirrors the predict routes (same body forms, validation, limits).
 */

import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { Errors } from "../../errors.ts";
import { explainInChunks, explanationJson } from "../../inference/explain.ts";
import { infer } from "../../inference/run.ts";
import { ExplainCounters } from "../../observability/explain-metrics.ts";
import type { ReadyVersion } from "../../registry/model-registry.ts";
import type { AppContext, RequestModel, RequestModels } from "../context.ts";

type Params = { name?: string; version?: string };

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "string" ? "a string" : typeof v;
}

/** The rows of a single (`{feature: value}`) or batch (`{"instances": [...]}`) body. */
function rowsOf(body: unknown, batch: boolean, maxBatch: number): unknown[] {
  if (body === null || body === undefined || typeof body !== "object" || Array.isArray(body)) {
    throw Errors.bodyNotObject(
      body === undefined ? "an empty body" : typeName(body),
      batch ? 'send {"instances": [row, ...]}' : 'send named features or {"features": [...]}',
    );
  }
  if (!batch) return [body];
  const obj = body as Record<string, unknown>;
  const extra = Object.keys(obj).filter((k) => k !== "instances");
  if (!("instances" in obj)) throw Errors.invalidBatch('nothing: the body has no "instances" field');
  if (extra.length > 0)
    throw Errors.invalidBatch(`unexpected fields next to "instances": ${extra.join(", ")}`);
  const inst = obj.instances;
  if (!Array.isArray(inst)) throw Errors.invalidBatch(typeName(inst));
  if (inst.length === 0) throw Errors.emptyBatch();
  if (inst.length > maxBatch) throw Errors.batchTooLarge(inst.length, maxBatch);
  return inst;
}

/** Registers the explanation routes. `models` receives what each request resolved to, for logs. */
export function explainRoutes(app: FastifyInstance, ctx: AppContext, models: RequestModels): void {
  const { registry, settings } = ctx;
  const counters = new ExplainCounters();
  ctx.metrics?.addCollector(counters.collector);
  const maxInflight = settings.maxInflight ?? 0;
  const timeoutMs = settings.inferenceTimeoutMs ?? 0;

  const handler = (route: string, batch: boolean) => async (req: FastifyRequest, reply: FastifyReply) => {
    reply.header("x-request-id", req.id);
    if (ctx.shuttingDown) reply.header("connection", "close");
    const params = req.params as Params;
    const entry: RequestModel = { route };
    models.set(req, entry);
    const key = typeof req.headers["x-routing-key"] === "string" ? req.headers["x-routing-key"] : undefined;
    let v: ReadyVersion;
    try {
      v = registry.resolve(params.name, params.version, key);
    } catch (err) {
      const d = (err as { code?: string; details?: { name: string; version: string } }).details;
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
    const rows = rowsOf(req.body, batch, settings.maxBatchSize);
    const table = v.validator.toTable(rows, batch ? "instances" : "");
    if (maxInflight > 0 && registry.totalInflight >= maxInflight) throw Errors.overloaded(maxInflight);
    registry.enter(v);
    let contributions: Awaited<ReturnType<typeof explainInChunks>>;
    let predictions: Awaited<ReturnType<typeof infer>>["predictions"];
    try {
      // In chunks: a big batch on a big ensemble yields to other requests, and stops at the timeout.
      contributions = await explainInChunks(v.model, v.name, table, {
        deadline: timeoutMs > 0 ? Date.now() + timeoutMs : 0,
        onDeadline: () => Errors.inferenceTimeout(v.name, v.version, timeoutMs),
      });
      predictions = (await infer(v, table, "predict")).predictions;
    } catch (err) {
      if ((err as { code?: string }).code?.startsWith("MS_")) throw err;
      req.log.error({ err, reqId: req.id, model: v.name, version: v.version }, "explanation failed");
      throw Errors.inferenceFailed(v.name, v.version, String(req.id));
    } finally {
      registry.leave(v);
    }
    counters.observe(v.name, v.version, table.rows);
    reply.header("x-model", `${v.name}@${v.version}`);
    const one = (r: number) => ({
      prediction: predictions?.[r] ?? null,
      ...explanationJson(contributions, r),
    });
    const head = { model: v.name, version: v.version };
    if (batch)
      return {
        ...head,
        output_space: contributions.outputSpace,
        explanations: Array.from({ length: table.rows }, (_, r) => one(r)),
      };
    return { ...head, ...one(0), output_space: contributions.outputSpace };
  };

  for (const prefix of ["", "/models/:name", "/models/:name/versions/:version"]) {
    app.post(`${prefix}/explain`, handler(`${prefix}/explain`, false));
    app.post(`${prefix}/explain/batch`, handler(`${prefix}/explain/batch`, true));
  }
}
