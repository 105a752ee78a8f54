# syntax=docker/dockerfile:1
# One Parley node, in two stages. `build`: the whole workspace with its dev dependencies, from
# the lockfile; `pnpm build` makes the SPA (apps/web/dist) and the compiled server
# (apps/server/dist/main.js, the workspace packages and db/ templates bundled in); `pnpm deploy`
# gathers the server's production dependencies alone. `runtime`: those files and node, nothing
# else (no pnpm, no TypeScript toolchain, no sources). docker-compose.yml runs three behind nginx.
FROM node:20-slim AS build
# The version in package.json's packageManager field.
RUN npm install -g pnpm@10.34.9 && npm cache clean --force
WORKDIR /app
# The lockfile alone decides what is downloaded: this layer is reused until it changes.
COPY pnpm-lock.yaml pnpm-workspace.yaml ./
RUN pnpm fetch
COPY . .
RUN pnpm install --frozen-lockfile --offline && pnpm build \
  && pnpm --filter @parley/server deploy --prod --legacy --offline /deploy

FROM node:20-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
# The repository's layout, so the server's defaults hold: the SPA at apps/web/dist, the
# embedded database at /app/.data. apps/server holds package.json, dist/ and node_modules/.
COPY --from=build /deploy apps/server
COPY --from=build /app/apps/web/dist apps/web/dist
# The files stay root's (read-only to the server); only the embedded database directory,
# used when no DATABASE_URL is given, is writable.
RUN mkdir -p /app/.data && chown node:node /app/.data
USER node
ENV HOST=0.0.0.0 PORT=3000
EXPOSE 3000
HEALTHCHECK --interval=5s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/live').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node itself is PID 1 (not pnpm, which would run the server in a child process): SIGTERM
# reaches the server, which drains and exits 0. Logs are JSON (stdout is no terminal).
CMD ["node", "--max-semi-space-size=64", "--enable-source-maps", "apps/server/dist/main.js"]
