import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { createPortal } from 'react-dom';
import { EmojiPicker } from './emoji-picker.tsx';
import { formatTimeLeft, type MessageAbilities } from './message-permissions.ts';

export interface ActionHandlers {
  onReact: (emoji: string) => void;
  onReply: () => void;
  onEdit: () => void;
  /** Asks first (the caller's dialog). */
  onDeleteForEveryone: () => void;
  onDeleteForMe: () => void;
  onPin: () => void;
  onUnpin: () => void;
}

interface Entry {
  key: string;
  label: string;
  run: () => void;
  danger?: boolean;
}

/** The actions besides reacting, in the order both the toolbar and the sheet show them. */
function entries(abilities: MessageAbilities, handlers: ActionHandlers): Entry[] {
  const list: Entry[] = [];
  if (abilities.reply) list.push({ key: 'reply', label: 'Reply', run: handlers.onReply });
  if (abilities.editLeftMs !== null) list.push({ key: 'edit', label: `Edit (${formatTimeLeft(abilities.editLeftMs)} left)`, run: handlers.onEdit });
  if (abilities.pin) list.push({ key: 'pin', label: 'Pin', run: handlers.onPin });
  if (abilities.unpin) list.push({ key: 'unpin', label: 'Unpin', run: handlers.onUnpin });
  if (abilities.deleteForEveryone) list.push({ key: 'delete-everyone', label: 'Delete for everyone', run: handlers.onDeleteForEveryone, danger: true });
  if (abilities.deleteForMe) list.push({ key: 'delete-me', label: 'Delete for me', run: handlers.onDeleteForMe, danger: true });
  return list;
}

/** Whether a message has anything to offer (else no toolbar, no sheet). */
export function hasActions(abilities: MessageAbilities): boolean {
  return abilities.react || entries(abilities, NO_HANDLERS).length > 0;
}

const noop = () => {};
const NO_HANDLERS: ActionHandlers = { onReact: noop, onReply: noop, onEdit: noop, onDeleteForEveryone: noop, onDeleteForMe: noop, onPin: noop, onUnpin: noop };

/** Left/Right (and Home/End) move between a toolbar's buttons, as WAI-ARIA's toolbar pattern has it. */
function moveInToolbar(event: KeyboardEvent<HTMLElement>): boolean {
  const keys = ['ArrowLeft', 'ArrowRight', 'Home', 'End'];
  if (!keys.includes(event.key)) return false;
  const buttons = [...event.currentTarget.children].filter((el): el is HTMLButtonElement => el instanceof HTMLButtonElement);
  const at = buttons.indexOf(event.target as HTMLButtonElement);
  if (at < 0) return false;
  const next =
    event.key === 'Home' ? 0 : event.key === 'End' ? buttons.length - 1 : (at + (event.key === 'ArrowRight' ? 1 : -1) + buttons.length) % buttons.length;
  buttons[next]?.focus();
  return true;
}

/**
 * The desktop toolbar of a hovered or focused message. Escape (here or in its emoji picker)
 * closes it, through `onClose`, which puts the focus back on the message.
 */
export function MessageToolbar({ abilities, handlers, onClose }: { abilities: MessageAbilities; handlers: ActionHandlers; onClose: () => void }) {
  const [picking, setPicking] = useState(false);
  const reactRef = useRef<HTMLButtonElement>(null);
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (moveInToolbar(event)) {
      event.preventDefault();
      return;
    }
    if (event.key !== 'Escape') return;
    event.preventDefault();
    event.stopPropagation();
    onClose();
  };
  return (
    <div className="message-toolbar-wrap">
      <div className="message-toolbar" role="toolbar" aria-label="Message actions" onKeyDown={onKeyDown}>
        {abilities.react && (
          <button ref={reactRef} type="button" className="toolbar-button" aria-expanded={picking} onClick={() => setPicking((on) => !on)}>
            React
          </button>
        )}
        {entries(abilities, handlers).map((e) => (
          <button key={e.key} type="button" className={e.danger ? 'toolbar-button danger' : 'toolbar-button'} onClick={e.run}>
            {e.label}
          </button>
        ))}
      </div>
      {picking && (
        <div className="toolbar-popover">
          <EmojiPicker
            onPick={(emoji) => {
              setPicking(false);
              handlers.onReact(emoji);
            }}
            onClose={() => {
              setPicking(false);
              reactRef.current?.focus();
            }}
          />
        </div>
      )}
    </div>
  );
}

/**
 * A phone's action sheet (opened by a long press): the reactions on top, then the actions as
 * large buttons. Escape, the backdrop or Cancel close it. In a portal, so a scroller never clips it.
 */
export function MessageActionSheet({ abilities, handlers, onClose }: { abilities: MessageAbilities; handlers: ActionHandlers; onClose: () => void }) {
  const sheetRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    sheetRef.current?.querySelector<HTMLButtonElement>('button')?.focus();
  }, []);
  const run = (action: () => void) => () => {
    onClose();
    action();
  };
  return createPortal(
    // Focus and touches inside the sheet are not the message row's (it sits under it in React's tree):
    // the row's long press would otherwise take a tap's touchend for its own and cancel its click.
    <div
      className="sheet-backdrop"
      onClick={onClose}
      onFocus={(e) => e.stopPropagation()}
      onBlur={(e) => e.stopPropagation()}
      onTouchStart={(e) => e.stopPropagation()}
      onTouchMove={(e) => e.stopPropagation()}
      onTouchEnd={(e) => e.stopPropagation()}
      onTouchCancel={(e) => e.stopPropagation()}
    >
      <div
        ref={sheetRef}
        className="action-sheet"
        role="dialog"
        aria-modal="true"
        aria-label="Message actions"
        onClick={(event) => event.stopPropagation()}
        onKeyDown={(event) => {
          event.stopPropagation();
          if (event.key !== 'Escape') return;
          event.preventDefault();
          onClose();
        }}
      >
        {abilities.react && (
          <EmojiPicker
            autoFocus={false}
            onPick={(emoji) => {
              onClose();
              handlers.onReact(emoji);
            }}
            onClose={onClose}
          />
        )}
        <ul className="sheet-actions">
          {entries(abilities, handlers).map((e) => (
            <li key={e.key}>
              <button type="button" className={e.danger ? 'sheet-button danger' : 'sheet-button'} onClick={run(e.run)}>
                {e.label}
              </button>
            </li>
          ))}
        </ul>
        <button type="button" className="sheet-button cancel" onClick={onClose}>
          Cancel
        </button>
      </div>
    </div>,
    document.body,
  );
}
