import { useBlocks } from '@parley/client/react';

export interface BlockButtonProps {
  userId: string;
  name: string;
  /** Asks before blocking (tests pass their own). */
  confirm?: (question: string) => boolean;
}

/**
 * Block or Unblock one person (in every workspace at once), through the outbox: shown at once.
 * Blocking asks first; unblocking does not.
 */
export function BlockButton({ userId, name, confirm = (q) => window.confirm(q) }: BlockButtonProps) {
  const blocks = useBlocks();
  const blocked = blocks.ids.has(userId);
  return (
    <button
      type="button"
      className="member-block"
      aria-label={blocked ? `Unblock ${name}` : `Block ${name}`}
      title={blocked ? `Unblock ${name}` : `Block ${name}`}
      aria-pressed={blocked}
      onClick={() => {
        if (blocked) {
          blocks.unblock(userId);
          return;
        }
        const question = `Block ${name}? Their messages will be collapsed for you (you can still open each one), and they cannot start a direct message with you or add you to a room.`;
        if (confirm(question)) blocks.block(userId);
      }}
    >
      {blocked ? 'Unblock' : 'Block'}
    </button>
  );
}
