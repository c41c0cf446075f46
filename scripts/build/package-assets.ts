/**
 * @module Build step after `tsc`: everything the published package runs is JavaScript in `dist/`.
 *
 * - The two standalone docs bundles (Swagger UI, ReDoc) and their licences go to `dist/docs-assets/`, so
 *   `/docs` and `/redoc` work without `swagger-ui-dist` (telemetry postinstall through `@scarf/scarf`) or
 *   `redoc` (React, mobx, styled-components and core-js: about 60 MB installed) at run time; both stay
 *   devDependencies.
 * - The iris example goes to `dist/examples/iris/`: its TypeScript model as JavaScript (Node refuses to
 *   strip types under `node_modules`), the TypeScript source beside it, and the config pointing at the
 *   `.js` file.
 */

import { copyFileSync, cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire, stripTypeScriptTypes } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const dist = join(root, "dist");

/** Package, file inside it, and name in `dist/docs-assets/`. */
const DOCS_FILES: readonly (readonly [string, string, string])[] = [
  ["swagger-ui-dist", "swagger-ui.css", "swagger-ui.css"],
  ["swagger-ui-dist", "swagger-ui-bundle.js", "swagger-ui-bundle.js"],
  ["swagger-ui-dist", "favicon-32x32.png", "favicon-32x32.png"],
  ["swagger-ui-dist", "LICENSE", "swagger-ui.LICENSE"],
  ["swagger-ui-dist", "NOTICE", "swagger-ui.NOTICE"],
  ["swagger-ui-dist", "swagger-ui-bundle.js.LICENSE.txt", "swagger-ui-bundle.js.LICENSE.txt"],
  ["redoc", "bundles/redoc.standalone.js", "redoc.standalone.js"],
  ["redoc", "bundles/redoc.standalone.js.LICENSE.txt", "redoc.standalone.js.LICENSE.txt"],
  ["redoc", "LICENSE", "redoc.LICENSE"],
];

const assets = join(dist, "docs-assets");
mkdirSync(assets, { recursive: true });
for (const [pkg, file, name] of DOCS_FILES) {
  copyFileSync(join(dirname(require.resolve(`${pkg}/package.json`)), file), join(assets, name));
}

const src = join(root, "examples", "iris");
const out = join(dist, "examples", "iris");
mkdirSync(out, { recursive: true });
for (const dir of ["models", "golden"]) cpSync(join(src, dir), join(out, dir), { recursive: true });
copyFileSync(join(src, "heuristic.ts"), join(out, "heuristic.ts"));
writeFileSync(
  join(out, "heuristic.js"),
  stripTypeScriptTypes(readFileSync(join(src, "heuristic.ts"), "utf8"), { mode: "strip" }),
);
const config = JSON.parse(readFileSync(join(src, "modelserve.json"), "utf8")) as { models: unknown[] };
config.models = config.models.map((m) => (m === "heuristic.ts" ? "heuristic.js" : m));
writeFileSync(join(out, "modelserve.json"), `${JSON.stringify(config, null, 2)}\n`);
