/**
 * Child of young-generation.test.ts: applies a ceiling (argv: MB, then the Node options to assume),
 * then allocates for 1.5 s while keeping a window of recent objects alive — a server's requests in
 * flight — and prints the young generation's size, MB: every sample, and the last.
 */
import {
  capYoungGeneration,
  watchingCollections,
  youngGenerationBytes,
} from "../../src/cli/young-generation.ts";

capYoungGeneration(Number(process.argv[2]), process.argv[3] ?? "");
const watchingAtStart = watchingCollections();
const window: unknown[] = new Array(30_000);
const samples: number[] = [];
const end = Date.now() + 1500;
for (let i = 0; Date.now() < end; ) {
  for (let k = 0; k < 20_000; k++, i++) window[i % window.length] = { i, pair: [i, i + 1] };
  samples.push(youngGenerationBytes() / 2 ** 20);
  await new Promise((r) => setImmediate(r));
}
process.stdout.write(
  JSON.stringify({
    samples,
    last: youngGenerationBytes() / 2 ** 20,
    watchingAtStart,
    watchingAtEnd: watchingCollections(),
  }),
);
