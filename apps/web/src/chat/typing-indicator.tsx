import type { TypingUser } from '@parley/client';
import { describeTyping } from '../workspace/presence-text.ts';

/**
 * "Ada is typing…" under the messages. The line keeps its height when empty, so the list does
 * not jump each time someone starts or stops.
 */
export function TypingIndicator({ users, nameOf }: { users: readonly TypingUser[]; nameOf: (userId: string) => string }) {
  const text = describeTyping(users.map((u) => nameOf(u.userId)));
  return (
    <p className="typing-indicator" aria-live="polite">
      {text ?? ' '}
    </p>
  );
}
