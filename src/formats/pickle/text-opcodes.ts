/**
 * @module The text arguments of pickle protocol 0 (Python 2's default and what `pickle.dumps(obj, 0)` still
 * writes): `STRING` holds a Python 2 `repr()` of a byte string (quoted, with `\x..`, `\n`, octal escapes), and
 * `UNICODE` holds raw-unicode-escape text (`\uXXXX` / `\UXXXXXXXX`, every other byte one latin-1 character).
 * Ref: CPython `Modules/_pickle.c` (load_string, load_unicode), `Objects/bytesobject.c` (_PyBytes_DecodeEscape).
 */

/** Raised for a malformed text argument. */
export class TextOpcodeError extends Error {}

const SIMPLE: Readonly<Record<string, number>> = {
  "\\": 0x5c,
  "'": 0x27,
  '"': 0x22,
  a: 0x07,
  b: 0x08,
  f: 0x0c,
  n: 0x0a,
  r: 0x0d,
  t: 0x09,
  v: 0x0b,
};

/**
 * The bytes of a `STRING` argument (as latin-1 text, one character per byte, as Python 3 reads Python 2
 * strings with `encoding="latin1"`). The argument must be quoted with `'` or `"` at both ends.
 */
export function decodeStringLiteral(arg: string): string {
  const s = arg.replace(/\r$/, "");
  const q = s[0];
  if (s.length < 2 || (q !== "'" && q !== '"') || s[s.length - 1] !== q)
    throw new TextOpcodeError("a STRING argument is not quoted");
  const body = s.slice(1, -1);
  let out = "";
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== "\\") {
      out += c;
      continue;
    }
    const n = body[++i];
    if (n === undefined) throw new TextOpcodeError("a STRING argument ends with a backslash");
    if (n in SIMPLE) out += String.fromCharCode(SIMPLE[n]);
    else if (n === "\n") continue;
    else if (n === "x") {
      const hex = body.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new TextOpcodeError("a bad \\x escape in a STRING argument");
      out += String.fromCharCode(Number.parseInt(hex, 16));
      i += 2;
    } else if (n >= "0" && n <= "7") {
      let oct = n;
      while (oct.length < 3 && body[i + 1] >= "0" && body[i + 1] <= "7") oct += body[++i];
      out += String.fromCharCode(Number.parseInt(oct, 8) & 0xff);
    } else out += `\\${n}`; // Python keeps unknown escapes as they are.
  }
  return out;
}

/** The text of a `UNICODE` argument (raw-unicode-escape; the line was read as latin-1). */
export function decodeRawUnicodeEscape(arg: string): string {
  return arg.replace(/\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8})/g, (_, esc: string) => {
    const cp = Number.parseInt(esc.slice(1), 16);
    if (cp > 0x10ffff) throw new TextOpcodeError("a \\U escape beyond U+10FFFF");
    return String.fromCodePoint(cp);
  });
}
