/**
 * @module Reading and writing the files of offline scoring (`modelserve predict`): JSON, JSON Lines,
 * CSV, Parquet (hyparquet / hyparquet-writer: pure JavaScript, no dependencies, so they ship with the
 * package) and Arrow IPC (apache-arrow, an optional peer: about 11 MB that only Arrow users need), from
 * a file or stdin (`-`) and to a file or stdout (`-`). Every input record keeps where it came from (its
 * line for text formats, its row number otherwise) so rejected rows can be reported precisely.
 */

import { readFile, writeFile } from "node:fs/promises";
import { extname } from "node:path";
import { parse as parseCsv } from "csv-parse/sync";
import { Errors } from "../errors.ts";
import type { FeatureSpec } from "../runtimes/runtime.ts";
import { columnsToRows, csvCell, csvEscape, shortList } from "../schema/rows-file.ts";

/** File formats of offline scoring. */
export type BatchFormat = "json" | "jsonl" | "csv" | "parquet" | "arrow";

/** Formats by name, for `--input-format` / `--output-format`. */
export const BATCH_FORMATS: readonly BatchFormat[] = ["json", "jsonl", "csv", "parquet", "arrow"];

/** The format of a path by its extension. */
export function batchFormatOf(path: string): BatchFormat | undefined {
  const ext = extname(path).toLowerCase();
  if (ext === ".json") return "json";
  if (ext === ".jsonl" || ext === ".ndjson") return "jsonl";
  if (ext === ".csv") return "csv";
  if (ext === ".parquet" || ext === ".pq") return "parquet";
  if (ext === ".arrow" || ext === ".feather" || ext === ".ipc") return "arrow";
  return undefined;
}

/** The format of bytes read from stdin, by their first bytes. */
export function sniffFormat(bytes: Uint8Array): BatchFormat {
  const head = new TextDecoder().decode(bytes.subarray(0, 8));
  if (head.startsWith("PAR1")) return "parquet";
  if (
    head.startsWith("ARROW1") ||
    (bytes[0] === 0xff && bytes[1] === 0xff && bytes[2] === 0xff && bytes[3] === 0xff)
  )
    return "arrow";
  const text = head.trimStart();
  if (text.startsWith("[")) return "json";
  if (text.startsWith("{")) {
    // One object per line, or one object holding the rows.
    const firstLine = new TextDecoder().decode(bytes.subarray(0, 65536)).split("\n", 1)[0].trim();
    try {
      const first = JSON.parse(firstLine) as unknown;
      return Array.isArray((first as { instances?: unknown }).instances) ? "json" : "jsonl";
    } catch {
      return "json";
    }
  }
  return "csv";
}

/** One input record and where it was. */
export interface BatchRecord {
  /** The row for the model: an object of features, or an array of values (positional rows). */
  readonly value: unknown;
  /** Pass-through columns (`--id-column`, `--keep-columns`) as read. */
  readonly carry: Readonly<Record<string, unknown>>;
  /** 1-based data row number (the header is not a row). */
  readonly row: number;
  /** 1-based line of text formats (CSV counts the header; JSON arrays have none). */
  readonly line?: number;
}

/** Reads all bytes of a file, or of stdin for `-`. */
export async function readInput(path: string): Promise<Uint8Array> {
  if (path === "-") {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }
  try {
    return await readFile(path);
  } catch (err) {
    throw Errors.invalidInputFile(path, (err as NodeJS.ErrnoException).code ?? String(err));
  }
}

const plain = (v: unknown): unknown => {
  if (typeof v === "bigint") return Number(v);
  if (v instanceof Date) return v.toISOString();
  return v;
};

/**
 * Parses input bytes into records. CSV cells are typed by the model's inputs (or left as numbers when
 * they look like numbers, for pass-through columns). A file that cannot be parsed at all fails
 * (`MS_INVALID_INPUT_FILE`); a bad row in a JSON Lines file becomes a record with its parse error.
 */
