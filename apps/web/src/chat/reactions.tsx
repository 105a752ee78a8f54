import { useEffect, useState } from 'react';
import type { ChatReaction } from '@parley/client';
import { useLongPress } from './use-long-press.ts';

/** How long "who reacted" stays up after a long press (ms). */
const WHO_SHOWN_MS = 4000;

export interface ReactionsProps {
  reactions: readonly ChatReaction[];
  nameOf: (userId: string) => string;
  /** Absent: the chips are shown but cannot be clicked (a viewer). */
  onToggle?: ((emoji: string) => void) | undefined;
}

/** "Ada, Bob and 3 others" */
export function reactorNames(userIds: readonly string[], nameOf: (userId: string) => string, max = 10): string {
  const names = userIds.slice(0, max).map(nameOf);
  const rest = userIds.length - names.length;
  if (rest > 0) return `${names.join(', ')} and ${rest} ${rest === 1 ? 'other' : 'others'}`;
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : (names[0] ?? '');
}

/**
 * The reactions under a message: emoji and count, highlighted (and `aria-pressed`) when mine; a
 * click adds or takes back mine. Who reacted: the chip's title on a desktop, a long press on a phone.
 */
export function Reactions({ reactions, nameOf, onToggle }: ReactionsProps) {
  const [who, setWho] = useState<string | null>(null);
  useEffect(() => {
    if (who === null) return;
    const timer = setTimeout(() => setWho(null), WHO_SHOWN_MS);
    return () => clearTimeout(timer);
  }, [who]);
  if (reactions.length === 0) return null;
  const shown = reactions.find((r) => r.emoji === who);
  return (
    <div className="reactions">
      <ul className="reaction-list" aria-label="Reactions">
        {reactions.map((r) => (
          <li key={r.emoji}>
            <ReactionChip reaction={r} names={reactorNames(r.userIds, nameOf)} onToggle={onToggle} onShowWho={() => setWho(r.emoji)} />
          </li>
        ))}
      </ul>
      {shown && (
        <p className="reaction-who" role="status">
          {reactorNames(shown.userIds, nameOf)} reacted with {shown.emoji}
        </p>
      )}
    </div>
  );
}

function ReactionChip({
  reaction,
  names,
  onToggle,
  onShowWho,
}: {
  reaction: ChatReaction;
  names: string;
  onToggle: ReactionsProps['onToggle'];
  onShowWho: () => void;
}) {
  const press = useLongPress(onShowWho);
  const label = `${reaction.emoji} ${reaction.count}: ${names}${reaction.mine ? ' (you reacted)' : ''}`;
  return (
    <button
      type="button"
      className={reaction.mine ? 'reaction-chip mine' : 'reaction-chip'}
      aria-pressed={reaction.mine}
      aria-label={label}
      title={names}
      disabled={!onToggle}
      onClick={() => onToggle?.(reaction.emoji)}
      // The row's own long press (its action sheet) is not this one.
      onTouchStart={(event) => {
        event.stopPropagation();
        press.onTouchStart(event);
      }}
      onTouchMove={press.onTouchMove}
      onTouchEnd={(event) => {
        event.stopPropagation();
        press.onTouchEnd(event);
      }}
      onTouchCancel={press.onTouchCancel}
      onClickCapture={press.onClickCapture}
      onContextMenu={press.onContextMenu}
    >
      <span aria-hidden="true">{reaction.emoji}</span> <span aria-hidden="true">{reaction.count}</span>
    </button>
  );
}
