/** @module The ONNX runtime's name, extensions and sniff (see ../descriptor.ts). */

import type { RuntimeDescriptor } from "../descriptor.ts";

/** ONNX exports. */
export const onnxDescriptor: RuntimeDescriptor = {
  name: "onnx",
  extensions: [".onnx"],
  // ModelProto starts with ir_version (field 1, varint: 0x08) in every exporter's output.
  sniff: (bytes, fileName) => bytes[0] === 0x08 && /\.onnx$/i.test(fileName),
};
