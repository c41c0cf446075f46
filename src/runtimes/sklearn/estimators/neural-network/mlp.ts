/**
 * @module Builders of `MLPClassifier` and `MLPRegressor`: the forward pass over `coefs_` and
 * `intercepts_` (products as OpenBLAS' GEMM FMA chains, or its GEMV lanes for a single output, then
 * the bias added), the hidden activation and `out_activation_`, and the label binarizer's rules for
 * binary, multiclass and multilabel outputs. Ref: sklearn `neural_network/_multilayer_perceptron.py`,
 * `_base.py`, `preprocessing/_label.py` (`LabelBinarizer.inverse_transform`).
 */

import { Errors } from "../../../../errors.ts";
import type { PyObject } from "../../../../formats/pickle/py-objects.ts";
import { libmExp } from "../../../common/libm-exp.ts";
import { type ChainDots, chainDotsKernel, type GemvDots, gemvKernel } from "../../../common/wasm-fma.ts";
import type { Label, Matrix } from "../../../runtime.ts";
import { dense, matrix } from "../../data.ts";
import type { BuildContext, DenseData, SkData, SkEstimator } from "../../estimator.ts";
import { gemmDot, gemvDot, sumSlice } from "../../numeric.ts";
import { attr, floats, isObject, labels, need, str, strings } from "../../py-access.ts";

type Activation = (v: Float64Array, rows: number, cols: number) => void;

const ACTIVATIONS: Readonly<Record<string, Activation>> = {
  identity: () => {},
  // scipy's expit: 1 / (1 + exp(−x)).
  logistic: (v) => {
    for (let i = 0; i < v.length; i++) v[i] = 1 / (1 + libmExp(-v[i]));
  },
  tanh: (v) => {
    for (let i = 0; i < v.length; i++) v[i] = Math.tanh(v[i]);
  },
  relu: (v) => {
    for (let i = 0; i < v.length; i++) v[i] = Math.max(v[i], 0);
  },
  exp: (v) => {
    for (let i = 0; i < v.length; i++) v[i] = Math.exp(v[i]);
  },
  softmax: (v, rows, cols) => {
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      let mx = v[o];
      for (let c = 1; c < cols; c++) if (v[o + c] > mx) mx = v[o + c];
      for (let c = 0; c < cols; c++) v[o + c] = Math.exp(v[o + c] - mx);
      const s = sumSlice(v, o, cols);
      for (let c = 0; c < cols; c++) v[o + c] /= s;
    }
  },
};

function activationOf(name: string | undefined, o: PyObject, ctx: BuildContext): Activation {
  const f = name === undefined ? undefined : ACTIVATIONS[name];
  if (!f) throw Errors.unsupportedModel(ctx.file, `${o.name} with activation ${JSON.stringify(name)}`);
  return f;
}

interface Network {
  readonly nFeatures: number;
  readonly nOut: number;
  forward(x: SkData): Matrix;
}

function networkOf(o: PyObject, ctx: BuildContext): Network {
  const coefs = need(o, "coefs_");
  const intercepts = need(o, "intercepts_");
  if (
    !Array.isArray(coefs) ||
    !Array.isArray(intercepts) ||
    coefs.length !== intercepts.length ||
    coefs.length === 0
  )
    throw Errors.invalidModel(ctx.file, `${o.name}.coefs_ and intercepts_ are not matching lists`);
  const layers = coefs.map((c, i) => {
    const w = floats(c, `${o.name}.coefs_[${i}]`);
    const b = floats(intercepts[i], `${o.name}.intercepts_[${i}]`).data;
    if (w.shape.length !== 2 || b.length !== w.shape[1])
      throw Errors.invalidModel(ctx.file, `${o.name} layer ${i} has mismatched shapes`);
    // The layer's products with the processor's fused multiply-add (wasm-fma.ts): the same FMA chains as
    // gemmDot (or, for one unit, gemvDot's lanes), made at the first call; null where the engine cannot.
    const layer: Layer = {
      w: w.data,
      nIn: w.shape[0],
      nOut: w.shape[1],
      b,
      products: undefined,
    };
    return layer;
  });
  for (let i = 1; i < layers.length; i++)
    if (layers[i].nIn !== layers[i - 1].nOut)
      throw Errors.invalidModel(ctx.file, `${o.name} layer ${i} does not chain`);
  const hiddenName = str(attr(o, "activation")) ?? "relu";
  const hidden = activationOf(hiddenName, o, ctx);
  const hiddenRelu = hiddenName === "relu";
  const output = activationOf(str(need(o, "out_activation_")), o, ctx);
  return {
    nFeatures: layers[0].nIn,
    nOut: layers[layers.length - 1].nOut,
    forward(x) {
      const d = dense(x);
      let a = d.data;
      let width = d.cols;
      layers.forEach((l, i) => {
        const next = new Float64Array(d.rows * l.nOut);
        // Unit j's weights are column j of coefs_ (row-major nIn × nOut).
        const last = i === layers.length - 1;
        // A hidden ReLU layer's intercepts and activation go into the kernel too (applied to the same
        // values in the same order: v + b, then max(v, 0)); other layers add theirs here.
        const fused = l.nOut > 1 && !last && hiddenRelu;
        if (l.products === undefined)
          l.products =
            (l.nOut === 1
              ? gemvKernel(l.w, l.nIn)
              : chainDotsKernel(l.w, l.nOut, l.nIn, 1, l.nOut, 0, { bias: l.b, relu: fused })) ?? null;
        if (l.products !== null) {
          l.products(a, 0, width, d.rows, next, 0);
          if (l.nOut === 1) for (let r = 0; r < d.rows; r++) next[r] += l.b[0];
        } else
          for (let r = 0; r < d.rows; r++)
            for (let j = 0; j < l.nOut; j++)
              next[r * l.nOut + j] =
                (l.nOut === 1
                  ? gemvDot(a, r * width, l.w, 0, 1, l.nIn)
                  : gemmDot(a, r * width, 1, l.w, j, l.nOut, l.nIn)) + l.b[j];
        if (!(fused && l.products !== null)) (last ? output : hidden)(next, d.rows, l.nOut);
        a = next;
        width = l.nOut;
      });
      return matrix(d.rows, width, a);
    },
  };
}

