/** @module JSON with the bare `NaN`, `Infinity` and `-Infinity` tokens some writers (XGBoost) emit. */

const TOKENS = /"(?:[^"\\]|\\.)*"|-?Infinity|NaN/g;

/**
 * Parses JSON, accepting bare `NaN` (read as `null`) and `±Infinity` outside strings. Strict input
 * takes the fast path.
 */
export function parseLenientJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    if (!/NaN|Infinity/.test(text)) throw err;
    return JSON.parse(
      text.replace(TOKENS, (m) =>
        m[0] === '"' ? m : m === "NaN" ? "null" : m[0] === "-" ? "-1e999" : "1e999",
      ),
    );
  }
}
