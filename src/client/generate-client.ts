/**
 * @module The typed client generator: from the signatures of the models a server serves, one
 * dependency-free TypeScript file (global `fetch`, erasable syntax only) with a method per model and
 * route, request and answer types derived from each signature, and errors carrying the `MS_*` code.
 */

import { errorCatalogue } from "../errors.ts";
import type { ModelSignature } from "../runtimes/runtime.ts";
import {
  classKeyType,
  classType,
  featureDoc,
  featureType,
  literal,
  predictionType,
  propertyKey,
} from "./typescript-types.ts";

/** One model the client calls. */
export interface ClientModel {
  /** The model name (its route: `/models/{name}/…`). */
  readonly name: string;
  /** The version the signature was read from (informational). */
  readonly version?: string;
  readonly signature: ModelSignature;
}

/** Options of {@link generateClient}. */
export interface GenerateClientOptions {
  /** Where the signatures came from (a URL, a file), written in the header. */
  readonly source?: string;
  /** The modelserve version that generated the file, written in the header. */
  readonly generator?: string;
}

/** A type name from a model name: `churn-v2` → `ChurnV2`; never empty, never a digit first. */
export function typeName(name: string): string {
  const words = name.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const joined = words.map((w) => w[0].toUpperCase() + w.slice(1)).join("");
  return /^[A-Za-z]/.test(joined) ? joined : `Model${joined}`;
}

/** Distinct type names for every model, suffixed when two names collapse to one. */
function typeNames(models: readonly ClientModel[]): Map<string, string> {
  const out = new Map<string, string>();
  const used = new Set(["Client", "ClientOptions", "ModelserveClient", "ModelserveError", "CallOptions"]);
  for (const m of models) {
    const base = typeName(m.name);
    let n = base;
    for (let i = 2; used.has(n); i++) n = `${base}${i}`;
    used.add(n);
    out.set(m.name, n);
  }
  return out;
}

const doc = (text: string, indent = "") => `${indent}/** ${text.replace(/\*\//g, "* /")} */\n`;

function modelTypes(m: ClientModel, t: string): string {
  const sig = m.signature;
  const cls = classType(sig);
  const keys = classKeyType(sig);
  const pred = predictionType(sig, cls);
  let s = "";
  s += doc(`One row for model \`${m.name}\`: every feature, by name, in any order.`);
  s += `export interface ${t}Row {\n`;
  for (const f of sig.inputs)
    s += `${doc(featureDoc(f), "  ")}  ${propertyKey(f.name)}: ${featureType(f)};\n`;
  s += "}\n\n";
  s += doc(`Feature names of \`${m.name}\`, in the model's order.`);
  s += `export const ${t}Features = [${sig.inputs.map((f) => JSON.stringify(f.name)).join(", ")}] as const;\n\n`;
  if (cls) {
    s += doc(`Classes of \`${m.name}\`.`);
    s += `export type ${t}Class = ${cls};\n\n`;
    s += doc(`Classes of \`${m.name}\`, in the order of the model's probability columns.`);
    s += `export const ${t}Classes = [${sig.output.classes!.map(literal).join(", ")}] as const;\n\n`;
  }
  const predT = cls ? `${t}Class` : pred;
  s += doc(`What \`${m.name}\` answers for one row.`);
  s += `export type ${t}Prediction = ${predT};\n\n`;
  const probaT = keys ? `Record<${keys}, number | null>` : undefined;
  if (probaT) {
    s += doc("Probability of each class, keyed by the class as a string (`null`: not a finite number).");
    s += `export type ${t}Probabilities = ${probaT};\n\n`;
  }
  const probaField = (batch: boolean) =>
    probaT
      ? `  probabilities${sig.capabilities.predictProba ? "" : "?"}: ${t}Probabilities${batch ? "[]" : ""};\n`
      : "";
  s += `/** Answer of \`${m.name}\`'s \`/predict\`. */\nexport interface ${t}PredictResponse {\n  model: string;\n  version: string;\n  prediction: ${t}Prediction;\n${probaField(false)}}\n\n`;
  s += `/** Answer of \`${m.name}\`'s \`/predict/batch\`. */\nexport interface ${t}PredictBatchResponse {\n  model: string;\n  version: string;\n  predictions: ${t}Prediction[];\n${probaField(true)}}\n\n`;
  if (sig.capabilities.predictProba && cls) {
    s += `/** Answer of \`${m.name}\`'s \`/predict_proba\`. */\nexport interface ${t}PredictProbaResponse {\n  model: string;\n  version: string;\n  classes: ${t}Class[];\n  probabilities: ${t}Probabilities;\n}\n\n`;
    s += `/** Answer of \`${m.name}\`'s \`/predict_proba/batch\`. */\nexport interface ${t}PredictProbaBatchResponse {\n  model: string;\n  version: string;\n  classes: ${t}Class[];\n  probabilities: ${t}Probabilities[];\n}\n\n`;
  }
  const featureKey = `(typeof ${t}Features)[number]`;
  s += doc(
    `Answer of \`${m.name}\`'s \`/explain\` (servers with explanations): each feature's contribution, per class for multi-class models.`,
  );
  s += `export interface ${t}ExplainResponse {\n  model: string;\n  version: string;\n  prediction: ${t}Prediction;\n  base_value: number | Record<string, number>;\n  contributions: Record<${featureKey}, number> | Record<string, Record<${featureKey}, number>>;\n  output_space: string;\n}\n\n`;
  return s;
}

