/**
 * @module Builder of LabelEncoder, a transformer of targets: a label maps to its index in the sorted
 * `classes_` (`np.searchsorted`), an unseen label is refused (as scikit-learn's "previously unseen labels").
 * Served alone, its one input is a category named `text` (the name every single-string-input model
 * takes here); inside a container file it decodes a classifier's integer labels (see containers.ts).
 * Ref: sklearn `preprocessing/_label.py`.
 */

import type { PyObject } from "../../../../formats/pickle/py-objects.ts";
import type { FeatureSpec, Label } from "../../../runtime.ts";
import { DataError } from "../../data.ts";
import type { BuildContext, DenseData, SkEstimator } from "../../estimator.ts";
import { labels, need } from "../../py-access.ts";

/** `classes_` of a fitted LabelEncoder. */
export function labelEncoderClasses(o: PyObject): Label[] {
  return labels(need(o, "classes_"), "LabelEncoder.classes_");
}

/** LabelEncoder: label → code. */
export function labelEncoder(o: PyObject, _ctx: BuildContext): SkEstimator {
  const classes = labelEncoderClasses(o);
  const code = new Map<string, number>();
  const key = (v: Label) => (typeof v === "string" ? `s:${v}` : `n:${Number(v)}`);
  for (const [i, c] of classes.entries()) code.set(key(c), i);
  return {
    className: o.name,
    role: "transformer",
    nFeaturesIn: 1,
    inputSpecs: (): FeatureSpec[] => [
      { name: "text", dtype: "category", categories: classes, nullable: false },
    ],
    transform(x): DenseData {
      const out = new Float64Array(x.rows);
      for (let r = 0; r < x.rows; r++) {
        let v: Label | null;
        if (x.kind === "frame") {
          if (x.columns.length !== 1) throw new DataError("LabelEncoder takes one column of labels");
          const col = x.columns[0].values;
          v = col instanceof Float64Array ? col[r] : col[r];
        } else if (x.kind === "dense" && x.cols === 1) v = x.data[r];
        else throw new DataError("LabelEncoder takes one column of labels");
        const i = v === null ? undefined : code.get(key(v));
        if (i === undefined) throw new DataError(`y contains a previously unseen label: ${String(v)}`);
        out[r] = i;
      }
      return { kind: "dense", rows: x.rows, cols: 1, data: out };
    },
  };
}