export async function parseRecords(
  bytes: Uint8Array,
  format: BatchFormat,
  name: string,
  inputs: readonly FeatureSpec[],
  passthrough: readonly string[] = [],
  warn?: (message: string) => void,
): Promise<BatchRecord[]> {
  const features = new Set(inputs.map((f) => f.name));
  /** Splits pass-through columns off an object row; a pass-through column that is a feature stays. */
  const split = (value: unknown, row: number, line?: number): BatchRecord => {
    if (passthrough.length === 0 || typeof value !== "object" || value === null || Array.isArray(value))
      return { value, carry: {}, row, line };
    const o = value as Record<string, unknown>;
    const carry: Record<string, unknown> = {};
    for (const k of passthrough) carry[k] = o[k] ?? null;
    const rest: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) if (features.has(k) || !passthrough.includes(k)) rest[k] = v;
    return { value: rest, carry, row, line };
  };
  if (format === "parquet") {
    const { parquetReadObjects } = await import("hyparquet");
    const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    let rows: Record<string, unknown>[];
    try {
      rows = await parquetReadObjects({ file: buf });
    } catch (err) {
      throw Errors.invalidInputFile(name, `not a readable Parquet file: ${(err as Error).message}`);
    }
    return rows.map((r, i) =>
      split(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, plain(v)])), i + 1),
    );
  }
  if (format === "arrow") {
    const arrow = await importArrow();
    let table: { toArray(): { toJSON(): Record<string, unknown> }[] };
    try {
      table = arrow.tableFromIPC(bytes);
    } catch (err) {
      throw Errors.invalidInputFile(name, `not a readable Arrow IPC file: ${(err as Error).message}`);
    }
    return table
      .toArray()
      .map((r, i) =>
        split(Object.fromEntries(Object.entries(r.toJSON()).map(([k, v]) => [k, plain(v)])), i + 1),
      );
  }
  const text = new TextDecoder().decode(bytes);
  if (format === "json") {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (err) {
      throw Errors.invalidInputFile(name, `not valid JSON: ${(err as Error).message}`);
    }
    const rows = Array.isArray(data)
      ? data
      : Array.isArray((data as { instances?: unknown })?.instances)
        ? (data as { instances: unknown[] }).instances
        : columnsToRows(data);
    if (!rows) {
      throw Errors.invalidInputFile(
        name,
        'expected an array of rows, {"instances": [...]}, or {"<input>": [value per row], …}',
      );
    }
    return rows.map((value, i) => split(value, i + 1));
  }
  if (format === "jsonl") {
    const out: BatchRecord[] = [];
    const lines = text.split("\n");
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i].trim();
      if (l === "") continue;
      let value: unknown;
      try {
        value = JSON.parse(l);
      } catch (err) {
        value = new UnparsableRow(`not valid JSON: ${(err as Error).message}`);
      }
      out.push(split(value, out.length + 1, i + 1));
    }
    return out;
  }
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parseCsv(text, {
      bom: true,
      skip_empty_lines: true,
      relax_column_count: true,
      info: true,
    }) as never;
  } catch (err) {
    throw Errors.invalidInputFile(name, `not valid CSV: ${(err as Error).message}`);
  }
  if (records.length === 0) return [];
  const header = records[0].record;
  const byName = new Map(inputs.map((f) => [f.name, f]));
  const carried = passthrough.map((k) => header.indexOf(k));
  const missing = passthrough.filter((_, i) => carried[i] < 0);
  if (missing.length > 0)
    throw Errors.invalidInputFile(name, `no column ${missing.join(", ")} in the CSV header`);
  // Feature columns: named when every remaining header name is a feature, else positional in model order.
  const featureCols = header
    .map((_h, c) => c)
    .filter((c) => byName.has(header[c]) || !passthrough.includes(header[c]));
  const named = featureCols.every((c) => byName.has(header[c]));
  if (!named) {
    // A model fitted without feature names is scored by position, as scikit-learn scores a DataFrame;
    // only when the column count matches.
    const names = featureCols.map((c) => header[c]);
    const unknown = names.filter((h) => !byName.has(h));
    if (names.length !== inputs.length)
      throw Errors.invalidInputFile(
        name,
        `the CSV header has ${names.length} feature columns (${shortList(names)}) but the model takes ${inputs.length} inputs (${shortList(inputs.map((f) => f.name))}); ${unknown.length} header names are not inputs of the model (${shortList(unknown)})`,
      );
    warn?.(
      `the CSV header does not name the model's inputs (not inputs: ${shortList(unknown)}); its ${names.length} columns are taken by position as ${shortList(inputs.map((f) => f.name))}`,
    );
  }
  return records.slice(1).map(({ record, info }, i) => {
    const carry = Object.fromEntries(passthrough.map((k, j) => [k, record[carried[j]] ?? null]));
    if (record.length !== header.length) {
      const why = `${record.length} fields where the header has ${header.length}`;
      return { value: new UnparsableRow(why), carry, row: i + 1, line: info.lines };
    }
    const value = named
      ? Object.fromEntries(featureCols.map((c) => [header[c], csvCell(record[c], byName.get(header[c]))]))
      : featureCols.map((c, j) => csvCell(record[c], inputs[j]));
    return { value, carry, row: i + 1, line: info.lines };
  });
}

