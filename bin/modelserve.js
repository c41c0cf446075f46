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
const { main } = await import("../dist/cli/main.js");
await main(process.argv);
