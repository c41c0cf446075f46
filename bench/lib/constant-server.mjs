/**
 * @module The reference servers of `npm run bench:http`, each a child process: `bare` (node:http parsing
 * the JSON body, constant reply) and `fastify` (a Fastify route validating the same body by JSON schema,
 * constant reply). Plain JavaScript importing nothing else, as a user's own small server would be: the
 * spawn time and resident memory they are measured for are theirs alone (started from the bench script
 * itself, they carried its load generator's modules and its type stripping: ~105 against ~78 MB).
 * Usage: node bench/lib/constant-server.mjs bare|fastify PORT
 */

import { createServer } from "node:http";

const [kind, portArg] = process.argv.slice(2);
const port = Number(portArg);
const ONE = JSON.stringify({ model: "m", version: "1", prediction: 0, probabilities: { 0: 1, 1: 0, 2: 0 } });
/** modelserve's batch answer shape, one entry per row. */
const many = (n) =>
  JSON.stringify({ predictions: new Array(n).fill(0), probabilities: new Array(n).fill({ 0: 1 }) });

if (kind === "bare") {
  createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => {
      const parsed = body ? JSON.parse(body) : {};
      const out = Array.isArray(parsed.instances) ? many(parsed.instances.length) : ONE;
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(out) });
      res.end(out);
    });
  }).listen(port, "127.0.0.1");
} else if (kind === "fastify") {
  const { default: Fastify } = await import("fastify");
  const app = Fastify({ logger: false });
  const numbers = { type: "array", items: { type: "number" } };
  app.get("/health", async () => ({ status: "ok" }));
  app.post(
    "/predict",
    { schema: { body: { type: "object", required: ["features"], properties: { features: numbers } } } },
    async (_q, reply) => reply.type("application/json").send(ONE),
  );
  app.post(
    "/predict/batch",
    {
      schema: {
        body: {
          type: "object",
          required: ["instances"],
          properties: { instances: { type: "array", items: numbers } },
        },
      },
    },
    async (req, reply) => reply.type("application/json").send(many(req.body.instances.length)),
  );
  await app.listen({ host: "127.0.0.1", port });
} else {
  process.stderr.write("usage: constant-server.mjs bare|fastify PORT\n");
  process.exit(2);
}
