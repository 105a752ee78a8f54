import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { decodeMentions, encodeMentions } from '@parley/client';
import { useMentionScope } from '../mentions/mention-context.tsx';

export interface MessageEditFormProps {
  initial: string;
  /** Throws when the change cannot be made (too long, already sent); the form shows why. */
  onSave: (body: string) => void;
  onCancel: () => void;
}

/** A message's text edited in place: Enter saves, Shift+Enter adds a line, Escape cancels. */
export function MessageEditForm({ initial, onSave, onCancel }: MessageEditFormProps) {
  const scope = useMentionScope();
  // Mention tokens read as "@Name" while editing, and go back as tokens.
  const [decoded] = useState(() => (scope ? decodeMentions(initial, scope.nameOf) : { text: initial, picked: [] }));
  const [text, setText] = useState(decoded.text);
  const [error, setError] = useState<string | null>(null);
  const inputRef = useRef<HTMLTextAreaElement>(null);
  useEffect(() => {
    const input = inputRef.current;
    if (!input) return;
    input.focus();
    input.setSelectionRange(input.value.length, input.value.length);
  }, []);

  const save = () => {
    try {
      onSave(encodeMentions(text, decoded.picked));
    } catch (e) {
      setError(e instanceof Error ? e.message : 'Could not change the message.');
    }
  };
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    save();
  };
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      onCancel();
    } else if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      save();
    }
  };

  return (
    <form className="message-edit" onSubmit={onSubmit}>
      <textarea
        ref={inputRef}
        aria-label="Edit message"
        dir="auto"
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          setError(null);
        }}
        onKeyDown={onKeyDown}
        rows={2}
      />
      <button type="submit" className="button primary small">
        Save
      </button>
      <button type="button" className="button subtle small" onClick={onCancel}>
        Cancel
      </button>
      <span className="hint">Enter saves, Escape cancels.</span>
      {error && (
        <p className="error-text" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
