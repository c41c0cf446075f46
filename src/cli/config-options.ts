/**
 * @module The `serve` command's options, derived from the configuration declarations: one flag per
 * key (plus its short form and aliases), and the parsed options turned back into a config layer.
 */

import { type Command, Option } from "commander";
import { CONFIG_KEYS, type ConfigKey, type ConfigLayer } from "../config/config.ts";

/** The commander attribute a key's flag is stored under (`--shutdown-timeout` → `shutdownTimeout`). */
function attributeOf(k: ConfigKey, flag: string): string {
  return new Option(k.kind === "bool" ? flag : `${flag} <${k.arg ?? "value"}>`).attributeName();
}

/** Keys that are set through arguments rather than flags (the model list). */
const flagged = (): readonly ConfigKey[] => CONFIG_KEYS.filter((k) => k.flag.startsWith("-"));

/** Adds one option per configuration key (and one per alias) to a command. */
export function addConfigOptions(command: Command): Command {
  for (const k of flagged()) {
    const help = k.help ?? k.description;
    for (const flag of [k.flag, ...(k.aliases ?? [])]) {
      const names = flag === k.flag && k.short ? `${k.short}, ${flag}` : flag;
      const option = new Option(k.kind === "bool" ? names : `${names} <${k.arg ?? "value"}>`, help);
      if (k.kind === "enum" && k.values) option.choices([...k.values]);
      if (flag !== k.flag) option.hideHelp();
      command.addOption(option);
    }
  }
  return command;
}

/**
 * The config layer of parsed options: only flags actually given, so the environment and the config
 * file keep their say. A `--no-x` flag only ever sets `false` (commander defaults it to true).
 */
export function configLayerFromOptions(opts: Readonly<Record<string, unknown>>): ConfigLayer {
  const layer: Record<string, unknown> = {};
  for (const k of flagged()) {
    for (const flag of [...(k.aliases ?? []), k.flag]) {
      const value = opts[attributeOf(k, flag)];
      if (value === undefined) continue;
      if (flag.startsWith("--no-") && value !== false) continue;
      layer[k.key] = value;
    }
  }
  return layer as ConfigLayer;
}
