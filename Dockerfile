# syntax=docker/dockerfile:1
# One Parley node: the workspace installed from its lockfile, the SPA built, the server run from
# its TypeScript with tsx, as `pnpm start` does. docker-compose.yml runs three behind nginx.
FROM node:20-slim

# The version in package.json's packageManager field.
RUN npm install -g pnpm@10.34.9 && npm cache clean --force

WORKDIR /app
# The lockfile alone decides what is downloaded: this layer is reused until it changes.
COPY pnpm-lock.yaml pnpm-workspace.yaml ./
RUN pnpm fetch
COPY . .
RUN pnpm install --frozen-lockfile --offline && pnpm --filter @parley/web build \
  && mkdir -p /app/.data && chown node:node /app/.data

# The files stay root's (read-only to the server); only the embedded database directory,
# used when no DATABASE_URL is given, is writable.
USER node
ENV HOST=0.0.0.0 PORT=3000
EXPOSE 3000
HEALTHCHECK --interval=5s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/live').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node itself is PID 1 (tsx as its loader, not pnpm or the tsx CLI, which would run the server
# in a child process): SIGTERM reaches the server, which drains and exits 0.
CMD ["node", "--import", "tsx", "apps/server/src/main.ts"]
