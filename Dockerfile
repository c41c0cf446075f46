# syntax=docker/dockerfile:1
# The modelserve image: `docker build -t modelserve:0.1.0 .`, then
#   docker run --rm -p 8000:8000 -v "$PWD/repo:/models:ro" modelserve:0.1.0
# serves the model repository mounted at /models (DIR/<name>/<version>/). Any other command line works
# too: `docker run … modelserve:0.1.0 serve /models/model.joblib`. `modelserve docker` writes a
# Dockerfile that bakes a model into an image built FROM this one. See docs/deployment.md.
#
# Debian bookworm, not Alpine: onnxruntime-node's prebuilt CPU binaries link against glibc (2.28 or
# newer) and libstdc++, which musl images lack.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
# onnxruntime-node's install step would download GPU binaries; its CPU binaries ship in the package.
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json ./
# Scripts off: `prepare` would build before the sources are copied; the build runs below.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    ONNXRUNTIME_NODE_INSTALL=skip \
    MODELSERVE_HOST=0.0.0.0 \
    MODELSERVE_PORT=8000 \
    MODELSERVE_LOG_FORMAT=json
WORKDIR /app
COPY package.json package-lock.json ./
# The S3 client is an optional peer of the package; the server image carries it, so `s3://` model sources
# and repositories work out of the box (docs/storage.md). Build with --build-arg WITH_S3=0 to leave it out.
# gRPC (--grpc-port, used by the KServe runtime) is an optional peer too: the image has it.
ARG WITH_S3=1
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
    && npm install --no-save --ignore-scripts --no-audit --no-fund \
         "@grpc/grpc-js@$(node -p 'require("./package.json").peerDependencies["@grpc/grpc-js"]')" \
         "@grpc/proto-loader@$(node -p 'require("./package.json").peerDependencies["@grpc/proto-loader"]')" \
    && if [ "$WITH_S3" = 1 ]; then \
         npm install --no-save --ignore-scripts --no-audit --no-fund \
           "@aws-sdk/client-s3@$(node -p 'require("./package.json").peerDependencies["@aws-sdk/client-s3"]')"; \
       fi \
    && npm cache clean --force
COPY --from=build /src/dist ./dist
COPY bin ./bin
COPY examples ./examples
# The Open Inference Protocol definition the gRPC service loads (--grpc-port).
COPY vendor/open-inference-protocol ./vendor/open-inference-protocol
# `modelserve` on the PATH; and /node_modules/modelserve, so a TypeScript model anywhere (e.g. under
# /models) resolves `import { defineModel } from "modelserve"` to this installation.
RUN ln -s /app/bin/modelserve.js /usr/local/bin/modelserve \
    && mkdir -p /node_modules /models \
    && ln -s /app /node_modules/modelserve
# The image's own `node` user (uid 1000): the server never needs root, and the files it serves stay
# owned by root, read-only to it.
USER node
EXPOSE 8000
# SIGTERM starts the graceful shutdown: readiness 503, in-flight requests finish, exit 0 within
# MODELSERVE_SHUTDOWN_TIMEOUT_MS.
STOPSIGNAL SIGTERM
# No curl in slim images: node itself asks /health/ready (200 once every startup model is ready).
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.MODELSERVE_PORT||8000)+'/health/ready',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["modelserve"]
CMD ["serve", "--repository", "/models"]
