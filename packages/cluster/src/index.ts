/**
 * @parley/cluster — the infrastructure interfaces `packages/api` receives through its
 * context, with in-memory implementations (Redis ones join them for multi-node runs).
 *
 * @example
 * ```ts
 * const bus = createMemoryBus();
 * const off = bus.subscribe('events:acme', (e) => console.log(e));
 * await bus.publish('events:acme', { id: 1 });
 * off();
 * ```
 */
export { createMemoryBus, type Bus } from './bus.ts';
