import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Command } from "commander";
import { addConfigOptions, configLayerFromOptions } from "../../src/cli/config-options.ts";
import { CONFIG_KEYS, loadConfig } from "../../src/config/config.ts";

function parse(args: string[]) {
  const cmd = addConfigOptions(new Command("serve").exitOverride()).allowExcessArguments(false);
  cmd.parse(args, { from: "user" });
  return configLayerFromOptions(cmd.opts());
}

describe("serve options derived from the configuration keys", () => {
  it("has one option per flagged key, with its short form", () => {
    const cmd = addConfigOptions(new Command("serve"));
    const longs = new Set(cmd.options.map((o) => o.long));
    for (const k of CONFIG_KEYS) if (k.flag.startsWith("--")) assert.ok(longs.has(k.flag), k.flag);
    assert.equal(cmd.options.find((o) => o.long === "--port")?.short, "-p");
  });

  it("maps given flags back to their keys, and only those", () => {
    assert.deepEqual(parse([]), {});
    assert.deepEqual(parse(["-p", "9001", "--shutdown-timeout", "5", "--watch", "--no-docs"]), {
      port: "9001",
      shutdownTimeoutMs: "5",
      watch: true,
      docs: false,
    });
    // The layer goes through the same validation as the environment and the config file.
    const c = loadConfig({ env: {}, cli: parse(["--drift-threshold", "0.5", "--log-level", "warn"]) });
    assert.equal(c.driftThreshold, 0.5);
    assert.equal(c.logLevel, "warn");
    assert.throws(
      () => loadConfig({ env: {}, cli: parse(["--port", "x"]) }),
      /port \(from command line\) must be an integer/,
    );
  });

  it("restricts enum keys to their values at parse time", () => {
    assert.throws(() => parse(["--log-format", "xml"]), /Allowed choices are json, pretty, auto/);
  });
});
