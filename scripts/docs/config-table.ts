/** Rewrites the generated configuration table of docs/config.md from src/config/keys.ts. */
import { readFileSync, writeFileSync } from "node:fs";
import { withConfigTable } from "../../src/config/docs-table.ts";

const path = new URL("../../docs/config.md", import.meta.url);
writeFileSync(path, withConfigTable(readFileSync(path, "utf8")));
