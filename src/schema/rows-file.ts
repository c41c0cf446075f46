/**
 * @module Reading rows for offline scoring (`modelserve predict`): JSON (an array of rows or
 * `{"instances": [...]}`), JSON Lines, or CSV with a header; and writing results as JSON, JSONL or CSV.
 */

import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { parse as parseCsv } from "csv-parse/sync";
import { Errors } from "../errors.ts";
import type { FeatureSpec } from "../runtimes/runtime.ts";

/** Input file formats. */
export type RowsFormat = "json" | "jsonl" | "csv";

/** The format of a file by its extension (`.json`, `.jsonl`/`.ndjson`, `.csv`). */
export function formatOf(path: string): RowsFormat | undefined {
  const ext = extname(path).toLowerCase();
  if (ext === ".json") return "json";
  if (ext === ".jsonl" || ext === ".ndjson") return "jsonl";
  if (ext === ".csv") return "csv";
  return undefined;
}

/**
 * A CSV cell converted by the feature's dtype: empty → null (but an empty text for a string input that
 * takes no null, such as a text pipeline's), numbers parsed, booleans read.
 */
export function csvCell(cell: string, spec: FeatureSpec | undefined): unknown {
  if (cell === "") return spec?.dtype === "string" && !spec.nullable ? "" : null;
  const numeric =
    !spec ||
    spec.dtype === "float" ||
    spec.dtype === "int" ||
    (spec.dtype === "category" && (spec.categories ?? []).every((c) => typeof c === "number"));
  if (spec?.dtype === "bool") {
    const l = cell.toLowerCase();
    if (l === "true" || l === "1") return true;
    if (l === "false" || l === "0") return false;
    return cell;
  }
  if (numeric) {
    const t = cell.trim();
    const l = t.toLowerCase();
    if (l === "nan" || l === "na" || l === "null") return null;
    const n = Number(t);
    return t !== "" && !Number.isNaN(n) ? n : cell;
  }
  return cell;
}

/**
 * Columnar feeds `{"X": [[…], …]}` or `{"age": [[32.1], …], "color": [["red"], …]}` (one array per model
 * input, one entry per row) as rows: a single input's entries are the rows; several become named rows,
 * with one-element lists unwrapped.
 */
export function columnsToRows(data: unknown): unknown[] | undefined {
  if (typeof data !== "object" || data === null || Array.isArray(data)) return undefined;
  const entries = Object.entries(data as Record<string, unknown>);
  if (entries.length === 0 || !entries.every(([, v]) => Array.isArray(v))) return undefined;
  const n = (entries[0][1] as unknown[]).length;
  if (!entries.every(([, v]) => (v as unknown[]).length === n)) return undefined;
  // One input: flat rows are positional feature rows; nested ones (images) are that input's values.
  if (entries.length === 1) {
    const [key, rows] = entries[0] as [string, unknown[]];
    const flat = rows.every((r) => !Array.isArray(r) || r.every((v) => !Array.isArray(v)));
    return flat ? rows : rows.map((r) => ({ [key]: r }));
  }
  const unwrap = (v: unknown) => (Array.isArray(v) && v.length === 1 ? v[0] : v);
  return Array.from({ length: n }, (_, i) =>
    Object.fromEntries(entries.map(([k, v]) => [k, unwrap((v as unknown[])[i])])),
  );
}

/** Options of {@link readRows}. */
export interface ReadRowsOptions {
  /** Called once when a CSV header does not name the model's inputs and its columns are taken by position. */
  readonly warn?: (message: string) => void;
}

/**
 * Reads rows from a file; CSV cells are converted using the model's inputs. A JSON/JSONL file of bare values
 * (strings for a text pipeline) gives one bare value per row. A CSV whose header does not name the model's
 * inputs is read by position when it has as many columns as the model has inputs (as scikit-learn does for
 * a model fitted without feature names), with one warning; otherwise it is refused.
 */
export async function readRows(
  path: string,
  inputs: readonly FeatureSpec[],
  options: ReadRowsOptions = {},
): Promise<unknown[]> {
  const format = formatOf(path);
  if (!format) throw Errors.invalidInputFile(path, "use a .json, .jsonl or .csv file");
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw Errors.invalidInputFile(path, (err as NodeJS.ErrnoException).code ?? String(err));
  }
  if (format === "json") {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (err) {
      throw Errors.invalidInputFile(path, `not valid JSON: ${(err as Error).message}`);
    }
    if (Array.isArray(data)) return data;
    if (data && typeof data === "object" && Array.isArray((data as { instances?: unknown }).instances)) {
      return (data as { instances: unknown[] }).instances;
    }
    const columnar = columnsToRows(data);
    if (columnar) return columnar;
    throw Errors.invalidInputFile(
      path,
      'expected an array of rows, {"instances": [...]}, or {"<input>": [value per row], …}',
    );
  }
  if (format === "jsonl") {
    const rows: unknown[] = [];
    const lines = text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      if (lines[i].trim() === "") continue;
      try {
        rows.push(JSON.parse(lines[i]));
      } catch (err) {
        throw Errors.invalidInputFile(path, `line ${i + 1} is not valid JSON: ${(err as Error).message}`);
      }
    }
    return rows;
  }
  let records: string[][];
  try {
    records = parseCsv(text, { bom: true, skip_empty_lines: true, relax_column_count: false }) as string[][];
  } catch (err) {
    throw Errors.invalidInputFile(path, `not valid CSV: ${(err as Error).message}`);
  }
  if (records.length === 0) return [];
  const header = records[0];
  const byName = new Map(inputs.map((f) => [f.name, f]));
  const named = header.every((h) => byName.has(h));
  if (!named) {
    const unknown = header.filter((h) => !byName.has(h));
    if (header.length !== inputs.length) {
      throw Errors.invalidInputFile(
        path,
        `the CSV header has ${header.length} columns (${shortList(header)}) but the model takes ${inputs.length} inputs (${shortList(inputs.map((f) => f.name))}); ${unknown.length} header names are not inputs of the model (${shortList(unknown)})`,
      );
    }
    options.warn?.(
      `the CSV header does not name the model's inputs (not inputs: ${shortList(unknown)}); its ${header.length} columns are taken by position as ${shortList(inputs.map((f) => f.name))}`,
    );
  }
  return records.slice(1).map((rec) => {
    if (named) return Object.fromEntries(header.map((h, i) => [h, csvCell(rec[i], byName.get(h))]));
    return rec.map((cell, i) => csvCell(cell, inputs[i]));
  });
}

/** A short, bounded list of names for messages. */
export function shortList(names: readonly string[]): string {
  const shown = names.slice(0, 8).join(", ");
  return names.length > 8 ? `${shown}, … (${names.length} in all)` : shown;
}

/** One CSV cell: quoted (quotes doubled) when it holds a quote, a comma or a line break. */
export function csvEscape(v: unknown): string {
  const s = v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
