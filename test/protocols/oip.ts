/**
 * @module Test helpers for the Open Inference Protocol: a validator of REST answers built from the
 * vendored `open_inference_rest.yaml`, and a real gRPC client generated from the vendored proto.
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { Ajv } from "ajv";
import YAML from "yaml";

const vendor = (p: string) => new URL(`../../vendor/${p}`, import.meta.url).pathname;

/** The vendored OpenAPI document. */
export const OIP_OPENAPI = YAML.parse(
  readFileSync(vendor("open-inference-protocol/open_inference_rest.yaml"), "utf8"),
) as { paths: Record<string, unknown>; components: { schemas: Record<string, unknown> } };

const ajv = new Ajv({ strict: false, allErrors: true });
ajv.addSchema({ components: OIP_OPENAPI.components }, "oip");

/** Asserts that `body` matches the named component schema of the vendored OpenAPI document. */
export function assertOipSchema(schema: string, body: unknown, where = schema): void {
  assert.ok(OIP_OPENAPI.components.schemas[schema], `the spec defines ${schema}`);
  const validate = ajv.compile({ $ref: `oip#/components/schemas/${schema}` });
  assert.ok(validate(body), `${where}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(body)}`);
}

/**
 * Validates one V2 REST answer against the schema the spec gives its route and status: infer answers
 * and errors, model metadata, server metadata; probes are judged by status alone (the spec gives no body).
 */
export function assertOipAnswer(method: string, url: string, status: number, body: unknown): void {
  const path = url.split("?")[0].replace(/\/$/, "");
  const ok = status >= 200 && status < 300;
  if (/\/infer$/.test(path) && method === "POST")
    assertOipSchema(ok ? "inference_response" : "inference_error_response", body, `${method} ${url}`);
  else if (path === "/v2")
    assertOipSchema(ok ? "metadata_server_response" : "metadata_server_error_response", body, url);
  else if (/^\/v2\/models\/[^/]+(\/versions\/[^/]+)?$/.test(path))
    assertOipSchema(ok ? "metadata_model_response" : "metadata_model_error_response", body, url);
  // Health and readiness: the status decides; errors still answer {"error": string}.
  else if (!ok && status !== 503) assertOipSchema("inference_error_response", body, url);
}

/** The vendored proto, loaded as the server loads it. */
const PROTO = vendor("open-inference-protocol/open_inference_grpc.proto");

// biome-ignore lint/suspicious/noExplicitAny: the generated client's methods are dynamic.
export type OipClient = any;

/** A client of `inference.GRPCInferenceService` generated from the vendored proto. */
export function oipClient(port: number): OipClient {
  const def = protoLoader.loadSync(PROTO, { keepCase: true, longs: Number, defaults: true, oneofs: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    inference: { GRPCInferenceService: new (addr: string, creds: grpc.ChannelCredentials) => OipClient };
  };
  return new pkg.inference.GRPCInferenceService(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}

/** The outcome of one call: the response, or the error's status, details and MS code. */
export type CallResult<T> =
  | { ok: true; value: T }
  | { ok: false; code: grpc.status; details: string; msCode: string | undefined };

/** Calls a unary method, with optional metadata. */
export function call<T = Record<string, unknown>>(
  client: OipClient,
  method: string,
  request: object,
  metadata: Record<string, string> = {},
): Promise<CallResult<T>> {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(metadata)) md.set(k, v);
  return new Promise((resolve) => {
    client[method](
      request,
      md,
      { deadline: Date.now() + 20_000 },
      (err: grpc.ServiceError | null, res: T) => {
        if (err)
          resolve({
            ok: false,
            code: err.code,
            details: err.details,
            msCode: err.metadata?.get("ms-error-code")[0] as string | undefined,
          });
        else resolve({ ok: true, value: res });
      },
    );
  });
}

/** Calls a method that must succeed. */
export async function callOk<T = Record<string, unknown>>(
  client: OipClient,
  method: string,
  request: object,
  metadata: Record<string, string> = {},
): Promise<T> {
  const r = await call<T>(client, method, request, metadata);
  assert.ok(r.ok, `${method} failed: ${r.ok ? "" : `${r.code} ${r.details}`}`);
  return r.value;
}

/** Little-endian raw contents of FP64 values. */
export const rawFp64 = (values: readonly number[]) => Buffer.from(Float64Array.from(values).buffer);
/** Little-endian raw contents of FP32 values. */
export const rawFp32 = (values: readonly number[]) => Buffer.from(Float32Array.from(values).buffer);

/** Decodes raw output contents of a datatype into plain values (BYTES as text). */
export function decodeRaw(datatype: string, buf: Buffer): (number | string | boolean)[] {
  const b = Buffer.from(buf);
  switch (datatype) {
    case "FP64":
      return Array.from(new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)));
    case "FP32":
      return Array.from(new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)));
    case "INT64":
      return Array.from(new BigInt64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)), Number);
    case "INT32":
      return Array.from(new Int32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)));
    case "BOOL":
      return Array.from(b, (x) => x !== 0);
    case "BYTES": {
      const out: string[] = [];
      for (let pos = 0; pos < b.length; ) {
        const len = b.readUInt32LE(pos);
        out.push(b.subarray(pos + 4, pos + 4 + len).toString("utf8"));
        pos += 4 + len;
      }
      return out;
    }
    default:
      throw new Error(`no decoder for ${datatype}`);
  }
}

/** The values of a typed-contents output tensor (BYTES as text). */
export function contentsValues(t: { datatype: string; contents: Record<string, unknown[]> }): unknown[] {
  const c = t.contents;
  switch (t.datatype) {
    case "BYTES":
      return (c.bytes_contents as Buffer[]).map((b) => Buffer.from(b).toString("utf8"));
    case "BOOL":
      return c.bool_contents;
    case "INT64":
      return c.int64_contents;
    case "FP32":
      return c.fp32_contents;
    case "INT32":
      return c.int_contents;
    default:
      return c.fp64_contents;
  }
}
