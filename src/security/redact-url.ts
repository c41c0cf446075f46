/**
 * @module Secrets out of logged URLs: the values of query parameters whose names look like
 * credentials (`api_key`, `token`, `access_token`, `password`, `secret`, `signature`, …) are replaced
 * before a URL reaches any log line. Names are compared after percent-decoding and case-folding, and by
 * substring, so `X-Amz-Signature`, `my%5Fapi%5Fkey` or `ACCESS_TOKEN` are caught too.
 */

/** What replaces a secret value. */
export const REDACTED = "[redacted]";

// Substrings of parameter names that carry credentials. Deliberately broad: a redacted harmless
// parameter costs nothing, a logged key costs a rotation.
const SECRET_NAME = /key|token|secret|passw|pwd|auth|sign|sig$|credential|session|cookie|jwt|bearer/i;

function decoded(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, " "));
  } catch {
    return s;
  }
}

/** Whether a query parameter or header name looks like it carries a credential. */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(decoded(name));
}

/**
 * The URL with the values of secret-looking query parameters replaced by {@link REDACTED}; the path
 * and other parameters are kept as sent. A URL without a query string is returned unchanged.
 */
export function redactUrl(url: string): string {
  const q = url.indexOf("?");
  if (q < 0) return url;
  const hash = url.indexOf("#", q);
  const query = url.slice(q + 1, hash < 0 ? undefined : hash);
  const parts = query.split(/([&;])/);
  let changed = false;
  for (let i = 0; i < parts.length; i += 2) {
    const part = parts[i];
    const eq = part.indexOf("=");
    const name = eq < 0 ? part : part.slice(0, eq);
    // A bare value with no name (`?sk_live_abc`) may be a key as well: it is redacted too.
    if (eq < 0 ? part.length > 0 : isSecretName(name)) {
      parts[i] = eq < 0 ? REDACTED : `${name}=${REDACTED}`;
      changed = true;
    }
  }
  if (!changed) return url;
  return `${url.slice(0, q + 1)}${parts.join("")}${hash < 0 ? "" : url.slice(hash)}`;
}
