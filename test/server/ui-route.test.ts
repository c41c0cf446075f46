import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { gunzipSync, gzipSync } from "node:zlib";
import Fastify from "fastify";
import type { AppContext } from "../../src/server/context.ts";
import { installErrorHandling } from "../../src/server/plugins/error-handler.ts";
import { UI_ASSET_DIR, uiMountPath, uiRoutes } from "../../src/server/routes/ui.ts";
import { makeApp } from "../helpers.ts";
import { tempDir } from "../lifecycle-helpers.ts";

describe("dashboard routes", () => {
  it("serves the page with a strict CSP, the prefix and key mode in meta tags, no inline script", async () => {
    const { fastify } = makeApp({ title: "Churn <team>" });
    const res = await fastify.inject({ method: "GET", url: "/ui" });
    assert.equal(res.statusCode, 200);
    assert.match(res.headers["content-type"] as string, /^text\/html/);
    const csp = res.headers["content-security-policy"] as string;
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self';/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(res.headers["x-frame-options"], "DENY");
    assert.match(res.body, /<meta name="modelserve-title" content="Churn &#60;team&#62;">/);
    assert.match(res.body, /<meta name="modelserve-keys" content="off">/);
    assert.match(res.body, /<script type="module" src="\/ui\/app\.js\?v=/);
    assert.doesNotMatch(res.body, /<script>|<style>|style="/);
    // Keys off: no secret to protect from an opener, so no COOP (it costs a fresh tab a new process).
    assert.equal(res.headers["cross-origin-opener-policy"], undefined);
  });

  it("serves the bundle with an ETag (304 when unchanged) and nothing outside its fixed list", async () => {
    const { fastify } = makeApp();
    const js = await fastify.inject({ method: "GET", url: "/ui/app.js" });
    assert.equal(js.statusCode, 200);
    assert.match(js.headers["content-type"] as string, /^text\/javascript/);
    assert.deepEqual(js.rawPayload, readFileSync(join(UI_ASSET_DIR, "app.js")));
    const again = await fastify.inject({
      method: "GET",
      url: "/ui/app.js",
      headers: { "if-none-match": js.headers.etag as string },
    });
    assert.equal(again.statusCode, 304);
    assert.equal((await fastify.inject({ method: "GET", url: "/ui/app.css" })).statusCode, 200);
    const gz = await fastify.inject({
      method: "GET",
      url: "/ui/app.js",
      headers: { "accept-encoding": "gzip, br" },
    });
    assert.equal(gz.headers["content-encoding"], "gzip");
    assert.deepEqual(gunzipSync(gz.rawPayload), js.rawPayload);
    for (const url of [
      "/ui/..%2Fpackage.json",
      "/ui/index.html",
      "/ui/app.js.map",
      "/ui/live-..%2F..%2Fx.js",
    ])
      assert.equal((await fastify.inject({ method: "GET", url })).statusCode, 404, url);
  });

  it("splits the live view off the first screen, and preloads the chunk the first screen imports", async () => {
    const { fastify } = makeApp();
    const files = readdirSync(UI_ASSET_DIR);
    const live = files.filter((f) => /^live-[A-Z0-9]{8}\.js$/.test(f));
    const shared = files.filter((f) => /^chunk-[A-Z0-9]{8}\.js$/.test(f));
    assert.equal(live.length, 1, files.join(" "));
    assert.ok(shared.length >= 1, files.join(" "));
    const page = (await fastify.inject({ method: "GET", url: "/ui" })).body;
    for (const f of shared) assert.ok(page.includes(`<link rel="modulepreload" href="/ui/${f}">`), f);
    assert.ok(!page.includes(live[0]!), "the live view is not preloaded");
    // The chart library is in the live view's chunk only.
    const app = readFileSync(join(UI_ASSET_DIR, "app.js"), "utf8");
    assert.ok(app.includes(live[0]!), "app.js imports the live chunk by name");
    // uPlot draws into elements of class u-over: its code is in the live chunk, not in app.js.
    assert.ok(!app.includes("u-over"), "no chart code in app.js");
    assert.ok(readFileSync(join(UI_ASSET_DIR, live[0]!), "utf8").includes("u-over"));
    for (const f of [...live, ...shared]) {
      const res = await fastify.inject({ method: "GET", url: `/ui/${f}` });
      assert.equal(res.statusCode, 200, f);
      assert.match(res.headers["content-type"] as string, /^text\/javascript/);
      // Named by their content: cached for good, not asked again on reload.
      assert.equal(res.headers["cache-control"], "public, max-age=31536000, immutable", f);
    }
    const entry = await fastify.inject({ method: "GET", url: "/ui/app.js" });
    assert.equal(entry.headers["cache-control"], "no-cache");
  });

  it("weighs under 150 kB gzipped (every script and stylesheet, live view included)", () => {
    const gz = readdirSync(UI_ASSET_DIR)
      .map((f) => gzipSync(readFileSync(join(UI_ASSET_DIR, f))).length)
      .reduce((a, b) => a + b, 0);
    assert.ok(gz < 150 * 1024, `${gz} bytes gzipped`);
  });

  it("moves or turns off with the ui setting, and refuses a path the API owns", async () => {
    const moved = makeApp({ ui: "/dashboard" }).fastify;
    assert.equal((await moved.inject({ method: "GET", url: "/dashboard" })).statusCode, 200);
    assert.match(
      (await moved.inject({ method: "GET", url: "/dashboard" })).body,
      /src="\/dashboard\/app\.js/,
    );
    assert.equal((await moved.inject({ method: "GET", url: "/ui" })).statusCode, 404);
    const off = makeApp({ ui: "off" }).fastify;
    assert.equal((await off.inject({ method: "GET", url: "/ui" })).statusCode, 404);
    for (const bad of ["/docs", "/models/x", "ui", "/a/../b", "/ui?x"])
      assert.throws(() => uiMountPath(bad), { code: "MS_INVALID_CONFIG" }, bad);
    assert.equal(uiMountPath("/ops/dashboard/"), "/ops/dashboard");
  });

  it("stays open when API keys are on, names no model, and sends COOP (the data behind it is closed)", async () => {
    const { fastify } = makeApp({
      access: {
        keys: (await import("../../src/config/config.ts")).accessKeys({
          apiKeys: "k:secret-key-0123456789abcdef:read",
        }),
      },
    });
    const page = await fastify.inject({ method: "GET", url: "/ui" });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<meta name="modelserve-keys" content="on">/);
    assert.equal(page.headers["cross-origin-opener-policy"], "same-origin");
    const listed = await fastify.inject({
      method: "GET",
      url: "/models",
      headers: { authorization: "Bearer secret-key-0123456789abcdef" },
    });
    const names = (listed.json() as { models: { name: string }[] }).models.map((m) => m.name);
    assert.ok(names.length > 0);
    for (const name of names) assert.ok(!page.body.includes(name), `${name} in the page`);
    assert.equal((await fastify.inject({ method: "GET", url: "/ui/app.js" })).statusCode, 200);
    assert.equal((await fastify.inject({ method: "GET", url: "/models" })).statusCode, 401);
    assert.equal((await fastify.inject({ method: "GET", url: "/stats" })).statusCode, 401);
  });

  it("answers MS_UI_NOT_BUILT (503) when the bundle is missing, not a blank page", async () => {
    const app = Fastify();
    installErrorHandling(app, 1 << 20);
    const ctx = { settings: { title: "t" } } as unknown as AppContext;
    uiRoutes(app, ctx, "/ui", "", "0.0.0", tempDir("ui-empty"));
    const res = await app.inject({ method: "GET", url: "/ui" });
    assert.equal(res.statusCode, 503);
    assert.equal(res.json().error.code, "MS_UI_NOT_BUILT");
    assert.match(res.json().error.message, /npm run build:ui/);
  });
});
