/**
 * @module The bytes of wasm-fma.ts's WebAssembly module, written instruction by instruction from
 * numbers only (opcodes, local indices, the constants of glibc's `exp`): its functions' bodies, each
 * documented with the arithmetic it must reproduce, then the sections around them.
 */

import { EXP_CONSTANTS } from "./libm-exp.ts";

/** Unsigned LEB128, as the binary format spells sizes, indices and offsets. */
function uleb(n: number, out: number[]): void {
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
}

// Value types.
const I32 = 0x7f;
const F64 = 0x7c;
const V128 = 0x7b;
const VOID = 0x40;

/** A function body written instruction by instruction (locals after the parameters). */
class Body {
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
    for (;;) {
      const byte = v & 0x7f;
      v >>= 7;
      if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
        this.c.push(byte);
        return this;
      }
      this.c.push(byte | 0x80);
    }
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
const I32_ADD = 0x6a;
const I32_MUL = 0x6c;
const I32_AND = 0x71;
const I32_LT_U = 0x49;
const I32_GT_U = 0x4b;
const I32_EQZ = 0x45;
const F64_LOAD = 0x2b;
const F64_STORE = 0x39;
const F64_ADD = 0xa0;
const F64_SUB = 0xa1;
const F64_MUL = 0xa2;
const F64_ABS = 0x99;
const F64_LT = 0x63;
const F64_GE = 0x66;
const I32_STORE = 0x36;
const I32_WRAP_I64 = 0xa7;
const I64_TRUNC_F64_S = 0xb0;
const I64_EXTEND_I32_S = 0xac;
const I64_CONST = 0x42;
const I64_SHL = 0x86;
const I64_SHR_S = 0x87;
const F64_REINTERPRET_I64 = 0xbf;
const BLOCK = 0x02;
const LOOP = 0x03;
const IF = 0x04;
const ELSE = 0x05;
const END = 0x0b;
const BR = 0x0c;
const BR_IF = 0x0d;
// SIMD opcodes.
const V128_LOAD = 0x00;
const V128_STORE = 0x0b;
const V128_CONST = 0x0c;
const F64X2_SPLAT = 0x14;
const F64X2_EXTRACT = 0x21;
const F64X2_ADD = 0xf0;
const F64X2_SUB = 0xf1;
const F64X2_RELAXED_MADD = 0x107;
const ZERO128 = Array(16).fill(0) as number[];

/** `probe(a, b, c)`: lane 0 of `relaxed_madd(splat a, splat b, splat c)`. */
function probeBody(): number[] {
  const b = new Body();
  b.get(0).simd(F64X2_SPLAT).get(1).simd(F64X2_SPLAT).get(2).simd(F64X2_SPLAT);
  b.simd(F64X2_RELAXED_MADD).simd(F64X2_EXTRACT, 0).op(END);
  return [0, ...b.c];
}

/**
 * `chain(x, nf, w, pairs, out)`: for each pair p of rows, the lanes' FMA chains from 0 along k, stored
 * at `out + 16p`. The pairs come in groups of four, a group's four pairs side by side for each k
 * (`w + (g·nf + k)·64 + 16q`: pair 4g+q, element k of row 2(4g+q) then of row 2(4g+q)+1), so each step
 * reads 64 consecutive bytes and feeds four independent chains (each waits on its last result); the
 * last `pairs % 4` pairs follow one after another (`(p·nf + k)·16` from the end of the groups).
 * Parameters 0–4; locals: p (5), the x pointer (6), the w pointer (7), the x pointer's end (8); the x
 * value's splat (9, v128), four sums (10–13, v128).
 */
