/**
 * @module The bytes of wasm-fma.ts's WebAssembly module, written instruction by instruction from
 * numbers only (opcodes, local indices, the constants of glibc's `exp`): its functions' bodies, each
 * documented with the arithmetic it must reproduce, then the sections around them.
 */

import { EXP_CONSTANTS } from "./libm-exp.ts";
import {
  BLOCK,
  Body,
  BR,
  BR_IF,
  END,
  F64,
  F64_ADD,
  F64_LOAD,
  F64_MAX,
  F64_MUL,
  F64_STORE,
  F64_SUB,
  F64X2_ADD,
  F64X2_EXTRACT,
  F64X2_RELAXED_MADD,
  F64X2_SPLAT,
  F64X2_SUB,
  f64Const,
  I32,
  I32_ADD,
  I32_AND,
  I32_EQZ,
  I32_GT_U,
  I32_LT_U,
  I32_MUL,
  IF,
  LOOP,
  uleb,
  V128,
  V128_CONST,
  V128_LOAD,
  V128_STORE,
  VOID,
  ZERO128,
} from "./wasm-asm.ts";
import { expBody } from "./wasm-exp-code.ts";
import { nearestBody } from "./wasm-nearest-code.ts";

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
 * `chain2(x0, x1, nf, w, pairs, out0, out1)`: {@link chainBody}'s chains for two input rows at once,
 * each weight loaded once for both (eight sums in registers): row x0's results at out0, x1's at out1.
 * Parameters 0–6; locals: p (7), the byte offset into the rows (8), the w pointer (9), the rows' end
 * offset (10); the two rows' splats (11, 12, v128), the loaded weights (13, v128), eight sums (14–21).
 */
function chain2Body(): number[] {
  const [X0, X1, NF, W, PAIRS, OUT0, OUT1, P, XO, WP, XEND, S0, S1, WV, ACC] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
  ];
  const b = new Body();
  const pass = (group: number) => {
    b.op(BLOCK, VOID, LOOP, VOID);
    b.get(P).i32(group).op(I32_ADD).get(PAIRS).op(I32_GT_U, BR_IF, 1);
    for (let q = 0; q < 2 * group; q++) b.simd(V128_CONST, ...ZERO128).set(ACC + q);
    b.i32(0).set(XO);
    b.op(BLOCK, VOID, LOOP, VOID);
    b.get(XO).get(XEND).op(I32_LT_U, I32_EQZ, BR_IF, 1);
    b.get(X0).get(XO).op(I32_ADD).op(F64_LOAD, 3, 0).simd(F64X2_SPLAT).set(S0);
    b.get(X1).get(XO).op(I32_ADD).op(F64_LOAD, 3, 0).simd(F64X2_SPLAT).set(S1);
    for (let q = 0; q < group; q++) {
      b.get(WP)
        .simd(V128_LOAD, 4, 16 * q)
        .set(WV);
      // Sums 0…group−1 are row x0's, group…2·group−1 row x1's; each x·w + sum, fused.
      b.get(S0)
        .get(WV)
        .get(ACC + q)
        .simd(F64X2_RELAXED_MADD)
        .set(ACC + q);
      b.get(S1)
        .get(WV)
        .get(ACC + group + q)
        .simd(F64X2_RELAXED_MADD)
        .set(ACC + group + q);
    }
    b.get(XO).i32(8).op(I32_ADD).set(XO);
    b.get(WP)
      .i32(16 * group)
      .op(I32_ADD)
      .set(WP);
    b.op(BR, 0, END, END);
    for (let q = 0; q < group; q++) {
      b.get(OUT0)
        .get(P)
        .i32(16)
        .op(I32_MUL, I32_ADD)
        .get(ACC + q)
        .simd(V128_STORE, 4, 16 * q);
      b.get(OUT1)
        .get(P)
        .i32(16)
        .op(I32_MUL, I32_ADD)
        .get(ACC + group + q)
        .simd(V128_STORE, 4, 16 * q);
    }
    b.get(P).i32(group).op(I32_ADD).set(P);
    b.op(BR, 0, END, END);
  };
  b.get(NF).i32(8).op(I32_MUL).set(XEND);
  b.i32(0).set(P);
  b.get(W).set(WP);
  pass(4);
  pass(1);
  b.op(END);
  return [2, 4, I32, 11, V128, ...b.c];
}

