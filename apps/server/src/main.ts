import { chooseNodeId } from '@parley/cluster';
import { InvalidEnvironment, isLoopbackHost, loadEnv, s3SettingsOf } from './env.ts';
import { chooseLogFormat, createLogger } from './logger.ts';
import { startNode } from './node.ts';

/** Every drain step is bounded on its own; this is the backstop if one still hangs. */
const SHUTDOWN_LIMIT_MS = 20_000;

async function main() {
  const env = loadEnv();
  const log = await createLogger({ level: env.LOG_LEVEL, format: chooseLogFormat(env.LOG_FORMAT, process.stdout.isTTY) });
  // env.ts has refused a bad SERVER_ID; a HOSTNAME that is no valid node id is passed over.
  const { id: nodeId, source: nodeIdSource } = chooseNodeId({ serverId: env.SERVER_ID, hostname: env.HOSTNAME });
  if (nodeIdSource === 'generated') {
    log.warn({ node: nodeId }, `no SERVER_ID (nor a usable HOSTNAME): this node is ${nodeId} until it restarts; set SERVER_ID for a stable name`);
  }
  const node = await startNode({
    nodeId,
    port: env.PORT,
    host: env.HOST,
    databaseUrl: env.DATABASE_URL,
    dataDir: env.DATA_DIR,
    allowedOrigins: env.ALLOWED_ORIGINS,
    trustProxy: env.TRUST_PROXY,
    cookieSecure: env.COOKIE_SECURE,
    webDist: env.WEB_DIST,
    redisUrl: env.REDIS_URL,
    presenceGraceMs: env.PRESENCE_GRACE_MS,
    metricsAllow: env.METRICS_ALLOW,
    wsLimits: {
      maxCallsPerFrame: env.WS_MAX_CALLS_PER_MESSAGE,
      maxInFlight: env.WS_MAX_CALLS_IN_FLIGHT,
      maxSubscriptions: env.WS_MAX_SUBSCRIPTIONS,
      highWaterBytes: env.WS_HIGH_WATER_KB * 1024,
      maxBufferedBytes: env.WS_MAX_BUFFERED_KB * 1024,
      maxConnectionsPerAddress: env.WS_MAX_CONNECTIONS_PER_ADDRESS,
      maxConnectionsPerUser: env.WS_MAX_CONNECTIONS_PER_USER,
    },
    log,
    api: {
      sessionIdleMs: env.SESSION_IDLE_MINUTES * 60_000,
      sessionAbsoluteMs: env.SESSION_ABSOLUTE_DAYS * 24 * 60 * 60_000,
      eventPollMs: env.EVENT_POLL_MS,
      eventSafetyPollMs: env.EVENT_SAFETY_POLL_MS,
      adminUsernames: env.ADMIN_USERNAMES,
      // Nobody else can reach a node listening on loopback only: its first account may administer it.
      firstAccountIsAdmin: isLoopbackHost(env.HOST),
      maxWorkspacesPerUser: env.MAX_WORKSPACES_PER_USER,
      noteLockMs: env.NOTE_LOCK_SECONDS * 1000,
      noteLockSweepMs: env.NOTE_LOCK_SWEEP_SECONDS * 1000,
      roomMentionMaxMembers: env.ROOM_MENTION_MAX_MEMBERS,
      pushSubject: env.PUSH_SUBJECT,
      mediaMaxBytes: env.MEDIA_MAX_BYTES,
      avatarMaxBytes: env.AVATAR_MAX_BYTES,
      uploadMemoryBytes: env.MEDIA_UPLOAD_MEMORY_BYTES,
      s3: s3SettingsOf(env),
      rateLimits: {
        messagesPerUser: env.RATE_LIMIT_MESSAGES,
        changesPerUser: env.RATE_LIMIT_CHANGES,
        requestsPerIp: env.RATE_LIMIT_REQUESTS_PER_IP,
        downloadsPerIp: env.RATE_LIMIT_DOWNLOADS_PER_IP,
        loginPerAccountAndIp: env.RATE_LIMIT_LOGIN,
        loginPerIp: env.RATE_LIMIT_LOGIN_PER_IP,
      },
    },
  });
  log.info({ url: node.url, node: nodeId }, `Parley is running on ${node.url}`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'draining: no new connections, clients told to reconnect elsewhere, leases released');
    setTimeout(() => {
      log.error({ limitMs: SHUTDOWN_LIMIT_MS }, 'shutdown took too long; exiting anyway');
      process.exit(1);
    }, SHUTDOWN_LIMIT_MS).unref();
    await node.close();
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  // A configuration mistake is a message for a person, not a stack trace.
  console.error(error instanceof InvalidEnvironment ? error.message : error);
  process.exit(1);
});
