/**
 * A child process of the hostile-corpus test: loads every file of one corpus directory (as the server
 * would, through the loader worker) and prints one JSON line per file, then its peak RSS.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadModel } from "../../../src/runtimes/load-model.ts";

const dir = process.argv[2];
const expected = JSON.parse(readFileSync(join(dir, "expected.json"), "utf8")) as Record<string, unknown>;
for (const file of Object.keys(expected)) {
  const started = performance.now();
  let outcome: { code?: string; message: string };
  try {
    const m = await loadModel(join(dir, file));
    outcome = { message: `loaded as ${m.info.modelType}` };
  } catch (err) {
    outcome = { code: (err as { code?: string }).code, message: (err as Error).message };
  }
  console.log(JSON.stringify({ file, ms: performance.now() - started, ...outcome }));
}
console.log(JSON.stringify({ maxRssMb: process.resourceUsage().maxRSS / 1024 }));
