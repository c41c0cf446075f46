/** @module The scikit-learn runtime's name, extensions and sniff (see ../descriptor.ts). */

import { detectCompression } from "../../formats/compression/detect.ts";
import type { RuntimeDescriptor } from "../descriptor.ts";

/** joblib and pickle files, compressed or not. */
export const sklearnDescriptor: RuntimeDescriptor = {
  name: "sklearn",
  extensions: [".joblib", ".pkl", ".pickle", ".sav", ".z", ".gz", ".bz2", ".xz", ".lzma", ".lz4"],
  sniff: (bytes) => {
    const kind = detectCompression(bytes);
    return kind !== undefined && kind !== "joblib-zf" && (kind !== "none" || bytes.byteLength > 2);
  },
};
