import type { RoomReadState } from '@parley/client';
import './attention.css';

const shown = (n: number) => (n > 99 ? '99+' : String(n));

/**
 * A room's unread count, and beside it a separate mention badge ("@2") when some of them name
 * me or @room. Nothing when everything is read.
 */
export function UnreadBadge({ state }: { state: RoomReadState | undefined }) {
  const unread = state?.unread ?? 0;
  const mentions = state?.mentions ?? 0;
  if (unread === 0) return null;
  return (
    <span className="unread-badges">
      {mentions > 0 && (
        <span className="badge mention-badge" aria-label={`${mentions} ${mentions === 1 ? 'mention' : 'mentions'}`}>
          @{shown(mentions)}
        </span>
      )}
      <span className="badge" aria-label={`${unread} unread`}>
        {shown(unread)}
      </span>
    </span>
  );
}
