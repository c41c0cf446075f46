/**
 * @module The connections of a listening server, tracked for two jobs: limits (total and per client
 * IP, refused at accept time) and a graceful close (after the listener closes, every answer carries
 * `Connection: close`, and a keep-alive connection is closed only once it has been idle long enough
 * that its client is not about to reuse it — closing a socket the client just wrote to resets that
 * request).
 */

import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";

/** Limits of {@link ConnectionTracker}. */
export interface ConnectionLimits {
  /** Most open connections; later ones are closed at once (0: no limit). */
  readonly maxConnections?: number;
  /** Most open connections from one client IP; later ones are closed at once (0: no limit). */
  readonly maxConnectionsPerIp?: number;
}

interface SocketState {
  busy: number;
  lastActive: number;
  /** The latest response on the connection (the one a graceful close must still mark). */
  res: ServerResponse | undefined;
}

// Each tracked socket carries its state under this key, so a request finds it without a map lookup.
const STATE = Symbol("modelserve.connection");
type Tracked = { [STATE]?: SocketState };

/**
 * Ends a response's share of its connection's work. One function for every response (registered with
 * `on`, not `once`, and bound to nothing): a request costs no closure and no listener wrapper.
 */
function onResponseClose(this: ServerResponse): void {
  const state = (this.req?.socket as Tracked | undefined)?.[STATE];
  if (state === undefined) return;
  state.busy--;
  state.lastActive = performance.now();
  if (state.res === this) state.res = undefined;
}

/** How long a connection must have been idle before a graceful close ends it (ms). */
export const IDLE_GRACE_MS = 1000;

/** Connection bookkeeping for one server; see the module comment. */
export class ConnectionTracker {
  readonly #states = new Map<Socket, SocketState>();
  readonly #perIp = new Map<string, number>();
  readonly #maxPerIp: number;
  readonly #tls: boolean;
  #closing = false;
  /** Connections refused by the total or per-IP limit. */
  refused = 0;

  constructor(server: Server, limits: ConnectionLimits = {}) {
    this.#maxPerIp = limits.maxConnectionsPerIp ?? 0;
    this.#tls = typeof (server as { addContext?: unknown }).addContext === "function";
    // Node refuses connections past `maxConnections` itself, before any JavaScript runs for them.
    if (limits.maxConnections && limits.maxConnections > 0) server.maxConnections = limits.maxConnections;
    server.on("drop", () => {
      this.refused++;
    });
    server.on("connection", (socket: Socket) => this.#accept(socket));
    // TLS: requests arrive on the TLS socket, not the TCP one seen by "connection".
    server.on("secureConnection", (socket: Socket) => this.#track(socket));
    server.on("request", (req: IncomingMessage, res: ServerResponse) => this.#request(req, res));
    // Node's `server.close()` closes idle connections at once; while closing gracefully, only those idle
    // past the grace are closed (the rest close after their next answer).
    server.closeIdleConnections = () => this.closeIdle(this.#closing ? IDLE_GRACE_MS : 0);
  }

  /** Open connections (TCP). */
  get size(): number {
    let n = 0;
    for (const c of this.#perIp.values()) n += c;
    return n;
  }

  #accept(socket: Socket): void {
    const ip = socket.remoteAddress ?? "";
    const n = this.#perIp.get(ip) ?? 0;
    if (this.#maxPerIp > 0 && n >= this.#maxPerIp) {
      this.refused++;
      socket.destroy();
      return;
    }
    this.#perIp.set(ip, n + 1);
    socket.once("close", () => {
      const left = (this.#perIp.get(ip) ?? 1) - 1;
      if (left <= 0) this.#perIp.delete(ip);
      else this.#perIp.set(ip, left);
    });
    if (!this.#tls) this.#track(socket);
  }

  #track(socket: Socket): void {
    const state: SocketState = { busy: 0, lastActive: performance.now(), res: undefined };
    (socket as Tracked)[STATE] = state;
    this.#states.set(socket, state);
    socket.once("close", () => this.#states.delete(socket));
  }

  // Runs for every request: kept to a property read, two writes and one shared listener (a closure and
  // a `once` wrapper per request measured ~4 µs of a ~35 µs single-row request, garbage collection included).
  #request(req: IncomingMessage, res: ServerResponse): void {
    const state = (req.socket as Tracked)[STATE];
    if (state !== undefined) {
      state.busy++;
      state.res = res;
    }
    if (this.#closing) res.shouldKeepAlive = false;
    res.on("close", onResponseClose);
  }

  /**
   * Starts a graceful close: answers not yet started, and every later one, carry `Connection: close`
   * (the connection ends after them).
   */
  beginClose(): void {
    this.#closing = true;
    for (const s of this.#states.values())
      if (s.busy > 0 && s.res !== undefined && !s.res.headersSent) s.res.shouldKeepAlive = false;
  }

  /** Closes connections with no request in progress that have been idle at least `graceMs`. */
  closeIdle(graceMs: number): void {
    const now = performance.now();
    for (const [socket, s] of this.#states) {
      if (s.busy === 0 && now - s.lastActive >= graceMs) socket.destroy();
    }
  }

  /** Closes every connection, busy or not (the shutdown deadline passed). */
  closeAll(): void {
    for (const socket of this.#states.keys()) socket.destroy();
  }
}

const trackers = new WeakMap<Server, ConnectionTracker>();

/** Tracks `server`'s connections (once; later calls return the same tracker). */
export function trackConnections(server: Server, limits: ConnectionLimits = {}): ConnectionTracker {
  let t = trackers.get(server);
  if (!t) {
    t = new ConnectionTracker(server, limits);
    trackers.set(server, t);
  }
  return t;
}

/** The tracker of a server, if {@link trackConnections} was called for it. */
export function connectionsOf(server: Server): ConnectionTracker | undefined {
  return trackers.get(server);
}
