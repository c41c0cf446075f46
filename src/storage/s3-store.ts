/**
 * @module S3 and S3-compatible stores through the official AWS SDK, loaded only when an `s3://` source
 * is used. Credentials come from the SDK's standard chain (environment, shared profile, web identity
 * / IRSA, container and instance metadata); modelserve never reads, logs or shows them.
 */

import type { Readable } from "node:stream";
import { Errors } from "../errors.ts";
import { type GetResult, type ListedObject, type ObjectStore, RetryableError } from "./store.ts";

/** Options of {@link S3Store}. */
export interface S3Options {
  readonly endpoint?: string;
  readonly region?: string;
  readonly forcePathStyle?: boolean;
  /** Connection and request timeout, ms. */
  readonly timeoutMs: number;
}

type Sdk = typeof import("@aws-sdk/client-s3");
let sdk: Promise<Sdk> | undefined;

/** The SDK, imported once on first use (it is large and most servers never need it). */
function loadSdk(): Promise<Sdk> {
  sdk ??= import("@aws-sdk/client-s3").catch(() => {
    sdk = undefined;
    throw Errors.runtimeDependencyMissing("s3:// source", "@aws-sdk/client-s3");
  });
  return sdk;
}

interface SdkError {
  readonly name?: string;
  readonly code?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
  readonly message?: string;
}

/** Maps an SDK failure to a stable error, or a retryable one. */
export function s3Failure(err: unknown, where: string): Error {
  const e = err as SdkError;
  const status = e.$metadata?.httpStatusCode;
  const name = e.name ?? e.code ?? "";
  if (status === 404 || name === "NoSuchKey" || name === "NotFound" || name === "NoSuchBucket")
    return Errors.storageNotFound(where);
  if (
    status === 401 ||
    status === 403 ||
    /AccessDenied|InvalidAccessKeyId|SignatureDoesNotMatch|Forbidden/.test(name)
  )
    return Errors.storageAccessDenied(where, name || `HTTP ${status}`);
  // Throttling, 5xx, timeouts, refused connections: worth another try.
  return new RetryableError(
    `${name || "error"}${status ? ` (HTTP ${status})` : ""}: ${e.message ?? String(err)}`,
    err,
  );
}

/** One S3 bucket. */
export class S3Store implements ObjectStore {
  readonly #bucket: string;
  readonly #client: Promise<InstanceType<Sdk["S3Client"]>>;

  constructor(bucket: string, options: S3Options) {
    this.#bucket = bucket;
    this.#client = loadSdk().then(
      (s) =>
        new s.S3Client({
          ...(options.endpoint ? { endpoint: options.endpoint } : {}),
          ...(options.region ? { region: options.region } : {}),
          forcePathStyle: options.forcePathStyle === true,
          // modelserve retries itself, with its own backoff and limits.
          maxAttempts: 1,
          requestHandler: { connectionTimeout: options.timeoutMs, requestTimeout: options.timeoutMs },
        }),
    );
  }

  #where(key: string): string {
    return `s3://${this.#bucket}/${key}`;
  }

  async get(key: string, options: { ifNoneMatch?: string; signal: AbortSignal }): Promise<GetResult> {
    const { GetObjectCommand } = await loadSdk();
    const client = await this.#client;
    try {
      const out = await client.send(
        new GetObjectCommand({ Bucket: this.#bucket, Key: key, IfNoneMatch: options.ifNoneMatch }),
        { abortSignal: options.signal },
      );
      return {
        body: out.Body as Readable,
        info: { size: out.ContentLength, etag: out.ETag, versionId: out.VersionId },
      };
    } catch (err) {
      if ((err as SdkError).$metadata?.httpStatusCode === 304) return "not-modified";
      throw s3Failure(err, this.#where(key));
    }
  }

  async list(prefix: string, signal: AbortSignal): Promise<ListedObject[]> {
    const { ListObjectsV2Command } = await loadSdk();
    const client = await this.#client;
    const out: ListedObject[] = [];
    let token: string | undefined;
    do {
      try {
        const page = await client.send(
          new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: prefix, ContinuationToken: token }),
          { abortSignal: signal },
        );
        for (const o of page.Contents ?? []) if (o.Key) out.push({ key: o.Key, size: o.Size, etag: o.ETag });
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } catch (err) {
        throw s3Failure(err, this.#where(prefix));
      }
    } while (token);
    return out;
  }
}
