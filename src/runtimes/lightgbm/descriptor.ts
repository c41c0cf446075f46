/** @module The LightGBM runtime's name, extensions and sniff (see ../descriptor.ts). */

import type { RuntimeDescriptor } from "../descriptor.ts";

const HEAD = new TextDecoder("latin1");

/** `save_model` text files. */
export const lightgbmDescriptor: RuntimeDescriptor = {
  name: "lightgbm",
  extensions: [".txt", ".lgb", ".lgbm", ".model"],
  sniff: (bytes) => {
    const head = HEAD.decode(bytes.subarray(0, 512));
    return /^tree\r?\n/.test(head) && /\nversion=v\d/.test(head);
  },
};
