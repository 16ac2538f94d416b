# syntax=docker/dockerfile:1
# Multi-stage image for the Shortlist processes. Targets: `api`, `worker`, `cli` (migrations, admin).
# CPU ONNX Runtime by default; the CUDA variant is documented with the deployment work (infra/).

FROM node:20-bookworm-slim AS deps
WORKDIR /app
# onnxruntime-node's install script would fetch CUDA binaries at build time; the CPU build is bundled.
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

FROM deps AS build
RUN npm ci --ignore-scripts
COPY . .
RUN npm run build

FROM deps AS runtime
ENV NODE_ENV=production
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY migrations migrations
COPY apps/cli/bin apps/cli/bin
COPY --from=build /app/apps/api/dist apps/api/dist
COPY --from=build /app/apps/cli/dist apps/cli/dist
COPY --from=build /app/apps/worker/dist apps/worker/dist
USER node

FROM runtime AS cli
ENTRYPOINT ["node", "apps/cli/bin/shortlist.js"]

FROM runtime AS api
EXPOSE 8080
CMD ["node", "apps/api/dist/main.js"]

FROM runtime AS worker
# Models are mounted at MODELS_DIR (see docker-compose.yml); /healthz and /metrics on WORKER_HEALTH_PORT.
ENV MODELS_DIR=/models WORKER_HEALTH_PORT=9464
EXPOSE 9464
STOPSIGNAL SIGTERM
CMD ["node", "apps/worker/dist/main.js"]
