/** @module `inspect --audit`: what a pickle references, without building anything. */

import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { Errors } from "../errors.ts";
import { auditPickle, formatAudit } from "../runtimes/sklearn/audit.ts";

/** The audit report of a pickle/joblib file as text or JSON. */
export async function auditFile(path: string, json: boolean): Promise<string> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw code === "ENOENT"
      ? Errors.modelFileNotFound(path)
      : Errors.modelFileUnreadable(path, code ?? String(err));
  }
  const report = await auditPickle(bytes, basename(path));
  return json ? `${JSON.stringify(report, null, 2)}\n` : formatAudit(report);
}
