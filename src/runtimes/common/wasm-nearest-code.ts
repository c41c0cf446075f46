/**
 * @module The body of wasm-fma-code.ts's `nearest` function: brute-force KNN's selection of the k
 * smallest ranking keys, scikit-learn's bounded max-heap (`neighbors/select.ts`'s `heapPush`) fed in
 * training order, with the keys formed from the products as `k-neighbors.ts` forms them.
 */

import {
  BLOCK,
  Body,
  BR,
  BR_IF,
  ELSE,
  END,
  F64,
  F64_ADD,
  F64_GE,
  F64_GT,
  F64_LOAD,
  F64_LT,
  F64_MUL,
  F64_STORE,
  f64Const,
  I32,
  I32_ADD,
  I32_EQZ,
  I32_GE_U,
  I32_LOAD,
  I32_LT_U,
  I32_MUL,
  I32_STORE,
  IF,
  LOOP,
  VOID,
} from "./wasm-asm.ts";

/**
 * `nearest(dots, norms, n, xNorm, k, hv, hi)`: for j < n in order, the key `(xNorm + −2·dots[j]) +
 * norms[j]` pushed into the max-heap of k values at hv (f64) and their indices at hi (i32), exactly as
 * heapPush: a key not below the root is dropped; otherwise it sifts down from the root, taking the
 * larger child (the left one on a tie), while the key is below it. Parameters 0–6 (xNorm f64); locals:
 * j (7), cur (8), left (9), right (10), swap (11); the key (12), the children's values (13, 14).
 */
export function nearestBody(): number[] {
  const [DOTS, NORMS, N, XN, K, HV, HI, J, CUR, LEFT, RIGHT, SWAP, VAL, VL, VR] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
  ];
  const b = new Body();
  const hv = (i: number) => b.get(HV).get(i).i32(8).op(I32_MUL, I32_ADD);
  const hi = (i: number) => b.get(HI).get(i).i32(4).op(I32_MUL, I32_ADD);
  b.i32(0).set(J);
  b.op(BLOCK, VOID, LOOP, VOID);
  b.get(J).get(N).op(I32_LT_U, I32_EQZ, BR_IF, 1);
  b.op(BLOCK, VOID);
  // val = xNorm + −2·dot + norm, added left to right.
  b.get(XN);
  f64Const(b, -2);
  b.get(DOTS).get(J).i32(8).op(I32_MUL, I32_ADD).op(F64_LOAD, 3, 0).op(F64_MUL, F64_ADD);
  b.get(NORMS).get(J).i32(8).op(I32_MUL, I32_ADD).op(F64_LOAD, 3, 0).op(F64_ADD).set(VAL);
  // Not below the root: dropped.
  b.get(VAL).get(HV).op(F64_LOAD, 3, 0).op(F64_GE, BR_IF, 0);
  b.i32(0).set(CUR);
  b.op(BLOCK, VOID, LOOP, VOID);
  b.get(CUR).i32(2).op(I32_MUL).i32(1).op(I32_ADD).set(LEFT);
  b.get(LEFT).i32(1).op(I32_ADD).set(RIGHT);
  b.get(LEFT).get(K).op(I32_GE_U, BR_IF, 1);
  hv(LEFT).op(F64_LOAD, 3, 0).set(VL);
  b.get(RIGHT).get(K).op(I32_GE_U, IF, VOID);
  // Only a left child: swap when it is above the key.
  b.get(VL).get(VAL).op(F64_GT, IF, VOID).get(LEFT).set(SWAP).op(ELSE, BR, 3, END);
  b.op(ELSE);
  hv(RIGHT).op(F64_LOAD, 3, 0).set(VR);
  // (Here the `if`s nest one deeper: the sift's end is four labels out.)
  b.get(VL).get(VR).op(F64_GE, IF, VOID);
  b.get(VAL).get(VL).op(F64_LT, IF, VOID).get(LEFT).set(SWAP).op(ELSE, BR, 4, END);
  b.op(ELSE);
  b.get(VAL).get(VR).op(F64_LT, IF, VOID).get(RIGHT).set(SWAP).op(ELSE, BR, 4, END);
  b.op(END);
  b.op(END);
  // The child moves up; the key goes on down.
  hv(CUR);
  hv(SWAP).op(F64_LOAD, 3, 0).op(F64_STORE, 3, 0);
  hi(CUR);
  hi(SWAP).op(I32_LOAD, 2, 0).op(I32_STORE, 2, 0);
  b.get(SWAP).set(CUR);
  b.op(BR, 0, END, END);
  hv(CUR);
  b.get(VAL).op(F64_STORE, 3, 0);
  hi(CUR);
  b.get(J).op(I32_STORE, 2, 0);
  b.op(END);
  b.get(J).i32(1).op(I32_ADD).set(J);
  b.op(BR, 0, END, END, END);
  return [2, 5, I32, 3, F64, ...b.c];
}
