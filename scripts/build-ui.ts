/**
 * @module Bundles the dashboard (`ui/src`) with esbuild into `dist/ui/app.js` and `dist/ui/app.css`:
 * minified, one file each, no external request at run time. Run by `npm run build` (so `npm ci`,
 * through `prepare`, leaves the bundle in place) or alone with `npm run build:ui`.
 */

import { readFileSync } from "node:fs";
import { mkdir, stat } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const outdir = `${root}dist/ui`;
await mkdir(outdir, { recursive: true });
await build({
  entryPoints: { app: `${root}ui/src/main.tsx` },
  outdir,
  bundle: true,
  minify: true,
  format: "esm",
  target: ["chrome110", "firefox115", "safari16"],
  jsx: "automatic",
  jsxImportSource: "preact",
  legalComments: "none",
  banner: {
    js: "/*! modelserve dashboard. Bundles Preact (MIT, preactjs.com) and uPlot (MIT, github.com/leeoniya/uPlot). */",
  },
  logLevel: "warning",
  metafile: false,
});
let gz = 0;
for (const f of ["app.js", "app.css"]) {
  const path = `${outdir}/${f}`;
  await stat(path);
  gz += gzipSync(readFileSync(path)).length;
}
process.stdout.write(`dashboard bundle: ${(gz / 1024).toFixed(1)} kB gzipped in ${outdir}\n`);
