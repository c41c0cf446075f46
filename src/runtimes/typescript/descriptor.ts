/** @module The TypeScript runtime's name, extensions and sniff (see ../descriptor.ts). */

import type { RuntimeDescriptor } from "../descriptor.ts";

/** TypeScript and JavaScript modules exporting a model definition. */
export const typescriptDescriptor: RuntimeDescriptor = {
  name: "typescript",
  extensions: [".ts", ".mts", ".js", ".mjs"],
  sniff: (_bytes, fileName) => /\.(m?ts|m?js)$/i.test(fileName),
};
