/** `memory`: one process, nothing to lose; `up`/`down`: the Redis connections' health. */
export type BusState = 'memory' | 'up' | 'down';

/**
 * What `subscribe` returns: call it to unsubscribe. `ready` resolves once the bus really
 * delivers the channel's messages (Redis acknowledged SUBSCRIBE), or at once when the bus is
 * down (then nothing will be delivered until it is up again; see {@link Bus.onStateChange}).
 * It never rejects.
 */
export type Unsubscribe = (() => void) & { readonly ready: Promise<void> };

/** Cross-node publish/subscribe for committed events and ephemeral signals. */
export interface Bus {
  /** `memory` on a single node; `up`/`down` for Redis (down: nodes fall back to polling). */
  readonly state: BusState;
  /** Never rejects because the bus is down: a message that cannot be sent is logged and dropped. */
  publish(channel: string, message: unknown): Promise<void>;
  /** Handlers are called asynchronously, in publish order. */
  subscribe(channel: string, handler: (message: unknown) => void): Unsubscribe;
  /**
   * Called after every change of `state`. When it becomes `up` again, messages published
   * while it was down are lost: listeners catch up from the durable log.
   */
  onStateChange(listener: (state: BusState) => void): () => void;
  close(): Promise<void>;
}

/** The minimal logger the cluster implementations need (pino and the API's Logger satisfy it). */
export interface ClusterLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

const resolved = Promise.resolve();

/** The single-node bus: an in-process fan-out with the same asynchronous delivery as Redis. */
export function createMemoryBus(): Bus {
  const channels = new Map<string, Set<(message: unknown) => void>>();
  let closed = false;
  return {
    state: 'memory',
    async publish(channel, message) {
      if (closed) return;
      const handlers = channels.get(channel);
      if (!handlers) return;
      // Serialize like a real bus would, so no subscriber can mutate another's copy.
      const wire = JSON.stringify(message);
      queueMicrotask(() => {
        for (const handler of [...handlers]) handler(JSON.parse(wire));
      });
    },
    subscribe(channel, handler) {
      let set = channels.get(channel);
      if (!set) channels.set(channel, (set = new Set()));
      set.add(handler);
      const off = () => {
        set.delete(handler);
        if (set.size === 0) channels.delete(channel);
      };
      return Object.assign(off, { ready: resolved });
    },
    onStateChange() {
      // An in-process bus is never down.
      return () => {};
    },
    async close() {
      closed = true;
      channels.clear();
    },
  };
}
