import { PersonAvatar } from '../profile/person.tsx';
import type { MentionAutocomplete } from './use-mention-autocomplete.ts';

/** The autocomplete's list above the composer (a listbox: the field keeps the focus). */
export function MentionSuggestions({ mention }: { mention: MentionAutocomplete }) {
  if (!mention.open) return null;
  return (
    <ul className="mention-suggestions" id={mention.listId} role="listbox" aria-label="People to mention">
      {mention.suggestions.map((s, i) => (
        <li
          key={s.kind === 'room' ? '@room' : s.userId}
          id={mention.optionId(i)}
          role="option"
          aria-selected={i === mention.activeIndex}
          className={i === mention.activeIndex ? 'mention-option active' : 'mention-option'}
          // Before the field loses the focus.
          onMouseDown={(event) => {
            event.preventDefault();
            mention.choose(s);
          }}
        >
          {s.kind === 'room' ? (
            <>
              <strong>@room</strong> <span className="muted">everyone in this room</span>
            </>
          ) : (
            <>
              <PersonAvatar userId={s.userId} name={s.displayName} size="small" imageOnly />@{s.displayName}
            </>
          )}
        </li>
      ))}
    </ul>
  );
}
