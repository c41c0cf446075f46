/**
 * @module Prediction routes: `/predict`, `/predict/batch`, `/predict_proba`, `/predict_proba/batch`
 * under the default model, `/models/{name}` and `/models/{name}/versions/{version}`. Each handler reads
 * the request, runs the shared pipeline and writes the native answer (`answer-json.ts`).
 */

import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Method } from "../../inference/run.ts";
import type { AppContext, RequestModel, RequestModels } from "../context.ts";
import { answerJson } from "../predict/answer-json.ts";
import { rowsOfBody } from "../predict/body.ts";
import { type PredictCall, type Prediction, predictRows } from "../predict/pipeline.ts";

type Params = { name?: string; version?: string };

/** Registers the prediction routes. `models` receives what each request resolved to, for logs. */
export function predictRoutes(app: FastifyInstance, ctx: AppContext, models: RequestModels): void {
  const handler = (route: string, method: Method, batch: boolean) => {
    // Fastify calls this after the preSerialization hooks (the durable audit's) with the prediction, or
    // with an error's body when one of those hooks refused the answer.
    const serialize = (p: Prediction | object) =>
      "result" in p && "rows" in p ? answerJson(p, method, batch) : JSON.stringify(p);
    return async (req: FastifyRequest, reply: FastifyReply) => {
      reply.header("x-request-id", req.id);
      // Draining: a request that reached us is still answered in full; its keep-alive connection then
      // closes so the listener can shut.
      if (ctx.shuttingDown) reply.header("connection", "close");
      const entry: RequestModel = { route };
      models.set(req, entry);
      const { name, version } = req.params as Params;
      const key = req.headers["x-routing-key"];
      const call: PredictCall = {
        name,
        version,
        method,
        path: batch ? "instances" : "",
        reqId: String(req.id),
        routingKey: typeof key === "string" ? key : undefined,
        rows: () => rowsOfBody(req.body, batch, ctx.settings.maxBatchSize),
        log: (fields, msg) => req.log.error(fields, msg),
      };
      const p = await predictRows(ctx, call, entry);
      reply.header("x-model", `${p.version.name}@${p.version.version}`);
      reply.header("server-timing", `inference;dur=${p.result.inferenceMs.toFixed(3)}`);
      reply.header("content-type", "application/json; charset=utf-8");
      reply.serializer(serialize);
      return p;
    };
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
