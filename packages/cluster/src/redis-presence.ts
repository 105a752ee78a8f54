import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Bus, ClusterLogger } from './bus.ts';
import {
  derivePresence,
  PRESENCE_GRACE_MS,
  presenceChannel,
  TYPING_THROTTLE_MS,
  TYPING_TTL_MS,
  type Presence,
  type PresenceSignal,
  type PresenceSnapshot,
  type PresenceStatus,
  type TypingEntry,
  type UserPresence,
} from './presence.ts';
import { closeRedis, openRedis, outageLog } from './redis-connection.ts';

/** A connection its node has not refreshed for this long is gone (the node died). */
export const CONNECTION_TTL_MS = 30_000;
/** Status and last-seen times are kept this long after the last change of a partition. */
const RETENTION_MS = 30 * 24 * 60 * 60_000;
/** A presence call Redis has not answered by then is given up (reads: nothing known). */
const COMMAND_TIMEOUT_MS = 1000;
/** Users per refresh call and connections/transitions per sweep call (keeps each script short). */
const BATCH = 500;

/**
 * Every script reads the time from Redis, so all nodes share one clock for expiry, last seen
 * and grace. Keys, in this order: the partition's connections (`user|instance` → expiry), a
 * lexical index of the same members (a user's connections by prefix), the announced status
 * and last-seen hashes, the version counter, the reconnecting users by when they go offline,
 * and typing (`user|room` → until).
 */
const PRELUDE = `
local conn, idx, status, seen, ver, pending, typing = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function live(user)
  for _, m in ipairs(redis.call('ZRANGEBYLEX', idx, '[' .. user .. '|', '[' .. user .. '|\\255')) do
    local s = redis.call('ZSCORE', conn, m)
    if s and tonumber(s) > now then return true end
  end
  return false
end
local function keep(ms)
  for _, k in ipairs({conn, idx, status, seen, ver, pending}) do redis.call('PEXPIRE', k, ms) end
end
local out = {now}
local function push(st, user, lastSeen)
  table.insert(out, st)
  table.insert(out, user)
  table.insert(out, lastSeen)
  table.insert(out, redis.call('INCR', ver))
end
`;

/** ARGV: instance, ttlMs, retentionMs, users… — registers (or refreshes) connections. */
const CONNECT_LUA = `${PRELUDE}
local ttl = tonumber(ARGV[2])
for i = 4, #ARGV do
  local user = ARGV[i]
  local m = user .. '|' .. ARGV[1]
  redis.call('ZADD', conn, now + ttl, m)
  redis.call('ZADD', idx, 0, m)
  redis.call('ZREM', pending, user)
  if redis.call('HGET', status, user) ~= 'online' then
    redis.call('HSET', status, user, 'online')
    push('online', user, -1)
  end
end
keep(tonumber(ARGV[3]))
return out`;

/** ARGV: instance, graceMs, retentionMs, users… — a node's last connection of each user ended. */
const DISCONNECT_LUA = `${PRELUDE}
local grace = tonumber(ARGV[2])
for i = 4, #ARGV do
  local user = ARGV[i]
  local m = user .. '|' .. ARGV[1]
  redis.call('ZREM', conn, m)
  redis.call('ZREM', idx, m)
  if not live(user) then
    redis.call('HSET', status, user, 'reconnecting')
    redis.call('HSET', seen, user, now)
    redis.call('ZADD', pending, now + grace, user)
    push('reconnecting', user, now)
  end
end
keep(tonumber(ARGV[3]))
return out`;

/**
 * ARGV: ttlMs, graceMs, retentionMs, batch — expired connections (their node stopped
 * refreshing them) make their user reconnecting as of the last refresh; grace periods that
 * ended make them offline. The status check makes each transition happen once.
 */
const SWEEP_LUA = `${PRELUDE}
local ttl, grace, batch = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[4])
local expired = redis.call('ZRANGEBYSCORE', conn, '-inf', now, 'WITHSCORES', 'LIMIT', 0, batch)
local last, order = {}, {}
for i = 1, #expired, 2 do
  local m, s = expired[i], tonumber(expired[i + 1])
  redis.call('ZREM', conn, m)
  redis.call('ZREM', idx, m)
  local user = string.sub(m, 1, string.find(m, '|', 1, true) - 1)
  if not last[user] then table.insert(order, user) end
  if not last[user] or s > last[user] then last[user] = s end
end
for _, user in ipairs(order) do
  if redis.call('HGET', status, user) == 'online' and not live(user) then
    local lastSeen = math.min(last[user] - ttl, now)
    redis.call('HSET', status, user, 'reconnecting')
    redis.call('HSET', seen, user, lastSeen)
    redis.call('ZADD', pending, lastSeen + grace, user)
    push('reconnecting', user, lastSeen)
  end
end
for _, user in ipairs(redis.call('ZRANGEBYSCORE', pending, '-inf', now, 'LIMIT', 0, batch)) do
  redis.call('ZREM', pending, user)
  if redis.call('HGET', status, user) == 'reconnecting' and not live(user) then
    redis.call('HSET', status, user, 'offline')
    push('offline', user, tonumber(redis.call('HGET', seen, user) or '-1'))
  end
end
if #out > 1 then keep(tonumber(ARGV[3])) end
return out`;

