/**
 * @module The audit (prediction) log: one JSON line per sampled prediction — request id, time, caller
 * key id, model, version, route, status, latency, inputs and outputs — with per-field redaction, written
 * off the request path through a bounded queue to a rotating file or stdout. Every accepted entry is
 * either written or counted as dropped (queue full, or a failed write); a slow or full disk never
 * slows or fails a prediction.
 */

import { createHash } from "node:crypto";
import { type FileHandle, open, rename, stat, unlink } from "node:fs/promises";
import { Errors } from "../errors.ts";
import { namedRow } from "./audit-rows.ts";

/** What happens to one input field in the log. */
export type RedactAction = "drop" | "hash" | "mask";

/** Settings of an {@link AuditLog}. */
export interface AuditLogSettings {
  /** A file path to append to, or `stdout`. */
  readonly target: string;
  /** Rotate the file when it would grow past this many bytes (default 100 MiB). */
  readonly maxBytes?: number;
  /** Rotated files kept: `path.1` (newest) … `path.N` (default 5). */
  readonly keep?: number;
  /** Share of predictions logged, 0 to 1 (default 1). */
  readonly sample?: number;
  /** Per input field name: drop it, replace it by a salted sha256, or mask it. */
  readonly redact?: Readonly<Record<string, RedactAction>>;
  /** Salt of `hash` redactions (default: none; set one so hashes cannot be looked up in a table). */
  readonly salt?: string;
  /** Entries waiting to be written; beyond it new entries are dropped and counted (default 10 000). */
  readonly queue?: number;
  /** Called (at most once a minute) when writing fails, e.g. to log a warning. */
  readonly onError?: (err: Error) => void;
  /** Random source for sampling (tests pass a fixed one). */
  readonly random?: () => number;
  /**
   * Durability: `none` (default; written soon after the answer, lost only if the process dies before
   * the write), `interval` (also fsynced every `syncIntervalMs`), `each` (written and fsynced before the
   * answer is sent — see {@link AuditLog.recordDurable}).
   */
  readonly sync?: AuditSync;
  /** fsync period of `interval` mode, ms (default 1000). */
  readonly syncIntervalMs?: number;
}

/** Audit durability modes. */
export type AuditSync = "none" | "interval" | "each";

/** One prediction, as the server hands it to the log. */
export interface AuditEntry {
  readonly reqId: string;
  /** When the request finished (ms since the epoch). */
  readonly time: number;
  readonly keyId?: string;
  readonly model: string;
  readonly version: string;
  readonly route: string;
  readonly status: number;
  readonly latencyMs: number;
  /** The rows as the client sent them (named objects, arrays or `{features: [...]}`); logged named. */
  readonly inputs: readonly unknown[];
  /** Input names, to name positional rows before redaction. */
  readonly inputNames: readonly string[];
  readonly predictions?: readonly unknown[];
  readonly probabilities?: readonly unknown[];
}

/** Counters of an audit log, for `/stats` and `/metrics`. */
export interface AuditCounters {
  /** Entries accepted (sampled in). */
  accepted: number;
  /** Entries written. */
  written: number;
  /** Entries dropped because the queue was full. */
  droppedQueueFull: number;
  /** Entries dropped because their write failed (disk full, file unwritable). */
  droppedWriteError: number;
  /** Entries sampled out (never accepted). */
  sampledOut: number;
  /** Failed writes. */
  writeErrors: number;
  /** Files rotated. */
  rotations: number;
}

const ACTIONS: readonly RedactAction[] = ["drop", "hash", "mask"];

/** Parses `field:action,field:action` (actions drop, hash, mask). */
export function parseRedactRules(spec: string): Record<string, RedactAction> {
  const out: Record<string, RedactAction> = {};
  for (const part of spec
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const i = part.lastIndexOf(":");
    const field = part.slice(0, i).trim();
    const action = part.slice(i + 1).trim() as RedactAction;
    if (i <= 0 || !ACTIONS.includes(action))
      throw Errors.invalidConfig(`audit redaction "${part}" must be field:drop, field:hash or field:mask`);
    out[field] = action;
  }
  return out;
}

