/**
 * @module Fastify's schema compilers, loaded on first use. A Fastify instance requires its validator
 * compiler (Ajv with its formats) and its serializer compiler (fast-json-stringify) when it is
 * created, whether or not any route has a schema: about 75 ms of a one-CPU start and a few megabytes
 * of heap. modelserve's routes declare no Fastify schema (rows are checked by the model's own
 * validator), so it hands Fastify factories that require the same two packages the first time a route
 * with a schema needs them: a route a host adds with a schema is validated and serialized exactly as
 * by default.
 */

import { createRequire } from "node:module";
import type { FastifyInstance } from "fastify";

// The compilers are Fastify's dependencies, not ours: resolved from Fastify's own location.
const fromFastify = createRequire(createRequire(import.meta.url).resolve("fastify"));

type Factory = (...args: unknown[]) => unknown;

function lazyFactory(pkg: string): Factory {
  let factory: Factory | undefined;
  return (...args) => {
    factory ??= (fromFastify(pkg) as () => Factory)();
    return factory(...args);
  };
}

/** The `schemaController` option for a Fastify instance: its default compilers, required on first use. */
export function lazySchemaController(): { compilersFactory: Record<string, Factory> } {
  return {
    compilersFactory: {
      buildValidator: lazyFactory("@fastify/ajv-compiler"),
      buildSerializer: lazyFactory("@fastify/fast-json-stringify-compiler"),
    },
  };
}

/**
 * Tells the instance's schema controller that its compilers are the default ones after all: Fastify
 * marks factories passed as options "custom", which changes how it prepares header schemas (a custom
 * validator receives the header names as written; the default one, lower-cased). Without this a
 * host's route with a header schema would behave differently under modelserve.
 */
export function markDefaultCompilers(fastify: FastifyInstance): void {
  const key = Object.getOwnPropertySymbols(fastify).find((s) => s.description === "fastify.schemaController");
  const controller = key ? (fastify as unknown as Record<symbol, Record<string, unknown>>)[key] : undefined;
  if (controller && "isCustomValidatorCompiler" in controller) {
    controller.isCustomValidatorCompiler = false;
    controller.isCustomSerializerCompiler = false;
  }
}
