/**
 * @module How a configuration key is declared: one object per key holding its type, default,
 * environment variable, CLI flag, help and docs text, and section. The `Config` type, the CLI options,
 * environment parsing and the docs table are all derived from these declarations.
 */

import type { ModelEntry } from "./model-entry.ts";

/** Value kinds a key can hold; strings from the environment and flags are parsed by kind. */
export type KeyKind = "string" | "int" | "count" | "number" | "bool" | "enum" | "models";

/** Groups of keys, for the docs table and for reading a config by concern. */
export type Section =
  | "server"
  | "models"
  | "limits"
  | "security"
  | "lifecycle"
  | "storage"
  | "observability"
  | "audit"
  | "drift"
  | "docs";

/** Sections in docs order, with their headings. */
export const SECTIONS: readonly (readonly [Section, string])[] = [
  ["server", "Server"],
  ["models", "Models"],
  ["limits", "Limits and timeouts"],
  ["security", "Security"],
  ["lifecycle", "Lifecycle: repositories, versions, routing"],
  ["storage", "Remote sources: S3, HTTPS and the local cache"],
  ["observability", "Logs"],
  ["audit", "Audit log"],
  ["drift", "Drift"],
  ["docs", "API docs"],
];

/** One declared key. `T` is the type of its value once loaded. */
export interface KeySpec<T> {
  readonly kind: KeyKind;
  readonly section: Section;
  /** Environment variable, `MODELSERVE_…`. */
  readonly env: string;
  /** Long CLI flag (`--port`; `--no-docs` for a key that defaults to true). */
  readonly flag: string;
  /** A short flag (`-p`), when the key has one. */
  readonly short?: string;
  /** Further flags accepted for the same key (e.g. KServe's `--http_port`). */
  readonly aliases?: readonly string[];
  /** Placeholder of the flag's value in `--help` (`<ms>`); booleans take none. */
  readonly arg?: string;
  /** Value when no source sets the key. */
  readonly default: T;
  /** Inclusive bounds of numeric keys. */
  readonly min?: number;
  readonly max?: number;
  /** Allowed values of an `enum` key. */
  readonly values?: readonly string[];
  /** Sentence for the docs table. */
  readonly description: string;
  /** Short text for `--help` (default: the description). */
  readonly help?: string;
}

type Spec<T> = Omit<KeySpec<T>, "kind">;
type SpecNoDefault<T> = Omit<KeySpec<T>, "kind" | "default">;

/** A string key with a default. */
export const str = (spec: Spec<string>): KeySpec<string> => ({ kind: "string", ...spec });
/** A string key that is unset by default. */
export const optionalString = (spec: SpecNoDefault<string | undefined>): KeySpec<string | undefined> => ({
  kind: "string",
  default: undefined,
  ...spec,
});
/** An integer key. */
export const int = (spec: Spec<number>): KeySpec<number> => ({ kind: "int", ...spec });
/** An integer key that is unset (off) by default. */
export const optionalInt = (spec: SpecNoDefault<number | undefined>): KeySpec<number | undefined> => ({
  kind: "int",
  default: undefined,
  ...spec,
});
/** A whole count, or `auto` (the caller decides what `auto` means, e.g. the usable CPUs). */
export const countOrAuto = (spec: Spec<number | "auto">): KeySpec<number | "auto"> => ({
  kind: "count",
  ...spec,
});
/** A finite number key. */
export const num = (spec: Spec<number>): KeySpec<number> => ({ kind: "number", ...spec });
/** A boolean key. */
export const bool = (spec: Spec<boolean>): KeySpec<boolean> => ({ kind: "bool", ...spec });
/** A key whose value is one of `values`. */
export const oneOf = <const V extends readonly string[]>(
  values: V,
  spec: Spec<V[number]>,
): KeySpec<V[number]> => ({ kind: "enum", values, ...spec });
/** The list of models to load. */
export const modelList = (spec: SpecNoDefault<readonly ModelEntry[]>): KeySpec<readonly ModelEntry[]> => ({
  kind: "models",
  default: [],
  ...spec,
});

/** The value type of a declaration. */
export type ValueOf<S> = S extends KeySpec<infer T> ? T : never;
