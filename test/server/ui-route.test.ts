import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import Fastify from "fastify";
import type { AppContext } from "../../src/server/context.ts";
import { installErrorHandling } from "../../src/server/plugins/error-handler.ts";
import { cspHash, UI_ASSET_DIR, uiMountPath, uiRoutes } from "../../src/server/routes/ui.ts";
import { makeApp } from "../helpers.ts";
import { tempDir } from "../lifecycle-helpers.ts";

/** The text of the page's one inline element `<tag>…</tag>`, exactly as the browser hashes it. */
function inline(page: string, tag: "script" | "style"): string {
  const all = [...page.matchAll(new RegExp(`<${tag}[^>]*>([\\s\\S]*?)</${tag}>`, "g"))];
  assert.equal(all.length, 1, `one <${tag}> element`);
  return all[0]![1]!;
}

const sha256 = (text: string) => `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;

describe("dashboard routes", () => {
  it("serves the whole first screen in one page, its inline script and styles allowed by hash only", async () => {
    const { fastify } = makeApp({ title: "Churn <team>" });
    const res = await fastify.inject({ method: "GET", url: "/ui" });
    assert.equal(res.statusCode, 200);
    assert.match(res.headers["content-type"] as string, /^text\/html/);
    assert.match(res.body, /<meta name="modelserve-title" content="Churn &#60;team&#62;">/);
    assert.match(res.body, /<meta name="modelserve-keys" content="off">/);
    // The bundle itself, inlined: nothing else to fetch (no script src, no stylesheet link, no favicon).
    const script = inline(res.body, "script");
    const style = inline(res.body, "style");
    assert.equal(script, readFileSync(join(UI_ASSET_DIR, "app.js"), "utf8"));
    assert.equal(style, readFileSync(join(UI_ASSET_DIR, "app.css"), "utf8"));
    assert.match(res.body, /<script type="module">/);
    assert.doesNotMatch(res.body, /<script[^>]* src=|rel="stylesheet"|rel="modulepreload"|style="/);
    assert.match(res.body, /<link rel="icon" href="data:,">/);
    // The CSP names exactly those two texts by their SHA-256, and nothing else may run or style.
    const csp = res.headers["content-security-policy"] as string;
    assert.match(csp, /default-src 'none'/);
    assert.ok(csp.includes(`script-src ${sha256(script)};`), csp);
    assert.ok(csp.includes(`style-src ${sha256(style)};`), csp);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|'self' 'sha|'sha256-[^']*' '/);
    assert.equal(cspHash("</p>"), sha256("</p>"));
    assert.equal(res.headers["x-frame-options"], "DENY");
    // Keys off: no secret to protect from an opener, so no COOP (it costs a fresh tab a new process).
    assert.equal(res.headers["cross-origin-opener-policy"], undefined);
  });

  it("sends the page gzipped with an ETag (304 when unchanged), and serves no other file", async () => {
    const { fastify } = makeApp();
    const plain = await fastify.inject({ method: "GET", url: "/ui" });
    const gz = await fastify.inject({
      method: "GET",
      url: "/ui",
      headers: { "accept-encoding": "gzip, br" },
    });
    assert.equal(gz.headers["content-encoding"], "gzip");
    assert.equal(gz.headers.vary, "accept-encoding");
    assert.deepEqual(gunzipSync(gz.rawPayload), plain.rawPayload);
    assert.ok(gz.rawPayload.length < plain.rawPayload.length / 2);
    assert.equal(plain.headers["cache-control"], "no-cache");
    const again = await fastify.inject({
      method: "GET",
      url: "/ui",
      headers: { "if-none-match": plain.headers.etag as string },
    });
    assert.equal(again.statusCode, 304);
    assert.equal(again.rawPayload.length, 0);
    for (const url of ["/ui/app.js", "/ui/app.css", "/ui/..%2Fpackage.json", "/ui/index.html"])
      assert.equal((await fastify.inject({ method: "GET", url })).statusCode, 404, url);
  });

  it("weighs under 150 kB gzipped (the page with everything in it, live view included)", async () => {
    const { fastify } = makeApp();
    const gz = await fastify.inject({ method: "GET", url: "/ui", headers: { "accept-encoding": "gzip" } });
    assert.ok(gz.rawPayload.length < 150 * 1024, `${gz.rawPayload.length} bytes gzipped`);
    // The chart library is in it (uPlot draws into elements of class u-over): no chunk loaded later.
    assert.ok(gunzipSync(gz.rawPayload).toString().includes("u-over"));
  });

  it("moves or turns off with the ui setting, and refuses a path the API owns", async () => {
    const moved = makeApp({ ui: "/dashboard" }).fastify;
    assert.equal((await moved.inject({ method: "GET", url: "/dashboard" })).statusCode, 200);
    assert.match(
      (await moved.inject({ method: "GET", url: "/dashboard" })).body,
      /<meta name="modelserve-api" content="">/,
    );
    assert.equal((await moved.inject({ method: "GET", url: "/ui" })).statusCode, 404);
    const off = makeApp({ ui: "off" }).fastify;
    assert.equal((await off.inject({ method: "GET", url: "/ui" })).statusCode, 404);
    for (const bad of ["/docs", "/models/x", "ui", "/a/../b", "/ui?x"])
      assert.throws(() => uiMountPath(bad), { code: "MS_INVALID_CONFIG" }, bad);
    assert.equal(uiMountPath("/ops/dashboard/"), "/ops/dashboard");
  });

  it("stays open when API keys are on, with no data in it and COOP on (the data behind it is closed)", async () => {
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
    // The page is the bundle and three meta tags: no model of this server is named in it.
    const models = (
      await fastify.inject({
        method: "GET",
        url: "/models",
        headers: { authorization: "Bearer secret-key-0123456789abcdef" },
      })
    ).json() as { models: { name: string }[] };
    assert.ok(models.models.length > 0);
    const outside = page.body
      .replace(inline(page.body, "script"), "")
      .replace(inline(page.body, "style"), "");
    for (const m of models.models) assert.ok(!outside.includes(m.name), m.name);
    assert.ok(!page.body.includes("secret-key-0123456789abcdef"));
    assert.equal((await fastify.inject({ method: "GET", url: "/models" })).statusCode, 401);
    assert.equal((await fastify.inject({ method: "GET", url: "/stats" })).statusCode, 401);
  });

  it("answers MS_UI_NOT_BUILT (503) when the bundle is missing, not a blank page", async () => {
    const app = Fastify();
    installErrorHandling(app, 1 << 20);
    const ctx = { settings: { title: "t" } } as unknown as AppContext;
    uiRoutes(app, ctx, "/ui", "", tempDir("ui-empty"));
    const res = await app.inject({ method: "GET", url: "/ui" });
    assert.equal(res.statusCode, 503);
    assert.equal(res.json().error.code, "MS_UI_NOT_BUILT");
    assert.match(res.json().error.message, /npm run build:ui/);
  });
});
