/** @module The JSON the dashboard reads from the server, as far as the dashboard uses it. */

/** A class label or category value. */
export type Label = string | number | boolean;

/** One input feature of a model's signature. */
export interface Feature {
  readonly name: string;
  readonly dtype: "float" | "int" | "bool" | "string" | "category" | "tensor";
  readonly categories?: readonly Label[];
  readonly allowUnknownCategories?: boolean;
  readonly range?: { readonly min?: number; readonly max?: number };
  readonly nullable: boolean;
  readonly shape?: readonly number[];
  readonly description?: string;
  readonly example?: Label | readonly number[];
}

/** A model's signature (full listing only). */
export interface Signature {
  readonly inputs: readonly Feature[];
  readonly output: {
    readonly task: string;
    readonly classes?: readonly Label[];
    readonly targets?: number;
    readonly names?: readonly string[];
  };
  readonly capabilities: { readonly predictProba: boolean };
}

/** Training statistics of one feature, from a bundle. */
export interface FeatureStats {
  readonly mean?: number;
  readonly std?: number;
  readonly min?: number;
  readonly max?: number;
  readonly bins?: { readonly edges: readonly number[]; readonly fractions: readonly number[] };
  readonly categories?: Readonly<Record<string, number>>;
}

/** What the loader recorded about a version. */
export interface VersionMeta {
  readonly stage?: string;
  readonly source?: string;
  readonly bundle?: {
    readonly createdAt?: string;
    readonly metadata?: Readonly<Record<string, unknown>>;
    readonly golden?: { readonly compared: number; readonly differing: number };
  };
  readonly trainingStats?: Readonly<Record<string, FeatureStats>>;
}

/** One version as `/models` lists it. */
export interface Version {
  readonly name: string;
  readonly version: string;
  readonly state: string;
  readonly default: boolean;
  readonly since?: string;
  readonly error?: { readonly message?: string; readonly code?: string };
  readonly meta?: VersionMeta;
  readonly task?: string;
  readonly features?: number;
  readonly info?: {
    readonly format: string;
    readonly framework: string;
    readonly frameworkVersion?: string;
    readonly modelType: string;
    readonly runtime: string;
    readonly sizeBytes: number;
    readonly loadTimeMs: number;
    readonly loadedAt?: string;
    readonly metadata?: Readonly<Record<string, unknown>>;
  };
  readonly signature?: Signature;
  readonly inflight?: number;
}

/** A shadow comparison report. */
export interface ShadowReport {
  readonly version: string;
  readonly rows?: number;
  readonly disagreements?: number;
  readonly errors?: number;
  readonly skipped?: number;
}

/** One model name with its versions. */
export interface ModelEntry {
  readonly name: string;
  readonly defaultVersion: string | null;
  readonly pinnedVersion: string | null;
  readonly split?: readonly { readonly version: string; readonly weight: number }[] | null;
  readonly shadow?: ShadowReport | null;
  readonly versions: readonly Version[];
}

/** `GET /models` and `GET /admin/models`. */
export interface ModelList {
  readonly defaultModel: string | null;
  readonly models: readonly ModelEntry[];
  readonly repository?: { readonly dir: string; readonly versionsOnDisk: number } | null;
}

/** One version's entry in `GET /stats`. */
export interface VersionStats {
  readonly model: string;
  readonly version: string;
  readonly requests: number;
  readonly errors: number;
  readonly latencyMs: {
    readonly p50: number | null;
    readonly p95: number | null;
    readonly p99: number | null;
    readonly window: number;
  };
  readonly throughputPerSecond: number;
  readonly predictions: Readonly<Record<string, number>>;
}

/** `GET /stats`. */
export interface Stats {
  readonly uptimeSeconds: number;
  readonly models: readonly VersionStats[];
  readonly drift?: {
    readonly threshold: number;
    readonly models: readonly {
      readonly model: string;
      readonly version: string;
      readonly features: Readonly<Record<string, { readonly psi: number | null; readonly window: number }>>;
    }[];
  };
}

/** A field problem in `details.issues` of `MS_INVALID_INPUT`. */
export interface FieldIssue {
  readonly code: string;
  readonly field: string;
  readonly message: string;
}

/** A prediction answer (single row). */
export interface Prediction {
  readonly model: string;
  readonly version: string;
  readonly prediction: unknown;
  readonly probabilities?: Readonly<Record<string, number>>;
}

/** An explanation answer (single row), in either of its shapes. */
export interface Explanation {
  readonly prediction?: unknown;
  readonly base_value: number | Readonly<Record<string, number>>;
  readonly contributions:
    | Readonly<Record<string, number>>
    | Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly output_space?: string;
}
