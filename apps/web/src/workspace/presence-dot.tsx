import type { PresenceStatus } from '@parley/client';

/** A colored dot: green online, amber reconnecting, grey offline; `label` says it in words. */
export function PresenceDot({ status, label }: { status: PresenceStatus; label: string }) {
  return <span className={`presence-dot presence-${status}`} role="img" aria-label={label} title={label} />;
}
