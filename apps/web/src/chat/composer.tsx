import { markdownToText } from '@parley/client';
import { useId, useRef, useState, type ClipboardEvent, type FormEvent, type KeyboardEvent, type ReactNode, type Ref } from 'react';
import { MentionSuggestions } from '../mentions/mention-suggestions.tsx';
import { useMentionAutocomplete } from '../mentions/use-mention-autocomplete.ts';
import { checkDraft } from './message-draft.ts';

/** The message being answered, as the composer names it. */
export interface ReplyTarget {
  id: string;
  authorName: string;
  snippet: string;
}

export interface ComposerProps {
  /** `#general`, or a direct message's people ("Ada, Grace"). */
  roomLabel: string;
  /** Called with the trimmed body; the composer clears itself. */
  onSend: (body: string) => void;
  /** Called on every edit that leaves something to send (throttling is the caller's). */
  onTyping?: (() => void) | undefined;
  /** When set, writing is not possible here and this says why. */
  disabledReason?: string | null;
  /** Answering this message: a bar above the field; Escape or × stops it. */
  replyingTo?: ReplyTarget | null;
  onCancelReply?: (() => void) | undefined;
  /** Up-arrow in an empty field: edit my last message. True when there was one to edit. */
  onEditLast?: (() => boolean) | undefined;
  inputRef?: Ref<HTMLTextAreaElement> | undefined;
  /** Before the field (the paperclip). */
  tools?: ReactNode;
  /** Above the field: the file that goes with the message, or why it could not. */
  attachment?: ReactNode;
  /** A file is attached: the text may be empty. */
  hasFile?: boolean;
  /** Files pasted into the field (a screenshot from the clipboard). */
  onPasteFiles?: ((files: File[]) => void) | undefined;
}

/** Enter sends, Shift+Enter starts a new line; Up-arrow in an empty field edits my last message. */
export function Composer({
  roomLabel,
  onSend,
  onTyping,
  disabledReason = null,
  replyingTo = null,
  onCancelReply,
  onEditLast,
  inputRef: outerRef,
  tools = null,
  attachment = null,
  hasFile = false,
  onPasteFiles,
}: ComposerProps) {
  const [text, setText] = useState('');
  const ownRef = useRef<HTMLTextAreaElement>(null);
  // `@` suggests the room's members; the names inserted go out as mention tokens.
  const mention = useMentionAutocomplete(text, setText, ownRef);
  const inputId = useId();
  const hintId = useId();
  const replyId = useId();
  const checked = checkDraft(text);
  // With a file the text is a caption, and may be empty.
  const draft = hasFile && checked.problem === 'empty' ? { ...checked, canSend: true, problem: null } : checked;
  const disabled = disabledReason !== null;

  const setInput = (el: HTMLTextAreaElement | null) => {
    ownRef.current = el;
    if (typeof outerRef === 'function') outerRef(el);
    else if (outerRef) outerRef.current = el;
  };

  const send = () => {
    if (disabled || !draft.canSend) return;
    onSend(mention.encode(draft.body));
    mention.reset();
    setText('');
    ownRef.current?.focus();
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    send();
  };

  const onPaste = (event: ClipboardEvent<HTMLTextAreaElement>) => {
    const files = [...(event.clipboardData?.files ?? [])];
    if (files.length === 0 || !onPasteFiles) return;
    event.preventDefault();
    onPasteFiles(files);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    // While an IME is composing (Japanese, Chinese, …), its keys are its own.
    if (event.nativeEvent.isComposing) return;
    if (mention.onKeyDown(event)) return;
    if (event.key === 'Escape' && replyingTo) {
      event.preventDefault();
      onCancelReply?.();
      return;
    }
    const plain = !event.shiftKey && !event.altKey && !event.ctrlKey && !event.metaKey;
    if (event.key === 'ArrowUp' && plain && text === '' && onEditLast) {
      if (onEditLast()) event.preventDefault();
      return;
    }
    if (event.key !== 'Enter' || event.shiftKey) return;
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
      {replyingTo && !disabled && (
        <div className="reply-bar" id={replyId}>
          <span className="reply-bar-text" dir="auto">
            Replying to <strong>{replyingTo.authorName}</strong>: {markdownToText(replyingTo.snippet)}
          </span>
          <button type="button" className="icon-button reply-cancel" aria-label="Cancel reply" title="Cancel reply (Escape)" onClick={onCancelReply}>
            ×
          </button>
        </div>
      )}
      <label htmlFor={inputId} className="visually-hidden">
        Message {roomLabel}
      </label>
      {!disabled && attachment}
      {!disabled && <MentionSuggestions mention={mention} />}
      <div className="composer-row">
        {!disabled && tools}
        <textarea
          id={inputId}
          ref={setInput}
          className="composer-input"
          dir="auto"
          rows={1}
          value={text}
          placeholder={disabled ? '' : `Message ${roomLabel}`}
          onChange={(event) => {
            setText(event.target.value);
            mention.typed(event.target);
            if (event.target.value.trim()) onTyping?.();
          }}
          onSelect={(event) => mention.track(event.currentTarget)}
          {...mention.inputProps}
          onKeyDown={onKeyDown}
          onPaste={onPaste}
          disabled={disabled}
          aria-describedby={replyingTo && !disabled ? `${replyId} ${hintId}` : hintId}
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
