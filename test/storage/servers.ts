/**
 * @module Test servers for remote sources, all on 127.0.0.1: a real S3-compatible server (s3rver)
 * with objects uploaded by the AWS SDK, behind a small proxy that counts body downloads and can go
 * down or cut a body short; and an HTTPS server with a self-signed certificate (openssl).
 */

import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer as createHttp, request, type Server } from "node:http";
import { createServer as createHttps } from "node:https";
import { join } from "node:path";
import { CreateBucketCommand, DeleteObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import S3rver from "s3rver";
import { tempDir } from "../temp-dir.ts";

/** s3rver's fixed credentials (they are test values, but still must never appear in output). */
export const ACCESS_KEY = "S3RVER";
export const SECRET_KEY = "S3RVER";

/** A running S3 server behind a proxy. */
export interface S3Fixture {
  /** The proxy's endpoint, what modelserve talks to. */
  readonly endpoint: string;
  readonly client: S3Client;
  /** Bodies served with 200 to GET requests, by key. */
  readonly bodies: Map<string, number>;
  put(key: string, body: Uint8Array | string): Promise<void>;
  remove(key: string): Promise<void>;
  /** While true, the proxy answers every request by closing the connection. */
  down: boolean;
  /** Cuts the next N object bodies after half their bytes. */
  truncateNext: number;
  close(): Promise<void>;
}

/** Starts s3rver with a bucket, and the proxy in front of it. */
export async function startS3(bucket = "models"): Promise<S3Fixture> {
  const server = new S3rver({
    port: 0,
    address: "127.0.0.1",
    silent: true,
    directory: tempDir("s3rver"),
  });
  const { port: s3port } = (await server.run()) as { port: number };
  const fixture = { down: false, truncateNext: 0, bodies: new Map<string, number>() } as S3Fixture & {
    down: boolean;
    truncateNext: number;
  };
  // s3rver writes an object's files one after the other, so a listing made during a PUT can see the
  // object half-written (or miss its neighbours); S3 makes a PUT visible at once. Listings and the
  // fixture's PUTs exclude each other here, which is how S3's atomic writes look from outside.
  let puts = 0;
  let putsDone: Promise<void> = Promise.resolve();
  let settlePuts = () => {};
  let lists = 0;
  let listsDone: Promise<void> = Promise.resolve();
  let settleLists = () => {};
  const proxy: Server = createHttp(async (req, res) => {
    if (fixture.down) {
      req.socket.destroy();
      return;
    }
    const isList = (req.url ?? "").includes("list-type");
    if (isList) {
      while (puts > 0) await putsDone;
      if (lists++ === 0) listsDone = new Promise<void>((r) => (settleLists = r));
      res.on("close", () => {
        if (--lists === 0) settleLists();
      });
    }
    const up = request(
      { host: "127.0.0.1", port: s3port, path: req.url, method: req.method, headers: req.headers },
      (upRes) => {
        const key = decodeURIComponent((req.url ?? "").split("?")[0].replace(/^\/[^/]+\//, ""));
        const isBody =
          req.method === "GET" && upRes.statusCode === 200 && !(req.url ?? "").includes("list-type");
        if (isBody) fixture.bodies.set(key, (fixture.bodies.get(key) ?? 0) + 1);
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        if (isBody && fixture.truncateNext > 0 && !key.endsWith(".sha256")) {
          fixture.truncateNext--;
          const total = Number(upRes.headers["content-length"] ?? 0);
          let sent = 0;
          upRes.on("data", (c: Buffer) => {
            const room = Math.floor(total / 2) - sent;
            if (room > 0) res.write(c.subarray(0, room));
            sent += c.length;
            if (sent >= total / 2) res.socket?.destroy();
          });
          return;
        }
        upRes.pipe(res);
      },
    );
    up.on("error", () => res.socket?.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
  const endpoint = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
  const client = new S3Client({
    endpoint: `http://127.0.0.1:${s3port}`,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
  });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  Object.assign(fixture, {
    endpoint,
    client,
    put: async (key: string, body: Uint8Array | string) => {
      if (puts++ === 0) putsDone = new Promise<void>((r) => (settlePuts = r));
      try {
        while (lists > 0) await listsDone;
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
      } finally {
        if (--puts === 0) settlePuts();
      }
    },
    remove: async (key: string) => {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
    close: async () => {
      proxy.closeAllConnections();
      await new Promise((r) => proxy.close(r));
      client.destroy();
      await server.close();
    },
  });
  return fixture;
}

/** A self-signed certificate for 127.0.0.1, made with openssl. */
export function selfSigned(dir: string): { key: string; cert: string } {
  if (spawnSync("openssl", ["version"]).status !== 0)
    throw new Error("openssl is needed for the HTTPS tests: apt-get install openssl");
  const key = join(dir, "key.pem");
  const cert = join(dir, "cert.pem");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      key,
      "-out",
      cert,
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
    ],
    { stdio: "ignore" },
  );
  return { key, cert };
}

/** An HTTPS server answering `files` by path, requiring `Authorization: Bearer <token>`, with ETags. */
export async function startHttps(
  tls: { key: string; cert: string },
  files: Map<string, Buffer>,
  token: string,
): Promise<{ url: string; gets: Map<string, number>; close(): Promise<void> }> {
  const gets = new Map<string, number>();
  const server = createHttps({ key: readFileSync(tls.key), cert: readFileSync(tls.cert) }, (req, res) => {
    if (req.headers.authorization !== `Bearer ${token}`) {
      res.writeHead(401).end();
      return;
    }
    const path = (req.url ?? "").split("?")[0];
    const body = files.get(path);
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    const etag = `"${body.length}-${body[0]}-${body.at(-1)}"`;
    if (req.headers["if-none-match"] === etag) {
      res.writeHead(304, { etag }).end();
      return;
    }
    gets.set(path, (gets.get(path) ?? 0) + 1);
    res.writeHead(200, { etag, "content-length": body.length }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `https://127.0.0.1:${(server.address() as { port: number }).port}`,
    gets,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
