/** @module The XGBoost runtime's name, extensions and sniff (see ../descriptor.ts). */

import type { RuntimeDescriptor } from "../descriptor.ts";

const ASCII = new TextDecoder("latin1");

/** Whether bytes look like an XGBoost model: JSON or UBJSON whose head names the learner. */
function looksLikeXgboost(bytes: Uint8Array): boolean {
  let i = 0;
  while (
    i < bytes.length &&
    (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)
  )
    i++;
  if (bytes[i] !== 0x7b) return false;
  const head = ASCII.decode(bytes.subarray(i, Math.min(bytes.length, i + 65536)));
  return head.includes("learner") || head.includes("Config");
}

/** `save_model` files: JSON or UBJSON. */
export const xgboostDescriptor: RuntimeDescriptor = {
  name: "xgboost",
  extensions: [".json", ".ubj", ".xgb"],
  sniff: (bytes) => looksLikeXgboost(bytes),
};
