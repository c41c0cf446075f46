/**
 * @module Every error modelserve raises, built in one place: a stable code, an HTTP status and a
 * message template. `docs/errors.md` lists each code; a test keeps the two in step.
 */

/** One problem with one field of a request, reported in an error's `details`. */
export interface FieldIssue {
  /** Stable issue code, e.g. `UNKNOWN_FEATURE` (see docs/errors.md). */
  readonly code: string;
  /** JSON path of the offending value, e.g. `instances[2].petal_length`. */
  readonly field: string;
  /** What was wrong and what was expected. */
  readonly message: string;
  /** What the field accepts (type, allowed values, range), when useful. */
  readonly expected?: unknown;
}

/** One golden-sample output that differs from what the training environment recorded. */
export interface GoldenDiff {
  /** Index of the sample row. */
  readonly sample: number;
  /** Which output: `predict`, or `predict_proba[<class>]`. */
  readonly output: string;
  readonly expected: unknown;
  readonly actual: unknown;
}

/** The error type thrown across module boundaries and turned into HTTP answers and CLI lines. */
export class ModelServeError extends Error {
  /** Stable, documented code (`MS_*`). */
  readonly code: string;
  /** HTTP status when answered over HTTP. */
  readonly statusCode: number;
  /** Structured details (field issues, lists of names), safe to show to clients. */
  readonly details: unknown;

  constructor(code: string, statusCode: number, message: string, details?: unknown, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "ModelServeError";
    this.code = code;
    this.statusCode = statusCode;
    this.details = details;
  }
}

/** A documented error: its code, its status and the factory that builds it. */
export interface ErrorDefinition<A extends unknown[]> {
  readonly code: string;
  readonly statusCode: number;
  /** Builds the error; the last optional argument is a cause kept for server logs. */
  (...args: A): ModelServeError;
}

const catalogue: { code: string; statusCode: number }[] = [];

function define<A extends unknown[]>(
  code: string,
  statusCode: number,
  message: (...args: A) => string,
  details?: (...args: A) => unknown,
): ErrorDefinition<A> {
  catalogue.push({ code, statusCode });
  const make = (...args: A) => new ModelServeError(code, statusCode, message(...args), details?.(...args));
  return Object.assign(make, { code, statusCode });
}

const list = (names: readonly string[], max = 20) =>
  names.length === 0
    ? "(none)"
    : names.slice(0, max).join(", ") + (names.length > max ? `, … (${names.length - max} more)` : "");

