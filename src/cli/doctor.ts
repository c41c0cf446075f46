/**
 * @module `modelserve doctor`: which runtimes and optional features work on this machine, and for each
 * one that does not, why and the command that fixes it. It imports the optional packages the way the
 * runtimes do, so its answer is the one a model load would get; nothing runs at install time.
 */

import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { PACKAGE_VERSION } from "../version.ts";
import { table } from "./text.ts";

/** One line of the report. */
export interface DoctorCheck {
  /** What is checked: a runtime, a compression or file format, or a command. */
  readonly name: string;
  /** What it serves, e.g. `.onnx models`. */
  readonly purpose: string;
  readonly ok: boolean;
  /** The version found, or why it is unavailable. */
  readonly detail: string;
  /** The command that makes it available, when it is not. */
  readonly fix?: string;
}

/** The installed version of a package (found from its entry point: not every package exports package.json). */
function versionOf(pkg: string): string | undefined {
  try {
    let dir = dirname(fileURLToPath(import.meta.resolve(pkg)));
    for (;;) {
      const file = join(dir, "package.json");
      if (existsSync(file)) {
        const json = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
        if (json.name === pkg) return json.version;
      }
      const up = dirname(dir);
      if (up === dir) return undefined;
      dir = up;
    }
  } catch {
    return undefined;
  }
}

const firstLine = (err: unknown) => (err instanceof Error ? err.message : String(err)).split("\n")[0];

/** Checks an optional package by importing it, as the code that needs it does. */
async function optionalPackage(
  name: string,
  pkg: string,
  purpose: string,
  fix = `npm install ${pkg}`,
): Promise<DoctorCheck> {
  try {
    await import(pkg);
    return { name, purpose, ok: true, detail: `${pkg} ${versionOf(pkg) ?? ""}`.trim() };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const detail =
      code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND"
        ? `${pkg} is not installed`
        : `${pkg} does not load: ${firstLine(err)}`;
    return { name, purpose, ok: false, detail, fix };
  }
}

/** Runs every check. */
export async function runDoctor(): Promise<DoctorCheck[]> {
  const [major, minor] = process.versions.node.split(".").map(Number);
  const strips = major > 22 || (major === 22 && minor >= 18);
  const builtin = (name: string, purpose: string): DoctorCheck => ({
    name,
    purpose,
    ok: true,
    detail: "built in (pure JavaScript)",
  });
  const docsAssets = fileURLToPath(new URL("../docs-assets/redoc.standalone.js", import.meta.url));
  const checks: DoctorCheck[] = [
    {
      name: "node",
      purpose: "modelserve itself",
      ok: major >= 22,
      detail: `Node ${process.versions.node}`,
      ...(major >= 22 ? {} : { fix: "install Node 22 or newer" }),
    },
    builtin("sklearn", ".joblib/.pkl scikit-learn models"),
    builtin("xgboost", ".json/.ubj XGBoost models"),
    builtin("lightgbm", ".txt LightGBM models"),
    await optionalPackage(
      "onnx",
      "onnxruntime-node",
      ".onnx models",
      "ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node",
    ),
    {
      name: "typescript",
      purpose: ".js/.mjs model definitions; .ts outside node_modules",
      ok: true,
      detail: strips
        ? `.js always; .ts through Node ${process.versions.node}'s type stripping`
        : `.js only: Node ${process.versions.node} does not strip TypeScript types by default`,
    },
    await optionalPackage("bz2", "seek-bzip", "bz2-compressed joblib files"),
    await optionalPackage("xz", "xz-decompress", "xz-compressed joblib files"),
    await optionalPackage("lzma", "lzma", "lzma-compressed joblib files"),
    await optionalPackage("lz4", "lz4js", "lz4-compressed joblib files"),
    {
      name: "parquet",
      purpose: "modelserve predict on .parquet files",
      ok: true,
      detail: `hyparquet ${versionOf("hyparquet") ?? "?"}, hyparquet-writer ${versionOf("hyparquet-writer") ?? "?"}`,
    },
    await optionalPackage("arrow", "apache-arrow", "modelserve predict on .arrow/.feather files"),
    await optionalPackage("bench", "autocannon", "modelserve bench"),
    await optionalPackage("s3", "@aws-sdk/client-s3", "s3:// model sources and repositories"),
  ];
  if (!docsAssets.includes("/src/")) {
    const ok = existsSync(docsAssets);
    checks.push({
      name: "docs",
      purpose: "/docs and /redoc",
      ok,
      detail: ok ? "Swagger UI and ReDoc bundles in dist/docs-assets" : "dist/docs-assets is missing",
      ...(ok ? {} : { fix: "reinstall modelserve (or npm run build in a clone)" }),
    });
  }
  return checks;
}

/** Registers `modelserve doctor`. */
export function registerDoctorCommand(program: Command): void {
  program
    .command("doctor")
    .description("say which runtimes and optional features work here, and how to enable the others")
    .option("--json", "print the checks as JSON")
    .action(async (opts: { json?: boolean }) => {
      const checks = await runDoctor();
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ version: PACKAGE_VERSION, checks }, null, 2)}\n`);
        return;
      }
      const rows = checks.map((c) => [c.ok ? "ok" : "missing", c.name, c.purpose, c.detail]);
      process.stdout.write(
        `modelserve ${PACKAGE_VERSION}\n${table(["", "check", "for", "details"], rows)}\n`,
      );
      const fixes = checks.filter((c) => !c.ok && c.fix);
      if (fixes.length > 0) {
        process.stdout.write(`\nTo enable:\n${fixes.map((c) => `  ${c.name}: ${c.fix}\n`).join("")}`);
      }
    });
}
