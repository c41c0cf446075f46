import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { buildCli } from "../../src/cli/main.ts";
import { CONFIG_KEYS } from "../../src/config/config.ts";
import { addVersion, tempDir } from "../lifecycle-helpers.ts";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../../", import.meta.url));

describe("modelserve serve --repository", () => {
  it("offers a flag for every configuration key, with or without the other commands", async () => {
    const full = await buildCli();
    const alone = await buildCli({ serveOnly: true });
    // `modelserve serve` builds only its own command: the others' modules are not imported for it.
    assert.deepStrictEqual(
      alone.commands.map((c) => c.name()),
      ["serve"],
    );
    assert.ok(full.commands.length > 10, full.commands.map((c) => c.name()).join(" "));
    const serve = full.commands.find((c) => c.name() === "serve")!;
    assert.deepStrictEqual(
      alone.commands[0]!.options.map((o) => o.flags),
      serve.options.map((o) => o.flags),
    );
    const flags = serve.options.map((o) => o.long);
    for (const k of CONFIG_KEYS) {
      if (k.kind === "models") continue;
      assert.ok(flags.includes(k.flag.split(" ")[0]), `serve has ${k.flag}`);
    }
  });

  it("serves a watched repository with a split, and picks up a new version", {
    timeout: 90_000,
  }, async () => {
    const repo = tempDir("serve-repo");
    addVersion(repo, "lin", "1", 1);
    addVersion(repo, "lin", "2", 2);
    const child = spawn(
      process.execPath,
      [
        join(root, "bin/modelserve.js"),
        "serve",
        "--repository",
        repo,
        "--watch",
        "--watch-interval",
        "50",
        "--port",
        "0",
        "--log-level",
        "warn",
        "--split",
        "lin=1:50,2:50",
        "--admin",
      ],
      { cwd: root, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stderr.on("data", (d: Buffer) => {
          stderr += d;
          const m = /listening on (http:\/\/\S+)/.exec(stderr);
          if (m) resolve(m[1]);
        });
        child.on("exit", () => reject(new Error(`server exited: ${stderr}`)));
      });
      const predict = async (key: string) => {
        const r = await fetch(`${url}/models/lin/predict`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-routing-key": key },
          body: JSON.stringify({ x: 1 }),
        });
        return (await r.json()) as { version: string; prediction: number };
      };
      const seen = new Set<string>();
      for (let i = 0; i < 40; i++) seen.add((await predict(`k${i}`)).version);
      assert.deepEqual([...seen].sort(), ["1", "2"]);
      const cleared = await run(process.execPath, [
        join(root, "bin/modelserve.js"),
        "admin",
        "split",
        url,
        "lin",
      ]);
      assert.equal(JSON.parse(cleared.stdout).split, null);
      const status = JSON.parse(
        (await run(process.execPath, [join(root, "bin/modelserve.js"), "admin", "status", url])).stdout,
      );
      assert.deepEqual(
        status.models[0].versions.map((v: { version: string }) => v.version),
        ["1", "2"],
      );
      addVersion(repo, "lin", "3", 3);
      const deadline = Date.now() + 10_000;
      let v = "";
      while (Date.now() < deadline && v !== "3") {
        v = (await predict("any")).version;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(v, "3");
      assert.equal((await predict("any")).prediction, 3);
    } finally {
      child.kill("SIGTERM");
    }
  });
});