/** The catalogue. Keep `docs/errors.md` in step: a test checks it. */
export const Errors = {
  // Request body and transport.
  malformedJson: define(
    "MS_MALFORMED_JSON",
    400,
    (reason: string) => `request body is not valid JSON: ${reason}`,
  ),
  unsupportedMediaType: define(
    "MS_UNSUPPORTED_MEDIA_TYPE",
    415,
    (type: string) => `content type "${type}" is not supported; send application/json`,
  ),
  bodyTooLarge: define(
    "MS_BODY_TOO_LARGE",
    413,
    (limit: number) => `request body is larger than the limit of ${limit} bytes`,
    (limit: number) => ({ limitBytes: limit }),
  ),
  batchTooLarge: define(
    "MS_BATCH_TOO_LARGE",
    413,
    (size: number, limit: number) => `batch of ${size} rows is larger than the limit of ${limit} rows`,
    (size: number, limit: number) => ({ rows: size, maxBatchSize: limit }),
  ),
  nestingTooDeep: define(
    "MS_NESTING_TOO_DEEP",
    400,
    (max: number) => `the JSON body nests arrays and objects more than ${max} levels deep`,
    (max: number) => ({ maxDepth: max }),
  ),
  bodyNotObject: define(
    "MS_BODY_NOT_OBJECT",
    400,
    (got: string, hint: string) => `request body must be a JSON object, got ${got}; ${hint}`,
  ),
  emptyBatch: define("MS_EMPTY_BATCH", 400, () => `"instances" must hold at least one row`),
  invalidBatch: define(
    "MS_INVALID_BATCH",
    400,
    (got: string) => `"instances" must be an array of rows, got ${got}`,
  ),
  invalidTensor: define(
    "MS_INVALID_TENSOR",
    400,
    (name: string, reason: string) => `tensor "${name}": ${reason}`,
    (name: string) => ({ tensor: name }),
  ),
  invalidInferRequest: define(
    "MS_INVALID_INFER_REQUEST",
    400,
    (reason: string) => `invalid inference request: ${reason}`,
  ),
  invalidInput: define(
    "MS_INVALID_INPUT",
    422,
    (issues: readonly FieldIssue[]) =>
      issues.length === 1
        ? issues[0].message
        : `${issues.length} problems in the input; first: ${issues[0]?.message ?? ""}`,
    (issues: readonly FieldIssue[]) => ({ issues }),
  ),

  // Routing and models.
  routeNotFound: define(
    "MS_ROUTE_NOT_FOUND",
    404,
    (method: string, url: string) => `no route for ${method} ${url}`,
  ),
  badRequest: define("MS_BAD_REQUEST", 400, (reason: string) => `bad request: ${reason}`),
  modelNotFound: define(
    "MS_MODEL_NOT_FOUND",
    404,
    (name: string, available: readonly string[]) =>
      `model "${name}" not found; available models: ${list(available)}`,
    (_name: string, available: readonly string[]) => ({ available }),
  ),
  versionNotFound: define(
    "MS_VERSION_NOT_FOUND",
    404,
    (name: string, version: string, available: readonly string[]) =>
      `model "${name}" has no version "${version}"; available versions: ${list(available)}`,
    (_n: string, _v: string, available: readonly string[]) => ({ available }),
  ),
  noDefaultModel: define("MS_NO_DEFAULT_MODEL", 404, () => "no model is being served; load one first"),
  modelNotReady: define(
    "MS_MODEL_NOT_READY",
    503,
    (name: string, version: string, state: string) =>
      `model "${name}" version "${version}" is ${state}, not ready`,
    (name: string, version: string, state: string) => ({ name, version, state }),
  ),
  methodNotSupported: define(
    "MS_METHOD_NOT_SUPPORTED",
    400,
    (name: string, method: string, why: string) => `model "${name}" does not support ${method}: ${why}`,
  ),

  // Server faults.
  internal: define("MS_INTERNAL", 500, (requestId: string) => `internal error (request id ${requestId})`),
  inferenceFailed: define(
    "MS_INFERENCE_FAILED",
    500,
    (name: string, version: string, requestId: string) =>
      `inference failed in model "${name}" version "${version}" (request id ${requestId})`,
  ),

  // Loading models.
  modelFileNotFound: define(
    "MS_MODEL_FILE_NOT_FOUND",
    404,
    (path: string) => `model file not found: ${path}`,
  ),
  modelFileUnreadable: define(
    "MS_MODEL_FILE_UNREADABLE",
    422,
    (path: string, reason: string) => `cannot read model file ${path}: ${reason}`,
  ),
  unknownFormat: define(
    "MS_UNKNOWN_FORMAT",
    422,
    (file: string, tried: readonly string[]) =>
      `cannot tell the format of ${file}; tried: ${tried.join("; ")}. Pass a runtime hint (--runtime) or use a supported file`,
    (_f: string, tried: readonly string[]) => ({ tried }),
  ),
  unknownRuntime: define(
    "MS_UNKNOWN_RUNTIME",
    400,
    (hint: string, known: readonly string[]) => `unknown runtime "${hint}"; known runtimes: ${list(known)}`,
  ),
  invalidModel: define(
    "MS_INVALID_MODEL",
    422,
    (file: string, reason: string) => `${file} is not a valid model file: ${reason}`,
  ),
  unsupportedModel: define(
    "MS_UNSUPPORTED_MODEL",
    422,
    (file: string, what: string) => `${file} uses something modelserve does not support: ${what}`,
  ),
  untrustedPickle: define(
    "MS_UNTRUSTED_PICKLE",
    422,
    (file: string, names: readonly string[]) =>
      `${file} references names outside the allow-list, so it was not loaded (nothing in it was executed): ${list(names, 50)}`,
    (_f: string, names: readonly string[]) => ({ untrusted: names }),
  ),
  limitExceeded: define(
    "MS_LIMIT_EXCEEDED",
    422,
    (file: string, what: string) => `${file} exceeds a safety limit: ${what}`,
  ),
  inconsistentModel: define(
    "MS_INCONSISTENT_MODEL",
    422,
    (file: string, reason: string) => `${file} is internally inconsistent, so it was not loaded: ${reason}`,
  ),
  decompressionLimit: define(
    "MS_DECOMPRESSION_LIMIT",
    422,
    (file: string, what: string) => `${file} inflates beyond the decompression limit: ${what}`,
  ),
  loadBudgetExceeded: define(
    "MS_LOAD_BUDGET_EXCEEDED",
    422,
    (file: string, what: string) => `${file} was refused by the loading budget: ${what}`,
  ),
  runtimeDependencyMissing: define(
    "MS_RUNTIME_DEPENDENCY_MISSING",
    501,
    (runtime: string, pkg: string) =>
      `the ${runtime} runtime needs the package "${pkg}": run ${pkg === "onnxruntime-node" ? "ONNXRUNTIME_NODE_INSTALL=skip " : ""}npm install ${pkg} (modelserve doctor lists what is missing)`,
  ),
  invalidDefinition: define(
    "MS_INVALID_DEFINITION",
    422,
    (what: string, reason: string) => `invalid model definition ${what}: ${reason}`,
  ),
  duplicateModel: define(
    "MS_DUPLICATE_MODEL",
    409,
    (name: string, version: string) => `model "${name}" version "${version}" is already registered`,
  ),
  modelLoadFailed: define(
    "MS_MODEL_LOAD_FAILED",
    503,
    (name: string, version: string, reason: string) =>
      `model "${name}" version "${version}" failed to load: ${reason}`,
  ),

  // Bundles and repositories.
  invalidBundle: define(
    "MS_INVALID_BUNDLE",
    422,
    (where: string, reason: string) => `invalid bundle ${where}: ${reason}`,
  ),
  bundleTampered: define(
    "MS_BUNDLE_TAMPERED",
    422,
    (where: string, file: string, reason: string) => `bundle ${where} was altered: ${file} ${reason}`,
  ),
  goldenMismatch: define(
    "MS_GOLDEN_MISMATCH",
    422,
    (where: string, total: number, diffs: readonly GoldenDiff[]) =>
      `bundle ${where} fails its golden samples: ${diffs.length} of ${total} outputs differ; first: sample ${diffs[0]?.sample} ${diffs[0]?.output} expected ${JSON.stringify(diffs[0]?.expected)}, got ${JSON.stringify(diffs[0]?.actual)}`,
    (_w: string, _t: number, diffs: readonly GoldenDiff[]) => ({ diffs: diffs.slice(0, 50) }),
  ),
  // Access control and limits.
  unauthorized: define("MS_UNAUTHORIZED", 401, (why: string) => `authentication required: ${why}`),
  forbidden: define(
    "MS_FORBIDDEN",
    403,
    (keyId: string, scope: string) => `API key "${keyId}" lacks the "${scope}" scope this route needs`,
    (keyId: string, scope: string) => ({ keyId, requiredScope: scope }),
  ),
  rateLimited: define(
    "MS_RATE_LIMITED",
    429,
    (max: number, retryAfterSeconds: number) =>
      `rate limit of ${max} requests per window exceeded; retry in ${retryAfterSeconds} s`,
    (max: number, retryAfterSeconds: number) => ({ limit: max, retryAfterSeconds }),
  ),
  overloaded: define(
    "MS_OVERLOADED",
    503,
    (limit: number, model?: string) =>
      model === undefined
        ? `the server is running its limit of ${limit} predictions at once; retry shortly`
        : `model "${model}" already has its limit of ${limit} requests waiting; retry shortly`,
    (limit: number, model?: string) =>
      model === undefined ? { maxInflight: limit } : { maxQueued: limit, model },
  ),
  inferenceTimeout: define(
    "MS_INFERENCE_TIMEOUT",
    503,
    (name: string, version: string, ms: number) =>
      `model "${name}" version "${version}" did not answer within ${ms} ms`,
    (name: string, version: string, ms: number) => ({ name, version, timeoutMs: ms }),
  ),
  inferenceThreadFailed: define(
    "MS_INFERENCE_THREAD_FAILED",
    503,
    (name: string, version: string, why: string) =>
      `the inference thread running model "${name}" version "${version}" stopped (${why}); it has been replaced, retry the request`,
    (name: string, version: string, why: string) => ({ name, version, reason: why }),
  ),
  uiNotBuilt: define(
    "MS_UI_NOT_BUILT",
    503,
    (file: string) => `the dashboard asset ${file} is missing from this install; run npm run build:ui`,
  ),
  auditUnavailable: define(
    "MS_AUDIT_UNAVAILABLE",
    503,
    (reason: string) =>
      `the prediction was not answered because its audit record could not be stored (${reason}); retry shortly`,
  ),
  adminDisabled: define(
    "MS_ADMIN_DISABLED",
    404,
    () => "the admin API is off; start the server with --admin",
  ),

  // Remote model sources (S3, HTTPS). Sources are shown without credentials or query strings.
  storageNotFound: define("MS_STORAGE_NOT_FOUND", 404, (source: string) => `no object at ${source}`),
  storageAccessDenied: define(
    "MS_STORAGE_ACCESS_DENIED",
    403,
    (source: string, why: string) => `access to ${source} was denied: ${why}`,
  ),
  storageChecksumMismatch: define(
    "MS_STORAGE_CHECKSUM_MISMATCH",
    502,
    (source: string, expected: string, actual: string) =>
      `the download of ${source} does not match its checksum (expected sha256 ${expected}, got ${actual})`,
  ),
  storageTooLarge: define(
    "MS_STORAGE_TOO_LARGE",
    413,
    (source: string, size: number, max: number) =>
      `${source} is ${size} bytes, more than the ${max}-byte download limit (downloadMaxMb)`,
  ),
  storageUnreachable: define(
    "MS_STORAGE_UNREACHABLE",
    503,
    (source: string, why: string) => `cannot reach ${source}: ${why}`,
  ),

  // Configuration and CLI.
  invalidConfig: define("MS_INVALID_CONFIG", 400, (reason: string) => `invalid configuration: ${reason}`),
  invalidInputFile: define(
    "MS_INVALID_INPUT_FILE",
    400,
    (file: string, reason: string) => `cannot read rows from ${file}: ${reason}`,
  ),
};

/** Every code with its HTTP status, in catalogue order (for docs and tests). */
export function errorCatalogue(): readonly { readonly code: string; readonly statusCode: number }[] {
  return catalogue;
}

/** Field-level issue codes used in `details.issues` of `MS_INVALID_INPUT`. */
export const IssueCodes = [
  "UNKNOWN_FEATURE",
  "MISSING_FEATURE",
  "WRONG_TYPE",
  "NULL_NOT_ALLOWED",
  "NON_FINITE",
  "WRONG_LENGTH",
  "UNKNOWN_CATEGORY",
  "OUT_OF_RANGE",
  "WRONG_SHAPE",
  "ROW_NOT_OBJECT",
] as const;

/** A field-level issue code. */
export type IssueCode = (typeof IssueCodes)[number];

/** Wraps anything thrown into a {@link ModelServeError}, keeping ModelServeErrors as they are. */
export function isModelServeError(err: unknown): err is ModelServeError {
  return err instanceof ModelServeError;
}