/** A record that could not be parsed into a row (bad JSON line, wrong CSV field count). */
export class UnparsableRow {
  readonly reason: string;
  constructor(reason: string) {
    this.reason = reason;
  }
}

interface ArrowModule {
  tableFromIPC(bytes: Uint8Array): { toArray(): { toJSON(): Record<string, unknown> }[] };
  tableFromJSON(rows: Record<string, unknown>[]): unknown;
  tableToIPC(table: unknown, type: "file" | "stream"): Uint8Array;
}

async function importArrow(): Promise<ArrowModule> {
  try {
    return (await import("apache-arrow")) as unknown as ArrowModule;
  } catch {
    throw Errors.runtimeDependencyMissing("Arrow IPC input/output", "apache-arrow");
  }
}

/** Output: ordered columns of equal length. */
export interface OutputColumns {
  readonly names: readonly string[];
  readonly columns: readonly (readonly unknown[])[];
  readonly rows: number;
}

/** Serialises output columns in a format (JSON is handled by the caller: it keeps its legacy shape). */
export async function encodeColumns(
  out: OutputColumns,
  format: Exclude<BatchFormat, "json">,
): Promise<Uint8Array> {
  const { names, columns, rows } = out;
  if (format === "csv" || format === "jsonl") {
    const lines: string[] = format === "csv" ? [names.map(csvEscape).join(",")] : [];
    for (let r = 0; r < rows; r++) {
      if (format === "csv") lines.push(columns.map((c) => csvEscape(c[r])).join(","));
      else lines.push(JSON.stringify(Object.fromEntries(names.map((n, c) => [n, columns[c][r] ?? null]))));
    }
    return new TextEncoder().encode(lines.length > 0 ? `${lines.join("\n")}\n` : "");
  }
  if (format === "parquet") {
    const { parquetWriteBuffer } = await import("hyparquet-writer");
    const columnData = names.map((name, c) => {
      const data = columns[c];
      const kinds = new Set(data.filter((v) => v !== null && v !== undefined).map((v) => typeof v));
      if (kinds.size === 1 && kinds.has("number")) {
        return {
          name,
          data: data.map((v) => (v === undefined ? null : v)) as (number | null)[],
          type: "DOUBLE" as const,
        };
      }
      if (kinds.size === 1 && kinds.has("boolean")) {
        return {
          name,
          data: data.map((v) => (v === undefined ? null : v)) as (boolean | null)[],
          type: "BOOLEAN" as const,
        };
      }
      const str = data.map((v) =>
        v === null || v === undefined ? null : typeof v === "object" ? JSON.stringify(v) : String(v),
      );
      return { name, data: str, type: "STRING" as const };
    });
    return new Uint8Array(parquetWriteBuffer({ columnData }));
  }
  const arrow = await importArrow();
  const objects = Array.from({ length: rows }, (_, r) =>
    Object.fromEntries(names.map((n, c) => [n, columns[c][r] ?? null])),
  );
  return arrow.tableToIPC(arrow.tableFromJSON(objects), "file");
}

/** Writes bytes to a file, or to stdout for `-`. */
export async function writeOutput(path: string, bytes: Uint8Array | string): Promise<void> {
  if (path === "-") {
    await new Promise<void>((resolve, reject) =>
      process.stdout.write(bytes, (err) => (err ? reject(err) : resolve())),
    );
    return;
  }
  await writeFile(path, bytes);
}
