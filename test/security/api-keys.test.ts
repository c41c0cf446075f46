/**
 * @module Tests of API key handling: the `MODELSERVE_API_KEYS` list, keys files (hashes only),
 * sha256 hashing (checked against the FIPS 180-2 test vectors), scopes, matching presented keys of
 * any length, and where a request's key is read from.
 */

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { isModelServeError } from "../../src/errors.ts";
import {
  type ApiKey,
  DEFAULT_SCOPES,
  hashKey,
  KeyChecker,
  newKey,
  parseKeyList,
  presentedKey,
  readKeysFile,
  SCOPES,
} from "../../src/security/api-keys.ts";

// FIPS 180-2 appendix B: SHA-256 of "abc" and of the 56-character two-block message.
const ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
const LONG_MSG = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
const LONG_SHA = "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";

const KEY_A = "alpha-key-0123456789";
const KEY_B = "bravo-key-0123456789";

/** Asserts `run` throws MS_INVALID_CONFIG (400) whose message matches and never shows `secret`. */
function configError(run: () => unknown, message: RegExp, secret?: string) {
  assert.throws(run, (e: unknown) => {
    assert.ok(isModelServeError(e), `a ModelServeError, got ${String(e)}`);
    assert.equal(e.code, "MS_INVALID_CONFIG");
    assert.equal(e.statusCode, 400);
    assert.match(e.message, message);
    if (secret) assert.ok(!e.message.includes(secret), "the key is not in the message");
    return true;
  });
}

const scopesOf = (k: ApiKey) => [...k.scopes].sort();

describe("hashKey and newKey", () => {
  it("hashes with SHA-256 over UTF-8 (FIPS 180-2 vectors)", () => {
    assert.equal(hashKey("abc"), ABC);
    assert.equal(hashKey(LONG_MSG), LONG_SHA);
    // "é" is c3 a9 in UTF-8; its SHA-256 differs from that of the Latin-1 byte e9.
    assert.notEqual(hashKey("é"), hashKey("\u00c3\u00a9"));
  });

  it("makes 256-bit base64url keys with the ms_ prefix, different each time", () => {
    const keys = new Set(Array.from({ length: 50 }, () => newKey()));
    assert.equal(keys.size, 50);
    for (const k of keys) {
      assert.match(k, /^ms_[A-Za-z0-9_-]{43}$/);
      assert.equal(Buffer.from(k.slice(3), "base64url").length, 32);
    }
  });

  it("documents three scopes, predict and read by default", () => {
    assert.deepEqual(SCOPES, ["predict", "read", "admin"]);
    assert.deepEqual(DEFAULT_SCOPES, ["predict", "read"]);
  });
});

describe("parseKeyList (MODELSERVE_API_KEYS)", () => {
  it("reads key, id:key and id:key:scope+scope entries", () => {
    const keys = parseKeyList(` ${LONG_MSG} , ci:${KEY_A} ,ops:${KEY_B}:admin+read,`);
    assert.equal(keys.length, 3);
    assert.equal(keys[0].id, `key-${LONG_SHA.slice(0, 8)}`);
    assert.equal(keys[0].hash.toString("hex"), LONG_SHA);
    assert.deepEqual(scopesOf(keys[0]), ["predict", "read"]);
    assert.equal(keys[1].id, "ci");
    assert.equal(keys[1].hash.toString("hex"), hashKey(KEY_A));
    assert.deepEqual(scopesOf(keys[1]), ["predict", "read"]);
    assert.equal(keys[2].id, "ops");
    assert.deepEqual(scopesOf(keys[2]), ["admin", "read"]);
    assert.deepEqual(parseKeyList(""), []);
    assert.deepEqual(parseKeyList(" , ,"), []);
  });

  it("refuses malformed entries, naming the entry but never the key", () => {
    configError(
      () => parseKeyList(`a:${KEY_A}:read:x`),
      /apiKeys entry 1 must be key, id:key or id:key:scope\+scope/,
      KEY_A,
    );
    configError(() => parseKeyList(`ok:${KEY_B},:${KEY_A}`), /apiKeys entry 2 must be/, KEY_A);
    configError(() => parseKeyList(`id::read`), /apiKeys entry 1 must be/);
    configError(
      () => parseKeyList("id:short-key"),
      /entry 1: a key must be at least 16 characters long/,
      "short-key",
    );
    configError(() => parseKeyList("0123456789abcde"), /at least 16 characters/);
    assert.equal(parseKeyList("0123456789abcdef").length, 1, "16 characters are enough");
    configError(
      () => parseKeyList(`id:${KEY_A}:read+write`),
      /entry 1: unknown scope "write"; scopes are predict, read, admin/,
      KEY_A,
    );
    configError(() => parseKeyList(`id:${KEY_A}:+`), /entry 1: a key needs at least one scope/, KEY_A);
  });
});

