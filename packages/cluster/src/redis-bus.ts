import type { Bus, BusState, ClusterLogger, Unsubscribe } from './bus.ts';
import { closeRedis, openRedis, outageLog } from './redis-connection.ts';

/** A publish that Redis has not answered by then is dropped (the log poll delivers it). */
const PUBLISH_TIMEOUT_MS = 1000;

export interface RedisBusOptions {
  /** `redis://…` or `rediss://…`. */
  url: string;
  log: ClusterLogger;
  /** Prepended to every channel, so deployments (or test files) can share one Redis. */
  prefix?: string | undefined;
  /** Shown by `CLIENT LIST` as `<name>:pub` / `<name>:sub`. */
  name?: string | undefined;
}

const resolved = Promise.resolve();

/**
 * The cross-node bus on Redis pub/sub, with one connection to publish and one to subscribe
 * (a subscribed Redis connection can do nothing else).
 *
 * `state` is `up` only while both connections are ready and every channel is subscribed on
 * the current subscriber connection. While it is `down`, `publish` logs and drops (the
 * message is already durable: other nodes read it from the event log) and nothing is
 * delivered; after a reconnect every channel is subscribed again before `up` is announced,
 * so a listener that catches up on `up` misses nothing.
 */
export function createRedisBus(opts: RedisBusOptions): Bus {
  const prefix = opts.prefix ?? 'parley:';
  const name = opts.name ?? 'parley-bus';
  const { log } = opts;
  const pub = openRedis(opts.url, `${name}:pub`, { commandTimeout: PUBLISH_TIMEOUT_MS, enableAutoPipelining: true });
  // We resubscribe ourselves on `ready`, so `up` can wait until it is done.
  const sub = openRedis(opts.url, `${name}:sub`, { autoResubscribe: false });

  const handlers = new Map<string, Set<(message: unknown) => void>>();
  const listeners = new Set<(state: BusState) => void>();
  const outage = outageLog(log, 'bus');
  let state: 'up' | 'down' = 'down';
  let closed = false;
  let dropped = 0;
  // Which subscriber connection (bumped on every ready/close) has all channels subscribed.
  let subGeneration = 0;
  let subscribedGeneration = -1;

  const update = () => {
    const next = !closed && pub.status === 'ready' && sub.status === 'ready' && subscribedGeneration === subGeneration ? 'up' : 'down';
    if (next === state || closed) return;
    state = next;
    if (next === 'up') {
      outage.recovered();
      log.info({ component: 'bus', droppedWhileDown: dropped }, 'redis bus is up');
      dropped = 0;
    } else {
      log.warn({ component: 'bus' }, 'redis bus is down: nodes fall back to polling the event log');
    }
    for (const listener of [...listeners]) listener(next);
  };

  const onProblem = (err: unknown) => {
    outage.problem(err, 'redis bus connection problem; reconnecting');
    update();
  };

  const resubscribe = async () => {
    const generation = ++subGeneration;
    const channels = [...handlers.keys()].map((c) => prefix + c);
    try {
      if (channels.length > 0) await sub.subscribe(...channels);
      if (generation === subGeneration && sub.status === 'ready') subscribedGeneration = generation;
    } catch (err) {
      onProblem(err);
    }
    update();
  };

  sub.on('ready', () => void resubscribe());
  for (const event of ['close', 'end', 'reconnecting']) {
    sub.on(event, () => {
      subGeneration++;
      update();
    });
    pub.on(event, update);
  }
  pub.on('ready', update);
  pub.on('error', onProblem);
  sub.on('error', onProblem);

  sub.on('message', (channel: string, raw: string) => {
    const set = channel.startsWith(prefix) ? handlers.get(channel.slice(prefix.length)) : undefined;
    if (!set) return;
    for (const handler of [...set]) {
      try {
        // One parse per handler, as on the memory bus: no subscriber sees another's mutations.
        handler(JSON.parse(raw));
      } catch (err) {
        log.warn({ err, channel, component: 'bus' }, 'bus handler failed');
      }
    }
  });

  const drop = (channel: string, err?: unknown) => {
    dropped++;
    outage.problem(err, `redis bus cannot publish (channel ${channel}); dropping, nodes poll the event log`);
  };

  return {
    get state() {
      return closed ? 'down' : state;
    },
    async publish(channel, message) {
      if (closed) return;
      if (pub.status !== 'ready') return drop(channel);
      try {
        await pub.publish(prefix + channel, JSON.stringify(message));
      } catch (err) {
        drop(channel, err);
      }
    },
    subscribe(channel, handler): Unsubscribe {
      let set = handlers.get(channel);
      let ready = resolved;
      if (!set) {
        handlers.set(channel, (set = new Set()));
        if (!closed && sub.status === 'ready') {
          ready = sub.subscribe(prefix + channel).then(
            () => {},
            (err: unknown) => onProblem(err),
          );
        }
      }
      const own = set;
      own.add(handler);
      const off = () => {
        if (!own.delete(handler) || own.size > 0 || handlers.get(channel) !== own) return;
        handlers.delete(channel);
        if (!closed && sub.status === 'ready') sub.unsubscribe(prefix + channel).catch((err: unknown) => onProblem(err));
      };
      return Object.assign(off, { ready });
    },
    onStateChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      if (closed) return;
      closed = true;
      listeners.clear();
      handlers.clear();
      await Promise.all([closeRedis(pub), closeRedis(sub)]);
    },
  };
}