function modelClass(m: ClientModel, t: string): string {
  const sig = m.signature;
  const name = JSON.stringify(m.name);
  const proba = sig.capabilities.predictProba && classType(sig) !== undefined;
  let s = `/** Calls model \`${m.name}\`${m.version ? ` (generated from version ${m.version})` : ""}. */\n`;
  s += `export class ${t}Model {\n  readonly #c: ModelserveClient;\n\n  constructor(client: ModelserveClient) {\n    this.#c = client;\n  }\n\n`;
  s += `  /** Predicts one row. */\n  predict(row: ${t}Row, options?: CallOptions): Promise<${t}PredictResponse> {\n    return this.#c.call(${name}, "/predict", row, options);\n  }\n\n`;
  s += `  /** Predicts many rows in one request. */\n  predictBatch(rows: readonly ${t}Row[], options?: CallOptions): Promise<${t}PredictBatchResponse> {\n    return this.#c.call(${name}, "/predict/batch", { instances: rows }, options);\n  }\n\n`;
  if (proba) {
    s += `  /** Class probabilities of one row. */\n  predictProba(row: ${t}Row, options?: CallOptions): Promise<${t}PredictProbaResponse> {\n    return this.#c.call(${name}, "/predict_proba", row, options);\n  }\n\n`;
    s += `  /** Class probabilities of many rows. */\n  predictProbaBatch(rows: readonly ${t}Row[], options?: CallOptions): Promise<${t}PredictProbaBatchResponse> {\n    return this.#c.call(${name}, "/predict_proba/batch", { instances: rows }, options);\n  }\n\n`;
  }
  s += `  /** Feature contributions of one row (needs a server with the \`/explain\` routes). */\n  explain(row: ${t}Row, options?: CallOptions): Promise<${t}ExplainResponse> {\n    return this.#c.call(${name}, "/explain", row, options);\n  }\n}\n\n`;
  return s;
}

