/**
 * @module Explanation routes: `POST /explain` and `/explain/batch` under the default model,
 * `/models/{name}` and `/models/{name}/versions/{version}`. Each row is answered with its prediction,
 * the bias (`base_value`) and every input's exact TreeSHAP contribution, in the model's
 * `output_space`. The steps are the prediction pipeline's (lease, body, validation, capacity); the model
 * call is `explain`, in chunks that yield to other requests and stop at the inference timeout.
 */

import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { Errors } from "../../errors.ts";
import { explainInChunks, explanationJson } from "../../inference/explain.ts";
import { infer } from "../../inference/run.ts";
import { ExplainCounters } from "../../observability/explain-metrics.ts";
import type { AppContext, RequestModel, RequestModels } from "../context.ts";
import { rowsOfBody } from "../predict/body.ts";
import { checkCapacity } from "../predict/steps.ts";

type Params = { name?: string; version?: string };

/** Registers the explanation routes. `models` receives what each request resolved to, for logs. */
export function explainRoutes(app: FastifyInstance, ctx: AppContext, models: RequestModels): void {
  const counters = new ExplainCounters();
  ctx.metrics?.addCollector(counters.collector);

  const handler = (route: string, batch: boolean) => async (req: FastifyRequest, reply: FastifyReply) => {
    reply.header("x-request-id", req.id);
    if (ctx.shuttingDown) reply.header("connection", "close");
    const entry: RequestModel = { route };
    models.set(req, entry);
    const { name, version } = req.params as Params;
    const key = req.headers["x-routing-key"];
    const lease = await ctx.registry.acquire(name, version, typeof key === "string" ? key : undefined);
    const v = lease.version;
    entry.model = v.name;
    entry.version = v.version;
    const timeoutMs = ctx.settings.inferenceTimeoutMs;
    let contributions: Awaited<ReturnType<typeof explainInChunks>>;
    let predictions: Awaited<ReturnType<typeof infer>>["predictions"];
    try {
      const rows = rowsOfBody(req.body, batch, ctx.settings.maxBatchSize);
      const table = v.validator.toTable(rows, batch ? "instances" : "");
      checkCapacity(ctx);
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
      lease.release();
    }
    counters.observe(v.name, v.version, contributions.rows);
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
        explanations: Array.from({ length: contributions.rows }, (_, r) => one(r)),
      };
    return { ...head, ...one(0), output_space: contributions.outputSpace };
  };

  for (const prefix of ["", "/models/:name", "/models/:name/versions/:version"]) {
    app.post(`${prefix}/explain`, handler(`${prefix}/explain`, false));
    app.post(`${prefix}/explain/batch`, handler(`${prefix}/explain/batch`, true));
  }
}
