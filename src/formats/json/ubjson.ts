/**
 * @module A Universal Binary JSON decoder (big-endian), as XGBoost writes it: objects with
 * length-prefixed keys, strongly typed arrays (`[$d#L…`) decoded straight into typed arrays.
 */

/** A decoded UBJSON value: JSON values plus typed arrays for optimized numeric arrays. */
export type UbjValue =
  | null
  | boolean
  | number
  | string
  | UbjValue[]
  | { [key: string]: UbjValue }
  | Float32Array
  | Float64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint8Array;

/** Raised for malformed input; callers turn it into their own error. */
export class UbjsonError extends Error {}

const MAX_DEPTH = 256;

/**
 * Most elements a typed container of `Z`, `T` or `F` may hold: those elements take no bytes, so
 * without a cap a 9-byte input could ask for billions of them. XGBoost never writes such containers.
 */
const MAX_EMPTY_ELEMENTS = 1 << 16;

/** Decodes one UBJSON value from `bytes`. */
export function decodeUbjson(bytes: Uint8Array): UbjValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new TextDecoder("utf-8", { fatal: false });
  let pos = 0;
  const need = (n: number) => {
    if (n < 0 || pos + n > bytes.byteLength) throw new UbjsonError(`unexpected end of data at byte ${pos}`);
  };
  const byte = () => {
    need(1);
    return bytes[pos++];
  };
  const intOf = (marker: number): number => {
    switch (marker) {
      case 0x69: // i
        need(1);
        return view.getInt8(pos++);
      case 0x55: // U
        need(1);
        return view.getUint8(pos++);
      case 0x49: {
        need(2);
        const v = view.getInt16(pos);
        pos += 2;
        return v;
      }
      case 0x6c: {
        need(4);
        const v = view.getInt32(pos);
        pos += 4;
        return v;
      }
      case 0x4c: {
        need(8);
        const v = view.getBigInt64(pos);
        pos += 8;
        if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
          throw new UbjsonError(`integer ${v} is too large`);
        }
        return Number(v);
      }
      default:
        throw new UbjsonError(`expected an integer marker at byte ${pos - 1}, got 0x${marker.toString(16)}`);
    }
  };
  const length = () => {
    const n = intOf(byte());
    if (n < 0) throw new UbjsonError(`negative length at byte ${pos}`);
    return n;
  };
  // The `$` type of the container whose header was read last (0: none); read right after `header`.
  let headerType = 0;
  /** A container's optional `$type` and `#count` markers: the count, or -1 without one. */
  const header = (what: "array" | "object"): number => {
    headerType = 0;
    if (bytes[pos] === 0x24) {
      pos++;
      headerType = byte();
    }
    if (bytes[pos] === 0x23) {
      pos++;
      return length();
    }
    if (headerType !== 0) throw new UbjsonError(`typed ${what} without a count at byte ${pos}`);
    return -1;
  };
  const str = () => {
    const n = length();
    need(n);
    const s = decoder.decode(bytes.subarray(pos, pos + n));
    pos += n;
    return s;
  };
  const typedArray = (type: number, count: number): UbjValue => {
    const size = { 100: 4, 68: 8, 108: 4, 73: 2, 105: 1, 85: 1, 76: 8 }[type];
    if ((type === 0x5a || type === 0x54 || type === 0x46) && count > MAX_EMPTY_ELEMENTS)
      throw new UbjsonError(`typed container of ${count} elements without payload is too large`);
    if (size === undefined) {
      const out: UbjValue[] = [];
      for (let i = 0; i < count; i++) out.push(value(type, 1));
      return out;
    }
    need(count * size);
    const start = pos;
    pos += count * size;
    switch (type) {
      case 0x64: {
        const a = new Float32Array(count);
        for (let i = 0; i < count; i++) a[i] = view.getFloat32(start + 4 * i);
        return a;
      }
      case 0x44: {
        const a = new Float64Array(count);
        for (let i = 0; i < count; i++) a[i] = view.getFloat64(start + 8 * i);
        return a;
      }
      case 0x6c: {
        const a = new Int32Array(count);
        for (let i = 0; i < count; i++) a[i] = view.getInt32(start + 4 * i);
        return a;
      }
      case 0x49: {
        const a = new Int16Array(count);
        for (let i = 0; i < count; i++) a[i] = view.getInt16(start + 2 * i);
        return a;
      }
      case 0x69:
        return new Int8Array(bytes.slice(start, start + count).buffer);
      case 0x55:
        return bytes.slice(start, start + count);
      default: {
        const a = new Float64Array(count);
        for (let i = 0; i < count; i++) a[i] = Number(view.getBigInt64(start + 8 * i));
        return a;
      }
    }
  };
  const value = (first: number, depth: number): UbjValue => {
    if (depth > MAX_DEPTH) throw new UbjsonError("nesting too deep");
    let marker = first;
    // No-op markers before a value are skipped in a loop, so a long run of them cannot overflow the stack.
    while (marker === 0x4e) marker = byte();
    switch (marker) {
      case 0x5a: // Z
        return null;
      case 0x54: // T
        return true;
      case 0x46: // F
        return false;
      case 0x69:
      case 0x55:
      case 0x49:
      case 0x6c:
      case 0x4c:
        return intOf(marker);
      case 0x64: {
        need(4);
        const v = view.getFloat32(pos);
        pos += 4;
        return v;
      }
      case 0x44: {
        need(8);
        const v = view.getFloat64(pos);
        pos += 8;
        return v;
      }
      case 0x43: // C
        return String.fromCharCode(byte());
      case 0x53: // S
        return str();
      case 0x48: // H: high-precision number as a string
        return Number(str());
      case 0x5b: {
        // [
        const count = header("array");
        const type = headerType;
        if (count >= 0) {
          if (type !== 0) return typedArray(type, count);
          const out: UbjValue[] = [];
          for (let i = 0; i < count; i++) out.push(value(byte(), depth + 1));
          return out;
        }
        const out: UbjValue[] = [];
        for (;;) {
          const m = byte();
          if (m === 0x5d) return out;
          if (m === 0x4e) continue;
          out.push(value(m, depth + 1));
        }
      }
      case 0x7b: {
        // {
        const out: { [key: string]: UbjValue } = Object.create(null);
        const count = header("object");
        const type = headerType;
        if (count >= 0) {
          for (let i = 0; i < count; i++) {
            const k = str();
            out[k] = value(type !== 0 ? type : byte(), depth + 1);
          }
          return out;
        }
        for (;;) {
          if (bytes[pos] === 0x7d) {
            pos++;
            return out;
          }
          if (bytes[pos] === 0x4e) {
            pos++;
            continue;
          }
          const k = str();
          out[k] = value(byte(), depth + 1);
        }
      }
      default:
        throw new UbjsonError(`unknown marker 0x${marker.toString(16)} at byte ${pos - 1}`);
    }
  };
  const v = value(byte(), 0);
  return v;
}
