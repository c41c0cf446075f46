/** @module Human-readable text for the CLI: signature tables and the `serve` banner. */

import type { ModelRegistry, ReadyVersion } from "../registry/model-registry.ts";
import type { FeatureSpec } from "../runtimes/runtime.ts";
import type { ModelExample } from "../server/openapi-examples.ts";

function allowed(f: FeatureSpec): string {
  if (f.dtype === "category") {
    const c = (f.categories ?? []).map((x) => JSON.stringify(x));
    return (
      (c.length > 8 ? `${c.slice(0, 8).join(", ")}, … (${c.length})` : c.join(", ")) +
      (f.allowUnknownCategories ? " (+unknown)" : "")
    );
  }
  if (f.dtype === "tensor") return `shape [${(f.shape ?? []).join(", ")}]`;
  if (f.range) return `[${f.range.min ?? "-∞"}, ${f.range.max ?? "∞"}]`;
  return "";
}

/** A text table with aligned columns. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** The signature of a model version as text. */
export function describeSignature(v: ReadyVersion): string {
  const m = v.model;
  const sig = m.signature;
  const caps = Object.entries(sig.capabilities)
    .filter(([, on]) => on)
    .map(([k]) => k)
    .join(", ");
  const out = sig.output;
  const lines = [
    `${v.name} (version ${v.version}) — ${m.info.modelType}, ${m.info.framework}${m.info.frameworkVersion ? ` ${m.info.frameworkVersion}` : ""}, ${m.info.format}`,
    "",
    table(
      ["#", "feature", "type", "nullable", "allowed"],
      sig.inputs.map((f, i) => [String(i), f.name, f.dtype, f.nullable ? "yes" : "no", allowed(f)]),
    ),
    "",
    `task:         ${out.task}${out.classes ? ` — classes: ${out.classes.map((c) => JSON.stringify(c)).join(", ")}` : ""}${out.targets && out.targets > 1 ? ` — ${out.targets} targets` : ""}${out.outputClasses ? ` — classes per output: ${out.outputClasses.map((cs) => `[${cs.map((c) => JSON.stringify(c)).join(", ")}]`).join(" ")}` : ""}`,
    `capabilities: ${caps}`,
    `sha256:       ${m.info.sha256}`,
    `size:         ${m.info.sizeBytes} bytes, loaded in ${m.info.loadTimeMs.toFixed(1)} ms by the ${m.info.runtime} runtime`,
  ];
  return `${lines.join("\n")}\n`;
}

/** The documented example (the same as in the OpenAPI document) and the model's answer to it. */
export function describeExample(ex: ModelExample): string {
  const lines = ["", `example:      POST /predict ${JSON.stringify(ex.row)}`];
  if ("prediction" in ex) lines.push(`answer:       ${JSON.stringify(ex.prediction)}`);
  if (ex.probabilities) lines.push(`probabilities: ${JSON.stringify(ex.probabilities)}`);
  return `${lines.join("\n")}\n`;
}

/** The banner `serve` prints once everything is ready. */
export function serveBanner(url: string, registry: ModelRegistry, docs: boolean): string {
  const def = registry.defaultModel();
  const lines = [
    "",
    `modelserve listening on ${url}`,
    ...(docs ? [`  docs:    ${url}/docs   (ReDoc ${url}/redoc, OpenAPI ${url}/openapi.json)`] : []),
    `  predict: POST ${url}/predict${def ? `  (default model: ${def})` : ""}`,
    "",
  ];
  for (const v of registry.all()) {
    if (!v.model) continue;
    const sig = v.model.signature;
    const feats = sig.inputs.map((f) => `${f.name}:${f.dtype}${f.nullable ? "?" : ""}`).join(", ");
    lines.push(
      `  ${v.name}@${v.version}  ${v.model.info.modelType} → ${sig.output.task}${sig.output.classes ? ` [${sig.output.classes.join(", ")}]` : ""}`,
      `      POST ${url}/models/${v.name}/predict   inputs: ${feats}`,
    );
  }
  return `${lines.join("\n")}\n\n`;
}