/** Everything a snapshot is derived from, read at one instant. */
const SNAPSHOT_LUA = `${PRELUDE}
redis.call('ZREMRANGEBYSCORE', typing, '-inf', now)
return {now, tonumber(redis.call('GET', ver) or '0'), redis.call('ZRANGE', conn, 0, -1, 'WITHSCORES'),
  redis.call('HGETALL', seen), redis.call('ZRANGEBYSCORE', typing, '(' .. now, '+inf', 'WITHSCORES')}`;

/** KEYS[8]: the throttle key. ARGV: member, ttlMs, throttleMs. */
const TYPING_LUA = `${PRELUDE}
local until_ = now + tonumber(ARGV[2])
redis.call('ZADD', typing, until_, ARGV[1])
redis.call('ZREMRANGEBYSCORE', typing, '-inf', now)
redis.call('PEXPIRE', typing, tonumber(ARGV[2]) * 2)
local first = redis.call('SET', KEYS[8], '1', 'PX', tonumber(ARGV[3]), 'NX')
return {now, until_, first and 1 or 0}`;

/** KEYS[8]: the throttle key (cleared: the next keystroke after a send is announced at once). ARGV: member. */
const STOP_TYPING_LUA = `${PRELUDE}
local s = redis.call('ZSCORE', typing, ARGV[1])
redis.call('ZREM', typing, ARGV[1])
redis.call('DEL', KEYS[8])
return {now, (s and tonumber(s) > now) and 1 or 0}`;

type Flat = (string | number)[];
type SnapshotReply = [number, number, string[], string[], string[]];

type ScriptedRedis = Redis & {
  parleyPresenceConnect(...args: (string | number)[]): Promise<Flat>;
  parleyPresenceDisconnect(...args: (string | number)[]): Promise<Flat>;
  parleyPresenceSweep(...args: (string | number)[]): Promise<Flat>;
  parleyPresenceSnapshot(...args: string[]): Promise<SnapshotReply>;
  parleyPresenceTyping(...args: (string | number)[]): Promise<[number, number, number]>;
  parleyPresenceStopTyping(...args: string[]): Promise<[number, number]>;
};

export interface RedisPresenceOptions {
  url: string;
  log: ClusterLogger;
  /** The bus the signals travel on (the node's Redis bus). */
  bus: Bus;
  /** This node's id: part of each connection's key, with a random suffix per process. */
  nodeId: string;
  /** Prepended to every key (`<prefix>presence:{<partition>}:…`), like the bus's channels. */
  prefix?: string | undefined;
  name?: string | undefined;
  graceMs?: number | undefined;
  /** A connection not refreshed this long has ended (its node died); refreshed every third of it. */
  connectionTtlMs?: number | undefined;
  typingTtlMs?: number | undefined;
  typingThrottleMs?: number | undefined;
}

/**
 * Presence shared by every node through Redis. Each node counts its own connections per
 * partition and user, writes a user's first one and removes their last one (one script each,
 * atomic across nodes), and refreshes them every third of `connectionTtlMs`, so the
 * connections of a node that was killed expire by themselves and the next sweep announces
 * them. Status, last seen and typing live in keys with TTLs under the prefix.
 *
 * Fails soft: while Redis is unreachable `state` is `down`, reads return nothing known,
 * writes are dropped (logged once per outage) and nothing throws; when it is back the node
 * registers its connections again at once (announcing those it had lost as online).
 */
