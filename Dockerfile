# graph-bulk as a container image: `docker build -t registry.example.com/graph-bulk:1 .`
#
# Stage 1 builds with the dev dependencies (TypeScript) and packs the package as `npm pack` would
# publish it. Stage 2 installs that tarball with production dependencies only on a slim Node 20
# image, runs as the image's unprivileged `node` user, and has `graph-bulk` as its entrypoint:
#   docker run --rm registry.example.com/graph-bulk:1 --version
#   docker run --rm registry.example.com/graph-bulk:1 demo
# test/integration/package.test.ts runs stage 2's commands outside Docker.

FROM node:20-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY . .
RUN npm run build && npm pack --ignore-scripts && mv graph-bulk-*.tgz graph-bulk.tgz

FROM node:20-slim AS runtime
ENV NODE_ENV=production NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /opt/graph-bulk
COPY --from=build /src/graph-bulk.tgz ./
RUN --mount=type=cache,target=/root/.npm npm install --global --omit=dev --no-audit --no-fund ./graph-bulk.tgz && rm ./graph-bulk.tgz
USER node
WORKDIR /home/node
ENTRYPOINT ["graph-bulk"]
CMD ["--help"]
