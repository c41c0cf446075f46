/** @module `modelserve admin <url> …`: the admin API of a running server from the command line. */

import type { Command } from "commander";
import { Errors } from "../errors.ts";

async function call(base: string, method: string, path: string, body?: unknown): Promise<void> {
  const url = `${base.replace(/\/+$/, "")}/admin${path}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: {
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...(process.env.MODELSERVE_API_KEY
          ? { authorization: `Bearer ${process.env.MODELSERVE_API_KEY}` }
          : {}),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (err) {
    throw Errors.badRequest(`cannot reach ${url}: ${(err as Error).message}`);
  }
  const text = await res.text();
  if (!res.ok) {
    let msg = text;
    try {
      const e = JSON.parse(text) as { error?: { code: string; message: string } };
      if (e.error) msg = `${e.error.message} [${e.error.code}]`;
    } catch {
      // Not JSON: show the text as it came.
    }
    throw new Error(`${method} ${url} answered ${res.status}: ${msg}`);
  }
  process.stdout.write(`${JSON.stringify(JSON.parse(text), null, 2)}\n`);
}

/** Adds `modelserve admin`. The key, if the server wants one, comes from MODELSERVE_API_KEY. */
export function registerAdminCommand(program: Command): void {
  const admin = program
    .command("admin")
    .description("drive a running server's admin API (server started with --admin)");
  admin
    .command("status")
    .argument("<url>", "server URL, e.g. http://127.0.0.1:8000")
    .description("models, versions, defaults, splits and shadows")
    .action((url: string) => call(url, "GET", "/models"));
  admin
    .command("load")
    .arguments("<url> <name> <version>")
    .description("load a version from the server's repository")
    .action((url: string, name: string, version: string) =>
      call(url, "POST", `/models/${name}/versions/${version}/load`),
    );
  admin
    .command("unload")
    .arguments("<url> <name> <version>")
    .description("drain and unload a version")
    .action((url: string, name: string, version: string) =>
      call(url, "DELETE", `/models/${name}/versions/${version}`),
    );
  admin
    .command("default")
    .arguments("<url> <name> [version]")
    .description("pin the default version (none: back to the newest)")
    .action((url: string, name: string, version?: string) =>
      call(url, "PUT", `/models/${name}/default`, { version: version ?? null }),
    );
  admin
    .command("rollback")
    .arguments("<url> <name>")
    .description("go back to the previous default version")
    .action((url: string, name: string) => call(url, "POST", `/models/${name}/rollback`));
  admin
    .command("split")
    .arguments("<url> <name> [arms]")
    .description("set a split such as 1:90,2:10 (none: clear it)")
    .action((url: string, name: string, arms?: string) => {
      if (!arms) return call(url, "DELETE", `/models/${name}/split`);
      const parsed = arms.split(",").map((a) => {
        const [version, weight] = a.split(":");
        return { version, weight: Number(weight) };
      });
      return call(url, "PUT", `/models/${name}/split`, { arms: parsed });
    });
  admin
    .command("shadow")
    .arguments("<url> <name> [version]")
    .description("mirror traffic to a version (none: stop)")
    .action((url: string, name: string, version?: string) =>
      version
        ? call(url, "PUT", `/models/${name}/shadow`, { version })
        : call(url, "DELETE", `/models/${name}/shadow`),
    );
}
