/**
 * Holding one `process.nextTick` entry keeps `nextTick`'s inline caches monomorphic across full
 * collections (src/util/tick-shape.ts). Read from V8 itself (`%DebugPrint` of the function lists each
 * cache's state) in child processes: without the hold, rounds of ticks between full collections
 * leave the tick literal's property definitions megamorphic (every tick through V8's runtime);
 * with it, none is.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { describe, it } from "node:test";
import { promisify } from "node:util";

const child = new URL("./tick-shape-child.ts", import.meta.url).pathname;

async function run(mode: "hold" | "none"): Promise<{ megamorphic: number; held: unknown }> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--expose-gc", "--allow-natives-syntax", child, mode],
    { timeout: 30_000, maxBuffer: 16 * 2 ** 20 },
  );
  const megamorphic = stdout
    .split("\n")
    .filter((l) => l.includes("DefineKeyedOwnPropertyInLiteral") && l.includes("MEGAMORPHIC")).length;
  const heldLine = stdout.split("\n").find((l) => l.startsWith("HELD "));
  assert.ok(heldLine, "the child printed its held tick");
  const held = heldLine.slice(5);
  return { megamorphic, held: held === "undefined" ? undefined : JSON.parse(held) };
}

describe("the held tick shape", () => {
  it("keeps nextTick's caches monomorphic through full collections, where they otherwise give up", async () => {
    const [none, hold] = await Promise.all([run("none"), run("hold")]);
    // Without the hold: the tick literal's class chain is rebuilt after each collection.
    assert.ok(none.megamorphic >= 1, `without the hold: ${none.megamorphic} megamorphic definitions`);
    assert.equal(none.held, undefined);
    assert.equal(hold.megamorphic, 0);
    // What is held is a real tick entry: its callback and Node's three symbol-keyed fields.
    assert.deepEqual(hold.held, { callback: "function", symbols: 3 });
  });
});