const RUNTIME = `/** Options of {@link ModelserveClient}. */
export interface ClientOptions {
  /** The server, e.g. \`http://127.0.0.1:8000\` (with its path prefix when mounted under one). */
  baseUrl: string;
  /** An API key, sent as \`Authorization: Bearer <key>\`. */
  apiKey?: string;
  /** Longest wait for one attempt, in ms (default 10 000). */
  timeoutMs?: number;
  /** Further attempts after a network error, a timeout, 429 or 502/503/504 (default 2). */
  retries?: number;
  /** First retry delay in ms, doubled each attempt; a \`Retry-After\` header wins (default 200). */
  retryDelayMs?: number;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
  /** The \`fetch\` to use (default the global one). */
  fetch?: typeof fetch;
}

/** Per-call options. */
export interface CallOptions {
  /** Call this version instead of the model's default. */
  version?: string;
  /** Keeps a caller on one arm of a traffic split (\`X-Routing-Key\`). */
  routingKey?: string;
  /** Cancels the call. */
  signal?: AbortSignal;
}

/** A failed call: the server's \`MS_*\` code, or a \`CLIENT_*\` code when no answer came. */
export class ModelserveError extends Error {
  /** Stable code: see the server's error catalogue. */
  readonly code: ErrorCode;
  /** HTTP status (0 when there was no answer). */
  readonly status: number;
  /** Structured details, e.g. \`{ issues: [{ code, field, message }] }\` for \`MS_INVALID_INPUT\`. */
  readonly details: unknown;
  /** The server's request id, for its logs. */
  readonly requestId: string | undefined;

  constructor(code: ErrorCode, status: number, message: string, details?: unknown, requestId?: string) {
    super(message);
    this.name = "ModelserveError";
    this.code = code;
    this.status = status;
    this.details = details;
    this.requestId = requestId;
  }
}

const RETRY_STATUS = new Set([429, 502, 503, 504]);

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(t);
      reject(new ModelserveError("CLIENT_ABORTED", 0, "the call was cancelled"));
    };
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });

/** The transport shared by the model classes. */
export class ModelserveClient {
  readonly #o: Required<Omit<ClientOptions, "apiKey" | "fetch">> & Pick<ClientOptions, "apiKey" | "fetch">;

  constructor(options: ClientOptions) {
    this.#o = {
      baseUrl: options.baseUrl.replace(/\\/+$/, ""),
      apiKey: options.apiKey,
      timeoutMs: options.timeoutMs ?? 10_000,
      retries: Math.max(0, options.retries ?? 2),
      retryDelayMs: options.retryDelayMs ?? 200,
      headers: options.headers ?? {},
      fetch: options.fetch,
    };
  }

  /** POSTs \`body\` to a model route and returns the parsed answer, retrying what is safe to retry. */
  async call<T>(model: string, route: string, body: unknown, options: CallOptions = {}): Promise<T> {
    const o = this.#o;
    const path =
      \`/models/\${encodeURIComponent(model)}\` +
      (options.version !== undefined ? \`/versions/\${encodeURIComponent(options.version)}\` : "") +
      route;
    const headers: Record<string, string> = { ...o.headers, "content-type": "application/json", accept: "application/json" };
    if (o.apiKey !== undefined) headers.authorization = \`Bearer \${o.apiKey}\`;
    if (options.routingKey !== undefined) headers["x-routing-key"] = options.routingKey;
    const payload = JSON.stringify(body);
    const doFetch = o.fetch ?? fetch;
    for (let attempt = 0; ; attempt++) {
      const last = attempt >= o.retries;
      const ctl = new AbortController();
      const timer = setTimeout(() => ctl.abort(), o.timeoutMs);
      const onAbort = () => ctl.abort();
      options.signal?.addEventListener("abort", onAbort, { once: true });
      let res: Response;
      try {
        res = await doFetch(\`\${o.baseUrl}\${path}\`, { method: "POST", headers, body: payload, signal: ctl.signal });
      } catch (err) {
        clearTimeout(timer);
        options.signal?.removeEventListener("abort", onAbort);
        if (options.signal?.aborted) throw new ModelserveError("CLIENT_ABORTED", 0, "the call was cancelled");
        const timedOut = ctl.signal.aborted;
        if (!last) {
          await sleep(o.retryDelayMs * 2 ** attempt, options.signal);
          continue;
        }
        throw timedOut
          ? new ModelserveError("CLIENT_TIMEOUT", 0, \`no answer from \${o.baseUrl}\${path} within \${o.timeoutMs} ms\`)
          : new ModelserveError("CLIENT_NETWORK", 0, \`cannot reach \${o.baseUrl}\${path}: \${(err as Error).message}\`);
      }
      let text: string;
      try {
        text = await res.text();
      } finally {
        clearTimeout(timer);
        options.signal?.removeEventListener("abort", onAbort);
      }
      if (res.ok) {
        try {
          return JSON.parse(text) as T;
        } catch {
          throw new ModelserveError("CLIENT_BAD_RESPONSE", res.status, \`the answer of \${path} is not JSON\`);
        }
      }
      if (!last && RETRY_STATUS.has(res.status)) {
        const after = Number(res.headers.get("retry-after"));
        await sleep(Number.isFinite(after) && after > 0 ? after * 1000 : o.retryDelayMs * 2 ** attempt, options.signal);
        continue;
      }
      let parsed: { error?: { code?: string; message?: string; details?: unknown }; requestId?: string } = {};
      try {
        parsed = JSON.parse(text);
      } catch {
        // Not a modelserve answer (a proxy's page): the status says what there is to say.
      }
      throw new ModelserveError(
        (parsed.error?.code as ErrorCode | undefined) ?? "CLIENT_BAD_RESPONSE",
        res.status,
        parsed.error?.message ?? \`HTTP \${res.status} from \${path}\`,
        parsed.error?.details,
        parsed.requestId ?? res.headers.get("x-request-id") ?? undefined,
      );
    }
  }
}
`;

