/**
 * @module The worker thread behind `modelserve bench <model>`: serves the target on 127.0.0.1 and an
 * ephemeral port on its own event loop, so the load generator does not share one with the server.
 */

import { parentPort, workerData } from "node:worker_threads";
import pino from "pino";
import { isModelServeError } from "../errors.ts";
import { deployTarget, type TargetKind } from "./targets.ts";

const { target, kind } = workerData as { target: string; kind: Exclude<TargetKind, "url"> };
const port = parentPort!;

try {
  const svc = await deployTarget(target, kind, {
    host: "127.0.0.1",
    port: 0,
    logger: pino({ level: "silent" }),
    // Only the target decides what is served: MODELSERVE_* variables of the shell do not apply.
    env: {},
  });
  port.once("message", () => {
    svc.close().then(
      () => port.postMessage({ closed: true }),
      () => port.postMessage({ closed: true }),
    );
  });
  port.postMessage({ url: svc.url });
} catch (err) {
  port.postMessage({
    error: err instanceof Error ? err.message : String(err),
    code: isModelServeError(err) ? err.code : undefined,
  });
}
