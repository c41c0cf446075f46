/**
 * @module Auditing a pickle without building a model: every global it names, which are outside the
 * allow-list, and the tree of objects (class and attribute path) it would create.
 */

import { decompress } from "../../formats/compression/decompress.ts";
import type { PyValue } from "../../formats/pickle/py-objects.ts";
import { unpickle } from "../../formats/pickle/unpickler.ts";
import { isAllowed } from "./allow-list.ts";

/** One object of the class tree. */
export interface AuditNode {
  /** Attribute path from the top object, e.g. `steps[1][1].tree_`. */
  readonly path: string;
  /** `module.Class` */
  readonly type: string;
}

/** The audit report. */
export interface AuditReport {
  readonly file: string;
  readonly globals: readonly string[];
  readonly untrusted: readonly string[];
  readonly objects: readonly AuditNode[];
  /** Whether modelserve would load the file (no untrusted names). */
  readonly trusted: boolean;
}

const MAX_NODES = 10_000;
const MAX_DEPTH = 64;

function walk(v: PyValue, path: string, out: AuditNode[], seen: Set<object>, depth: number): void {
  if (
    out.length >= MAX_NODES ||
    depth > MAX_DEPTH ||
    typeof v !== "object" ||
    v === null ||
    v instanceof Uint8Array
  )
    return;
  if (seen.has(v)) return;
  seen.add(v);
  if (Array.isArray(v)) {
    for (const [i, x] of v.entries()) walk(x, `${path}[${i}]`, out, seen, depth + 1);
    return;
  }
  switch (v.kind) {
    case "object": {
      out.push({ path: path || "(top)", type: `${v.module}.${v.name}` });
      const st = v.state;
      if (st && typeof st === "object" && "kind" in st && st.kind === "dict") {
        for (const [k, x] of st.map) walk(x, `${path}${path ? "." : ""}${String(k)}`, out, seen, depth + 1);
      }
      for (const [i, x] of v.args.entries()) walk(x, `${path}(${i})`, out, seen, depth + 1);
      return;
    }
    case "tuple":
    case "set":
      for (const [i, x] of v.items.entries()) walk(x, `${path}[${i}]`, out, seen, depth + 1);
      return;
    case "dict":
      for (const [k, x] of v.map) walk(x, `${path}[${JSON.stringify(String(k))}]`, out, seen, depth + 1);
      return;
    case "ndarray":
      if (Array.isArray(v.data))
        for (const [i, x] of v.data.entries()) walk(x, `${path}[${i}]`, out, seen, depth + 1);
      return;
    default:
      return;
  }
}

/** Audits a pickle or joblib file's bytes. Throws only for unreadable containers. */
export async function auditPickle(bytes: Uint8Array, fileName: string): Promise<AuditReport> {
  const stream = await decompress(bytes, fileName);
  const r = unpickle(stream, { allowed: isAllowed });
  const objects: AuditNode[] = [];
  if (r.untrusted.length === 0) walk(r.value, "", objects, new Set(), 0);
  return {
    file: fileName,
    globals: r.globals,
    untrusted: r.untrusted,
    objects,
    trusted: r.untrusted.length === 0,
  };
}

/** The report as text. */
export function formatAudit(r: AuditReport): string {
  const lines = [
    `${r.file}: ${r.trusted ? "only allow-listed names — modelserve would load it" : `${r.untrusted.length} name(s) outside the allow-list — modelserve refuses it`}`,
    "",
    "names referenced:",
    ...r.globals.map((g) => `  ${r.untrusted.includes(g) ? "UNTRUSTED" : "ok       "} ${g}`),
  ];
  if (r.objects.length > 0) {
    lines.push("", "objects:");
    for (const o of r.objects) lines.push(`  ${o.path}: ${o.type}`);
  }
  return `${lines.join("\n")}\n`;
}
