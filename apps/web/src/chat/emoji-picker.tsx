import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { isReactionEmoji } from '@parley/client';

/** The reactions offered first (the server takes any single emoji). */
export const QUICK_REACTIONS = ['👍', '❤️', '😂', '🎉', '😮', '😢', '🙏', '👀'] as const;

export interface EmojiPickerProps {
  onPick: (emoji: string) => void;
  /** Escape (the caller puts the focus back). */
  onClose: () => void;
  /** Focus the first emoji when shown (opened from the keyboard or a menu). */
  autoFocus?: boolean;
}

/** Eight common reactions and a field for any one emoji (a phone's emoji keyboard, or a paste). */
export function EmojiPicker({ onPick, onClose, autoFocus = true }: EmojiPickerProps) {
  const [text, setText] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const firstRef = useRef<HTMLButtonElement>(null);
  const fieldId = useId();
  const errorId = useId();

  useEffect(() => {
    if (autoFocus) firstRef.current?.focus();
  }, [autoFocus]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const emoji = text.trim();
    if (!isReactionEmoji(emoji)) {
      setProblem('Type one emoji, such as 👍.');
      return;
    }
    onPick(emoji);
  };

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key !== 'Escape') return;
    event.preventDefault();
    event.stopPropagation();
    onClose();
  };

  return (
    <div className="emoji-picker" role="group" aria-label="Choose a reaction" onKeyDown={onKeyDown}>
      <div className="emoji-quick">
        {QUICK_REACTIONS.map((emoji, i) => (
          <button
            key={emoji}
            ref={i === 0 ? firstRef : undefined}
            type="button"
            className="emoji-choice"
            aria-label={`React with ${emoji}`}
            onClick={() => onPick(emoji)}
          >
            {emoji}
          </button>
        ))}
      </div>
      <form className="emoji-other" onSubmit={submit}>
        <label htmlFor={fieldId} className="visually-hidden">
          Any emoji
        </label>
        <input
          id={fieldId}
          type="text"
          inputMode="text"
          autoComplete="off"
          placeholder="Any emoji"
          value={text}
          size={8}
          onChange={(event) => {
            setText(event.target.value);
            setProblem(null);
          }}
          aria-invalid={problem !== null || undefined}
          aria-describedby={problem ? errorId : undefined}
        />
        <button type="submit" className="button small">
          Add
        </button>
        {problem && (
          <p id={errorId} className="error-text" role="alert">
            {problem}
          </p>
        )}
      </form>
    </div>
  );
}
