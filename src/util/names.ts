/** @module Model names and version labels: they appear in routes, files and metrics, so they stay URL-safe. */

import { Errors } from "../errors.ts";

/** Names must be URL-safe: they appear in routes. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Checks a model name or version label, throwing `MS_INVALID_DEFINITION`. */
export function checkName(what: "name" | "version", value: string): string {
  if (!NAME.test(value)) {
    throw Errors.invalidDefinition(
      `model ${what} ${JSON.stringify(value)}`,
      "use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit",
    );
  }
  return value;
}
