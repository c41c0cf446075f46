/**
 * @module Load-time consistency checks of an ONNX classifier or regressor beyond what onnxruntime
 * verifies: declared input widths bounded relative to the file, and class labels (ZipMap and the ML
 * classifier node) agreeing with each other and with the probability tensor's width, so a label is
 * never read past the list.
 */

import { Errors } from "../../errors.ts";
import { MAX_MODEL_FEATURES, relativeCap } from "../common/model-bounds.ts";
import type { OnnxFileInfo } from "./parse-model.ts";

/** What the checks need of onnxruntime's tensor metadata. */
interface TensorMeta {
  readonly name: string;
  readonly shape?: readonly (number | string)[];
}

/** Fails unless every fixed row dimension is a sane integer and a row holds at most the feature cap. */
export function checkInputWidths(inputs: readonly TensorMeta[], fileBytes: number, fileName: string): void {
  const cap = relativeCap(fileBytes, MAX_MODEL_FEATURES);
  for (const m of inputs) {
    let row = 1;
    for (const d of (m.shape ?? []).slice(1)) if (typeof d === "number" && d > 0) row *= d;
    if (row > cap)
      throw Errors.inconsistentModel(
        fileName,
        `input ${m.name} declares ${row} values per row; at most ${cap} for a file of ${fileBytes} bytes`,
      );
  }
}

/** Fails when the file's class lists disagree with each other or with the probability tensor. */
export function checkClassLists(info: OnnxFileInfo, proba: TensorMeta | undefined, fileName: string): void {
  const zip = info.zipmaps[0]?.classes;
  if (zip && zip.length > 0 && info.classes && info.classes.length !== zip.length)
    throw Errors.inconsistentModel(
      fileName,
      `ZipMap lists ${zip.length} classes, the classifier node ${info.classes.length}`,
    );
  const classes = zip && zip.length > 0 ? zip : info.classes;
  const width = proba?.shape?.[1];
  if (classes && typeof width === "number" && width > 0 && width !== classes.length)
    throw Errors.inconsistentModel(
      fileName,
      `the probability output ${proba!.name} has ${width} columns for ${classes.length} class labels`,
    );
}
