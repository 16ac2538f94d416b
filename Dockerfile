# Multi-stage image for the Shortlist processes. Targets: `api`, `worker`, `cli` (migrations, admin), and
# `worker-cuda`: the worker on ONNX Runtime's CUDA 12 provider with cuDNN 9 (EMBED_PROVIDER=cuda; needs the NVIDIA
# container runtime). Every image runs as a non-root user with production dependencies only. Built and run by
# `npm run check:images` (infra/docker/smoke.ts). Plain Dockerfile syntax: no frontend image to pull, so a build
# host that reaches only the npm registry (and a local base image, infra/docker/base-image-offline.sh) builds it.

FROM node:24-bookworm-slim AS deps
WORKDIR /app
# onnxruntime-node's install script would fetch CUDA binaries at build time; the CPU build is bundled. (The
# installs below skip install scripts anyway; this also covers an npm older than 11.19, which ignores allowScripts.)
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json .npmrc ./
COPY apps/api/package.json apps/api/
COPY apps/cli/package.json apps/cli/
COPY apps/worker/package.json apps/worker/
COPY libs/config/package.json libs/config/
COPY libs/db/package.json libs/db/
COPY libs/embedding/package.json libs/embedding/
COPY libs/extract/package.json libs/extract/
COPY libs/pipeline/package.json libs/pipeline/
COPY libs/queue/package.json libs/queue/
COPY libs/storage/package.json libs/storage/
COPY infra/docker/prune-onnxruntime.sh /usr/local/bin/

FROM deps AS build
RUN npm ci --ignore-scripts
COPY . .
RUN npm run build

FROM deps AS runtime
ENV NODE_ENV=production
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force && prune-onnxruntime.sh
COPY migrations migrations
COPY libs/db/sql libs/db/sql
COPY apps/cli/bin apps/cli/bin
COPY --from=build /app/apps/api/dist apps/api/dist
COPY --from=build /app/apps/cli/dist apps/cli/dist
COPY --from=build /app/apps/worker/dist apps/worker/dist
USER node

FROM runtime AS cli
ENTRYPOINT ["node", "apps/cli/bin/shortlist.js"]

FROM runtime AS api
EXPOSE 8080 9465
CMD ["node", "apps/api/dist/main.js"]

FROM runtime AS worker
# Models are mounted at MODELS_DIR (see docker-compose.yml); /healthz and /metrics on WORKER_HEALTH_PORT.
ENV MODELS_DIR=/models WORKER_HEALTH_PORT=9464
EXPOSE 9464
STOPSIGNAL SIGTERM
CMD ["node", "apps/worker/dist/main.js"]

# The CUDA worker: onnxruntime-node's install script fetches its CUDA 12 provider libraries at build time
# (ONNXRUNTIME_NODE_INSTALL=cuda12, from the ONNX Runtime GitHub release); CUDA 12 and cuDNN 9 come from the base.
FROM deps AS cuda-deps
ENV NODE_ENV=production
# The script is run directly: package.json's allowScripts denies it to npm installs (see README).
RUN npm ci --omit=dev --ignore-scripts \
  && (cd node_modules/onnxruntime-node && ONNXRUNTIME_NODE_INSTALL=cuda12 node script/install) \
  && npm cache clean --force && prune-onnxruntime.sh

FROM nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04 AS worker-cuda
COPY --from=deps /usr/local/bin/node /usr/local/bin/node
WORKDIR /app
COPY --from=cuda-deps /app ./
COPY migrations migrations
COPY libs/db/sql libs/db/sql
COPY --from=build /app/apps/worker/dist apps/worker/dist
ENV NODE_ENV=production MODELS_DIR=/models WORKER_HEALTH_PORT=9464 EMBED_PROVIDER=cuda
# uid 1000 is the base image's `ubuntu` user.
USER 1000
EXPOSE 9464
STOPSIGNAL SIGTERM
CMD ["node", "apps/worker/dist/main.js"]
