/**
 * @module The little of WebAssembly the hand-written modules need (here and in xgboost/wasm-sums.ts):
 * the engine's API, LEB128 numbers, value types, and for wasm-fma-code.ts the opcodes it uses and a
 * builder of function bodies.
 */

/** The part of the WebAssembly JavaScript API used here (the project's TypeScript libraries omit it). */
export interface WasmApi {
  Memory: new (d: { initial: number }) => { readonly buffer: ArrayBuffer };
  Module: new (bytes: Uint8Array) => object;
  Instance: new (m: object, imports: object) => { readonly exports: Record<string, unknown> };
}

/** The engine's WebAssembly, or undefined (`--jitless`), looked up when it is first needed. */
export function wasmApi(): WasmApi | undefined {
  return (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
}

/** Unsigned LEB128, as the binary format spells sizes, indices and offsets. */
export function uleb(n: number, out: number[]): void {
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
}

/** Signed LEB128 (`i32.const` immediates). */
export function sleb(n: number, out: number[]): void {
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}

// Value types.
export const I32 = 0x7f;
export const F64 = 0x7c;
export const V128 = 0x7b;
export const VOID = 0x40;

/** A function body written instruction by instruction (locals after the parameters). */
export class Body {
  readonly c: number[] = [];
  get(l: number): this {
    this.c.push(0x20, l);
    return this;
  }
  set(l: number): this {
    this.c.push(0x21, l);
    return this;
  }
  /** `i32.const v` (signed LEB128). */
  i32(v: number): this {
    this.c.push(0x41);
    sleb(v, this.c);
    return this;
  }
  op(...bytes: number[]): this {
    this.c.push(...bytes);
    return this;
  }
  /** A SIMD instruction (0xfd prefix, LEB128 opcode), then its immediates. */
  simd(opcode: number, ...imm: number[]): this {
    this.c.push(0xfd);
    uleb(opcode, this.c);
    this.c.push(...imm);
    return this;
  }
}

// Instructions.
export const I32_ADD = 0x6a;
export const I32_MUL = 0x6c;
export const I32_AND = 0x71;
export const I32_LT_U = 0x49;
export const I32_GT_U = 0x4b;
export const I32_EQZ = 0x45;
export const I32_GE_U = 0x4f;
export const I32_LOAD = 0x28;
export const F64_GT = 0x64;
export const F64_MAX = 0xa5;
export const F64_LOAD = 0x2b;
export const F64_STORE = 0x39;
export const F64_ADD = 0xa0;
export const F64_SUB = 0xa1;
export const F64_MUL = 0xa2;
export const F64_ABS = 0x99;
export const F64_LT = 0x63;
export const F64_GE = 0x66;
export const I32_STORE = 0x36;
export const I32_WRAP_I64 = 0xa7;
export const I64_TRUNC_F64_S = 0xb0;
export const I64_EXTEND_I32_S = 0xac;
export const I64_CONST = 0x42;
export const I64_SHL = 0x86;
export const I64_SHR_S = 0x87;
export const F64_REINTERPRET_I64 = 0xbf;
export const BLOCK = 0x02;
export const LOOP = 0x03;
export const IF = 0x04;
export const ELSE = 0x05;
export const END = 0x0b;
export const BR = 0x0c;
export const BR_IF = 0x0d;
// SIMD opcodes.
export const V128_LOAD = 0x00;
export const V128_STORE = 0x0b;
export const V128_CONST = 0x0c;
export const F64X2_SPLAT = 0x14;
export const F64X2_EXTRACT = 0x21;
export const F64X2_ADD = 0xf0;
export const F64X2_SUB = 0xf1;
export const F64X2_RELAXED_MADD = 0x107;
export const ZERO128 = Array(16).fill(0) as number[];

/** `f64.const v`. */
export function f64Const(b: Body, v: number): void {
  const bytes = new Uint8Array(Float64Array.of(v).buffer);
  b.op(0x44, ...bytes);
}
