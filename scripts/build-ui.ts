/**
 * @module Bundles the dashboard (`ui/src`) with esbuild into `dist/ui/app.js` and `dist/ui/app.css`:
 * minified, one file each, no external request at run time. The server inlines both into the page
 * (one request for the whole first screen) and allows them by their SHA-256 in the page's CSP, so the
 * files must be safe to inline: this build fails if either could close its element early or holds a
 * carriage return (which the HTML parser would drop, changing the hash). Run by `npm run build` (so
 * `npm ci`, through `prepare`, leaves the bundle in place) or alone with `npm run build:ui`.
 */

import { readFileSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const outdir = `${root}dist/ui`;
// Clear files of older builds (split chunks) so the package ships only the current bundle.
await rm(outdir, { recursive: true, force: true });
await mkdir(outdir, { recursive: true });
await build({
  entryPoints: { app: `${root}ui/src/main.tsx` },
  outdir,
  bundle: true,
  minify: true,
  // One script: the page inlines it, and an inlined module cannot share a chunk with a lazy one.
  splitting: false,
  format: "esm",
  target: ["chrome110", "firefox115", "safari16"],
  jsx: "automatic",
  jsxImportSource: "preact",
  legalComments: "none",
  banner: {
    js: "/*! modelserve dashboard. Bundles Preact (MIT, preactjs.com) and uPlot (MIT, github.com/leeoniya/uPlot). */",
  },
  logLevel: "warning",
});

const js = readFileSync(`${outdir}/app.js`, "utf8");
const css = readFileSync(`${outdir}/app.css`, "utf8");
for (const [file, text, end] of [
  ["app.js", js, "</script"],
  ["app.css", css, "</style"],
] as const) {
  if (text.toLowerCase().includes(end) || text.includes("<!--"))
    throw new Error(`dist/ui/${file} holds ${end} or <!--: it cannot be inlined into the page`);
  if (text.includes("\r"))
    throw new Error(`dist/ui/${file} holds a carriage return: its CSP hash would not match`);
}
const gz = gzipSync(Buffer.from(js + css), { level: 9 }).length;
process.stdout.write(
  `dashboard bundle: ${(gz / 1024).toFixed(1)} kB gzipped (script and styles, inlined into the page), in ${outdir}\n`,
);
