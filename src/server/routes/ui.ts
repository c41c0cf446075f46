/**
 * @module The dashboard route: one page at the configured path (`/ui` by default) holding the whole
 * first screen, the bundle that `npm run build:ui` leaves in `dist/ui/` (`app.js`, `app.css`) inlined
 * into it. One request instead of three: on loopback the page's own cost is then little more than a
 * bare page's. The inline script and stylesheet are allowed by their SHA-256 in the CSP, nothing else
 * is. The page holds no data, so it stays open when API keys are on; every call it makes is checked
 * as usual.
 */

import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import type { FastifyInstance } from "fastify";
import { Errors } from "../../errors.ts";
import type { AppContext } from "../context.ts";

/**
 * Where the build writes the bundle. The same relative path holds from `src/server/routes/` (tests,
 * source checkouts) and `dist/server/routes/` (the package): both reach `<package>/dist/ui/`.
 */
export const UI_ASSET_DIR = fileURLToPath(new URL("../../../dist/ui/", import.meta.url));

/** The CSP source that allows exactly one inline element: `'sha256-<base64 of its text>'`. */
export const cspHash = (text: string): string =>
  `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;

/**
 * The dashboard's Content-Security-Policy: its one inline script and one inline stylesheet (by hash),
 * calls to this server only, nothing from elsewhere, no framing. Styles set through the CSSOM (what
 * Preact and the charts do) are not inline styles, so they need no `'unsafe-inline'`.
 */
export function uiContentSecurityPolicy(script: string, style: string): string {
  return `default-src 'none'; script-src ${cspHash(script)}; style-src ${cspHash(style)}; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'`;
}

/**
 * The dashboard's other security headers. The CSP depends on the bundle ({@link uiContentSecurityPolicy});
 * `Cross-Origin-Opener-Policy` on whether keys are on ({@link UI_KEYS_HEADERS}).
 */
export const UI_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
};

/**
 * Added when API keys are on, where the page asks for a key: a window that opened the dashboard then
 * keeps no handle on it, so it cannot send the tab to a look-alike page asking for the key again.
 * With keys off there is no secret to fish for (the API the page calls is open) and the header is left
 * out, because it costs every first visit from a fresh tab a new renderer process: in headless
 * Chromium on two shared cores, 150–200 ms, most of the page's load time (`npm run bench:dashboard`).
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

/** The page, built once: its bytes, gzipped, its ETag and its CSP. */
interface Page {
  readonly body: Buffer;
  /** The same bytes gzipped once, for clients that accept it (almost all of it is script text). */
  readonly gzip: Buffer;
  readonly etag: string;
  readonly csp: string;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** What the page is made of besides the bundle. */
interface PageParams {
  readonly title: string;
  /** Path prefix of the API (empty at the root). */
  readonly apiBase: string;
  readonly keys: boolean;
}

/**
 * The page: the API base and the key requirement travel in meta tags read by the script; the
 * stylesheet and the module script are inline (the build checked they cannot close their element).
 * `<link rel="icon" href="data:,">` spares the browser a `/favicon.ico` request.
 */
export function uiPage(p: PageParams, script: string, style: string): string {
  const t = escapeHtml(p.title);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${t} · dashboard</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="modelserve-api" content="${escapeHtml(p.apiBase)}">
<meta name="modelserve-title" content="${t}">
<meta name="modelserve-keys" content="${p.keys ? "on" : "off"}">
<link rel="icon" href="data:,">
<style>${style}</style></head>
<body><div id="app"><noscript>The dashboard needs JavaScript.</noscript></div>
<script type="module">${script}</script></body></html>`;
}

/** Reads the bundle and builds the page on first use; a missing bundle is `MS_UI_NOT_BUILT`. */
function pageBuilder(dir: string, params: PageParams): () => Promise<Page> {
  let built: Page | undefined;
  return async () => {
    if (built) return built;
    const read = async (file: string) => {
      try {
        return await readFile(join(dir, file), "utf8");
      } catch {
        throw Errors.uiNotBuilt(file);
      }
    };
    const [script, style] = [await read("app.js"), await read("app.css")];
    const body = Buffer.from(uiPage(params, script, style), "utf8");
    built = {
      body,
      gzip: gzipSync(body, { level: 9 }),
      etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`,
      csp: uiContentSecurityPolicy(script, style),
    };
    return built;
  };
}

/** Registers the dashboard under `path` (checked by {@link uiMountPath}), from the bundle in `assetDir`. */
export function uiRoutes(
  app: FastifyInstance,
  ctx: AppContext,
  path: string,
  prefix: string,
  assetDir = UI_ASSET_DIR,
): void {
  const mount = uiMountPath(path);
  const keys = (ctx.settings.access?.keys?.size ?? 0) > 0;
  const page = pageBuilder(assetDir, { title: ctx.settings.title, apiBase: prefix, keys });
  app.get(mount, { config: { public: true } }, async (req, reply) => {
    const p = await page();
    reply
      .type("text/html; charset=utf-8")
      .header("content-security-policy", p.csp)
      .headers(UI_SECURITY_HEADERS)
      .headers(keys ? UI_KEYS_HEADERS : {})
      .header("etag", p.etag)
      .header("vary", "accept-encoding")
      // Revalidated each time (a 304 when the server and its bundle did not change).
      .header("cache-control", "no-cache");
    if (req.headers["if-none-match"] === p.etag) return reply.code(304).send();
    if (/\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""))) {
      reply.header("content-encoding", "gzip");
      return p.gzip;
    }
    return p.body;
  });
}
