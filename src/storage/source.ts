/**
 * @module Remote model sources: `s3://bucket/key` and `http(s)://…` strings, parsed, and shown without
 * anything secret (user info and query strings — a presigned URL's signature — are never displayed).
 */

/** A parsed remote source. */
export type RemoteSource =
  | { readonly kind: "s3"; readonly bucket: string; readonly key: string; readonly uri: string }
  | { readonly kind: "http"; readonly url: URL; readonly uri: string };

/** Whether a model argument names a remote source rather than a local path. */
export function isRemote(source: string): boolean {
  return /^(s3|https?):\/\//i.test(source);
}

/** Parses a remote source; undefined for a local path. */
export function parseRemote(source: string): RemoteSource | undefined {
  const s3 = /^s3:\/\/([^/]+)\/?(.*)$/i.exec(source);
  if (s3) return { kind: "s3", bucket: s3[1], key: s3[2], uri: `s3://${s3[1]}/${s3[2]}` };
  if (/^https?:\/\//i.test(source)) {
    const url = new URL(source);
    return { kind: "http", url, uri: url.href };
  }
  return undefined;
}

/** A source as logs, errors, `/health` and metrics show it: no user info, no query, no fragment. */
export function displaySource(source: string): string {
  if (!/^https?:\/\//i.test(source)) return source;
  try {
    const url = new URL(source);
    return `${url.protocol}//${url.host}${url.pathname}${url.search ? "?…" : ""}`;
  } catch {
    return "(invalid URL)";
  }
}

/** The file name a source ends with (its extension picks the runtime), e.g. `model.joblib`. */
export function baseName(source: RemoteSource): string {
  const path = source.kind === "s3" ? source.key : source.url.pathname;
  const name = decodeURIComponent(path.split("/").filter(Boolean).at(-1) ?? "");
  return name.replace(/[^A-Za-z0-9._-]/g, "_") || "model";
}
