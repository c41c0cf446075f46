/**
 * @module Bundles the dashboard (`ui/src`) with esbuild into `dist/ui/app.js` and `dist/ui/app.css`:
 * minified, one file each, no external request at run time. Run by `npm run build` (so `npm ci`,
 * through `prepare`, leaves the bundle in place) or alone with `npm run build:ui`.
 */

import { readFileSync } from "node:fs";
import { mkdir, readdir, rm, stat } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const outdir = `${root}dist/ui`;
// Chunk names carry content hashes: clear old ones so the package ships only the current bundle.
await rm(outdir, { recursive: true, force: true });
await mkdir(outdir, { recursive: true });
await build({
  entryPoints: { app: `${root}ui/src/main.tsx` },
  outdir,
  bundle: true,
  minify: true,
  // The live view (and the chart library) is a separate chunk loaded when first opened.
  splitting: true,
  chunkNames: "[name]-[hash]",
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
// The first screen loads app.js, app.css and the shared chunk; the live view's chunk comes when opened.
let first = 0;
let all = 0;
for (const f of await readdir(outdir)) {
  const path = `${outdir}/${f}`;
  await stat(path);
  const n = gzipSync(readFileSync(path)).length;
  all += n;
  if (!f.startsWith("live-")) first += n;
}
process.stdout.write(
  `dashboard bundle: ${(first / 1024).toFixed(1)} kB gzipped for the first screen, ${(all / 1024).toFixed(1)} kB in all, in ${outdir}\n`,
);
