#!/usr/bin/env node
// The modelserve command. Needs Node 22 or newer (see "engines" in package.json).
const [major] = process.versions.node.split(".").map(Number);
if (major < 22) {
  process.stderr.write(`modelserve: Node ${process.versions.node} is too old; use Node 22 or newer\n`);
  process.exit(1);
}
// V8's compiled code for our modules and their dependencies is kept between starts (in
// NODE_COMPILE_CACHE, else the system's temporary directory): compiling ~700 modules is a fifth of the
// import time. Node itself honours NODE_DISABLE_COMPILE_CACHE=1, which turns it off.
(await import("node:module")).enableCompileCache?.();
// The bundle of the CLI and the library (scripts/build/bundle-package.ts) starts from a few files instead
// of ~300; it is skipped when older than the modules it was made from (tsc ran since).
const { statSync } = await import("node:fs");
const age = (file) => statSync(new URL(file, import.meta.url), { throwIfNoEntry: false })?.mtimeMs ?? -1;
const bundled = age("../dist/entry-bundle/main.js") >= age("../dist/cli/main.js");
const { main } = await import(bundled ? "../dist/entry-bundle/main.js" : "../dist/cli/main.js");
await main(process.argv);
