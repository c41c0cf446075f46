/**
 * @module A compute-bound stand-in model for `bench:stats`: each row costs about BUSY_MS milliseconds
 * of CPU (default 3) and the answer is a small number, so request time is dominated by the model,
 * not by moving bytes — what a server-side latency measure can be compared on.
 */

import { defineModel } from "modelserve";

const budget = Number(process.env.BUSY_MS ?? 3);

export default defineModel({
  name: "busy",
  version: "1",
  inputs: { x: "float" },
  predict: (rows) =>
    rows.map((r) => {
      const end = performance.now() + budget;
      let acc = r.x as number;
      while (performance.now() < end) for (let i = 0; i < 1000; i++) acc = Math.sin(acc) + 1;
      return acc;
    }),
});
