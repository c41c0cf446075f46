/**
 * @module Runs the gRPC service alongside an app: started before the HTTP listener, closed by the
 * app's own graceful close (readiness turns false first, running calls finish, then the port closes).
 * `@grpc/grpc-js` and `@grpc/proto-loader` are optional peer dependencies, loaded only when a gRPC
 * port is configured.
 */

import type { Logger } from "pino";
import { Errors } from "../../../errors.ts";
import type { App } from "../../app.ts";
import type { GrpcServerHandle } from "./server.ts";

/** Options of {@link attachGrpc}. */
export interface AttachGrpcOptions {
  readonly host: string;
  readonly port: number;
  readonly logger: Logger;
  /** Longest wait for running calls at close, in ms (default 30 000). */
  readonly drainMs?: number;
}

/** Starts the gRPC service for `app` and ties its shutdown to the app's. Call before `listen`. */
export async function attachGrpc(app: App, opts: AttachGrpcOptions): Promise<GrpcServerHandle> {
  let mod: typeof import("./server.ts");
  try {
    mod = await import("./server.ts");
  } catch (err) {
    if ((err as { code?: string }).code === "ERR_MODULE_NOT_FOUND")
      throw Errors.runtimeDependencyMissing("gRPC (--grpc-port)", "@grpc/grpc-js @grpc/proto-loader");
    throw err;
  }
  const handle = await mod.startGrpcServer(app.context, opts);
  app.fastify.addHook("onClose", async () => handle.close(opts.drainMs ?? 30_000));
  opts.logger.info({ grpcPort: handle.port }, "gRPC (Open Inference Protocol) listening");
  return handle;
}