/** Builder of `MLPClassifier`. */
export function classifier(o: PyObject, ctx: BuildContext): SkEstimator {
  const net = networkOf(o, ctx);
  const lb = attr(o, "_label_binarizer");
  const yType = isObject(lb) ? str(attr(lb, "y_type_")) : undefined;
  const classes = labels(
    attr(o, "classes_") ?? (isObject(lb) ? need(lb, "classes_") : need(o, "classes_")),
    `${o.name}.classes_`,
  );
  const kind = yType ?? (classes.length === 2 ? "binary" : "multiclass");
  if (kind !== "binary" && kind !== "multiclass" && kind !== "multilabel-indicator")
    throw Errors.unsupportedModel(ctx.file, `${o.name} trained on ${kind} targets`);
  const base = {
    className: o.name,
    role: "classifier" as const,
    nFeaturesIn: net.nFeatures,
    featureNamesIn: strings(attr(o, "feature_names_in_")),
    classes,
  };
  if (kind === "multilabel-indicator") {
    // One 0/1 output per label, answered like every multi-output classifier: the indicator row, and per
    // output [P(0), P(1)] (scikit-learn's predict_proba is the P(1) column of each).
    const { classes: _labels, ...inputs } = base;
    return {
      ...inputs,
      role: "regressor",
      nOutputs: classes.length,
      outputClasses: classes.map(() => [0, 1]),
      outputNames: classes.map(String),
      predict(x): DenseData {
        const p = net.forward(x);
        return {
          kind: "dense",
          rows: p.rows,
          cols: p.cols,
          data: Float64Array.from(p.data, (v) => (v > 0.5 ? 1 : 0)),
        };
      },
      predictProba(x): Matrix {
        const p = net.forward(x);
        const out = new Float64Array(p.rows * p.cols * 2);
        for (let i = 0; i < p.data.length; i++) {
          out[2 * i] = 1 - p.data[i];
          out[2 * i + 1] = p.data[i];
        }
        return matrix(p.rows, p.cols * 2, out);
      },
    };
  }
  if (kind === "binary") {
    return {
      ...base,
      predict: (x): Label[] => Array.from(net.forward(x).data, (p) => classes[p > 0.5 ? 1 : 0]),
      predictProba(x): Matrix {
        const p = net.forward(x);
        const out = new Float64Array(p.rows * 2);
        for (let r = 0; r < p.rows; r++) {
          out[2 * r] = 1 - p.data[r];
          out[2 * r + 1] = p.data[r];
        }
        return matrix(p.rows, 2, out);
      },
    };
  }
  return {
    ...base,
    predict(x): Label[] {
      const p = net.forward(x);
      const out: Label[] = new Array(p.rows);
      for (let r = 0; r < p.rows; r++) {
        let best = 0;
        for (let c = 1; c < p.cols; c++) if (p.data[r * p.cols + c] > p.data[r * p.cols + best]) best = c;
        out[r] = classes[best];
      }
      return out;
    },
    predictProba: (x) => net.forward(x),
  };
}

/** Builder of `MLPRegressor`. */
export function regressor(o: PyObject, ctx: BuildContext): SkEstimator {
  const net = networkOf(o, ctx);
  return {
    className: o.name,
    role: "regressor",
    nFeaturesIn: net.nFeatures,
    featureNamesIn: strings(attr(o, "feature_names_in_")),
    nOutputs: net.nOut,
    predict(x): DenseData {
      const p = net.forward(x);
      return { kind: "dense", rows: p.rows, cols: p.cols, data: p.data };
    },
  };
}

/** A layer: weights (row-major nIn × nOut), intercepts, and its products' kernel once made. */
interface Layer {
  readonly w: Float64Array;
  readonly nIn: number;
  readonly nOut: number;
  readonly b: Float64Array;
  products: ChainDots | GemvDots | null | undefined;
}
