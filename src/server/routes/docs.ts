/**
 * @module API documentation routes: `/openapi.json` (generated from the live registry), Swagger UI at
 * `/docs` and ReDoc at `/redoc`, both served from local package assets so they work air-gapped.
 */

import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";
import type { AppContext } from "../context.ts";
import { buildOpenApi } from "../openapi.ts";
import { examplesOf } from "../openapi-examples.ts";

const require = createRequire(import.meta.url);

/**
 * Assets served under `/docs/static/` and `/redoc/static/`: a fixed list, so no path can be traversed.
 * The published package carries them in `dist/docs-assets/` (copied at build time); a source checkout
 * reads them from the `swagger-ui-dist` and `redoc` devDependencies.
 */
const ASSETS: Readonly<Record<string, { pkg: string; file: string; type: string }>> = {
  "swagger-ui.css": { pkg: "swagger-ui-dist", file: "swagger-ui.css", type: "text/css; charset=utf-8" },
  "swagger-ui-bundle.js": {
    pkg: "swagger-ui-dist",
    file: "swagger-ui-bundle.js",
    type: "text/javascript; charset=utf-8",
  },
  "favicon-32x32.png": { pkg: "swagger-ui-dist", file: "favicon-32x32.png", type: "image/png" },
  "redoc.standalone.js": {
    pkg: "redoc",
    file: "bundles/redoc.standalone.js",
    type: "text/javascript; charset=utf-8",
  },
};

const BUILT_ASSETS = fileURLToPath(new URL("../../docs-assets/", import.meta.url));

const cache = new Map<string, Buffer>();

async function asset(name: string): Promise<Buffer | undefined> {
  const a = ASSETS[name];
  if (!a) return undefined;
  let buf = cache.get(name);
  if (!buf) {
    try {
      buf = await readFile(join(BUILT_ASSETS, name));
    } catch {
      buf = await readFile(join(dirname(require.resolve(`${a.pkg}/package.json`)), a.file));
    }
    cache.set(name, buf);
  }
  return buf;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const swaggerHtml = (title: string, p: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} · Swagger UI</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${p}/docs/static/swagger-ui.css"><link rel="icon" href="${p}/docs/static/favicon-32x32.png"></head>
<body><div id="swagger-ui"></div><script src="${p}/docs/static/swagger-ui-bundle.js"></script>
<script src="${p}/docs/static/init.js"></script></body></html>`;

const swaggerInit = (
  p: string,
) => `window.ui = SwaggerUIBundle({ url: ${JSON.stringify(`${p}/openapi.json`)}, dom_id: "#swagger-ui",
  deepLinking: true, tryItOutEnabled: true, displayRequestDuration: true, defaultModelsExpandDepth: 0 });`;

const redocHtml = (title: string, p: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} · ReDoc</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><redoc spec-url="${p}/openapi.json"></redoc><script src="${p}/redoc/static/redoc.standalone.js"></script></body></html>`;

/**
 * Headers of the docs pages: scripts and styles from this server only (the pages have no inline
 * script; Swagger UI and ReDoc set inline styles, ReDoc runs a blob worker and embeds data: images),
 * no framing, no referrer, no MIME sniffing.
 */
export const DOCS_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
};

/** Registers the documentation routes. */
export function docsRoutes(app: FastifyInstance, ctx: AppContext, version: string, prefix = ""): void {
  const p = escapeHtml(prefix);
  let cached: { generation: number; doc: string } | undefined;
  const opts = {
    title: ctx.settings.title,
    version,
    maxBatchSize: ctx.settings.maxBatchSize,
    prefix,
    apiKeys: (ctx.settings.access?.keys?.size ?? 0) > 0,
  };

  app.get("/openapi.json", async (_req, reply) => {
    if (!cached || cached.generation !== ctx.registry.generation) {
      const generation = ctx.registry.generation;
      const examples = await examplesOf(ctx.registry.all());
      cached = { generation, doc: JSON.stringify(buildOpenApi(ctx.registry, { ...opts, examples })) };
    }
    reply.type("application/json; charset=utf-8");
    return cached.doc;
  });
  const html = (body: string) => async (_req: unknown, reply: import("fastify").FastifyReply) => {
    reply.type("text/html; charset=utf-8").header("cache-control", "no-cache").headers(DOCS_SECURITY_HEADERS);
    return body;
  };
  app.get("/docs", html(swaggerHtml(ctx.settings.title, p)));
  app.get("/redoc", html(redocHtml(ctx.settings.title, p)));
  app.get("/docs/static/init.js", async (_req, reply) => {
    reply.type("text/javascript; charset=utf-8");
    return swaggerInit(prefix);
  });
  for (const prefix of ["/docs/static/", "/redoc/static/"]) {
    app.get(`${prefix}:file`, async (req, reply) => {
      const { file } = req.params as { file: string };
      const buf = await asset(file);
      if (!buf) return reply.callNotFound();
      reply
        .type(ASSETS[file].type)
        .header("cache-control", "public, max-age=86400")
        .header("x-content-type-options", "nosniff");
      return buf;
    });
  }
}
