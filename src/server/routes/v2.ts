/**
 * @module Open Inference Protocol (V2) REST routes: `/v2`, `/v2/health/live|ready`,
 * `/v2/models/{name}[/versions/{v}]`, `.../ready` and `.../infer`. A second front end on the same
 * prediction path as `/predict`. Errors answer the protocol's `{"error": "<message>"}`, plus the stable
 * `MS_*` code in a `code` field and an `x-error-code` header.
 */

import type { FastifyError, FastifyInstance } from "fastify";
import { Errors } from "../../errors.ts";
import type { AppContext, RequestModels } from "../context.ts";
import { sendProtocolError } from "../plugins/protocol-errors.ts";
import { jsonData } from "../protocols/v2/codec.ts";
import {
  type InferAnswer,
  inferV2,
  modelMetadata,
  modelReady,
  serverMetadata,
  serverReady,
} from "../protocols/v2/service.ts";
import { checkParameters, type InputTensor, tensorFromJson } from "../protocols/v2/tensor.ts";

type Params = { name: string; version?: string };

/** Decodes the JSON body of an infer request into tensors and requested outputs. */
export function decodeInferBody(body: unknown): {
  id?: string;
  inputs: InputTensor[];
  outputs?: string[];
} {
  if (body === null || typeof body !== "object" || Array.isArray(body))
    throw Errors.invalidInferRequest('the body must be a JSON object {"inputs": [...]}');
  const b = body as Record<string, unknown>;
  if (b.id !== undefined && typeof b.id !== "string")
    throw Errors.invalidInferRequest(`"id" must be a string`);
  if (b.parameters !== undefined) checkParameters(b.parameters, "parameters");
  if (!Array.isArray(b.inputs)) throw Errors.invalidInferRequest(`"inputs" must be a list of tensors`);
  const inputs = b.inputs.map((t, i) => tensorFromJson(t, i));
  let outputs: string[] | undefined;
  if (b.outputs !== undefined) {
    if (!Array.isArray(b.outputs)) throw Errors.invalidInferRequest(`"outputs" must be a list`);
    outputs = b.outputs.map((o, i) => {
      const name = (o as { name?: unknown } | null)?.name;
      if (typeof name !== "string") throw Errors.invalidInferRequest(`outputs[${i}] needs a "name" string`);
      const p = (o as { parameters?: unknown }).parameters;
      if (p !== undefined) checkParameters(p, `outputs[${i}].parameters`);
      return name;
    });
  }
  return { id: b.id as string | undefined, inputs, outputs };
}

/** The JSON answer of an infer request (the route and the fast lane send the same). */
export function inferResponseJson(answer: InferAnswer): object {
  return {
    model_name: answer.model_name,
    model_version: answer.model_version,
    id: answer.id,
    outputs: answer.outputs.map((o) => ({
      name: o.name,
      datatype: o.datatype,
      shape: o.shape,
      data: jsonData(o.data),
    })),
  };
}

/** Registers the V2 routes in their own scope (their own error shape). */
export function v2Routes(app: FastifyInstance, ctx: AppContext, models: RequestModels): void {
  app.register(
    async (scope) => {
      scope.setErrorHandler((err: FastifyError, req, reply) =>
        sendProtocolError(err, req, reply, ctx.settings.bodyLimit),
      );
      scope.addHook("onRequest", (req, reply, done) => {
        reply.header("x-request-id", req.id);
        if (ctx.shuttingDown) reply.header("connection", "close");
        done();
      });

      scope.setNotFoundHandler((req, reply) =>
        sendProtocolError(
          Errors.routeNotFound(req.method, req.url.split("?")[0]),
          req,
          reply,
          ctx.settings.bodyLimit,
        ),
      );
      scope.get("/", async () => serverMetadata());
      scope.get("/health/live", async () => ({ live: true }));
      scope.get("/health/ready", async (_req, reply) => {
        const ready = serverReady(ctx);
        // The status decides for probes; the body satisfies clients that read it.
        if (!ready) reply.code(503).header("retry-after", "1");
        return { ready };
      });

      for (const base of ["/models/:name", "/models/:name/versions/:version"]) {
        scope.get(base, async (req) => {
          const { name, version } = req.params as Params;
          models.set(req, { model: name, version, route: `/v2${base}` });
          return modelMetadata(ctx, name, version);
        });
        scope.get(`${base}/ready`, async (req, reply) => {
          const { name, version } = req.params as Params;
          models.set(req, { model: name, version, route: `/v2${base}/ready` });
          const ready = modelReady(ctx, name, version);
          if (!ready) reply.code(503).header("retry-after", "1");
          return { name, ready };
        });
        const route = `/v2${base}/infer`;
        scope.post(`${base}/infer`, async (req, reply) => {
          const { name, version } = req.params as Params;
          const entry = { route };
          models.set(req, entry);
          const body = decodeInferBody(req.body);
          const key = req.headers["x-routing-key"];
          const answer = await inferV2(
            ctx,
            {
              name,
              version,
              id: body.id,
              inputs: body.inputs,
              outputs: body.outputs,
              routingKey: typeof key === "string" ? key : undefined,
            },
            entry,
            String(req.id),
            (fields, msg) => req.log.error(fields, msg),
          );
          reply
            .header("x-model", `${answer.model_name}@${answer.model_version}`)
            .header("server-timing", `inference;dur=${answer.inferenceMs.toFixed(3)}`);
          return inferResponseJson(answer);
        });
      }
    },
    { prefix: "/v2" },
  );
}
