/**
 * @module Runtime resolution: picks the runtime for a model by explicit hint, then file extension,
 * then magic bytes, and fails with one error listing everything that was tried.
 */

import { extname } from "node:path";
import { Errors } from "../errors.ts";
import type { Runtime } from "./runtime.ts";

/** An ordered set of runtimes; the first registered wins ties. */
export class RuntimeSet {
  readonly #runtimes: Runtime[] = [];

  constructor(runtimes: readonly Runtime[] = []) {
    for (const r of runtimes) this.add(r);
  }

  /** Adds a runtime; adding the same object twice is a no-op, a different one under a taken name throws. */
  add(runtime: Runtime): this {
    const existing = this.#runtimes.find((r) => r.name === runtime.name);
    if (existing === runtime) return this;
    if (existing)
      throw Errors.invalidDefinition(
        `runtime "${runtime.name}"`,
        "a runtime with that name is already registered",
      );
    this.#runtimes.push(runtime);
    return this;
  }

  /** Names of the registered runtimes. */
  names(): string[] {
    return this.#runtimes.map((r) => r.name);
  }

  /** The runtime with this name, or undefined. */
  get(name: string): Runtime | undefined {
    return this.#runtimes.find((r) => r.name === name);
  }

  /**
   * Picks the runtime for a file: the hint when given; else the runtimes claiming the extension whose
   * sniff accepts the bytes (or the only one claiming it); else any runtime whose sniff accepts the bytes.
   */
  resolve(fileName: string, bytes: Uint8Array, hint?: string): Runtime {
    if (hint) {
      const r = this.get(hint);
      if (!r) throw Errors.unknownRuntime(hint, this.names());
      return r;
    }
    const tried: string[] = [];
    const ext = extname(fileName).toLowerCase();
    const byExt = this.#runtimes.filter((r) => r.extensions.includes(ext));
    for (const r of byExt) {
      if (r.sniff(bytes, fileName)) return r;
    }
    if (byExt.length > 0)
      tried.push(`extension ${ext}: ${byExt.map((r) => r.name).join(", ")} (content did not match)`);
    else tried.push(`extension ${ext || "(none)"}: no runtime claims it`);
    for (const r of this.#runtimes) {
      if (byExt.includes(r)) continue;
      if (r.sniff(bytes, fileName)) return r;
    }
    tried.push(`content sniffing: ${this.names().join(", ")} did not recognise the bytes`);
    throw Errors.unknownFormat(fileName, tried);
  }
}
