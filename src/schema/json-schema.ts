/**
 * @module JSON Schemas of a model's requests and responses, generated from its signature: real field
 * names, types, enums, ranges and examples. Used for the OpenAPI document and `inspect --json`.
 */

import type { FeatureSpec, ModelSignature } from "../runtimes/runtime.ts";

/** A JSON Schema object (OpenAPI 3.1 dialect). */
export type JsonSchema = { readonly [key: string]: unknown };

function baseType(spec: FeatureSpec): JsonSchema {
  switch (spec.dtype) {
    case "float":
      return { type: "number" };
    case "int":
      return { type: "integer" };
    case "bool":
      return { type: "boolean" };
    case "string":
      return { type: "string" };
    case "category": {
      const cats = spec.categories ?? [];
      const types = [
        ...new Set(
          cats.map((c) => (typeof c === "number" ? (Number.isInteger(c) ? "integer" : "number") : typeof c)),
        ),
      ];
      if (spec.allowUnknownCategories) {
        // What the validator takes for an open category: any scalar in a string column (kept as its
        // text), numbers and booleans in a numeric one.
        const open = types.includes("string") ? ["string", "number", "boolean"] : ["number", "boolean"];
        return { type: open, examples: cats.slice(0, 5) };
      }
      return { type: types.length === 1 ? types[0] : types, enum: cats };
    }
    case "tensor": {
      let schema: JsonSchema = { type: "number" };
      for (const d of [...(spec.shape ?? [])].reverse())
        schema = { type: "array", items: schema, minItems: d, maxItems: d };
      return schema;
    }
  }
}

/** An example value for a feature: the declared one, else something valid. */
export function exampleValue(spec: FeatureSpec): unknown {
  if (spec.example !== undefined) return spec.example;
  switch (spec.dtype) {
    case "float": {
      // Inside the range, whichever bounds it has.
      const { min, max } = spec.range ?? {};
      if (min !== undefined && max !== undefined) return (min + max) / 2;
      return min ?? max ?? 0.5;
    }
    case "int": {
      const { min, max } = spec.range ?? {};
      if (min !== undefined) return Math.ceil(min);
      return max !== undefined ? Math.min(1, Math.floor(max)) : 1;
    }
    case "bool":
      return true;
    case "string":
      return "text";
    case "category":
      return spec.categories?.[0] ?? null;
    case "tensor": {
      let v: unknown = 0;
      for (const d of [...(spec.shape ?? [])].reverse()) v = Array.from({ length: Math.max(d, 1) }, () => v);
      return v;
    }
  }
}

/** The schema of one feature value. */
export function featureSchema(spec: FeatureSpec): JsonSchema {
  const s: Record<string, unknown> = { ...baseType(spec) };
  if (spec.range?.min !== undefined) s.minimum = spec.range.min;
  if (spec.range?.max !== undefined) s.maximum = spec.range.max;
  if (spec.nullable) {
    s.type = Array.isArray(s.type) ? [...s.type, "null"] : [s.type, "null"];
    if (Array.isArray(s.enum)) s.enum = [...s.enum, null];
  }
  if (spec.description) s.description = spec.description;
  s.examples = [exampleValue(spec)];
  return s;
}

/** A named row: one property per feature, all required, nothing else. */
export function namedRowSchema(sig: ModelSignature): JsonSchema {
  return {
    type: "object",
    properties: Object.fromEntries(sig.inputs.map((f) => [f.name, featureSchema(f)])),
    required: sig.inputs.map((f) => f.name),
    additionalProperties: false,
  };
}

/** A positional row: the feature values in signature order. */
export function positionalRowSchema(sig: ModelSignature): JsonSchema {
  return {
    type: "array",
    prefixItems: sig.inputs.map((f) => ({ ...featureSchema(f), title: f.name })),
    minItems: sig.inputs.length,
    maxItems: sig.inputs.length,
    items: false,
    description: `Values in this order: ${sig.inputs.map((f) => f.name).join(", ")}`,
  };
}

/**
 * A one-input model's bare value per row (`"some text"` for a text pipeline), as scikit-learn's
 * `pipe.predict(["some text"])` takes it; undefined for other models.
 */
export function bareRowSchema(sig: ModelSignature): JsonSchema | undefined {
  const only = sig.inputs.length === 1 ? sig.inputs[0] : undefined;
  if (!only || only.dtype === "tensor") return undefined;
  return { ...featureSchema(only), title: only.name };
}

