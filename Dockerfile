# syntax=docker/dockerfile:1
# segment-sync image: build with dev dependencies, ship only production ones and dist/.
#   docker build -t segment-sync:0.1.0 .
# Runs as uid 10001 under tini, with a read-only root filesystem: it writes only to the mounted
# /data (state, reports) and /tmp (TMPDIR).

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# `npm install` is the fallback for a lockfile that lags package.json (npm ci refuses those).
RUN npm ci --no-audit --no-fund || npm install --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim AS runtime
# tini is PID 1: it forwards SIGTERM to node (the job's graceful stop) and reaps zombies; node as
# PID 1 would ignore signals it has no handler for and nothing would reap its children.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 segment-sync \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin segment-sync
ENV NODE_ENV=production \
    TMPDIR=/tmp
# Owned by root and read-only to the job: the code cannot be modified at run time.
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Relative paths (the default ./reports/<timestamp>, ./.segment-sync) resolve on the /data mount.
WORKDIR /data
RUN chown 10001:10001 /data
# Numeric, so that Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
USER 10001:10001
ENTRYPOINT ["tini", "--", "node", "/app/dist/cli.js"]
CMD ["--help"]
