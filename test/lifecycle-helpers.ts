/** @module Test helpers for the lifecycle: self-contained `.mjs` models written into temp repositories. */

import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Source of a model module that needs no imports (so it loads from any folder): y = slope·x + offset,
 * or, with `broken`, a module that fails to import.
 */
export function modelSource(slope: number, offset = 0, broken = false): string {
  if (broken) return "export default (;\n";
  return `export default {
  kind: "modelserve.model-definition",
  name: "lin",
  version: "1",
  inputs: { x: "float" },
  inputSpecs: [{ name: "x", dtype: "float", nullable: false }],
  predict: (rows) => rows.map((r) => ${slope} * r.x + ${offset}),
};
`;
}

/** A fresh temp directory, removed when the test file's process exits. */
export { tempDir } from "./temp-dir.ts";

/** Writes a model file for `name@version` into a repository, atomically (write, then rename the folder). */
export function addVersion(
  repo: string,
  name: string,
  version: string,
  slope: number,
  broken = false,
): string {
  mkdirSync(join(repo, name), { recursive: true });
  const staging = join(repo, name, `.${version}.partial`);
  mkdirSync(staging, { recursive: true });
  writeFileSync(join(staging, "model.mjs"), modelSource(slope, 0, broken));
  const final = join(repo, name, version);
  renameSync(staging, final);
  return final;
}
