/**
 * The shape of `src/`: no folder-level import cycle (each top-level folder, and each file at the top,
 * is a node; an import across nodes is an edge), and no file over 450 lines without a reason in its
 * banner. Run alone with `node --test test/architecture/layers.test.ts`.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, it } from "node:test";

const root = resolve(import.meta.dirname, "../../src");

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });
}

/** The layer of a file: its top-level folder under src/, or the file itself at the top. */
const nodeOf = (path: string) => relative(root, path).split("/")[0];

/** Folder-level edges with one example import each. */
function edges(): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  for (const file of files(root)) {
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+"(\.[^"]+)"/g)) {
      const from = nodeOf(file);
      const to = nodeOf(resolve(dirname(file), m[1]));
      if (from === to) continue;
      if (!out.has(from)) out.set(from, new Map());
      if (!out.get(from)!.has(to)) out.get(from)!.set(to, `${relative(root, file)} → ${m[1]}`);
    }
  }
  return out;
}

describe("src/ layers", () => {
  it("has no import cycle between folders", () => {
    const graph = edges();
    const cycles: string[] = [];
    for (const [from, tos] of graph) {
      for (const [to, example] of tos) {
        // Is `from` reachable from `to`? Then this edge closes a cycle.
        const seen = new Set([to]);
        const stack = [to];
        while (stack.length > 0) {
          const n = stack.pop()!;
          for (const next of graph.get(n)?.keys() ?? []) {
            if (next === from) cycles.push(`${from} → ${to} (${example})`);
            if (!seen.has(next)) {
              seen.add(next);
              stack.push(next);
            }
          }
        }
      }
    }
    assert.deepEqual([...new Set(cycles)], []);
  });

  it("keeps files under 450 lines unless the banner says why", () => {
    const long = files(root).filter((f) => {
      const text = readFileSync(f, "utf8");
      const lines = text.split("\n").length;
      const banner = text.slice(0, text.indexOf("*/") + 2);
      return lines > 450 && !/long because/i.test(banner);
    });
    assert.deepEqual(
      long.map((f) => relative(root, f)),
      [],
    );
  });

  it("keeps the registry's state machine under 300 lines", () => {
    const lines = readFileSync(join(root, "registry/model-registry.ts"), "utf8").split("\n").length;
    assert.ok(lines < 300, `model-registry.ts has ${lines} lines`);
  });
});
