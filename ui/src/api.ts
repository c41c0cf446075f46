/**
 * @module Calls to the modelserve API from the page: the base path from the page's meta tag, the API
 * key from session storage (never from or into a URL), and errors as {@link ApiError} with the
 * server's `MS_*` code.
 */

const meta = (name: string) => document.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content ?? "";

/** Path prefix of the API (empty when modelserve is mounted at the root). */
export const API_BASE = meta("modelserve-api");
/** The service title. */
export const TITLE = meta("modelserve-title") || "modelserve";
/** Whether the server has API keys on. */
export const KEYS_ON = meta("modelserve-keys") === "on";

const KEY_STORAGE = "modelserve.apiKey";

/** An error answer: status, stable code, message, and details (field issues). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;

  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

let apiKey: string | undefined = sessionStorage.getItem(KEY_STORAGE) ?? undefined;
const authListeners = new Set<() => void>();

/** The key in use (for display only, masked by the caller). */
export const currentKey = (): string | undefined => apiKey;

/** Sets the API key for this tab (session storage: gone when the tab closes). */
export function setKey(key: string | undefined): void {
  apiKey = key && key.trim() !== "" ? key.trim() : undefined;
  if (apiKey) sessionStorage.setItem(KEY_STORAGE, apiKey);
  else sessionStorage.removeItem(KEY_STORAGE);
}

/** Calls `fn` whenever the server answers 401 (the page then asks for a key). */
export function onAuthRequired(fn: () => void): () => void {
  authListeners.add(fn);
  return () => authListeners.delete(fn);
}

/** Calls the API and returns the parsed JSON, or throws an {@link ApiError}. */
export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const text = await call(path, init, "application/json");
  return (text === "" ? undefined : JSON.parse(text)) as T;
}

/** Calls the API and returns the body as text (for `/metrics`). */
export async function apiText(path: string): Promise<string> {
  return call(path, {}, "text/plain");
}

/** GET requests sent ahead by {@link prefetch}, each with the key it carried. */
const early = new Map<string, { key: string | undefined; res: Promise<Response> }>();

function send(path: string, init: { method?: string; body?: unknown }, accept: string): Promise<Response> {
  const headers: Record<string, string> = { accept };
  if (apiKey) headers.authorization = `Bearer ${apiKey}`;
  if (init.body !== undefined) headers["content-type"] = "application/json";
  return fetch(`${API_BASE}${path}`, {
    method: init.method ?? "GET",
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    credentials: "omit",
    cache: "no-store",
  });
}

/**
 * Sends a JSON GET now, before the page has rendered, so its answer is on its way while the first
 * screen is built; the next {@link api} call for the same path (with the same key) takes it instead
 * of asking again, and reports its errors as usual. Skipped when keys are on and none is set: the
 * server would only refuse it, and the page asks for a key first.
 */
export function prefetch(path: string): void {
  if (KEYS_ON && !apiKey) return;
  const res = send(path, {}, "application/json");
  // Failures surface in the call that takes the answer; none is left unhandled if nobody does.
  res.catch(() => undefined);
  early.set(path, { key: apiKey, res });
}

async function call(
  path: string,
  init: { method?: string; body?: unknown },
  accept: string,
): Promise<string> {
  const ahead = early.get(path);
  early.delete(path);
  const reuse =
    ahead && ahead.key === apiKey && (init.method ?? "GET") === "GET" && accept === "application/json";
  let res: Response;
  try {
    res = await (reuse ? ahead.res : send(path, init, accept));
  } catch (err) {
    throw new ApiError(0, "NETWORK", `the server did not answer (${(err as Error).message})`);
  }
  const text = await res.text();
  if (res.ok) return text;
  let code = `HTTP_${res.status}`;
  let message = res.statusText || `HTTP ${res.status}`;
  let details: unknown;
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string; details?: unknown } };
    if (body.error) {
      code = body.error.code ?? code;
      message = body.error.message ?? message;
      details = body.error.details;
    }
  } catch {
    // Not JSON (a proxy's page): keep the status text.
  }
  if (res.status === 401) for (const fn of authListeners) fn();
  throw new ApiError(res.status, code, message, details);
}

/** Path of a model, or of one version of it. */
export const modelPath = (name: string, version?: string) =>
  `/models/${encodeURIComponent(name)}${version ? `/versions/${encodeURIComponent(version)}` : ""}`;
