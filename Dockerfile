# syntax=docker/dockerfile:1
# segment-sync image: build with dev dependencies (and the compilers better-sqlite3 needs), ship
# only the production dependencies, compiled, dist/ (the bundled CLI) and the demo's example files.
#   docker build -t segment-sync:0.1.0 .
# Runs as uid 10001 under tini, with a read-only root filesystem: it writes only to the mounted
# /data (state, reports) and /tmp (TMPDIR).

FROM node:20-bookworm-slim AS build
# better-sqlite3 (the incremental state) compiles its native addon from source with node-gyp: no
# prebuilt binary can be downloaded in our environments. node-gyp needs python3, make and g++; they
# exist in this stage only, and the runtime stage copies the compiled node_modules, not the tools.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
# Compile better-sqlite3 without first trying (and timing out on) a prebuilt download, against the
# headers that ship with this image's Node (/usr/local/include/node) instead of downloading them.
ENV npm_config_build_from_source=better-sqlite3 \
    npm_config_nodedir=/usr/local
WORKDIR /app
COPY package.json package-lock.json ./
# `npm install` is the fallback for a lockfile that lags package.json (npm ci refuses those).
# Either one runs better-sqlite3's install script, which builds build/Release/better_sqlite3.node.
RUN npm ci --no-audit --no-fund || npm install --no-audit --no-fund
# `npm run build` type-checks src/ and bundles it into dist/ with tools/build.mjs (esbuild: its
# linux-x64 or linux-arm64 binary comes with the install, an optional dependency of the lockfile).
# The build script is the only file of tools/ in the image's build context.
COPY tsconfig.json ./
COPY tools/build.mjs ./tools/
COPY src ./src
# Dropping the dev dependencies keeps better-sqlite3 and its compiled addon: it is a production one.
RUN npm run build && npm prune --omit=dev
# `segment-sync demo` syncs these from fixtures/ beside package.json: /app/fixtures.
COPY fixtures/customers-wide.csv fixtures/known-ids.txt ./fixtures/

FROM node:20-bookworm-slim AS runtime
# No compiler here: better-sqlite3 arrives already built, inside node_modules from the build stage
# (same base image, so the same Node ABI and glibc as the addon was compiled against).
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
COPY --from=build /app/fixtures ./fixtures
# Relative paths (the default ./reports/<timestamp>, ./.segment-sync) resolve on the /data mount.
WORKDIR /data
RUN chown 10001:10001 /data
# Numeric, so that Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
USER 10001:10001
ENTRYPOINT ["tini", "--", "node", "/app/dist/cli.js"]
CMD ["--help"]
