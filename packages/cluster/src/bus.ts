/** Cross-node publish/subscribe for committed events and ephemeral signals. */
export interface Bus {
  /** `memory` on a single node; `up`/`down` for Redis (down: nodes fall back to polling). */
  readonly state: 'memory' | 'up' | 'down';
  publish(channel: string, message: unknown): Promise<void>;
  /** Returns the unsubscribe function. Handlers are called asynchronously, in publish order. */
  subscribe(channel: string, handler: (message: unknown) => void): () => void;
  close(): Promise<void>;
}

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
      return () => {
        set.delete(handler);
        if (set.size === 0) channels.delete(channel);
      };
    },
    async close() {
      closed = true;
      channels.clear();
    },
  };
}
