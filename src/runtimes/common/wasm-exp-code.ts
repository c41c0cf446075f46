/**
 * @module The body of wasm-fma-code.ts's `exps` function: glibc's `exp` (libm-exp.ts's algorithm and
 * constants) in WebAssembly, its fused multiply-adds as fused `relaxed_madd`s.
 */

import type { EXP_CONSTANTS } from "./libm-exp.ts";
import {
  BLOCK,
  Body,
  BR,
  BR_IF,
  ELSE,
  END,
  F64,
  F64_ABS,
  F64_ADD,
  F64_GE,
  F64_LOAD,
  F64_LT,
  F64_MUL,
  F64_REINTERPRET_I64,
  F64_STORE,
  F64_SUB,
  F64X2_EXTRACT,
  F64X2_RELAXED_MADD,
  F64X2_SPLAT,
  f64Const,
  I32,
  I32_ADD,
  I32_AND,
  I32_EQZ,
  I32_LT_U,
  I32_MUL,
  I32_STORE,
  I32_WRAP_I64,
  I64_CONST,
  I64_EXTEND_I32_S,
  I64_SHL,
  I64_SHR_S,
  I64_TRUNC_F64_S,
  IF,
  LOOP,
  VOID,
} from "./wasm-asm.ts";

/**
 * `exps(ptr, n, factor, tables, specials) → count`: `v ← exp(factor·v)` for the n doubles at ptr, as
 * libm-exp.ts's `libmExp` computes it on its main path (|x| in [2^-54, 512)) with fused multiply-adds;
 * the index of any other value (tiny, large, NaN) is written to `specials` (i32 each) and its slot
 * left holding `factor·v`, for the caller to finish. `tables`: EXP_TAIL then EXP_SCALE (128 doubles
 * each). Parameters 0–4 (factor f64); locals: i (5), count (6), j (7), e (8) i32; ki (9) i64; x (10),
 * kd (11), r (12), r2 (13), tmp (14), scale (15) f64.
 */
export function expBody(c: typeof EXP_CONSTANTS): number[] {
  const [PTR, N, FACTOR, TABLES, SPECIALS, I, COUNT, J, E, KI, X, KD, R, R2, TMP, SCALE] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
  ];
  const b = new Body();
  const at = () => b.get(PTR).get(I).i32(8).op(I32_MUL, I32_ADD);
  /** fma(a, b, c) of what `push` leaves on the stack (three f64): lane 0 of a fused relaxed_madd. */
  const fma3 = () => b.simd(F64X2_RELAXED_MADD).simd(F64X2_EXTRACT, 0);
  const splat = () => b.simd(F64X2_SPLAT);
  b.i32(0).set(COUNT);
  b.i32(0).set(I);
  b.op(BLOCK, VOID, LOOP, VOID);
  b.get(I).get(N).op(I32_LT_U, I32_EQZ, BR_IF, 1);
  at();
  b.op(F64_LOAD, 3, 0).get(FACTOR).op(F64_MUL).set(X);
  // The main path only: 2^-54 <= |x| < 512 (NaN fails both tests).
  b.get(X).op(F64_ABS);
  f64Const(b, 2 ** -54);
  b.op(F64_GE);
  b.get(X).op(F64_ABS);
  f64Const(b, 512);
  b.op(F64_LT, I32_AND, IF, VOID);
  // kd = round(x·128/ln2), as INV_LN2_N·x + SHIFT − SHIFT (unfused, as the emulation writes it).
  f64Const(b, c.invLn2N);
  b.get(X).op(F64_MUL);
  f64Const(b, c.shift);
  b.op(F64_ADD);
  f64Const(b, c.shift);
  b.op(F64_SUB).set(KD);
  // r = fma(kd, NEG_LN2_LO_N, fma(kd, NEG_LN2_HI_N, x)).
  b.get(KD);
  splat();
  f64Const(b, c.negLn2LoN);
  splat();
  b.get(KD);
  splat();
  f64Const(b, c.negLn2HiN);
  splat();
  b.get(X);
  splat();
  b.simd(F64X2_RELAXED_MADD);
  b.simd(F64X2_RELAXED_MADD).simd(F64X2_EXTRACT, 0).set(R);
  // j = kd mod 128, e = (kd − j) / 128: kd is an integer well inside i64.
  b.get(KD).op(I64_TRUNC_F64_S).set(KI);
  b.get(KI).op(I32_WRAP_I64).i32(127).op(I32_AND).set(J);
  b.get(KI).op(I64_CONST, 7, I64_SHR_S, I32_WRAP_I64).set(E);
  b.get(R).get(R).op(F64_MUL).set(R2);
  // tmp = fma(r2·r2, fma(r, C5, C4), fma(r2, fma(r, C3, C2), tail + r)).
  b.get(R2).get(R2).op(F64_MUL);
  splat();
  b.get(R);
  splat();
  f64Const(b, c.c5);
  splat();
  f64Const(b, c.c4);
  splat();
  b.simd(F64X2_RELAXED_MADD);
  b.get(R2);
  splat();
  b.get(R);
  splat();
  f64Const(b, c.c3);
  splat();
  f64Const(b, c.c2);
  splat();
  b.simd(F64X2_RELAXED_MADD);
  b.get(TABLES).get(J).i32(8).op(I32_MUL, I32_ADD).op(F64_LOAD, 3, 0).get(R).op(F64_ADD);
  splat();
  b.simd(F64X2_RELAXED_MADD);
  fma3();
  b.set(TMP);
  // scale = EXP_SCALE[j]·2^e (the exponent's bits), result fma(scale, tmp, scale).
  b.get(TABLES).get(J).i32(8).op(I32_MUL, I32_ADD).op(F64_LOAD, 3, 0x80, 0x08); // offset 1024: EXP_SCALE
  b.get(E).i32(1023).op(I32_ADD, I64_EXTEND_I32_S, I64_CONST, 52, I64_SHL, F64_REINTERPRET_I64);
  b.op(F64_MUL).set(SCALE);
  at();
  b.get(SCALE);
  splat();
  b.get(TMP);
  splat();
  b.get(SCALE);
  splat();
  fma3();
  b.op(F64_STORE, 3, 0);
  b.op(ELSE);
  // Anything else: factor·v stays, and its index is listed.
  at();
  b.get(X).op(F64_STORE, 3, 0);
  b.get(SPECIALS).get(COUNT).i32(4).op(I32_MUL, I32_ADD).get(I).op(I32_STORE, 2, 0);
  b.get(COUNT).i32(1).op(I32_ADD).set(COUNT);
  b.op(END);
  b.get(I).i32(1).op(I32_ADD).set(I);
  b.op(BR, 0, END, END);
  b.get(COUNT).op(END);
  return [3, 4, I32, 1, 0x7e, 6, F64, ...b.c];
}
