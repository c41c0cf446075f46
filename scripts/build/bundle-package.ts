/**
 * @module Build step after `tsc`: the package's two entries — the CLI (`dist/cli/main.js`) and the
 * library (`dist/index.js`) — bundled together into `dist/entry-bundle/`, split into shared chunks, so that a
 * command starts from a few files instead of resolving and linking ~300 modules one by one, and a
 * TypeScript model that imports `modelserve` inside `modelserve serve` gets the very modules the server
 * runs (one `ModelServeError` class, one copy of each module in memory).
 *
 * Our modules are bundled; packages stay imports. Each module's `import.meta.url` becomes its own file's
 * URL in `dist/` (`ownMetaUrl`), so the files a module finds beside itself (package.json, assets, the
 * loader workers' and pool threads' entries) are the same as unbundled. `bin/modelserve.js` runs the
 * bundle unless it is older than `dist/cli/main.js` (tsc ran since); the package's `exports` point at it.
 *
 * Usage: node scripts/build/bundle-package.ts   (run by `npm run build`)
 */

import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { NODE_BUNDLE, ownMetaUrl } from "./bundle-workers.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const dist = join(root, "dist");

/** Writes `dist/entry-bundle/main.js`, `dist/entry-bundle/index.js` and their shared chunks. */
export async function bundlePackage(): Promise<void> {
  const outdir = join(dist, "entry-bundle");
  rmSync(outdir, { recursive: true, force: true });
  await build({
    ...NODE_BUNDLE,
    entryPoints: { main: join(dist, "cli/main.js"), index: join(dist, "index.js") },
    outdir,
    splitting: true,
    chunkNames: "chunk-[hash]",
    plugins: [ownMetaUrl(outdir)],
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await bundlePackage();
