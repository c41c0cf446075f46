/**
 * @module Build step after `tsc`: each loader worker entry in `dist/` gets a one-file bundle beside it
 * (`pickle-worker.js` → `pickle-worker.bundle.js`), which a loader worker starts from instead of
 * resolving and compiling its ~230 modules one by one (src/runtimes/loading/worker-file.ts).
 *
 * Our modules are bundled; packages stay imports (`packages: "external"`). Each module's
 * `import.meta.url` is replaced by its own file's URL in `dist/`, computed from the bundle's location,
 * so the files a module finds beside itself (package.json, assets) are the same as unbundled.
 *
 * Usage: node scripts/build/bundle-workers.ts   (run by `npm run build`)
 */

import { readFile } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const dist = join(root, "dist");

/** Every loader worker entry (a module that calls `serveLoads`), relative to `src/` and `dist/`. */
export const LOADER_WORKERS: readonly string[] = [
  "runtimes/sklearn/pickle-worker",
  "runtimes/xgboost/parse-worker",
  "runtimes/lightgbm/parse-worker",
];

/** Gives every bundled module of `dist/` its own `import.meta.url`, relative to the bundle's folder. */
export function ownMetaUrl(outDir: string): Plugin {
  return {
    name: "own-import-meta-url",
    setup(b) {
      b.onLoad({ filter: /\.js$/ }, async (args) => {
        if (!args.path.startsWith(dist + sep)) return undefined;
        const source = await readFile(args.path, "utf8");
        const rel = relative(outDir, args.path).split(sep).join("/");
        const href = `new URL(${JSON.stringify(rel.startsWith(".") ? rel : `./${rel}`)}, import.meta.url).href`;
        return { contents: source.replaceAll("import.meta.url", href), loader: "js" };
      });
    },
  };
}

/** What every bundle of `dist/` shares: our modules in, packages left as imports, ESM for Node 22+. */
export const NODE_BUNDLE = {
  bundle: true,
  packages: "external",
  platform: "node",
  format: "esm",
  target: "node22",
  legalComments: "none",
  logLevel: "warning",
  // Maps back to `src/*.ts` (esbuild follows tsc's maps of `dist/`): a process started with
  // `--enable-source-maps` reports stack frames in our sources instead of bundle chunks. Node reads
  // them only then; otherwise they cost a comment line per file.
  sourcemap: "linked",
  sourcesContent: false,
} as const;

/** Writes `<entry>.bundle.js` for each loader worker entry. */
export async function bundleWorkers(): Promise<void> {
  for (const name of LOADER_WORKERS) {
    const entry = join(dist, `${name}.js`);
    const outfile = join(dist, `${name}.bundle.js`);
    await build({
      ...NODE_BUNDLE,
      entryPoints: [entry],
      outfile,
      plugins: [ownMetaUrl(dirname(outfile))],
    });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await bundleWorkers();
