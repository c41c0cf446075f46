/**
 * @module A pickle virtual machine that never executes anything: opcodes run on a stack, globals
 * resolve only to inert references, and REDUCE/NEWOBJ/BUILD build plain records (or numpy arrays
 * through TypeScript handlers). joblib's inline array payloads are read where its `NumpyArrayWrapper`
 * stands. Every global the stream names is collected, so an untrusted file is refused naming all of them.
 * Ref: CPython `Lib/pickle.py`, `Lib/pickletools.py`; joblib `numpy_pickle.py`.
 * Long because the opcode interpreter is one dispatch loop over every opcode; splitting it would put
 * the stack and memo behind calls on the hottest loop of model loading.
 */

import {
  arrayFromBytes,
  checkItemSize,
  dtypeFromTypestr,
  dtypeWithState,
  NumpyError,
  objectArray,
  scalarFromBytes,
  sizeOf,
} from "./numpy.ts";
import type { NdArray, NpDtype, PyDict, PyGlobal, PyObject, PyTuple, PyValue } from "./py-objects.ts";
import { decodeRawUnicodeEscape, decodeStringLiteral } from "./text-opcodes.ts";

/** Limits that bound time and memory on hostile input. */
export interface PickleLimits {
  /** Largest memo (entries). */
  readonly maxMemo: number;
  /** Largest stack plus mark depth. */
  readonly maxStack: number;
  /** Largest single declared array, in bytes. */
  readonly maxArrayBytes: number;
  /** Nested pickles (object arrays) inside one another. */
  readonly maxNesting: number;
  /**
   * Most values the VM may push (each a JavaScript object or slot): bounds the heap a stream can
   * claim before a heap limit is reached, so a stream of millions of tiny objects is refused cleanly.
   */
  readonly maxValues?: number;
}

/** Default limits: generous for real models, fatal for bombs. */
export const DEFAULT_LIMITS: PickleLimits = {
  maxMemo: 10_000_000,
  maxStack: 1_000_000,
  maxArrayBytes: 2 * 1024 ** 3,
  maxNesting: 8,
};

/** Why a stream was refused (`budget`: the value budget derived from the load's memory budget). */
export class PickleError extends Error {
  readonly reason: "malformed" | "limit" | "unsupported" | "budget";
  constructor(reason: "malformed" | "limit" | "unsupported" | "budget", message: string) {
    super(message);
    this.reason = reason;
  }
}

/** What unpickling produced. */
export interface UnpickleResult {
  readonly value: PyValue;
  /** Every global named by the stream (`module.name`), in first-seen order. */
  readonly globals: readonly string[];
  /** Globals not in the allow-list. */
  readonly untrusted: readonly string[];
}

/** Options of {@link unpickle}. */
export interface UnpickleOptions {
  /** Whether `module.name` may be referenced. */
  readonly allowed: (qualified: string) => boolean;
  readonly limits?: PickleLimits;
}

// Python 2 names written by protocol ≤ 2 pickles (CPython `_compat_pickle`), and numpy 2 / 1 aliases.
const RENAMES: Readonly<Record<string, string>> = {
  __builtin__: "builtins",
  copy_reg: "copyreg",
  "numpy._core.multiarray": "numpy.core.multiarray",
  // scikit-learn 0.19–0.22 vendored joblib: files dumped through `sklearn.externals.joblib`.
  "sklearn.externals.joblib.numpy_pickle": "joblib.numpy_pickle",
  "numpy._core.numeric": "numpy.core.numeric",
  "numpy.core._multiarray_umath": "numpy.core.multiarray",
  "numpy._core._multiarray_umath": "numpy.core.multiarray",
};

/** Normalises a global's module for allow-list checks and handlers. */
export function qualify(module: string, name: string): string {
  return `${RENAMES[module] ?? module}.${name}`;
}

/**
 * Python 2 byte strings (`STRING`/`BINSTRING`) as text, one code point per byte, as Python 3 reads them
 * with `encoding="latin1"` (WHATWG's "latin1" decoder is windows-1252, which remaps 0x80–0x9F).
 */
function latin1(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return s;
}

/** The bytes of a latin-1 string (the inverse of {@link latin1}). */
function latin1Bytes(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);
}

const MARK: unique symbol = Symbol("mark");

