import { useConnectionState } from '../lib/use-connection-state.ts';

const LABELS = {
  connected: 'Live',
  connecting: 'Connecting…',
  reconnecting: 'Reconnecting…',
  // Lazy socket: idle only until the workspace's subscription opens it.
  idle: 'Connecting…',
} as const;

export interface ConnectionIndicatorProps {
  /** The stream itself failed (not the socket): e.g. removed from the workspace. */
  streamError?: string | null;
  onRetry?: () => void;
}

export function ConnectionIndicator({ streamError = null, onRetry }: ConnectionIndicatorProps) {
  const status = useConnectionState();
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
  return (
    <div className={`connection status-${status}`} role="status" title="Live updates">
      <span className="dot" aria-hidden="true" />
      <span>{LABELS[status]}</span>
    </div>
  );
}