export function createRedisPresence(opts: RedisPresenceOptions): Presence {
  const prefix = `${opts.prefix ?? 'parley:'}presence:`;
  const graceMs = opts.graceMs ?? PRESENCE_GRACE_MS;
  const ttlMs = opts.connectionTtlMs ?? CONNECTION_TTL_MS;
  const typingTtlMs = opts.typingTtlMs ?? TYPING_TTL_MS;
  const typingThrottleMs = opts.typingThrottleMs ?? TYPING_THROTTLE_MS;
  // A restarted node gets new connection keys: what its previous life left expires on its own.
  const instance = `${opts.nodeId.replace(/[^\w.:-]/g, '_')}:${randomBytes(3).toString('hex')}`;
  const { bus, log } = opts;
  const redis = openRedis(opts.url, opts.name ?? 'parley-presence', { commandTimeout: COMMAND_TIMEOUT_MS, enableAutoPipelining: true }) as ScriptedRedis;
  redis.defineCommand('parleyPresenceConnect', { numberOfKeys: 7, lua: CONNECT_LUA });
  redis.defineCommand('parleyPresenceDisconnect', { numberOfKeys: 7, lua: DISCONNECT_LUA });
  redis.defineCommand('parleyPresenceSweep', { numberOfKeys: 7, lua: SWEEP_LUA });
  redis.defineCommand('parleyPresenceSnapshot', { numberOfKeys: 7, lua: SNAPSHOT_LUA });
  redis.defineCommand('parleyPresenceTyping', { numberOfKeys: 8, lua: TYPING_LUA });
  redis.defineCommand('parleyPresenceStopTyping', { numberOfKeys: 8, lua: STOP_TYPING_LUA });

  const outage = outageLog(log, 'presence');
  const problem = (err: unknown) => outage.problem(err, 'presence cannot reach Redis: statuses are unknown until it is back');
  redis.on('error', problem);

  const typedHere = recentTyping(typingTtlMs);
  /** This node's connections: partition → user → open connections. */
  const local = new Map<string, Map<string, number>>();
  let closed = false;

  // The partition in a hash tag: all of its keys live in one slot of a Redis Cluster.
  const keys = (partitionId: string) => {
    const base = `${prefix}{${partitionId}}:`;
    return ['conn', 'idx', 'status', 'seen', 'ver', 'pending', 'typing'].map((k) => base + k);
  };
  const throttleKey = (partitionId: string, roomId: string, userId: string) => `${prefix}{${partitionId}}:tt:${userId}:${roomId}`;
  const ready = () => !closed && redis.status === 'ready';

  /** Runs a script; null (logged once per outage) when Redis cannot. */
  const attempt = async <T>(call: () => Promise<T>): Promise<T | null> => {
    if (!ready()) {
      problem(undefined);
      return null;
    }
    try {
      return await call();
    } catch (err) {
      problem(err);
      return null;
    }
  };

  /** Publishes the transitions a script reported: `[now, status, user, lastSeen, version, …]`. */
  const announce = (partitionId: string, reply: Flat | null): PresenceSignal[] => {
    if (!reply) return [];
    const at = Number(reply[0]);
    const signals: PresenceSignal[] = [];
    for (let i = 1; i + 3 < reply.length; i += 4) {
      const status = String(reply[i]) as PresenceStatus;
      const seen = Number(reply[i + 2]);
      const lastSeenAt = status === 'online' || seen < 0 ? null : seen;
      signals.push({
        type: 'presence',
        version: Number(reply[i + 3]),
        at,
        userId: String(reply[i + 1]),
        status,
        lastSeenAt,
        offlineAt: status === 'reconnecting' && lastSeenAt !== null ? lastSeenAt + graceMs : null,
      });
    }
    for (const signal of signals) void bus.publish(presenceChannel(partitionId), signal);
    return signals;
  };

  const register = async (partitionId: string, users: string[]) => {
    for (let i = 0; i < users.length; i += BATCH) {
      const batch = users.slice(i, i + BATCH);
      announce(partitionId, await attempt(() => redis.parleyPresenceConnect(...keys(partitionId), instance, ttlMs, RETENTION_MS, ...batch)));
    }
  };
  const unregister = async (partitionId: string, users: string[]) => {
    if (users.length === 0) return;
    announce(partitionId, await attempt(() => redis.parleyPresenceDisconnect(...keys(partitionId), instance, graceMs, RETENTION_MS, ...users)));
  };
  const refreshAll = async () => {
    for (const [partitionId, users] of local) await register(partitionId, [...users.keys()]);
  };

  const refresh = setInterval(() => void refreshAll(), Math.max(50, Math.floor(ttlMs / 3)));
  refresh.unref();
  redis.on('ready', () => {
    outage.recovered();
    log.info({ component: 'presence' }, 'presence connected to Redis');
    // Redis may have restarted empty, or our refreshes lapsed: say again who is here.
    void refreshAll();
  });

  const down = (): PresenceSnapshot => ({ state: 'down', at: Date.now(), version: 0, users: [], typing: [] });

  return {
    get state() {
      return ready() ? 'up' : 'down';
    },
    graceMs,
    connect(partitionId, userId) {
      let users = local.get(partitionId);
      if (!users) local.set(partitionId, (users = new Map()));
      const count = (users.get(userId) ?? 0) + 1;
      users.set(userId, count);
      if (count === 1) void register(partitionId, [userId]);
      let released = false;
      return () => {
        if (released || closed) return;
        released = true;
        const own = local.get(partitionId);
        const left = (own?.get(userId) ?? 1) - 1;
        if (left > 0) {
          own!.set(userId, left);
          return;
        }
        own?.delete(userId);
        if (own?.size === 0) local.delete(partitionId);
        void unregister(partitionId, [userId]);
      };
    },
    async snapshot(partitionId) {
      const reply = await attempt(() => redis.parleyPresenceSnapshot(...keys(partitionId)));
      if (!reply) return down();
      const [at, version, conn, seenFlat, typingFlat] = reply;
      const users = new Map<string, { connected: boolean; lastSeenAt: number | null }>();
      for (let i = 0; i < seenFlat.length; i += 2) users.set(seenFlat[i]!, { connected: false, lastSeenAt: Number(seenFlat[i + 1]) });
      for (let i = 0; i < conn.length; i += 2) {
        const member = conn[i]!;
        const userId = member.slice(0, member.indexOf('|'));
        const expiresAt = Number(conn[i + 1]);
        const user = users.get(userId) ?? { connected: false, lastSeenAt: null };
        users.set(userId, user);
        if (expiresAt > at) user.connected = true;
        // Expired but not swept yet: the node stopped refreshing it after its last refresh.
        else user.lastSeenAt = Math.max(user.lastSeenAt ?? 0, Math.min(expiresAt - ttlMs, at));
      }
      const presences: UserPresence[] = [...users].map(([userId, u]) => derivePresence({ userId, ...u }, at, graceMs));
      const typing: TypingEntry[] = [];
      for (let i = 0; i < typingFlat.length; i += 2) {
        const member = typingFlat[i]!;
        const cut = member.indexOf('|');
        typing.push({ userId: member.slice(0, cut), roomId: member.slice(cut + 1), until: Number(typingFlat[i + 1]) });
      }
      return { state: 'up', at: Number(at), version: Number(version), users: presences, typing };
    },
    async typing(partitionId, roomId, userId) {
      typedHere.add(partitionId, roomId, userId);
      const member = `${userId}|${roomId}`;
      const reply = await attempt(() =>
        redis.parleyPresenceTyping(...keys(partitionId), throttleKey(partitionId, roomId, userId), member, typingTtlMs, typingThrottleMs),
      );
      if (!reply) {
        const at = Date.now();
        return { at, until: at + typingTtlMs, published: false };
      }
      const [at, until, first] = reply.map(Number) as [number, number, number];
      if (first === 1) void bus.publish(presenceChannel(partitionId), { type: 'typing', at, userId, roomId, until } satisfies PresenceSignal);
      return { at, until, published: first === 1 };
    },
    async stopTyping(partitionId, roomId, userId) {
      // Only what this node saw: a send is far more frequent than a typing signal, and most
      // senders were not typing here (a script per send was a quarter of its Redis work).
      if (!typedHere.take(partitionId, roomId, userId)) return;
      const reply = await attempt(() => redis.parleyPresenceStopTyping(...keys(partitionId), throttleKey(partitionId, roomId, userId), `${userId}|${roomId}`));
      if (!reply || Number(reply[1]) !== 1) return;
      const at = Number(reply[0]);
      void bus.publish(presenceChannel(partitionId), { type: 'typing', at, userId, roomId, until: at } satisfies PresenceSignal);
    },
    watch(partitionId, listener) {
      return bus.subscribe(presenceChannel(partitionId), (message) => listener(message as PresenceSignal));
    },
    async sweep(partitionId) {
      return announce(partitionId, await attempt(() => redis.parleyPresenceSweep(...keys(partitionId), ttlMs, graceMs, RETENTION_MS, BATCH)));
    },
    async close() {
      if (closed) return;
      clearInterval(refresh);
      // Whoever is still connected here is leaving with this node (a drain closes them first).
      const remaining = [...local];
      local.clear();
      for (const [partitionId, users] of remaining) await unregister(partitionId, [...users.keys()]);
      closed = true;
      await closeRedis(redis);
    },
  };
}

/**
 * Who typed where through this node in the last `ttlMs` (its own monotonic clock): the typing
 * a stop on this node can end. One entry per user and room, swept during calls.
 */
function recentTyping(ttlMs: number) {
  const until = new Map<string, number>();
  let sweepAt = 0;
  const key = (partitionId: string, roomId: string, userId: string) => `${partitionId}\u0000${roomId}\u0000${userId}`;
  return {
    add(partitionId: string, roomId: string, userId: string): void {
      const t = performance.now();
      if (t >= sweepAt) {
        sweepAt = t + ttlMs;
        for (const [k, u] of until) if (u <= t) until.delete(k);
      }
      until.set(key(partitionId, roomId, userId), t + ttlMs);
    },
    /** Whether the user was typing there (and forgets it). */
    take(partitionId: string, roomId: string, userId: string): boolean {
      const k = key(partitionId, roomId, userId);
      const u = until.get(k);
      until.delete(k);
      return u !== undefined && u > performance.now();
    },
  };
}