/** Turns a placeholder object into its final value, keeping its identity. */
function morph(target: object, value: object): void {
  for (const k of Object.keys(target)) delete (target as Record<string, unknown>)[k];
  Object.assign(target, value);
}
type Slot = PyValue | typeof MARK;

const tuple = (items: PyValue[]): PyTuple => ({ kind: "tuple", items });
const dict = (): PyDict => ({ kind: "dict", map: new Map(), otherEntries: [] });
const isObj = (v: PyValue, kind: string): boolean =>
  typeof v === "object" && v !== null && "kind" in v && v.kind === kind;

/** `cls.__new__(cls, *args)` of NEWOBJ and NEWOBJ_EX: an instance of a global, its state set later by BUILD. */
function newObject(cls: PyValue, args: PyValue, op: string): PyObject {
  if (!isObj(cls, "global")) throw new PickleError("malformed", `${op} on something that is not a class`);
  const c = cls as PyGlobal;
  return {
    kind: "object",
    module: c.module,
    name: c.name,
    args: isObj(args, "tuple") ? [...(args as PyTuple).items] : [],
    state: null,
  };
}

function setItem(d: PyDict, k: PyValue, v: PyValue): void {
  if (
    k === null ||
    typeof k === "string" ||
    typeof k === "number" ||
    typeof k === "bigint" ||
    typeof k === "boolean"
  )
    d.map.set(k, v);
  else d.otherEntries.push([k, v]);
}

/** An ndarray under construction by `_reconstruct` + BUILD. */
interface PendingArray {
  kind: "object";
  module: "numpy.core.multiarray";
  name: "_reconstruct";
  args: PyValue[];
  state: PyValue;
}

/** Runs a pickle stream (starting at `start`) to its STOP; returns the value and the end position. */
export function unpickle(
  input: Uint8Array,
  options: UnpickleOptions,
  start = 0,
): UnpickleResult & { end: number } {
  // A plain Uint8Array view: Node Buffers' slice() shares memory, and copies must not.
  const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  const limits = options.limits ?? DEFAULT_LIMITS;
  const globals: string[] = [];
  const untrusted: string[] = [];
  const seen = new Set<string>();
  const noteGlobal = (q: string) => {
    if (seen.has(q)) return;
    seen.add(q);
    globals.push(q);
    if (!options.allowed(q)) untrusted.push(q);
  };
  const counter = { values: 0 };
  try {
    const r = run(bytes, start, options, limits, noteGlobal, 0, counter);
    return { value: r.value, end: r.end, globals, untrusted };
  } catch (err) {
    // A hostile stream may break the parse after naming what it wanted: report the names.
    if (untrusted.length > 0) return { value: null, end: bytes.length, globals, untrusted };
    if (err instanceof PickleError) throw err;
    if (err instanceof NumpyError) throw new PickleError(err.reason, err.message);
    if (err instanceof RangeError) throw new PickleError("limit", err.message);
    throw new PickleError("malformed", (err as Error).message);
  }
}

