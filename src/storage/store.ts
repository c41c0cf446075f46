/**
 * @module What the cache needs from an object store: an object's metadata, its body (conditionally on
 * an ETag), and a listing. S3 and HTTPS implement it; each maps its failures to the stable
 * `MS_STORAGE_*` errors, and tells retryable failures apart.
 */

import type { Readable } from "node:stream";

/** Metadata of one object. */
export interface ObjectInfo {
  readonly size?: number;
  /** The store's entity tag (quotes kept as the store sent them). */
  readonly etag?: string;
  /** S3 object version, when the bucket is versioned. */
  readonly versionId?: string;
}

/** One listed object. */
export interface ListedObject extends ObjectInfo {
  readonly key: string;
}

/** A body, or a 304 answer to a conditional request. */
export type GetResult = { readonly body: Readable; readonly info: ObjectInfo } | "not-modified";

/** A place objects are read from. */
export interface ObjectStore {
  /** The object at `key`; `ifNoneMatch` turns an unchanged object into `"not-modified"`. */
  get(
    key: string,
    options: { readonly ifNoneMatch?: string; readonly signal: AbortSignal },
  ): Promise<GetResult>;
  /** Every object under a prefix (S3 only). */
  list?(prefix: string, signal: AbortSignal): Promise<ListedObject[]>;
}

/** A failure worth retrying (network, timeout, throttling, 5xx), as opposed to not found or denied. */
export class RetryableError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "RetryableError";
  }
}
