import { useId, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { checkDraft } from './message-draft.ts';

export interface ComposerProps {
  roomName: string;
  /** Called with the trimmed body; the composer clears itself. */
  onSend: (body: string) => void;
  /** Called on every edit that leaves something to send (throttling is the caller's). */
  onTyping?: (() => void) | undefined;
  /** When set, writing is not possible here and this says why. */
  disabledReason?: string | null;
}

/** Enter sends, Shift+Enter starts a new line. */
export function Composer({ roomName, onSend, onTyping, disabledReason = null }: ComposerProps) {
  const [text, setText] = useState('');
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const inputId = useId();
  const hintId = useId();
  const draft = checkDraft(text);
  const disabled = disabledReason !== null;

  const send = () => {
    if (disabled || !draft.canSend) return;
    onSend(draft.body);
    setText('');
    inputRef.current?.focus();
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    send();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    // While an IME is composing (Japanese, Chinese, …), Enter confirms the composition.
    if (event.key !== 'Enter' || event.shiftKey || event.nativeEvent.isComposing) return;
    event.preventDefault();
    send();
  };

  let hint: string;
  if (disabled) hint = disabledReason;
  else if (draft.problem === 'too-long') hint = `Too long by ${-draft.remaining} characters.`;
  else if (draft.problem === 'empty') hint = 'Type a message. Enter sends, Shift+Enter adds a line.';
  else hint = 'Enter sends, Shift+Enter adds a line.';

  return (
    <form className="composer" onSubmit={onSubmit}>
      <label htmlFor={inputId} className="visually-hidden">
        Message #{roomName}
      </label>
      <div className="composer-row">
        <textarea
          id={inputId}
          ref={inputRef}
          className="composer-input"
          rows={1}
          value={text}
          placeholder={disabled ? '' : `Message #${roomName}`}
          onChange={(event) => {
            setText(event.target.value);
            if (event.target.value.trim()) onTyping?.();
          }}
          onKeyDown={onKeyDown}
          disabled={disabled}
          aria-describedby={hintId}
          aria-invalid={draft.problem === 'too-long' || undefined}
        />
        <button type="submit" className="button primary" disabled={disabled || !draft.canSend}>
          Send
        </button>
      </div>
      <div className="composer-meta">
        <span id={hintId} className={draft.problem === 'too-long' ? 'hint error-text' : 'hint'}>
          {hint}
        </span>
        {!disabled && draft.showCounter && (
          <span className={draft.remaining < 0 ? 'counter error-text' : 'counter'} aria-live="polite">
            {draft.remaining >= 0 ? `${draft.remaining} characters left` : `${-draft.remaining} over`}
          </span>
        )}
      </div>
    </form>
  );
}
