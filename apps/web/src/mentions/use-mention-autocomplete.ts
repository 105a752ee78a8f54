import { useCallback, useEffect, useId, useRef, useState, type KeyboardEvent, type RefObject } from 'react';
import { encodeMentions, insertMention, mentionQueryAt, suggestMentions, type MentionSuggestion, type PickedMention } from '@parley/client';
import { useMentionScope } from './mention-context.tsx';

/**
 * The composer's `@` autocomplete: the suggestions for the `@query` at the caret, keyboard
 * choice (arrows, Enter or Tab, Escape), the people inserted (shown as "@Name", sent as tokens).
 */
export function useMentionAutocomplete(text: string, setText: (text: string) => void, inputRef: RefObject<HTMLTextAreaElement | null>) {
  const scope = useMentionScope();
  const listId = useId();
  const [picked, setPicked] = useState<PickedMention[]>([]);
  const [caret, setCaret] = useState<number | null>(null);
  const [active, setActive] = useState(0);
  /** The `@` whose suggestions were closed with Escape (they stay closed until another `@`). */
  const [dismissed, setDismissed] = useState<number | null>(null);
  /** The text a choice put in the field, until the field shows it (a select event of the same key press still sees the old text). */
  const chosen = useRef<string | null>(null);
  useEffect(() => {
    if (chosen.current === text) chosen.current = null;
  }, [text]);

  const query = caret !== null ? mentionQueryAt(text, caret) : null;
  const suggestions: MentionSuggestion[] =
    query && scope && dismissed !== query.start ? suggestMentions(scope.candidates, query.query, { me: scope.meId, allowRoom: scope.allowRoom }) : [];
  const open = suggestions.length > 0;
  const activeIndex = Math.min(active, Math.max(0, suggestions.length - 1));

  /** After every change of the selection (and of the text: `typed`). */
  const track = useCallback((el: HTMLTextAreaElement) => {
    if (chosen.current !== null && el.value !== chosen.current) return;
    setCaret(el.selectionStart === el.selectionEnd ? el.selectionStart : null);
    setActive(0);
  }, []);

  const choose = (choice: MentionSuggestion) => {
    if (!query || caret === null) return;
    const next = insertMention(text, query.start, caret, choice);
    chosen.current = next.text;
    setText(next.text);
    if (choice.kind === 'user')
      setPicked((list) => [...list.filter((p) => p.userId !== choice.userId), { userId: choice.userId, displayName: choice.displayName }]);
    setCaret(next.caret);
    const el = inputRef.current;
    if (el) {
      el.focus();
      // After React has put the new text in the field, unless something was typed meanwhile (a
      // fast typist, a slow machine): then the caret is already where the typing left it, and
      // moving it back would put the next keys before the last ones.
      requestAnimationFrame(() => {
        if (el.value === next.text) el.setSelectionRange(next.caret, next.caret);
      });
    }
  };

  /** The composer's keys go here first: true when the autocomplete used the key. */
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>): boolean => {
    if (!open || !query) return false;
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      const n = suggestions.length;
      setActive((activeIndex + (event.key === 'ArrowDown' ? 1 : n - 1)) % n);
      return true;
    }
    if ((event.key === 'Enter' && !event.shiftKey) || event.key === 'Tab') {
      event.preventDefault();
      choose(suggestions[activeIndex]!);
      return true;
    }
    if (event.key === 'Escape') {
      event.preventDefault();
      setDismissed(query.start);
      return true;
    }
    return false;
  };

  const optionId = (i: number) => `${listId}-${i}`;
  return {
    open,
    suggestions,
    activeIndex,
    listId,
    optionId,
    choose,
    onKeyDown,
    track,
    /** The person typed: the field is theirs again. */
    typed: (el: HTMLTextAreaElement) => {
      chosen.current = null;
      track(el);
    },
    /** The text to send: the inserted names as tokens. */
    encode: (body: string) => encodeMentions(body, picked),
    /** After sending: nothing is picked any more. */
    reset: () => {
      setPicked([]);
      setDismissed(null);
    },
    /** For the text field (a combobox while suggestions show). */
    inputProps: {
      role: 'combobox' as const,
      'aria-autocomplete': 'list' as const,
      'aria-expanded': open,
      'aria-controls': open ? listId : undefined,
      'aria-activedescendant': open ? optionId(activeIndex) : undefined,
    },
  };
}

export type MentionAutocomplete = ReturnType<typeof useMentionAutocomplete>;
