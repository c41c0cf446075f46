/**
 * @module The `serve` flags of the model-loading budgets (`--load-timeout`, `--load-memory`, …) and
 * their mapping to configuration keys; kept apart so the command's declaration stays one line per concern.
 */

import { type Command, InvalidArgumentError } from "commander";
import type { ConfigLayer } from "../config/config.ts";

const int = (what: string) => (v: string) => {
  if (!/^\d+$/.test(v.trim())) throw new InvalidArgumentError(`${what} must be a whole number`);
  return Number(v);
};

/** Adds the loading-budget flags to a command. */
export function addLoadOptions(cmd: Command): Command {
  return cmd
    .option(
      "--load-timeout <ms>",
      "longest time one model file may take to load (0: no limit)",
      int("load timeout"),
    )
    .option("--load-memory <mb>", "heap of the loader worker in megabytes", int("load memory"))
    .option(
      "--load-max-inflate-ratio <n>",
      "most a compressed model file may inflate, × its size",
      int("ratio"),
    )
    .option(
      "--load-max-inflate <mb>",
      "absolute cap on an inflated model file, in megabytes",
      int("inflate cap"),
    )
    .option("--load-max-tree-nodes <n>", "most tree nodes one model may build", int("tree nodes"))
    .option("--load-max-depth <n>", "deepest nesting of a model file's objects", int("depth"));
}

/** The configuration layer of those flags. */
export function loadOptionsLayer(opts: Record<string, unknown>): ConfigLayer {
  return {
    loadTimeoutMs: opts.loadTimeout,
    loadMemoryMb: opts.loadMemory,
    loadMaxInflateRatio: opts.loadMaxInflateRatio,
    loadMaxInflateMb: opts.loadMaxInflate,
    loadMaxTreeNodes: opts.loadMaxTreeNodes,
    loadMaxDepth: opts.loadMaxDepth,
  };
}