function chainBody(): number[] {
  const [X, NF, W, PAIRS, OUT, P, XP, WP, XEND, XK, ACC] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const b = new Body();
  /** Chains of `group` pairs side by side, while `p + group <= pairs`. */
  const pass = (group: number) => {
    b.op(BLOCK, VOID, LOOP, VOID);
    b.get(P).i32(group).op(I32_ADD).get(PAIRS).op(I32_GT_U, BR_IF, 1);
    for (let q = 0; q < group; q++) b.simd(V128_CONST, ...ZERO128).set(ACC + q);
    b.get(X).set(XP);
    b.op(BLOCK, VOID, LOOP, VOID);
    b.get(XP).get(XEND).op(I32_LT_U, I32_EQZ, BR_IF, 1);
    b.get(XP).op(F64_LOAD, 3, 0).simd(F64X2_SPLAT).set(XK);
    for (let q = 0; q < group; q++) {
      // acc_q = x[k]·(the pair's element k) + acc_q, fused.
      b.get(XK)
        .get(WP)
        .simd(V128_LOAD, 4, 16 * q);
      b.get(ACC + q)
        .simd(F64X2_RELAXED_MADD)
        .set(ACC + q);
    }
    b.get(XP).i32(8).op(I32_ADD).set(XP);
    b.get(WP)
      .i32(16 * group)
      .op(I32_ADD)
      .set(WP);
    b.op(BR, 0, END, END);
    for (let q = 0; q < group; q++)
      b.get(OUT)
        .get(P)
        .i32(16)
        .op(I32_MUL, I32_ADD)
        .get(ACC + q)
        .simd(V128_STORE, 4, 16 * q);
    b.get(P).i32(group).op(I32_ADD).set(P);
    b.op(BR, 0, END, END);
  };
  b.get(X).get(NF).i32(8).op(I32_MUL, I32_ADD).set(XEND);
  b.i32(0).set(P);
  b.get(W).set(WP);
  pass(4);
  pass(1);
  b.op(END);
  return [2, 4, I32, 5, V128, ...b.c];
}

/**
 * `ddot(x, nf, m, rows, out)`: for each row i of `m` (row-major, `m + 8·(i·nf + k)`), OpenBLAS' Haswell
 * ddot of x with it — or, written with `diff`, of `x − row` with itself — stored at `out + 8i`.
 * Parameters 0–4; locals: i (5), k (6), n1 (7), row (8); dot (9), t (10) f64; lanes v0–v7 (11–18,
 * v128: v_j holds lanes 2j and 2j+1), a and c (19, 20, v128).
 */
function ddotBody(diff: boolean): number[] {
  const [X, NF, M, ROWS, OUT, I, K, N1, ROW, DOT, T, V0, A, C] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 19, 20,
  ];
  const b = new Body();
  // n1 = nf & -16: the length the 16-lane blocks cover.
  b.get(NF).i32(-16).op(I32_AND).set(N1);
  b.i32(0).set(I);
  b.op(BLOCK, VOID, LOOP, VOID);
  b.get(I).get(ROWS).op(I32_LT_U, I32_EQZ, BR_IF, 1);
  b.get(M).get(I).get(NF).op(I32_MUL).i32(8).op(I32_MUL, I32_ADD).set(ROW);
  for (let j = 0; j < 8; j++) b.simd(V128_CONST, ...ZERO128).set(V0 + j);
  b.i32(0).set(K);
  // Blocks of 16: lane l += x[k+l]·y[k+l], fused; eight registers of two lanes.
  b.op(BLOCK, VOID, LOOP, VOID);
  b.get(K).get(N1).op(I32_LT_U, I32_EQZ, BR_IF, 1);
  for (let j = 0; j < 8; j++) {
    // Elements k + 2j and k + 2j + 1 of x and of the row.
    b.get(X)
      .get(K)
      .i32(8)
      .op(I32_MUL, I32_ADD)
      .simd(V128_LOAD, 3, 16 * j);
    b.get(ROW)
      .get(K)
      .i32(8)
      .op(I32_MUL, I32_ADD)
      .simd(V128_LOAD, 3, 16 * j);
    if (diff) b.simd(F64X2_SUB).set(A).get(A).get(A);
    b.get(V0 + j)
      .simd(F64X2_RELAXED_MADD)
      .set(V0 + j);
  }
  b.get(K).i32(16).op(I32_ADD).set(K);
  b.op(BR, 0, END, END);
  // dot = 0, or the lanes folded: a = (l0+l2, l1+l3) + (l4+l6, l5+l7), c = (l8+l10, l9+l11) +
  // (l12+l14, l13+l15); dot = lane 0 + lane 1 of a + c, i.e. ((a0+b0)+(c0+d0)) + ((a1+b1)+(c1+d1)), as
  // blasDot adds them.
  b.op(0x44, 0, 0, 0, 0, 0, 0, 0, 0).set(DOT); // f64.const 0
  b.get(N1).op(IF, VOID);
  b.get(V0)
    .get(V0 + 1)
    .simd(F64X2_ADD)
    .get(V0 + 2)
    .get(V0 + 3)
    .simd(F64X2_ADD)
    .simd(F64X2_ADD)
    .set(A);
  b.get(V0 + 4)
    .get(V0 + 5)
    .simd(F64X2_ADD)
    .get(V0 + 6)
    .get(V0 + 7)
    .simd(F64X2_ADD)
    .simd(F64X2_ADD)
    .set(C);
  b.get(A).get(C).simd(F64X2_ADD).set(A);
  b.get(A).simd(F64X2_EXTRACT, 0).get(A).simd(F64X2_EXTRACT, 1).op(F64_ADD).set(DOT);
  b.op(END);
  // The tail, k from n1 on: dot += y[k]·x[k], the product rounded, then added.
  b.op(BLOCK, VOID, LOOP, VOID);
  b.get(K).get(NF).op(I32_LT_U, I32_EQZ, BR_IF, 1);
  b.get(X).get(K).i32(8).op(I32_MUL, I32_ADD).op(F64_LOAD, 3, 0).set(T);
  if (diff) {
    b.get(T).get(ROW).get(K).i32(8).op(I32_MUL, I32_ADD).op(F64_LOAD, 3, 0).op(F64_SUB).set(T);
    b.get(T).get(T).op(F64_MUL);
  } else b.get(ROW).get(K).i32(8).op(I32_MUL, I32_ADD).op(F64_LOAD, 3, 0).get(T).op(F64_MUL);
  b.get(DOT).op(F64_ADD).set(DOT);
  b.get(K).i32(1).op(I32_ADD).set(K);
  b.op(BR, 0, END, END);
  b.get(OUT).get(I).i32(8).op(I32_MUL, I32_ADD).get(DOT).op(F64_STORE, 3, 0);
  b.get(I).i32(1).op(I32_ADD).set(I);
  b.op(BR, 0, END, END, END);
  return [4, 4, I32, 2, F64, 8, V128, 2, V128, ...b.c];
}

