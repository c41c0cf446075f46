/**
 * @module `modelserve keys`: makes API keys and the hashed entries of a keys file, so the server's
 * configuration never has to hold a usable secret.
 */

import type { Command } from "commander";
import { hashKey, newKey, SCOPES, type Scope } from "../security/api-keys.ts";

function scopesOf(list: string): Scope[] {
  const scopes = list
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const s of scopes)
    if (!(SCOPES as readonly string[]).includes(s))
      throw new Error(`unknown scope "${s}"; scopes are ${SCOPES.join(", ")}`);
  return scopes as Scope[];
}

/** Registers `keys new` and `keys hash`. */
export function registerKeysCommand(program: Command): void {
  const keys = program.command("keys").description("make API keys and hashed keys-file entries");
  keys
    .command("new")
    .description("generate a random key: prints the key once (stderr) and its keys-file entry (stdout)")
    .requiredOption("--id <id>", "name of the key in logs")
    .option("--scopes <list>", "comma-separated scopes: predict, read, admin", "predict,read")
    .action((opts: { id: string; scopes: string }) => {
      const key = newKey();
      const entry = { id: opts.id, sha256: hashKey(key), scopes: scopesOf(opts.scopes) };
      process.stderr.write(`key (shown once; give it to the client): ${key}\n`);
      process.stdout.write(`${JSON.stringify(entry)}\n`);
    });
  keys
    .command("hash")
    .description("print the sha256 of a key read from stdin (for a keys file)")
    .action(async () => {
      let text = "";
      for await (const chunk of process.stdin) text += chunk;
      const key = text.replace(/\r?\n$/, "");
      if (key.length === 0) throw new Error("no key on stdin");
      process.stdout.write(`${hashKey(key)}\n`);
    });
}
