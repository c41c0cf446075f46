/**
 * @module The batched log destination: every line arrives, in order, gathered into few writes; lines
 * still queued when the process exits are written; a logger on it keeps request lines and other lines
 * in call order; a reader that stopped reading costs dropped lines, not a growing heap.
 */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { batchedDestination } from "../../src/observability/line-batcher.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { requestLogger } from "../../src/observability/request-log.ts";
import { ROOT } from "../server-process.ts";

const dir = mkdtempSync(join(tmpdir(), "modelserve-lines-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const lines = (file: string) => readFileSync(file, "utf8").split("\n").filter(Boolean);

describe("batched log destination", () => {
  it("writes every line, in order, once flushed", async () => {
    const file = join(dir, "order.log");
    const d = batchedDestination({ dest: file });
    for (let i = 0; i < 5000; i++) d.write(`{"n":${i}}\n`);
    await new Promise<void>((resolve, reject) => d.flush((err) => (err ? reject(err) : resolve())));
    const got = lines(file).map((l) => JSON.parse(l).n as number);
    assert.deepEqual(
      got,
      Array.from({ length: 5000 }, (_, i) => i),
    );
    assert.equal(d.dropped, 0);
  });

  it("hands a light trickle of lines over within its timer, without a flush", async () => {
    const file = join(dir, "trickle.log");
    const d = batchedDestination({ dest: file });
    d.write('{"a":1}\n');
    d.write('{"a":2}\n');
    const deadline = Date.now() + 5000;
    let seen: string[] = [];
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      seen = lines(file);
      if (seen.length === 2) break;
    }
    assert.deepEqual(seen, ['{"a":1}', '{"a":2}']);
  });

  it("keeps request lines and other log lines of one logger in call order", async () => {
    const file = join(dir, "mixed.log");
    const logger = createLogger({ level: "info", format: "json", file });
    const request = requestLogger(logger);
    for (let i = 0; i < 300; i++) {
      request({ reqId: `r${i}`, method: "POST", route: "/predict", status: 200, latencyMs: 0.5 });
      if (i % 7 === 0) logger.warn({ i }, "between");
    }
    // pino's flush waits until every line is written.
    await new Promise<void>((resolve, reject) => logger.flush((err) => (err ? reject(err) : resolve())));
    const order = lines(file).map((l) => {
      const o = JSON.parse(l) as { reqId?: string; i?: number; msg: string };
      return o.msg === "request" ? o.reqId : `w${o.i}`;
    });
    const expected: string[] = [];
    for (let i = 0; i < 300; i++) {
      expected.push(`r${i}`);
      if (i % 7 === 0) expected.push(`w${i}`);
    }
    assert.deepEqual(order, expected);
  });

  it("writes the lines still queued when the process exits (process.exit and a natural end)", () => {
    for (const ending of ["process.exit(0);", ""]) {
      const file = join(dir, `exit-${ending ? "exit" : "end"}.log`);
      const code = `
        import { batchedDestination } from ${JSON.stringify(join(ROOT, "src/observability/line-batcher.ts"))};
        const d = batchedDestination({ dest: ${JSON.stringify(file)} });
        for (let i = 0; i < 1000; i++) d.write('{"n":' + i + '}\\n');
        ${ending}
      `;
      const r = spawnSync(process.execPath, ["--input-type=module", "-e", code], { encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(lines(file).length, 1000, ending || "natural end");
      assert.deepEqual(JSON.parse(lines(file)[999]), { n: 999 });
    }
  });

  it("holds no more memory than its bound when a reader stops reading a trickle of lines", () => {
    // Each line handed over on its own (as the timer hands over light traffic), to a pipe nobody reads:
    // what the destination holds, up to its 256 kB bound, must be about that much memory.
    const code = `
      import { batchedDestination } from ${JSON.stringify(join(ROOT, "src/observability/line-batcher.ts"))};
      const d = batchedDestination({ dest: 1, maxBufferedBytes: 256 * 1024 });
      const line = JSON.stringify({ pad: "x".repeat(100) }) + "\\n";
      const before = process.memoryUsage().arrayBuffers;
      for (let i = 0; i < 20000; i++) { d.write(line); d.flush(); }
      const grown = process.memoryUsage().arrayBuffers - before;
      process.stderr.write(JSON.stringify({ grown, dropped: d.dropped }));
      process.kill(process.pid, "SIGKILL");
    `;
    const r = spawnSync(
      "bash",
      [
        "-c",
        `${JSON.stringify(process.execPath)} --input-type=module -e '${code.replaceAll("'", "'\\''")}' | sleep 3`,
      ],
      { encoding: "utf8", timeout: 20_000 },
    );
    const { grown, dropped } = JSON.parse(r.stderr.trim()) as { grown: number; dropped: number };
    assert.ok(dropped > 15_000, `dropped ${dropped}`);
    assert.ok(grown < 4 * 2 ** 20, `array buffers grew by ${grown} bytes`);
  });

  it("drops lines beyond its bound when the destination does not take them, and counts them", async () => {
    // A pipe nobody reads: sonic-boom holds what it cannot write, up to the bound.
    const code = `
      import { batchedDestination } from ${JSON.stringify(join(ROOT, "src/observability/line-batcher.ts"))};
      const d = batchedDestination({ dest: 1, maxBufferedBytes: 256 * 1024 });
      const line = JSON.stringify({ pad: "x".repeat(200) }) + "\\n";
      for (let i = 0; i < 20000; i++) d.write(line);
      d.flush();
      setTimeout(() => { process.stderr.write(String(d.dropped)); process.kill(process.pid, "SIGKILL"); }, 300);
    `;
    const r = spawnSync(
      "bash",
      [
        "-c",
        `${JSON.stringify(process.execPath)} --input-type=module -e '${code.replaceAll("'", "'\\''")}' | sleep 3`,
      ],
      {
        encoding: "utf8",
        timeout: 20_000,
      },
    );
    const dropped = Number(r.stderr.trim());
    // 20 000 lines of ~212 bytes (4.2 MB) against a 64 kB pipe and a 256 kB bound: most are dropped.
    assert.ok(Number.isInteger(dropped) && dropped > 15_000 && dropped < 20_000, `dropped: ${r.stderr}`);
  });
});
