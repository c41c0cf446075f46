/**
 * @module OpenAPI paths of the explanation routes of one model that can explain itself (tree models):
 * `/explain` and `/explain/batch`, with the answer's shape for one output or per class.
 */

import type { ReadyVersion } from "../registry/model-registry.ts";
import {
  batchRequestSchema,
  exampleRow,
  type JsonSchema,
  predictionSchema,
  singleRequestSchema,
} from "../schema/json-schema.ts";

const json = (schema: JsonSchema, example?: unknown) => ({
  "application/json": example === undefined ? { schema } : { schema, example },
});

/** The explanation paths under `prefix`, or none when the model offers no `explain`. */
export function explainPaths(
  v: ReadyVersion,
  maxBatchSize: number,
  prefix: string,
  tag: string,
  errors: Record<string, unknown>,
): Record<string, unknown> {
  if (!v.model.explain) return {};
  const sig = v.model.signature;
  const row = exampleRow(sig);
  const names = sig.inputs.map((f) => f.name);
  const byFeature = {
    type: "object",
    description: "Contribution of each input feature (exact TreeSHAP)",
    properties: Object.fromEntries(names.map((n) => [n, { type: "number" }])),
  };
  const one = {
    type: "object",
    properties: {
      prediction: predictionSchema(sig),
      // One output (regression, a binary booster's margin): numbers; per class: keyed by class label.
      base_value: {
        oneOf: [
          { type: "number", description: "Expected value of the output (the bias)" },
          {
            type: "object",
            description: "Expected value per class label",
            additionalProperties: { type: "number" },
          },
        ],
      },
      contributions: {
        oneOf: [
          byFeature,
          {
            type: "object",
            description: "Per class label, the contribution of each feature",
            additionalProperties: byFeature,
          },
        ],
      },
    },
    required: ["prediction", "base_value", "contributions"],
  };
  const space = {
    type: "string",
    enum: ["margin", "probability", "raw"],
    description:
      "What base_value + Σ contributions equals: the boosted margin, the class probability, or the raw score",
  };
  const meta = { model: { type: "string" }, version: { type: "string" } };
  return {
    [`${prefix}/explain`]: {
      post: {
        tags: [tag],
        summary: `Explain one prediction of ${v.name} (TreeSHAP feature contributions)`,
        operationId: `explain_${tag}`,
        requestBody: { required: true, content: json(singleRequestSchema(sig), row) },
        responses: {
          "200": {
            description: "The prediction, its base value and each feature's contribution",
            content: json({
              type: "object",
              properties: { ...meta, ...one.properties, output_space: space },
              required: ["model", "version", "prediction", "base_value", "contributions", "output_space"],
            }),
          },
          ...errors,
        },
      },
    },
    [`${prefix}/explain/batch`]: {
      post: {
        tags: [tag],
        summary: `Explain a batch of predictions of ${v.name}`,
        operationId: `explain_batch_${tag}`,
        requestBody: {
          required: true,
          content: json(batchRequestSchema(sig, maxBatchSize), { instances: [row] }),
        },
        responses: {
          "200": {
            description: "One explanation per row, in order",
            content: json({
              type: "object",
              properties: { ...meta, output_space: space, explanations: { type: "array", items: one } },
              required: ["model", "version", "output_space", "explanations"],
            }),
          },
          ...errors,
        },
      },
    },
  };
}
