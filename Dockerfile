# syntax=docker/dockerfile:1
# linkid in two stages: compile TypeScript with the dev dependencies, then ship only the
# compiled code, the views and the production dependencies, running as the unprivileged user.
# Both `npm ci`s run with --ignore-scripts: our own `prepare` would compile before src/ is copied
# (build stage) or with no TypeScript at all (runtime), and the one dependency with a native addon,
# better-sqlite3, ships prebuilt addons for linux x64/arm64 that it loads when nothing was compiled
# (npm would otherwise run node-gyp for it, which needs a Python and a compiler the slim image lacks).

FROM node:24-slim AS build
ENV MONGOMS_DISABLE_POSTINSTALL=1
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The commit /version reports: the build context has no .git, so it is given as a build argument
# (docker build --build-arg LINKID_COMMIT=$(git rev-parse HEAD) .); without it, "unknown".
ARG LINKID_COMMIT=
RUN npm run build

FROM node:24-slim AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    DATA_DIR=/data \
    MONGOMS_DISABLE_POSTINSTALL=1
WORKDIR /app
COPY package.json package-lock.json ./
# The image has compiled code and no TypeScript, so `prepare` and `prestart` (which compile) go, and
# `npx linkid-admin` and `npm start` run what is there. The last step fails the build if the
# SQLite addon cannot load here.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
  && npm pkg delete scripts.prepare scripts.prestart \
  && npm cache clean --force \
  && node -e "new (require('better-sqlite3'))(':memory:').close()"
COPY --from=build /app/dist ./dist
COPY views ./views
# /keys: mount one volume (or secret) here in every instance of a cluster, with KEYS_DIR=/keys.
RUN mkdir -p /data /keys && chown node:node /data /keys
USER node
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Register clients with: docker exec <container> npx linkid-admin client create ...
CMD ["node", "dist/main.js"]
