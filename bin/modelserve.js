#!/usr/bin/env node
// The modelserve command. Needs Node 22 or newer (see "engines" in package.json).
const [major] = process.versions.node.split(".").map(Number);
if (major < 22) {
  process.stderr.write(`modelserve: Node ${process.versions.node} is too old; use Node 22 or newer\n`);
  process.exit(1);
}
if (!process.env.NODE_DISABLE_COMPILE_CACHE) (await import("node:module")).enableCompileCache?.();
const { main } = await import("../dist/cli/main.js");
await main(process.argv);