/** `f64.const v`. */
function f64Const(b: Body, v: number): void {
  const bytes = new Uint8Array(Float64Array.of(v).buffer);
  b.op(0x44, ...bytes);
}

/**
 * `exps(ptr, n, factor, tables, specials) → count`: `v ← exp(factor·v)` for the n doubles at ptr, as
 * libm-exp.ts's `libmExp` computes it on its main path (|x| in [2^-54, 512)) with fused multiply-adds;
 * the index of any other value (tiny, large, NaN) is written to `specials` (i32 each) and its slot
 * left holding `factor·v`, for the caller to finish. `tables`: EXP_TAIL then EXP_SCALE (128 doubles
 * each). Parameters 0–4 (factor f64); locals: i (5), count (6), j (7), e (8) i32; ki (9) i64; x (10),
 * kd (11), r (12), r2 (13), tmp (14), scale (15) f64.
 */
function expBody(c: typeof EXP_CONSTANTS): number[] {
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

/**
 * The module's bytes: memory imported as `m.mem`; `probe` (f64, f64, f64) → f64; `chain`, `ddot` and
 * `ddotDiff` (5 × i32); `exps` (i32, i32, f64, i32, i32) → i32.
 */
export function moduleBytes(): Uint8Array {
  const bytes: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const section = (id: number, payload: readonly number[]) => {
    bytes.push(id);
    uleb(payload.length, bytes);
    bytes.push(...payload);
  };
  const name = (s: string) => [s.length, ...Array.from(s, (ch) => ch.charCodeAt(0))];
  // Types: 0 = (f64, f64, f64) → f64; 1 = (i32 × 5) → (); 2 = (i32, i32, f64, i32, i32) → i32.
  section(1, [
    3,
    ...[0x60, 3, F64, F64, F64, 1, F64],
    ...[0x60, 5, I32, I32, I32, I32, I32, 0],
    ...[0x60, 5, I32, I32, F64, I32, I32, 1, I32],
  ]);
  section(2, [1, ...name("m"), ...name("mem"), 0x02, 0x00, 1]);
  section(3, [5, 0, 1, 1, 1, 2]);
  section(7, [
    5,
    ...[...name("probe"), 0, 0],
    ...[...name("chain"), 0, 1],
    ...[...name("ddot"), 0, 2],
    ...[...name("ddotDiff"), 0, 3],
    ...[...name("exps"), 0, 4],
  ]);
  const code: number[] = [5];
  for (const body of [probeBody(), chainBody(), ddotBody(false), ddotBody(true), expBody(EXP_CONSTANTS)]) {
    // Each body ends with the function's own `end`.
    uleb(body.length, code);
    code.push(...body);
  }
  section(10, code);
  return Uint8Array.from(bytes);
}

/** What an instance of the module exports. */
export interface Exports {
  probe(a: number, b: number, c: number): number;
  chain(x: number, nf: number, w: number, pairs: number, out: number): void;
  ddot(x: number, nf: number, m: number, rows: number, out: number): void;
  ddotDiff(x: number, nf: number, m: number, rows: number, out: number): void;
  exps(ptr: number, n: number, factor: number, tables: number, specials: number): number;
}
