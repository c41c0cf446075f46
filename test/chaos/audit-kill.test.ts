/**
 * @module Chaos: kill -9 under load with `--audit-sync each` loses no acknowledged audit record —
 * every prediction a client received a 200 for is in the audit file.
 */

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { IRIS_ROW } from "../helpers.ts";
import { ROOT, startServer } from "../server-process.ts";
import { keepAliveLoad } from "./load-client.ts";

const dir = mkdtempSync(join(tmpdir(), "ms-audit-kill-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("chaos: kill -9 with --audit-sync each", () => {
  it("loses 0 acknowledged audit records", { timeout: 60_000 }, async () => {
    const audit = join(dir, "audit.jsonl");
    const server = await startServer([
      join(ROOT, "examples/iris/heuristic.ts"),
      "--audit-log",
      audit,
      "--audit-sync",
      "each",
      "--log-level",
      "warn",
    ]);
    let dead = false;
    void server.exited.then(() => {
      dead = true;
    });
    const body = JSON.stringify(IRIS_ROW);
    const batch = JSON.stringify({ instances: [IRIS_ROW, IRIS_ROW, IRIS_ROW] });
    const load = keepAliveLoad(
      server.url,
      24,
      (i) => ({
        path: i % 5 === 0 ? "/predict/batch" : "/predict",
        body: i % 5 === 0 ? batch : body,
        headers: { "x-request-id": `chaos-${i}` },
      }),
      () => dead,
    );
    await new Promise((r) => setTimeout(r, 2500));
    server.child.kill("SIGKILL");
    assert.equal(await server.exited, "SIGKILL");
    const outcomes = await load;
    const acknowledged = outcomes.filter((o) => o.status === 200).map((o) => o.requestId!);
    assert.ok(acknowledged.length > 200, `only ${acknowledged.length} acknowledged`);
    assert.ok(
      outcomes.every((o) => o.status === 200 || o.error !== undefined),
      "no error answers",
    );
    const logged = new Set(
      readFileSync(audit, "utf8")
        .split("\n")
        .filter((l) => l.startsWith("{") && l.endsWith("}"))
        .map((l) => (JSON.parse(l) as { reqId: string }).reqId),
    );
    const lost = acknowledged.filter((id) => !logged.has(id));
    process.stderr.write(
      `# audit kill -9: ${acknowledged.length} acknowledged, ${logged.size} logged, ${lost.length} lost\n`,
    );
    assert.deepEqual(lost, [], `${lost.length} of ${acknowledged.length} acknowledged records lost`);
  });
});
