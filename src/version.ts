/** @module The package version, read once from package.json. */

import { readFileSync } from "node:fs";

/** This package's version. */
export const PACKAGE_VERSION: string = (
  JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
).version;
