/**
 * @module XGBoost's linear booster (`booster="gblinear"`): one weight per feature and output group plus a bias,
 * saved as `weights[(num_feature + 1) × groups]` with the biases last. Its margin follows `GBLinear::Pred` in
 * float32: `bias + base margin`, then `+ x · w` for every present (non-missing) feature in index order, each
 * product and sum rounded to float32. Ref: XGBoost `src/gbm/gblinear.cc`, `gblinear_model.h`.
 */

const f32 = Math.fround;

/** Margins of a linear booster: rows × groups, float32 values. */
export type LinearMargins = (x: Float64Array, rows: number, cols: number) => Float64Array;

/**
 * Compiles the weights of a gblinear model. Throws a plain Error with a message when the weights do not
 * match the feature and group counts (the caller reports it as an invalid model).
 */
export function linearMargins(
  weightsIn: ArrayLike<number>,
  numFeature: number,
  groups: number,
  baseMargin: Float64Array,
): LinearMargins {
  if (weightsIn.length !== (numFeature + 1) * groups)
    throw new Error(
      `gblinear has ${weightsIn.length} weights for ${numFeature} features and ${groups} outputs (expected ${(numFeature + 1) * groups})`,
    );
  const w = Float64Array.from(weightsIn, (v) => f32(v));
  return (x, rows, cols) => {
    if (cols !== numFeature) throw new Error(`rows have ${cols} features, the model ${numFeature}`);
    const out = new Float64Array(rows * groups);
    for (let r = 0; r < rows; r++) {
      for (let g = 0; g < groups; g++) {
        let psum = f32(w[numFeature * groups + g] + baseMargin[g]);
        for (let f = 0; f < numFeature; f++) {
          const v = x[r * cols + f];
          if (Number.isNaN(v)) continue;
          psum = f32(psum + f32(f32(v) * w[f * groups + g]));
        }
        out[r * groups + g] = psum;
      }
    }
    return out;
  };
}
