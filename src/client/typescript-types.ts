/**
 * @module TypeScript type expressions for a model's signature: one property per feature with its
 * type, categories as literal unions, classes as literal unions. Pure string building, no I/O.
 */

import type { FeatureSpec, Label, ModelSignature } from "../runtimes/runtime.ts";

/** A TypeScript literal type of a label: `"setosa"`, `2`, `true`. */
export function literal(v: Label): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number") return Number.isFinite(v) ? (Object.is(v, -0) ? "0" : String(v)) : "number";
  return String(v);
}

/** The union of a list of literal types, deduplicated, in first-seen order. */
function union(parts: readonly string[]): string {
  const seen = [...new Set(parts)];
  return seen.length === 0 ? "never" : seen.join(" | ");
}

/** A property key: bare when it is an identifier, quoted otherwise. */
export function propertyKey(name: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : JSON.stringify(name);
}

/** The value type of one feature. */
export function featureType(f: FeatureSpec): string {
  let t: string;
  switch (f.dtype) {
    case "float":
    case "int":
      t = "number";
      break;
    case "bool":
      t = "boolean";
      break;
    case "string":
      t = "string";
      break;
    case "category": {
      const cats = f.categories ?? [];
      const lits = cats.map(literal);
      if (f.allowUnknownCategories || cats.length === 0) {
        // Known values are suggested by editors; any value of the same kind still type-checks.
        const kinds = new Set(cats.map((c) => typeof c));
        if (kinds.size === 0) kinds.add("string");
        for (const k of kinds) lits.push(`(${k} & {})`);
      }
      t = union(lits);
      break;
    }
    case "tensor": {
      t = "number";
      for (let i = 0; i < Math.max(1, f.shape?.length ?? 1); i++) t = `${t.includes(" ") ? `(${t})` : t}[]`;
      break;
    }
  }
  return f.nullable ? `${t.includes("|") ? `(${t})` : t} | null` : t;
}

/** A TSDoc line for a feature: its description, range, nullability and shape. */
export function featureDoc(f: FeatureSpec): string {
  const parts: string[] = [];
  if (f.description) parts.push(f.description.replace(/\*\//g, "* /"));
  parts.push(`\`${f.dtype}\``);
  if (f.range?.min !== undefined || f.range?.max !== undefined)
    parts.push(`range ${f.range?.min ?? "-∞"} … ${f.range?.max ?? "∞"}`);
  if (f.shape) parts.push(`shape [${f.shape.join(", ")}]`);
  if (f.nullable) parts.push("`null` means missing");
  return parts.join("; ");
}

/** The class union of a classifier, or undefined. */
export function classType(sig: ModelSignature): string | undefined {
  const classes = sig.output.classes;
  return classes && classes.length > 0 ? union(classes.map(literal)) : undefined;
}

/** The keys of the probability map: each class as a string (`"0"`, `"setosa"`). */
export function classKeyType(sig: ModelSignature): string | undefined {
  const classes = sig.output.classes;
  return classes && classes.length > 0 ? union(classes.map((c) => JSON.stringify(String(c)))) : undefined;
}

/** The type of one prediction, as the server's OpenAPI document describes it. */
export function predictionType(sig: ModelSignature, classUnion: string | undefined): string {
  if (classUnion) return classUnion;
  const out = sig.output;
  if (out.task === "regression" && (out.targets ?? 1) > 1) return "number[]";
  if (out.task === "other") return "Record<string, unknown>";
  return "number";
}