/** Generates the client source for a set of models. */
export function generateClient(models: readonly ClientModel[], options: GenerateClientOptions = {}): string {
  const names = typeNames(models);
  const codes = errorCatalogue().map((e) => JSON.stringify(e.code));
  let s = "// Generated by `modelserve client`";
  s += options.generator ? ` ${options.generator}` : "";
  s += options.source ? ` from ${options.source.replace(/[\r\n]/g, " ")}` : "";
  s += ". Do not edit: generate it again when the models change.\n";
  s += "// Dependency-free: needs a global `fetch` (Node 18+, Deno, Bun, browsers).\n\n";
  s += "/** Codes of the server's errors (`MS_*`) and of calls that got no usable answer (`CLIENT_*`). */\n";
  s += `export type ErrorCode =\n  | ${[...codes, '"CLIENT_TIMEOUT"', '"CLIENT_NETWORK"', '"CLIENT_ABORTED"', '"CLIENT_BAD_RESPONSE"'].join("\n  | ")};\n\n`;
  s += RUNTIME;
  s += "\n";
  for (const m of models) s += modelTypes(m, names.get(m.name)!);
  for (const m of models) s += modelClass(m, names.get(m.name)!);
  s += "/** One property per model. */\nexport interface Models {\n";
  for (const m of models) s += `  readonly ${propertyKey(m.name)}: ${names.get(m.name)}Model;\n`;
  s += "}\n\n";
  s += `/**
 * Creates a client.
 *
 * @example
 * const client = createClient({ baseUrl: "http://127.0.0.1:8000", apiKey: process.env.MODELSERVE_API_KEY });
${models[0] ? ` * const answer = await client.models${/^[A-Za-z_$][\w$]*$/.test(models[0].name) ? `.${models[0].name}` : `[${JSON.stringify(models[0].name)}]`}.predict({ ... });\n` : ""} */
export function createClient(options: ClientOptions): { readonly transport: ModelserveClient; readonly models: Models } {
  const transport = new ModelserveClient(options);
  const models: Models = {
${models.map((m) => `    ${propertyKey(m.name)}: new ${names.get(m.name)}Model(transport),`).join("\n")}
  };
  return { transport, models };
}
`;
  return s;
}
