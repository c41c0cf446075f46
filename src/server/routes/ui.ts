/**
 * @module The dashboard routes: the page at the configured path (`/ui` by default) and its two
 * bundled assets, built at install time by `npm run build:ui` into `dist/ui/`. The page and scripts
 * hold no data, so they stay open when API keys are on; every call they make is checked as usual.
 */

import { createHash } from "node:crypto";
import { readdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import type { FastifyInstance, FastifyReply } from "fastify";
import { Errors } from "../../errors.ts";
import type { AppContext } from "../context.ts";

/**
 * Where the build writes the bundle. The same relative path holds from `src/server/routes/` (tests,
 * source checkouts) and `dist/server/routes/` (the package): both reach `<package>/dist/ui/`.
 */
export const UI_ASSET_DIR = fileURLToPath(new URL("../../../dist/ui/", import.meta.url));

/**
 * The bundle's files: `app.js`, `app.css`, and the chunks esbuild splits off (`live-<hash>.js`,
 * `chunk-<hash>.js`). A file name outside this pattern is not served, so no path can be traversed.
 */
const ASSET = /^(?:app\.(js|css)|[a-z]+-[A-Z0-9]{8}\.(js))$/;
/** Whether a file is a chunk named by its content hash. */
const hashed = (file: string) => /^[a-z]+-[A-Z0-9]{8}\.js$/.test(file);
const typeOf = (file: string): string | undefined => {
  const m = ASSET.exec(file);
  if (!m) return undefined;
  return (m[1] ?? m[2]) === "css" ? "text/css; charset=utf-8" : "text/javascript; charset=utf-8";
};

/**
 * Headers of the dashboard: scripts, styles and calls to this server only. No inline script or style
 * is needed (styles are set through the CSSOM, which CSP allows), so neither is allowed.
 */
export const UI_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
};

/**
 * Added to the page when API keys are on, where it asks for a key: a window that opened the dashboard
 * then keeps no handle on it, so it cannot send the tab on to a look-alike page asking for the key.
 * With keys off there is no secret to fish for (the API the page calls is open to all) and the header
 * is left out, because it costs a visit from a fresh tab a new renderer process: 150–200 ms in
 * headless Chromium on two shared cores, most of the page's load time (`npm run bench:dashboard`).
 */
export const UI_KEYS_HEADERS: Readonly<Record<string, string>> = {
  "cross-origin-opener-policy": "same-origin",
};

// Paths the API owns: the dashboard may not be mounted over them.
const RESERVED =
  /^\/(predict|predict_proba|models|admin|health|metrics|stats|docs|redoc|openapi\.json)(\/|$)/;

/**
 * Checks a configured dashboard path: absolute, plain segments, not over an API route. Throws
 * `MS_INVALID_CONFIG`.
 */
export function uiMountPath(path: string): string {
  const p = path.endsWith("/") && path.length > 1 ? path.slice(0, -1) : path;
  if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(p) || p.split("/").some((s) => s === "." || s === ".."))
    throw Errors.invalidConfig(`ui must be a path like /ui (or off), got ${JSON.stringify(path)}`);
  if (RESERVED.test(p)) throw Errors.invalidConfig(`ui path ${p} is taken by the API; pick another`);
  return p;
}

interface Asset {
  readonly body: Buffer;
  /** The same bytes gzipped once, for clients that accept it (most of the page weight is text). */
  readonly gzip: Buffer;
  readonly etag: string;
}

/** Reads the bundle's files once each, on first request. */
function assetReader(dir: string): (file: string) => Promise<Asset> {
  const cache = new Map<string, Asset>();
  return async (file) => {
    let a = cache.get(file);
    if (!a) {
      let body: Buffer;
      try {
        body = await readFile(join(dir, file));
      } catch {
        throw Errors.uiNotBuilt(file);
      }
      a = {
        body,
        gzip: gzipSync(body, { level: 9 }),
        etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`,
      };
      cache.set(file, a);
    }
    return a;
  };
}

/**
 * The shared chunks `app.js` imports: announced in the page so the browser fetches them beside
 * `app.js` instead of after it (the live view's chunk is left for when it is opened).
 */
function sharedChunks(dir: string): string[] {
  try {
    return readdirSync(dir).filter((f) => /^chunk-[A-Z0-9]{8}\.js$/.test(f));
  } catch {
    return [];
  }
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The page: the API base and the key requirement travel in meta tags, since no inline script is allowed. */
function page(
  title: string,
  apiBase: string,
  uiBase: string,
  version: string,
  keys: boolean,
  preload: readonly string[],
): string {
  const t = escapeHtml(title);
  const v = escapeHtml(version);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${t} · dashboard</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="modelserve-api" content="${escapeHtml(apiBase)}">
<meta name="modelserve-title" content="${t}">
<meta name="modelserve-keys" content="${keys ? "on" : "off"}">
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${escapeHtml(uiBase)}/app.css?v=${v}">
${preload.map((f) => `<link rel="modulepreload" href="${escapeHtml(uiBase)}/${escapeHtml(f)}">`).join("")}</head>
<body><div id="app"><noscript>The dashboard needs JavaScript.</noscript></div>
<script type="module" src="${escapeHtml(uiBase)}/app.js?v=${v}"></script></body></html>`;
}

/** Registers the dashboard under `path` (checked by {@link uiMountPath}), serving the bundle in `assetDir`. */
export function uiRoutes(
  app: FastifyInstance,
  ctx: AppContext,
  path: string,
  prefix: string,
  version: string,
  assetDir = UI_ASSET_DIR,
): void {
  const mount = uiMountPath(path);
  const asset = assetReader(assetDir);
  const keys = (ctx.settings.access?.keys?.size ?? 0) > 0;
  const html = page(ctx.settings.title, prefix, `${prefix}${mount}`, version, keys, sharedChunks(assetDir));
  const config = { public: true };
  app.get(mount, { config }, async (_req, reply) => {
    // The page is useless without its script: a missing bundle is reported here, not as a blank page.
    await asset("app.js");
    reply.type("text/html; charset=utf-8").header("cache-control", "no-cache").headers(UI_SECURITY_HEADERS);
    if (keys) reply.headers(UI_KEYS_HEADERS);
    return html;
  });
  app.get(`${mount}/:file`, { config }, async (req, reply: FastifyReply) => {
    const { file } = req.params as { file: string };
    const type = typeOf(file);
    if (!type) return reply.callNotFound();
    const a = await asset(file);
    reply
      .type(type)
      .header("etag", a.etag)
      .header("vary", "accept-encoding")
      // A chunk's name carries its content hash, so it never changes under that name: a reload needs not
      // ask again. app.js and app.css keep their names across builds: revalidated each time (a 304).
      .header("cache-control", hashed(file) ? "public, max-age=31536000, immutable" : "no-cache")
      .header("x-content-type-options", "nosniff");
    if (req.headers["if-none-match"] === a.etag) return reply.code(304).send();
    if (/\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""))) {
      reply.header("content-encoding", "gzip");
      return a.gzip;
    }
    return a.body;
  });
}