/**
 * `epilogue(out, rows, stride, bias, n, relu)`: for each of `rows` rows at `out` (`stride` bytes apart),
 * its n values v_j ← v_j + bias_j, then max(v_j, 0) when relu is 1 (`f64.max`: NaN stays NaN, −0
 * becomes +0, as `Math.max(v, 0)`). Parameters 0–5; locals: r (6), j (7), the value's address (8), the
 * value (9, f64).
 */
function epilogueBody(): number[] {
  const [OUT, ROWS, STRIDE, BIAS, N, RELU, R, J, AT, V] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const b = new Body();
  b.i32(0).set(R);
  b.op(BLOCK, VOID, LOOP, VOID);
  b.get(R).get(ROWS).op(I32_LT_U, I32_EQZ, BR_IF, 1);
  b.i32(0).set(J);
  b.op(BLOCK, VOID, LOOP, VOID);
  b.get(J).get(N).op(I32_LT_U, I32_EQZ, BR_IF, 1);
  b.get(OUT).get(R).get(STRIDE).op(I32_MUL, I32_ADD).get(J).i32(8).op(I32_MUL, I32_ADD).set(AT);
  b.get(AT).op(F64_LOAD, 3, 0);
  b.get(BIAS).get(J).i32(8).op(I32_MUL, I32_ADD).op(F64_LOAD, 3, 0).op(F64_ADD).set(V);
  b.get(RELU).op(IF, VOID).get(V);
  f64Const(b, 0);
  b.op(F64_MAX).set(V).op(END);
  b.get(AT).get(V).op(F64_STORE, 3, 0);
  b.get(J).i32(1).op(I32_ADD).set(J);
  b.op(BR, 0, END, END);
  b.get(R).i32(1).op(I32_ADD).set(R);
  b.op(BR, 0, END, END, END);
  return [2, 3, I32, 1, F64, ...b.c];
}

/**
 * `gemv(a, stride, rows, x, nb, out)`: for each of `rows` rows of `a` (`stride` bytes apart), the four
 * FMA lanes of OpenBLAS' Haswell `dgemv_t` over its first `nb` elements (a multiple of 4; lane l takes
 * elements ≡ l mod 4) against x, folded `(l0 + l2) + (l1 + l3)`, stored at `out + 8·row` (gemvDot's one
 * block; its last 1–3 terms are added by the caller). Parameters 0–5; locals: r (6), i (7), the row
 * (8); lanes (l0, l1) and (l2, l3) (9, 10, v128).
 */
