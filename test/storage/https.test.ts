/**
 * A model behind HTTPS (self-signed certificate from openssl, trusted through NODE_EXTRA_CA_CERTS)
 * served by the real CLI: bearer token from the environment, a warm restart without downloading the
 * body, and neither the token nor a presigned query ever printed.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { tempDir } from "../lifecycle-helpers.ts";
import { selfSigned, startHttps } from "./servers.ts";

const TOKEN = "tok-9f2c1e7d5b3a";
const SIGNATURE = "sig-4e8a0c2b6d1f";
const bin = fileURLToPath(new URL("../../bin/modelserve.js", import.meta.url));
const examples = new URL("../../examples/iris/", import.meta.url);

let dir: string;
let server: Awaited<ReturnType<typeof startHttps>>;
let tls: { key: string; cert: string };

before(async () => {
  dir = tempDir("https");
  tls = selfSigned(dir);
  server = await startHttps(
    tls,
    new Map([["/models/xgb.json", readFileSync(new URL("models/xgboost.json", examples))]]),
    TOKEN,
  );
});

after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `modelserve serve URL`, predicts the golden rows, stops it; returns the output and predictions. */
async function serveOnce(
  url: string,
  env: Record<string, string>,
): Promise<{ out: string; predictions: unknown[] }> {
  const child = spawn(process.execPath, [bin, "serve", url, "--port", "0", "--log-format", "json"], {
    env: { ...process.env, NODE_EXTRA_CA_CERTS: tls.cert, MODELSERVE_CACHE_DIR: join(dir, "cache"), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d) => {
    out += d;
  });
  child.stderr.on("data", (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((r) => child.once("exit", r));
  try {
    const deadline = Date.now() + 30_000;
    let port: string | undefined;
    while (!port && Date.now() < deadline) {
      // The banner, printed once the models are ready (the "Server listening" log line comes before).
      port = /modelserve listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1];
      if (child.exitCode !== null) throw new Error(`modelserve exited: ${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(port, out);
    const inputs = JSON.parse(
      readFileSync(new URL("golden/xgboost.inputs.json", examples), "utf8"),
    ) as unknown[];
    const res = await fetch(`http://127.0.0.1:${port}/predict/batch`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ instances: inputs }),
    });
    const body = (await res.json()) as { predictions: unknown[] };
    return { out, predictions: body.predictions };
  } finally {
    child.kill("SIGTERM");
    await exited;
  }
}

describe("models from HTTPS", () => {
  it("downloads with the bearer token, restarts warm, and prints neither the token nor the query", async () => {
    const url = `${server.url}/models/xgb.json?X-Signature=${SIGNATURE}`;
    const expected = (
      JSON.parse(readFileSync(new URL("golden/xgboost.expected.json", examples), "utf8")) as {
        predict: unknown[];
      }
    ).predict;
    const first = await serveOnce(url, { MODELSERVE_HTTP_BEARER_TOKEN: TOKEN });
    assert.deepEqual(first.predictions, expected);
    assert.equal(server.gets.get("/models/xgb.json"), 1);
    const second = await serveOnce(url, { MODELSERVE_HTTP_BEARER_TOKEN: TOKEN });
    assert.deepEqual(second.predictions, expected);
    assert.equal(server.gets.get("/models/xgb.json"), 1, "the warm restart sent a conditional request");
    for (const out of [first.out, second.out]) {
      assert.ok(!out.includes(TOKEN));
      assert.ok(!out.includes(SIGNATURE));
    }
  });

  it("stops with MS_STORAGE_ACCESS_DENIED, and no token, when the server refuses it", async () => {
    const child = spawn(process.execPath, [bin, "serve", `${server.url}/models/xgb.json`, "--port", "0"], {
      env: {
        ...process.env,
        NODE_EXTRA_CA_CERTS: tls.cert,
        MODELSERVE_CACHE_DIR: join(dir, "cache-denied"),
        MODELSERVE_HTTP_BEARER_TOKEN: "wrong-token-1234",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let err = "";
    child.stderr.on("data", (d) => {
      err += d;
    });
    const code = await new Promise<number | null>((r) => child.once("exit", r));
    assert.equal(code, 1);
    assert.match(
      err,
      /access to https:\/\/127\.0\.0\.1:\d+\/models\/xgb\.json was denied: HTTP 401 \[MS_STORAGE_ACCESS_DENIED\]/,
    );
    assert.ok(!err.includes("wrong-token-1234"));
  });
});
