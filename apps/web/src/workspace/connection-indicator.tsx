import { useConnection } from '@parley/client/react';

export interface ConnectionIndicatorProps {
  /** The stream itself failed (not the socket): e.g. removed from the workspace. */
  streamError?: string | null;
  onRetry?: () => void;
}

/**
 * The small "Live" pill in the sidebar; the banner above the chat says more. "Live (HTTP
 * fallback)" while WebSockets cannot be opened and the updates come as server-sent events
 * (nothing is missing; the client moves back to a WebSocket by itself).
 */
export function ConnectionIndicator({ streamError = null, onRetry }: ConnectionIndicatorProps) {
  const conn = useConnection();
  if (streamError) {
    return (
      <div className="connection status-error" role="status">
        <span className="dot" aria-hidden="true" />
        <span>Live updates stopped: {streamError}</span>
        {onRetry && (
          <button type="button" className="link-button" onClick={onRetry}>
            Reconnect
          </button>
        )}
      </div>
    );
  }
  const [status, label] = !conn.online
    ? (['offline', 'Offline'] as const)
    : conn.state === 'CONNECTED'
      ? (['connected', conn.transport === 'http' ? 'Live (HTTP fallback)' : 'Live'] as const)
      : conn.state === 'FAILED'
        ? (['offline', 'Disconnected'] as const)
        : conn.state === 'RECONNECTING'
          ? (['reconnecting', 'Reconnecting…'] as const)
          : (['connecting', 'Connecting…'] as const);
  return (
    <div className={`connection status-${status}`} role="status" title="Live updates">
      <span className="dot" aria-hidden="true" />
      <span>{label}</span>
    </div>
  );
}
