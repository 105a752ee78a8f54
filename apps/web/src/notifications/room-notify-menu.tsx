import { useCallback, useEffect, useId, useRef, useState, useSyncExternalStore } from 'react';
import { defaultNotifyLevel, NOTIFY_LEVELS, type NotifyLevel } from '@parley/client';
import { useParleyClient } from '@parley/client/react';
import type { Room } from '../lib/trpc.ts';
import { useNotificationPermission } from './notification-permission.ts';

const LABEL: Record<NotifyLevel, string> = { all: 'All messages', mentions: 'Mentions and direct messages', mute: 'Nothing (mute)' };
const SHORT: Record<NotifyLevel, string> = { all: 'All', mentions: 'Mentions', mute: 'Muted' };

/** The room's notification level (all / mentions / mute), and browser notifications turned on from here. */
export function RoomNotifyMenu({ partitionId, room }: { partitionId: string; room: Room }) {
  const client = useParleyClient();
  const [open, setOpen] = useState(false);
  const menuId = useId();
  const wrapper = useRef<HTMLDivElement>(null);
  const { permission, request } = useNotificationPermission();
  const subscribe = useCallback((l: () => void) => client.notify.subscribe(l), [client]);
  const snapshot = useSyncExternalStore(subscribe, () => client.notify.getSnapshot(partitionId));
  const level = snapshot.levels[room.id] ?? defaultNotifyLevel(room.kind);

  useEffect(() => {
    if (open) void client.notify.load(partitionId);
  }, [open, client, partitionId]);
  useEffect(() => {
    if (!open) return;
    const onDown = (event: PointerEvent) => {
      if (!wrapper.current?.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener('pointerdown', onDown);
    return () => document.removeEventListener('pointerdown', onDown);
  }, [open]);

  return (
    <div className="notify-menu" ref={wrapper}>
      <button
        type="button"
        className="button subtle"
        aria-expanded={open}
        aria-controls={open ? menuId : undefined}
        title={`Notifications: ${LABEL[level]}`}
        onClick={() => setOpen((on) => !on)}
      >
        {level === 'mute' ? '🔕' : '🔔'} {SHORT[level]}
      </button>
      {open && (
        <div
          className="notify-popover"
          id={menuId}
          onKeyDown={(event) => {
            if (event.key === 'Escape') setOpen(false);
          }}
        >
          <fieldset>
            <legend>Notify me about</legend>
            {NOTIFY_LEVELS.map((l) => (
              <label key={l} className="notify-option">
                <input type="radio" name={`${menuId}-level`} value={l} checked={level === l} onChange={() => client.notify.set(partitionId, room.id, l)} />
                {LABEL[l]}
              </label>
            ))}
          </fieldset>
          {permission === 'default' && (
            <button type="button" className="button" onClick={() => void request()}>
              Turn on browser notifications
            </button>
          )}
          {permission === 'denied' && <p className="hint">Notifications are blocked for this site in your browser’s settings.</p>}
          {permission === 'unsupported' && <p className="hint">This browser cannot show notifications.</p>}
        </div>
      )}
    </div>
  );
}
