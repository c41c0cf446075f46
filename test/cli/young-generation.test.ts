/**
 * The young generation's ceiling (`youngGenerationMb`): in a process that keeps objects alive across
 * scavenges, V8 alone grows the young generation to its maximum; with a ceiling it stays there; 0,
 * or a sizing option given to Node, leaves V8's sizing alone.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { describe, it } from "node:test";
import { promisify } from "node:util";

const child = new URL("./young-generation-child.ts", import.meta.url).pathname;

interface Run {
  samples: number[];
  last: number;
  watchingAtStart: boolean;
  watchingAtEnd: boolean;
}

async function run(mb: number, nodeOptions = ""): Promise<Run> {
  const { stdout } = await promisify(execFile)(process.execPath, [child, String(mb), nodeOptions], {
    timeout: 30_000,
  });
  return JSON.parse(stdout) as Run;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe("the young generation's ceiling", () => {
  it("holds it at the ceiling where V8 alone grows it to its maximum", async () => {
    const [free, capped, userSized] = await Promise.all([
      run(0),
      run(16),
      run(16, "--max-semi-space-size=64"),
    ]);
    // V8's own sizing (0, or a Node option that sizes it): doubled past the 16 MB (to 128 MB here).
    assert.ok(free.last >= 32, `0: ${free.last} MB`);
    assert.ok(userSized.last >= 32, `sized by a Node option: ${userSized.last} MB`);
    // Capped: at the ceiling at the end, and in most samples (a collection in progress may show a
    // page or two more for a moment).
    assert.ok(capped.last <= 16, `capped: ${capped.last} MB at the end`);
    assert.ok(median(capped.samples) <= 16, `capped samples: ${capped.samples}`);
    // Each collection is watched while the space may still grow; once at the ceiling growth is off
    // and the per-collection observer is let go (a timer looks for a shrink instead). Off: never.
    assert.equal(capped.watchingAtStart, true);
    assert.equal(capped.watchingAtEnd, false);
    assert.equal(free.watchingAtStart, false);
    assert.equal(userSized.watchingAtEnd, false);
  });
});