/** Positional row schemas, with the bare value of a one-input model. */
function positionalForms(sig: ModelSignature): JsonSchema[] {
  const bare = bareRowSchema(sig);
  return bare ? [positionalRowSchema(sig), bare] : [positionalRowSchema(sig)];
}

/** A single-row request body: named features, or `{"features": [...]}` (a bare value for a one-input model). */
export function singleRequestSchema(sig: ModelSignature): JsonSchema {
  const forms = positionalForms(sig);
  return {
    oneOf: [
      namedRowSchema(sig),
      {
        type: "object",
        properties: { features: forms.length === 1 ? forms[0] : { oneOf: forms } },
        required: ["features"],
        additionalProperties: false,
      },
    ],
  };
}

/** A batch request body: `{"instances": [row, …]}`. */
export function batchRequestSchema(sig: ModelSignature, maxBatchSize: number): JsonSchema {
  return {
    type: "object",
    properties: {
      instances: {
        type: "array",
        minItems: 1,
        maxItems: maxBatchSize,
        items: { oneOf: [namedRowSchema(sig), ...positionalForms(sig)] },
      },
    },
    required: ["instances"],
    additionalProperties: false,
  };
}

/** An example named row. */
export function exampleRow(sig: ModelSignature): Record<string, unknown> {
  return Object.fromEntries(sig.inputs.map((f) => [f.name, exampleValue(f)]));
}

/** The schema of a `/predict_proba` answer's `classes`: the labels, or one list of labels per output. */
export function classesSchema(sig: ModelSignature): JsonSchema {
  const perOutput = sig.output.outputClasses;
  if (perOutput && !sig.output.classes)
    return {
      type: "array",
      prefixItems: perOutput.map((c) => ({ type: "array", items: { enum: [...c] } })),
      items: false,
      minItems: perOutput.length,
      maxItems: perOutput.length,
      description: "Each output's class labels, in the order of its probabilities",
    };
  return { type: "array", items: predictionSchema(sig) };
}

/** The schema of one prediction value. */
export function predictionSchema(sig: ModelSignature): JsonSchema {
  const out = sig.output;
  if (out.classes && out.classes.length > 0)
    return { enum: [...out.classes], description: "Predicted class label" };
  if (out.outputClasses) {
    // A multi-output classifier: one label per output, each among that output's classes.
    const n = out.outputClasses.length;
    return {
      type: "array",
      prefixItems: out.outputClasses.map((c) => ({ enum: [...c] })),
      items: false,
      minItems: n,
      maxItems: n,
      description: out.names ? `One label per output: ${out.names.join(", ")}` : "One label per output",
    };
  }
  if (out.task === "regression" && (out.targets ?? 1) > 1) {
    return { type: "array", items: { type: "number" }, minItems: out.targets, maxItems: out.targets };
  }
  if (out.task === "other") return { type: "object", description: "Named output tensors" };
  return { type: "number" };
}

/**
 * Probabilities by class label. A model that computes them in float32 (ONNX, XGBoost) can answer a value
 * one float32 step above 1 (`1.0000001`): its schema has no `maximum` and says why, rather than the values
 * being altered.
 */
export function probabilitiesSchema(sig: ModelSignature): JsonSchema {
  const float32 = sig.output.probabilityType === "float32";
  const value = float32 ? { type: "number", minimum: 0 } : { type: "number", minimum: 0, maximum: 1 };
  const perOutput = sig.output.outputClasses;
  if (perOutput && !sig.output.classes) {
    const byClass = (classes: readonly string[]) => ({
      type: "object",
      properties: Object.fromEntries(classes.map((c) => [c, value])),
      required: classes,
      additionalProperties: false,
    });
    return {
      type: "array",
      prefixItems: perOutput.map((c) => byClass(c.map(String))),
      items: false,
      minItems: perOutput.length,
      maxItems: perOutput.length,
      description:
        "One object per output (a multi-output classifier), each the probability of that output's classes",
    };
  }
  const classes = (sig.output.classes ?? []).map(String);
  return {
    type: "object",
    properties: Object.fromEntries(classes.map((c) => [c, value])),
    required: classes,
    additionalProperties: false,
    description: float32
      ? "Probability of each class, keyed by class label; computed in float32, so a value may exceed 1 by float32 rounding (e.g. 1.0000001)"
      : "Probability of each class, keyed by class label",
  };
}
