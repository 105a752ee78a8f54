import { MENTION_ROOM } from '@parley/client';
import { useMentionScope } from './mention-context.tsx';

/** A mention in a message: "@Name" (or "@room"), highlighted more when it is me. */
export function MentionChip({ target }: { target: string }) {
  const scope = useMentionScope();
  const isRoom = target === MENTION_ROOM;
  const name = isRoom ? 'room' : (scope?.nameOf(target) ?? 'someone');
  const me = isRoom || (scope !== null && target === scope.meId);
  return (
    <span className={me ? 'mention mention-me' : 'mention'} data-mention={target}>
      @{name}
    </span>
  );
}