function gemvBody(): number[] {
  const [A, STRIDE, ROWS, X, NB, OUT, R, I, ROW, L01, L23] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const b = new Body();
  b.i32(0).set(R);
  b.op(BLOCK, VOID, LOOP, VOID);
  b.get(R).get(ROWS).op(I32_LT_U, I32_EQZ, BR_IF, 1);
  b.get(A).get(R).get(STRIDE).op(I32_MUL, I32_ADD).set(ROW);
  b.simd(V128_CONST, ...ZERO128).set(L01);
  b.simd(V128_CONST, ...ZERO128).set(L23);
  b.i32(0).set(I);
  b.op(BLOCK, VOID, LOOP, VOID);
  b.get(I).get(NB).op(I32_LT_U, I32_EQZ, BR_IF, 1);
  for (const [lanes, offset] of [
    [L01, 0],
    [L23, 16],
  ]) {
    b.get(ROW).get(I).i32(8).op(I32_MUL, I32_ADD).simd(V128_LOAD, 3, offset);
    b.get(X).get(I).i32(8).op(I32_MUL, I32_ADD).simd(V128_LOAD, 3, offset);
    b.get(lanes).simd(F64X2_RELAXED_MADD).set(lanes);
  }
  b.get(I).i32(4).op(I32_ADD).set(I);
  b.op(BR, 0, END, END);
  b.get(OUT).get(R).i32(8).op(I32_MUL, I32_ADD);
  b.get(L01).get(L23).simd(F64X2_ADD).set(L01);
  b.get(L01).simd(F64X2_EXTRACT, 0).get(L01).simd(F64X2_EXTRACT, 1).op(F64_ADD);
  b.op(F64_STORE, 3, 0);
  b.get(R).i32(1).op(I32_ADD).set(R);
  b.op(BR, 0, END, END, END);
  return [2, 3, I32, 2, V128, ...b.c];
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

/**
 * The module's bytes: memory imported as `m.mem`; `probe` (f64, f64, f64) → f64; `chain`, `ddot` and
 * `ddotDiff` (5 × i32); `exps` (i32, i32, f64, i32, i32) → i32; `chain2` (7 × i32); `gemv` and `epilogue` (6 × i32); `nearest` (i32 × 3, f64, i32 × 3).
 */
export function moduleBytes(): Uint8Array {
  const bytes: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const section = (id: number, payload: readonly number[]) => {
    bytes.push(id);
    uleb(payload.length, bytes);
    bytes.push(...payload);
  };
  const name = (s: string) => [s.length, ...Array.from(s, (ch) => ch.charCodeAt(0))];
  // Types: 0 = (f64, f64, f64) → f64; 1 = (i32 × 5) → (); 2 = (i32, i32, f64, i32, i32) → i32;
  // 3 = (i32 × 7) → (); 4 = (i32 × 6) → (); 5 = (i32, i32, i32, f64, i32, i32, i32) → ().
  section(1, [
    6,
    ...[0x60, 3, F64, F64, F64, 1, F64],
    ...[0x60, 5, I32, I32, I32, I32, I32, 0],
    ...[0x60, 5, I32, I32, F64, I32, I32, 1, I32],
    ...[0x60, 7, I32, I32, I32, I32, I32, I32, I32, 0],
    ...[0x60, 6, I32, I32, I32, I32, I32, I32, 0],
    ...[0x60, 7, I32, I32, I32, F64, I32, I32, I32, 0],
  ]);
  section(2, [1, ...name("m"), ...name("mem"), 0x02, 0x00, 1]);
  section(3, [9, 0, 1, 1, 1, 2, 3, 4, 5, 4]);
  section(7, [
    9,
    ...[...name("probe"), 0, 0],
    ...[...name("chain"), 0, 1],
    ...[...name("ddot"), 0, 2],
    ...[...name("ddotDiff"), 0, 3],
    ...[...name("exps"), 0, 4],
    ...[...name("chain2"), 0, 5],
    ...[...name("gemv"), 0, 6],
    ...[...name("nearest"), 0, 7],
    ...[...name("epilogue"), 0, 8],
  ]);
  const bodies = [
    probeBody(),
    chainBody(),
    ddotBody(false),
    ddotBody(true),
    expBody(EXP_CONSTANTS),
    chain2Body(),
    gemvBody(),
    nearestBody(),
    epilogueBody(),
  ];
  const code: number[] = [bodies.length];
  for (const body of bodies) {
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
  chain2(x0: number, x1: number, nf: number, w: number, pairs: number, out0: number, out1: number): void;
  gemv(a: number, stride: number, rows: number, x: number, nb: number, out: number): void;
  nearest(dots: number, norms: number, n: number, xNorm: number, k: number, hv: number, hi: number): void;
  epilogue(out: number, rows: number, stride: number, bias: number, n: number, relu: number): void;
}
