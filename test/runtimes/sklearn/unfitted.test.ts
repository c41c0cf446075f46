import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { it } from "node:test";
import { fileURLToPath } from "node:url";
import { loadModel } from "../../../src/runtimes/load-model.ts";

const dir = fileURLToPath(new URL("../../fixtures/pickle/unfitted/", import.meta.url));

it("refuses an estimator saved before fit() and says so", async () => {
  const files = readdirSync(dir);
  assert.equal(files.length, 2);
  for (const f of files) {
    await assert.rejects(loadModel(join(dir, f)), (err: Error & { code?: string }) => {
      assert.equal(err.code, "MS_INVALID_MODEL");
      assert.match(err.message, /SVC was saved before fit\(\): it has no fitted attributes/);
      return true;
    });
  }
});