/** `mask`: strings keep their last 4 characters (if longer than 8), everything else becomes `****`. */
export function maskValue(v: unknown): string {
  if (typeof v !== "string") return "****";
  return v.length > 8 ? `${"*".repeat(v.length - 4)}${v.slice(-4)}` : "*".repeat(Math.max(4, v.length));
}

/** A prediction log with a bounded queue and a single writer. */
export class AuditLog {
  readonly counters: AuditCounters = {
    accepted: 0,
    written: 0,
    droppedQueueFull: 0,
    droppedWriteError: 0,
    sampledOut: 0,
    writeErrors: 0,
    rotations: 0,
  };
  readonly #s: Required<Omit<AuditLogSettings, "onError" | "salt" | "redact">> & AuditLogSettings;
  /** Waiters of durable entries in the queue: settled once their batch is written and fsynced. */
  #waiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  #dirty = false;
  #syncTimer: NodeJS.Timeout | undefined;
  readonly #redact: ReadonlyMap<string, RedactAction>;
  #queue: AuditEntry[] = [];
  #writing: Promise<void> | undefined;
  #file: FileHandle | undefined;
  #size = 0;
  #lastErrorReport = 0;
  #closed = false;

  constructor(settings: AuditLogSettings) {
    this.#s = {
      maxBytes: 100 * 1024 * 1024,
      keep: 5,
      sample: 1,
      queue: 10_000,
      random: Math.random,
      sync: "none",
      syncIntervalMs: 1000,
      ...settings,
    };
    this.#redact = new Map(Object.entries(settings.redact ?? {}));
    if (this.#s.sync === "interval") {
      this.#syncTimer = setInterval(() => void this.#syncNow(), this.#s.syncIntervalMs);
      this.#syncTimer.unref();
    }
  }

  /** The durability mode. */
  get sync(): AuditSync {
    return this.#s.sync;
  }

  /**
   * Accepts one entry and resolves once it is written and fsynced (the `each` mode's path: the server
   * awaits it before answering). Rejects when the entry cannot be stored (queue full, write or fsync
   * failure, log closed); the entry is then counted as dropped.
   */
  recordDurable(entry: AuditEntry): Promise<void> {
    this.counters.accepted++;
    if (this.#closed || this.#queue.length >= this.#s.queue) {
      this.counters.droppedQueueFull++;
      return Promise.reject(new Error(this.#closed ? "the audit log is closed" : "the audit queue is full"));
    }
    return new Promise<void>((resolve, reject) => {
      this.#queue.push(entry);
      this.#waiters.push({ resolve, reject });
      if (this.#writing === undefined) this.#writing = this.#drain();
    });
  }

  /** fsyncs what was written since the last sync (`interval` mode). */
  async #syncNow(): Promise<void> {
    if (!this.#dirty || !this.#file) return;
    this.#dirty = false;
    await this.#file.datasync().catch((err: Error) => this.#report(err));
  }

  #report(err: Error): void {
    const now = Date.now();
    if (now - this.#lastErrorReport > 60_000) {
      this.#lastErrorReport = now;
      this.#s.onError?.(err);
    }
  }

  /** Whether to build an entry for this request (sampling happens before any work). */
  sampled(): boolean {
    const s = this.#s.sample;
    if (s >= 1 || (s > 0 && this.#s.random() < s)) return true;
    this.counters.sampledOut++;
    return false;
  }

  /** Accepts one entry: queued for the writer, or dropped and counted when the queue is full. */
  record(entry: AuditEntry): void {
    this.counters.accepted++;
    if (this.#closed || this.#queue.length >= this.#s.queue) {
      this.counters.droppedQueueFull++;
      return;
    }
    this.#queue.push(entry);
    if (this.#writing === undefined) this.#writing = this.#drain();
  }

  /** Entries waiting to be written. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Writes what is queued, then closes the file. Later entries are counted as dropped. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#syncTimer);
    while (this.#writing) await this.#writing;
    if (this.#s.sync !== "none") await this.#syncNow();
    await this.#file?.close().catch(() => undefined);
    this.#file = undefined;
  }

  /** Resolves once everything queued so far is written (or dropped). */
  async flush(): Promise<void> {
    while (this.#writing) await this.#writing;
  }

  /** The writer: batches of lines, one write each, until the queue is empty. */
  async #drain(): Promise<void> {
    // Yield first: the answer goes out before any log work is done.
    await new Promise<void>((r) => setImmediate(r));
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue;
        const waiters = this.#waiters;
        this.#queue = [];
        this.#waiters = [];
        let text = "";
        for (const e of batch) text += this.#line(e);
        try {
          await this.#write(text);
          // Group commit: one fsync covers every durable entry of the batch.
          if (this.#s.sync === "each" && this.#file) await this.#file.datasync();
          else this.#dirty = true;
          this.counters.written += batch.length;
          for (const w of waiters) w.resolve();
        } catch (err) {
          this.counters.writeErrors++;
          this.counters.droppedWriteError += batch.length;
          await this.#file?.close().catch(() => undefined);
          this.#file = undefined;
          for (const w of waiters) w.reject(err as Error);
          this.#report(err as Error);
        }
      }
    } finally {
      this.#writing = undefined;
    }
  }

  async #write(text: string): Promise<void> {
    const bytes = Buffer.byteLength(text);
    if (this.#s.target === "stdout") {
      await new Promise<void>((resolve, reject) =>
        process.stdout.write(text, (err) => (err ? reject(err) : resolve())),
      );
      return;
    }
    if (this.#file && this.#size > 0 && this.#size + bytes > this.#s.maxBytes) await this.#rotate();
    if (!this.#file) {
      this.#file = await open(this.#s.target, "a", 0o640);
      this.#size = (await stat(this.#s.target)).size;
      if (this.#size > 0 && this.#size + bytes > this.#s.maxBytes) {
        await this.#rotate();
        this.#file = await open(this.#s.target, "a", 0o640);
        this.#size = 0;
      }
    }
    const buf = Buffer.from(text);
    let off = 0;
    while (off < buf.length) off += (await this.#file.write(buf, off)).bytesWritten;
    this.#size += bytes;
  }

  /** `path` → `path.1` → … → `path.keep` (the oldest is removed). */
  async #rotate(): Promise<void> {
    await this.#file?.close();
    this.#file = undefined;
    const p = this.#s.target;
    await unlink(`${p}.${this.#s.keep}`).catch(() => undefined);
    for (let i = this.#s.keep - 1; i >= 1; i--)
      await rename(`${p}.${i}`, `${p}.${i + 1}`).catch(() => undefined);
    await rename(p, `${p}.1`);
    this.#size = 0;
    this.counters.rotations++;
  }

  #field(name: string, value: unknown, out: Record<string, unknown>): void {
    const action = this.#redact.get(name);
    if (action === undefined) out[name] = value;
    else if (action === "hash")
      out[name] = `sha256:${createHash("sha256")
        .update(`${this.#s.salt ?? ""}${typeof value === "string" ? value : JSON.stringify(value)}`)
        .digest("hex")}`;
    else if (action === "mask") out[name] = maskValue(value);
    // drop: the field is left out.
  }

  /**
   * One row named after the schema (whatever shape the request used), with the redaction rules
   * applied to those names: a positional row cannot slip past a rule.
   */
  #row(row: unknown, names: readonly string[]): unknown {
    const named = namedRow(row, names);
    if (this.#redact.size === 0 || named === null || typeof named !== "object") return named;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(named as Record<string, unknown>)) this.#field(k, v, out);
    return out;
  }

  #line(e: AuditEntry): string {
    return `${JSON.stringify({
      time: new Date(e.time).toISOString(),
      reqId: e.reqId,
      ...(e.keyId === undefined ? {} : { keyId: e.keyId }),
      model: e.model,
      version: e.version,
      route: e.route,
      status: e.status,
      latencyMs: e.latencyMs,
      inputs: e.inputs.map((r) => this.#row(r, e.inputNames)),
      ...(e.predictions === undefined ? {} : { predictions: e.predictions }),
      ...(e.probabilities === undefined ? {} : { probabilities: e.probabilities }),
    })}\n`;
  }
}