describe("readKeysFile", () => {
  const dir = mkdtempSync(join(tmpdir(), "ms-keys-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, content: string) => {
    const p = join(dir, name);
    writeFileSync(p, content);
    return p;
  };

  it("reads ids, hashes (either case) and scopes, predict and read by default", () => {
    const p = file(
      "keys.json",
      JSON.stringify({
        keys: [
          { id: "ci", sha256: ABC.toUpperCase(), scopes: ["predict"] },
          { id: "ops@team.io", sha256: LONG_SHA },
        ],
      }),
    );
    const keys = readKeysFile(p);
    assert.deepEqual(
      keys.map((k) => [k.id, k.hash.toString("hex"), scopesOf(k)]),
      [
        ["ci", ABC, ["predict"]],
        ["ops@team.io", LONG_SHA, ["predict", "read"]],
      ],
    );
  });

  it("refuses missing, unreadable and misshapen files with the path and the place", () => {
    const missing = join(dir, "nope.json");
    configError(() => readKeysFile(missing), new RegExp(`cannot read API keys file ${missing}`));
    configError(() => readKeysFile(file("bad.json", "{keys: [")), /cannot read API keys file .*bad\.json/);
    configError(() => readKeysFile(file("arr.json", "[]")), /must hold \{"keys": \[\.\.\.\]\}/);
    configError(() => readKeysFile(file("null.json", "null")), /must hold \{"keys"/);
    const entry = (e: unknown) => file("e.json", JSON.stringify({ keys: [{ id: "ok", sha256: ABC }, e] }));
    configError(() => readKeysFile(entry({ sha256: ABC })), /keys\[1\]: "id" must be 1-64 letters/);
    configError(() => readKeysFile(entry({ id: "has space", sha256: ABC })), /keys\[1\]: "id"/);
    configError(() => readKeysFile(entry({ id: "x".repeat(65), sha256: ABC })), /keys\[1\]: "id"/);
    configError(
      () => readKeysFile(entry({ id: "k", sha256: ABC.slice(1) })),
      /keys\[1\]: "sha256" must be the key's sha256 in hex/,
    );
    configError(() => readKeysFile(entry({ id: "k", sha256: `${ABC.slice(1)}g` })), /"sha256"/);
    configError(() => readKeysFile(entry({ id: "k", key: KEY_A })), /"sha256"/, KEY_A);
    configError(
      () => readKeysFile(entry({ id: "k", sha256: ABC, scopes: "admin" })),
      /keys\[1\]: "scopes" must be a list/,
    );
    configError(() => readKeysFile(entry({ id: "k", sha256: ABC, scopes: [1] })), /"scopes" must be a list/);
    configError(
      () => readKeysFile(entry({ id: "k", sha256: ABC, scopes: ["root"] })),
      /keys\[1\]: unknown scope "root"/,
    );
    configError(
      () => readKeysFile(entry({ id: "k", sha256: ABC, scopes: [] })),
      /keys\[1\]: a key needs at least one scope/,
    );
  });
});

describe("KeyChecker", () => {
  const keys = parseKeyList(`ci:${KEY_A}:predict,ops:${KEY_B}:admin`);
  const checker = new KeyChecker(keys);

  it("matches a presented key to its entry and nothing else", () => {
    assert.equal(checker.size, 2);
    assert.equal(checker.match(KEY_A)?.id, "ci");
    assert.equal(checker.match(KEY_B)?.id, "ops");
    assert.equal(checker.match(`${KEY_A.slice(0, -1)}8`), undefined, "one character off");
    assert.equal(checker.match(`${KEY_A} `), undefined, "no trimming");
    assert.equal(checker.match(KEY_A.toUpperCase()), undefined, "case matters");
    assert.equal(checker.match(hashKey(KEY_A)), undefined, "the hash is not a key");
  });

  it("compares presented keys of any length without throwing (they are hashed first)", () => {
    for (const k of ["", "x", "é", "k".repeat(100_000)]) assert.equal(checker.match(k), undefined);
  });

  it("answers the first entry when two share a hash, after looking at all of them", () => {
    const twin = new KeyChecker([...keys, { ...keys[0], id: "ci-twin" }]);
    assert.equal(twin.match(KEY_A)?.id, "ci");
    assert.equal(new KeyChecker([]).match(KEY_A), undefined);
  });

  it("refuses two keys with one id", () => {
    configError(() => new KeyChecker([...keys, { ...keys[1], id: "ci" }]), /two API keys share the id "ci"/);
  });
});

describe("presentedKey", () => {
  it("reads Authorization: Bearer (any case, spaces or tabs)", () => {
    assert.equal(presentedKey({ authorization: `Bearer ${KEY_A}` }), KEY_A);
    assert.equal(presentedKey({ authorization: `bearer\t${KEY_A}  ` }), KEY_A);
    assert.equal(presentedKey({ authorization: `BEARER   ${KEY_A}` }), KEY_A);
  });

  it("falls back to X-API-Key (trimmed), and ignores other schemes and malformed values", () => {
    assert.equal(presentedKey({ "x-api-key": ` ${KEY_B} ` }), KEY_B);
    assert.equal(presentedKey({ authorization: `Basic ${KEY_A}`, "x-api-key": KEY_B }), KEY_B);
    assert.equal(presentedKey({ authorization: `Bearer ${KEY_A} extra` }), undefined);
    assert.equal(presentedKey({ authorization: "Bearer" }), undefined);
    assert.equal(presentedKey({ authorization: `Token ${KEY_A}` }), undefined);
    assert.equal(presentedKey({ "x-api-key": "" }), undefined);
    assert.equal(presentedKey({ "x-api-key": [KEY_A, KEY_B] }), undefined);
    assert.equal(presentedKey({}), undefined);
  });

  it("prefers the Authorization header when both are sent", () => {
    assert.equal(presentedKey({ authorization: `Bearer ${KEY_A}`, "x-api-key": KEY_B }), KEY_A);
  });
});