function run(
  bytes: Uint8Array,
  start: number,
  options: UnpickleOptions,
  limits: PickleLimits,
  noteGlobal: (q: string) => void,
  nesting: number,
  counter: { values: number },
): { value: PyValue; end: number } {
  const maxValues = limits.maxValues ?? Number.POSITIVE_INFINITY;
  if (nesting > limits.maxNesting) throw new PickleError("limit", "nested pickles go too deep");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const utf8 = new TextDecoder("utf-8", { fatal: false });
  let pos = start;
  const stack: Slot[] = [];
  const memo = new Map<number, PyValue>();

  const need = (n: number) => {
    if (n < 0 || pos + n > bytes.byteLength)
      throw new PickleError("malformed", `the stream ends early (byte ${pos} of ${bytes.byteLength})`);
  };
  const u8 = () => {
    need(1);
    return bytes[pos++];
  };
  const u16 = () => {
    need(2);
    const v = view.getUint16(pos, true);
    pos += 2;
    return v;
  };
  const u32 = () => {
    need(4);
    const v = view.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const i32 = () => {
    need(4);
    const v = view.getInt32(pos, true);
    pos += 4;
    return v;
  };
  const u64 = () => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(bytes.byteLength))
      throw new PickleError("malformed", `a length of ${v} bytes exceeds the file`);
    return Number(v);
  };
  const take = (n: number) => {
    need(n);
    const b = bytes.subarray(pos, pos + n);
    pos += n;
    return b;
  };
  const line = () => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) throw new PickleError("malformed", "an unterminated text argument");
    // Protocol-0 text is bytes; latin1() keeps 0x80–0x9F (TextDecoder's "latin1" is windows-1252).
    const s = latin1(bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const push = (v: Slot) => {
    if (stack.length >= limits.maxStack)
      throw new PickleError("limit", `the stack exceeds ${limits.maxStack} entries`);
    if (++counter.values > maxValues)
      throw new PickleError("budget", `the stream builds more than ${maxValues} values`);
    stack.push(v);
  };
  const pop = (): PyValue => {
    const v = stack.pop();
    if (v === undefined || v === MARK)
      throw new PickleError("malformed", "the stack is empty or hits a mark");
    return v;
  };
  const top = (): PyValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) throw new PickleError("malformed", "the stack is empty");
    return v;
  };
  const popMark = (): PyValue[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) throw new PickleError("malformed", "no mark on the stack");
    const items = stack.splice(i) as Slot[];
    items.shift();
    return items as PyValue[];
  };
  const memoPut = (i: number, v: PyValue) => {
    if (memo.size >= limits.maxMemo && !memo.has(i))
      throw new PickleError("limit", `the memo exceeds ${limits.maxMemo} entries`);
    memo.set(i, v);
  };
  const memoGet = (i: number) => {
    const v = memo.get(i);
    if (v === undefined) throw new PickleError("malformed", `memo entry ${i} is missing`);
    return v;
  };
  const global = (module: string, name: string): PyGlobal => {
    const q = qualify(module, name);
    noteGlobal(q);
    const dot = q.lastIndexOf(".");
    return { kind: "global", module: q.slice(0, dot), name: q.slice(dot + 1) };
  };

  /** Calls an allow-listed callable inertly: numpy and builtin handlers, else a plain record. */
  const call = (fn: PyValue, args: PyValue[]): PyValue => {
    if (!isObj(fn, "global")) throw new PickleError("malformed", "REDUCE on something that is not a global");
    const g = fn as PyGlobal;
    const q = `${g.module}.${g.name}`;
    switch (q) {
      case "numpy.dtype": {
        if (typeof args[0] !== "string")
          throw new PickleError("malformed", "numpy.dtype without a type string");
        return dtypeFromTypestr(args[0]);
      }
      case "numpy.core.multiarray._reconstruct": {
        const pending: PendingArray = {
          kind: "object",
          module: "numpy.core.multiarray",
          name: "_reconstruct",
          args,
          state: null,
        };
        return pending as unknown as PyObject;
      }
      case "numpy.core.multiarray.scalar": {
        const d = args[0] as NpDtype;
        if (!isObj(d, "dtype")) throw new PickleError("malformed", "numpy scalar without a dtype");
        const raw = args[1];
        if (raw instanceof Uint8Array) return { kind: "scalar", dtype: d, value: scalarFromBytes(d, raw) };
        // Python 2 pickles hold a numeric scalar's bytes as a byte string, read here as latin-1 text.
        if (typeof raw === "string" && d.str[1] !== "O" && d.str[1] !== "U" && d.str[1] !== "S")
          return { kind: "scalar", dtype: d, value: scalarFromBytes(d, latin1Bytes(raw)) };
        return {
          kind: "scalar",
          dtype: d,
          value: typeof raw === "number" || typeof raw === "string" ? raw : String(raw),
        };
      }
      case "numpy.core.numeric._frombuffer": {
        const [buf, d, shape, order] = args;
        if (
          !(buf instanceof Uint8Array) ||
          !isObj(d as PyValue, "dtype") ||
          !isObj(shape as PyValue, "tuple")
        ) {
          throw new PickleError("malformed", "_frombuffer with unexpected arguments");
        }
        const dims = (shape as PyTuple).items.map(Number);
        return arrayFromBytes(d as NpDtype, dims, buf, order === "F");
      }
      case "_codecs.encode": {
        if (typeof args[0] !== "string")
          throw new PickleError("malformed", "_codecs.encode without a string");
        return Uint8Array.from(args[0], (c) => c.charCodeAt(0) & 0xff);
      }
      case "builtins.bytes":
      case "builtins.bytearray":
        return args.length === 0
          ? new Uint8Array(0)
          : args[0] instanceof Uint8Array
            ? args[0]
            : new Uint8Array(0);
      case "builtins.set":
      case "builtins.frozenset":
        return { kind: "set", items: Array.isArray(args[0]) ? args[0] : [] };
      case "pandas.core.indexes.base._new_Index": {
        // _new_Index(cls, {"data": ndarray, "name": ...}): the index's values are all a model needs.
        const d = args[1];
        const data = isObj(d, "dict") ? (d as PyDict).map.get("data") : undefined;
        return data !== undefined && isObj(data, "ndarray")
          ? data
          : { kind: "object", module: g.module, name: g.name, args, state: null };
      }
      case "collections.OrderedDict":
      case "collections.defaultdict":
        return dict();
      case "copyreg._reconstructor": {
        const cls = args[0];
        if (!isObj(cls, "global")) throw new PickleError("malformed", "_reconstructor without a class");
        return {
          kind: "object",
          module: (cls as PyGlobal).module,
          name: (cls as PyGlobal).name,
          args: [],
          state: null,
        };
      }
      default:
        return { kind: "object", module: g.module, name: g.name, args, state: null };
    }
  };

  /** BUILD: numpy placeholders are completed; joblib wrappers read their payload; records get state. */
  const build = () => {
    const state = pop();
    const target = top();
    // Placeholders are completed in place: the memo may already hold a reference to them.
    if (isObj(target, "dtype")) {
      morph(target as object, dtypeWithState(target as NpDtype, state));
      return;
    }
    if (!isObj(target, "object")) {
      // BUILD on a dict or list (rare): merge a dict state, ignore anything else.
      return;
    }
    const obj = target as PyObject;
    const q = `${obj.module}.${obj.name}`;
    if (q === "numpy.core.multiarray._reconstruct") {
      morph(obj, reconstruct(state));
      return;
    }
    if (q === "joblib.numpy_pickle.NumpyArrayWrapper") {
      morph(obj, readWrapped(state));
      return;
    }
    if (obj.state !== null && isObj(obj.state, "dict") && isObj(state, "dict")) {
      for (const [k, v] of (state as PyDict).map) (obj.state as PyDict).map.set(k, v);
    } else {
      obj.state = state;
    }
  };

  const reconstruct = (state: PyValue): NdArray => {
    if (!isObj(state, "tuple")) throw new PickleError("malformed", "ndarray state is not a tuple");
    let items = (state as PyTuple).items;
    if (items.length === 5) items = items.slice(1);
    const [shape, d, fortran, raw] = items;
    if (!isObj(shape, "tuple") || !isObj(d, "dtype"))
      throw new PickleError("malformed", "ndarray state is malformed");
    const dims = (shape as PyTuple).items.map(Number);
    const dt = d as NpDtype;
    checkItemSize(dt, sizeOf(dims));
    if (dt.str[1] === "O") {
      if (!Array.isArray(raw)) throw new PickleError("malformed", "object array without its items");
      return objectArray(dt, dims, raw);
    }
    // Python 2 pickles hold the data as a byte string (BINSTRING), read here as latin-1 text.
    const data = typeof raw === "string" ? latin1Bytes(raw) : raw;
    if (!(data instanceof Uint8Array)) throw new PickleError("malformed", "ndarray data is not bytes");
    checkArrayBytes(sizeOf(dims) * dt.itemsize, data.byteLength);
    return arrayFromBytes(dt, dims, data, fortran === true);
  };

  const checkArrayBytes = (declared: number, available: number) => {
    if (declared > limits.maxArrayBytes)
      throw new PickleError(
        "limit",
        `an array declares ${declared} bytes, over the ${limits.maxArrayBytes} limit`,
      );
    if (declared > available)
      throw new PickleError("malformed", `an array declares ${declared} bytes but only ${available} remain`);
  };

  /** joblib: the array's bytes follow the wrapper's BUILD in the stream. */
  const readWrapped = (state: PyValue): NdArray => {
    if (!isObj(state, "dict")) throw new PickleError("malformed", "NumpyArrayWrapper state is not a dict");
    const m = (state as PyDict).map;
    const d = m.get("dtype");
    const shape = m.get("shape");
    if (!isObj(d as PyValue, "dtype") || !isObj(shape as PyValue, "tuple"))
      throw new PickleError("malformed", "NumpyArrayWrapper lacks dtype or shape");
    const dims = (shape as PyTuple).items.map(Number);
    const dt = d as NpDtype;
    if (dt.str[1] === "O") {
      // Object arrays are a complete nested pickle with its own memo.
      const nested = run(bytes, pos, options, limits, noteGlobal, nesting + 1, counter);
      pos = nested.end;
      const arr = nested.value;
      if (!isObj(arr, "ndarray"))
        throw new PickleError("malformed", "the nested object array is not an array");
      return arr as NdArray;
    }
    const align = m.get("numpy_array_alignment_bytes");
    if (align !== undefined && align !== null) {
      const pad = u8();
      if (pad > 64) throw new PickleError("malformed", `alignment padding of ${pad} bytes`);
      take(pad);
    }
    checkItemSize(dt, sizeOf(dims));
    const n = sizeOf(dims) * dt.itemsize;
    checkArrayBytes(n, bytes.byteLength - pos);
    const raw = take(n);
    return arrayFromBytes(dt, dims, raw, m.get("order") === "F");
  };

  const streamEnd = bytes.byteLength;
  for (;;) {
    // The opcode read inline, not through u8(): once per opcode, and a load runs this loop cold
    // (interpreted), where a call per byte showed as a quarter of the first read's time.
    if (pos >= streamEnd) need(1);
    const op = bytes[pos++]!;
    switch (op) {
      case 0x80: // PROTO
        u8();
        break;
      case 0x95: // FRAME
        u64();
        break;
      case 0x2e: // STOP
        return { value: pop(), end: pos };
      case 0x28: // MARK
        push(MARK);
        break;
      case 0x30: // POP
        stack.pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        push(top());
        break;
      case 0x4e: // NONE
        push(null);
        break;
      case 0x88:
        push(true);
        break;
      case 0x89:
        push(false);
        break;
      case 0x49: {
        // INT
        const s = line().trim();
        push(s === "01" ? true : s === "00" ? false : Number.parseInt(s, 10));
        break;
      }
      case 0x4a:
        push(i32());
        break;
      case 0x4b:
        push(u8());
        break;
      case 0x4d:
        push(u16());
        break;
      case 0x4c: {
        // LONG
        const s = line().trim().replace(/L$/, "");
        const b = BigInt(s);
        push(b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b);
        break;
      }
      case 0x8a:
      case 0x8b: {
        // LONG1 / LONG4
        const n = op === 0x8a ? u8() : i32();
        if (n < 0 || n > 1024) throw new PickleError("limit", `an integer of ${n} bytes`);
        const b = take(n);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
        if (n > 0 && b[n - 1] & 0x80) v -= 1n << BigInt(8 * n);
        push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
        break;
      }
      case 0x46: // FLOAT
        push(Number.parseFloat(line()));
        break;
      case 0x47: {
        // BINFLOAT (big-endian)
        need(8);
        push(view.getFloat64(pos, false));
        pos += 8;
        break;
      }
      case 0x53: {
        // STRING: a quoted Python 2 repr, escapes decoded to one character per byte.
        try {
          push(decodeStringLiteral(line().trim()));
        } catch (err) {
          throw new PickleError("malformed", (err as Error).message);
        }
        break;
      }
      case 0x54:
        push(latin1(take(i32())));
        break;
      case 0x55:
        push(latin1(take(u8())));
        break;
      case 0x56:
        // UNICODE: raw-unicode-escape text.
        try {
          push(decodeRawUnicodeEscape(line()));
        } catch (err) {
          throw new PickleError("malformed", (err as Error).message);
        }
        break;
      case 0x58:
        push(utf8.decode(take(u32())));
        break;
      case 0x8c:
        push(utf8.decode(take(u8())));
        break;
      case 0x8d:
        push(utf8.decode(take(u64())));
        break;
      case 0x42:
        push(take(u32()).slice());
        break;
      case 0x43:
        push(take(u8()).slice());
        break;
      case 0x8e:
      case 0x96:
        push(take(u64()).slice());
        break;
      case 0x97:
      case 0x98:
        throw new PickleError(
          "unsupported",
          "out-of-band buffers (pickle protocol 5 NEXT_BUFFER) are not part of a file",
        );
      case 0x29:
        push(tuple([]));
        break;
      case 0x74:
        push(tuple(popMark()));
        break;
      case 0x85:
        push(tuple([pop()]));
        break;
      case 0x86: {
        const b = pop();
        push(tuple([pop(), b]));
        break;
      }
      case 0x87: {
        const c = pop();
        const b = pop();
        push(tuple([pop(), b, c]));
        break;
      }
      case 0x5d:
        push([]);
        break;
      case 0x6c:
        push(popMark());
        break;
      case 0x61: {
        const v = pop();
        const l = top();
        if (Array.isArray(l)) l.push(v);
        else if (isObj(l, "set")) (l as unknown as { items: PyValue[] }).items.push(v);
        break;
      }
      case 0x65: {
        const items = popMark();
        const l = top();
        if (Array.isArray(l)) for (const it of items) l.push(it);
        break;
      }
      case 0x7d:
        push(dict());
        break;
      case 0x64: {
        const items = popMark();
        const d = dict();
        for (let i = 0; i + 1 < items.length; i += 2) setItem(d, items[i], items[i + 1]);
        push(d);
        break;
      }
      case 0x73: {
        const v = pop();
        const k = pop();
        const d = top();
        if (isObj(d, "dict")) setItem(d as PyDict, k, v);
        else if (isObj(d, "object") && (d as PyObject).state === null) {
          (d as PyObject).state = dict();
          setItem((d as PyObject).state as PyDict, k, v);
        }
        break;
      }
      case 0x75: {
        const items = popMark();
        const d = top();
        if (isObj(d, "dict"))
          for (let i = 0; i + 1 < items.length; i += 2) setItem(d as PyDict, items[i], items[i + 1]);
        break;
      }
      case 0x8f:
        push({ kind: "set", items: [] });
        break;
      case 0x90: {
        const items = popMark();
        const s = top();
        if (isObj(s, "set")) (s as unknown as { items: PyValue[] }).items.push(...items);
        break;
      }
      case 0x91:
        push({ kind: "set", items: popMark() });
        break;
      case 0x70:
        memoPut(Number.parseInt(line(), 10), top());
        break;
      case 0x71:
        memoPut(u8(), top());
        break;
      case 0x72:
        memoPut(u32(), top());
        break;
      case 0x94:
        memoPut(memo.size, top());
        break;
      case 0x67:
        push(memoGet(Number.parseInt(line(), 10)));
        break;
      case 0x68:
        push(memoGet(u8()));
        break;
      case 0x6a:
        push(memoGet(u32()));
        break;
      case 0x63: {
        // GLOBAL
        const module = line();
        push(global(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof name !== "string" || typeof module !== "string")
          throw new PickleError("malformed", "STACK_GLOBAL without strings");
        push(global(module, name));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const fn = pop();
        push(call(fn, isObj(args, "tuple") ? [...(args as PyTuple).items] : []));
        break;
      }
      case 0x81: {
        // NEWOBJ
        const args = pop();
        push(newObject(pop(), args, "NEWOBJ"));
        break;
      }
      case 0x92: {
        // NEWOBJ_EX (its keyword arguments are dropped)
        pop();
        const args = pop();
        push(newObject(pop(), args, "NEWOBJ_EX"));
        break;
      }
      case 0x62:
        build();
        break;
      case 0x69: {
        // INST
        const module = line();
        const g = global(module, line());
        const args = popMark();
        push({ kind: "object", module: g.module, name: g.name, args, state: null });
        break;
      }
      case 0x6f: {
        // OBJ
        const items = popMark();
        const cls = items.shift();
        if (!cls || !isObj(cls, "global")) throw new PickleError("malformed", "OBJ without a class");
        push({
          kind: "object",
          module: (cls as PyGlobal).module,
          name: (cls as PyGlobal).name,
          args: items,
          state: null,
        });
        break;
      }
      case 0x50:
      case 0x51:
        throw new PickleError("unsupported", "persistent ids (PERSID) are not supported");
      case 0x82:
      case 0x83:
      case 0x84:
        throw new PickleError("unsupported", "the copyreg extension registry (EXT opcodes) is not supported");
      default:
        throw new PickleError("malformed", `unknown opcode 0x${op.toString(16)} at byte ${pos - 1}`);
    }
  }
}
