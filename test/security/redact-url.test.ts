/** @module Secret query parameters never reach a log line. */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isSecretName, REDACTED, redactUrl } from "../../src/security/redact-url.ts";

describe("redactUrl", () => {
  it("redacts the values of credential-like parameters and keeps the rest", () => {
    const cases: [string, string][] = [
      ["/predict", "/predict"],
      ["/predict?x=1", "/predict?x=1"],
      ["/predict?api_key=sk1&x=1", `/predict?api_key=${REDACTED}&x=1`],
      ["/p?key=a&token=b&access_token=c", `/p?key=${REDACTED}&token=${REDACTED}&access_token=${REDACTED}`],
      ["/p?password=hunter2;secret=s", `/p?password=${REDACTED};secret=${REDACTED}`],
      ["/p?X-Amz-Signature=abc&X-Amz-Date=1", `/p?X-Amz-Signature=${REDACTED}&X-Amz-Date=1`],
      ["/p?my%5Fapi%5Fkey=zz", `/p?my%5Fapi%5Fkey=${REDACTED}`],
      ["/p?ACCESS_TOKEN=zz#frag", `/p?ACCESS_TOKEN=${REDACTED}#frag`],
      ["/p?sk_live_bare_value", `/p?${REDACTED}`],
      ["/p?auth=%E0%A4%A", `/p?auth=${REDACTED}`],
      ["/p?apikey=a&apikey=b", `/p?apikey=${REDACTED}&apikey=${REDACTED}`],
    ];
    for (const [input, out] of cases) assert.equal(redactUrl(input), out, input);
  });

  it("recognises header and parameter names that carry credentials", () => {
    for (const n of ["authorization", "Proxy-Authorization", "x-api-key", "cookie", "client_secret", "pwd"])
      assert.ok(isSecretName(n), n);
    for (const n of ["x", "model", "version", "limit", "features"]) assert.ok(!isSecretName(n), n);
  });
});
