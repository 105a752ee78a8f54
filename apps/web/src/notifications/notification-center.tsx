import { useEffect, useRef, useState } from 'react';
import { useParleyClient } from '@parley/client/react';
import type { Room } from '../lib/trpc.ts';
import { notificationFor, type NotificationSpec } from './notification-for.ts';
import { dismissPrompt, notificationSupport, promptDismissed, useNotificationPermission } from './notification-permission.ts';

export interface NotificationCenterProps {
  partitionId: string;
  meId: string;
  rooms: readonly Room[] | undefined;
  nameOf: (userId: string) => string | undefined;
  /** Open a notification's message: the app's hash route (`#/w/…/r/…/m/…`). */
  openHash: (hash: string) => void;
}

/** The page is out of sight (another tab, a minimised window) or not the one being used. */
function away(): boolean {
  return document.visibilityState === 'hidden' || !document.hasFocus();
}

/** This browser's push subscription (made with the server's VAPID key when there is none), given to the server. */
async function subscribeToPush(client: ReturnType<typeof useParleyClient>): Promise<void> {
  const registration = await navigator.serviceWorker.ready;
  let subscription = await registration.pushManager.getSubscription();
  if (!subscription) {
    const { publicKey } = await client.trpc.push.vapidKey.query();
    subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: publicKey });
  }
  const json = subscription.toJSON();
  if (!json.endpoint || !json.keys?.p256dh || !json.keys.auth) return;
  await client.trpc.push.subscribe.mutate({ endpoint: json.endpoint, keys: { p256dh: json.keys.p256dh, auth: json.keys.auth } });
}

async function show(spec: NotificationSpec): Promise<void> {
  const registration = await navigator.serviceWorker.ready;
  await registration.showNotification(spec.title, { body: spec.body, tag: spec.tag, data: { url: spec.url } });
}

/**
 * Browser notifications of one workspace while the page is open but away: a new message that
 * the room's level asks for (DMs: every message; rooms: mentions of me or `@room`; muted: none)
 * is shown by the service worker (`registration.showNotification`), and a click brings the
 * page back at that message. After my first message, a small prompt offers to turn them on
 * (never on load); the room menu offers it too.
 */
export function NotificationCenter({ partitionId, meId, rooms, nameOf, openHash }: NotificationCenterProps) {
  const client = useParleyClient();
  const { permission, request } = useNotificationPermission();
  const [prompt, setPrompt] = useState(false);
  const latest = useRef({ rooms, nameOf, permission, openHash });
  latest.current = { rooms, nameOf, permission, openHash };

  // The levels are needed once notifications can be shown.
  useEffect(() => {
    if (permission === 'granted') void client.notify.load(partitionId);
  }, [client, partitionId, permission]);

  useEffect(() => {
    const seen = new Set<string>();
    return client.messages.onEvent((event) => {
      if (event.type !== 'message.created' || event.partitionId !== partitionId) return;
      const message = event.data;
      if (message.authorId === meId) {
        if (notificationSupport() === 'default' && !promptDismissed()) setPrompt(true);
        return;
      }
      const { rooms: list, nameOf: names, permission: allowed } = latest.current;
      if (allowed !== 'granted' || !away() || seen.has(message.id)) return;
      const room = list?.find((r) => r.id === message.roomId);
      const level = client.notify.levelOf(partitionId, message.roomId, room?.kind ?? 'public');
      const spec = notificationFor(message, { meId, level, room, nameOf: names, now: Date.now(), origin: location.origin });
      if (!spec) return;
      seen.add(message.id);
      show(spec).catch((error: unknown) => console.warn('Parley could not show a notification.', error));
    });
  }, [client, partitionId, meId]);

  // With the tab closed too: this browser subscribes to Web Push for this user (the server
  // pushes what the room levels ask for). Where there is no push service, the open page still notifies.
  useEffect(() => {
    if (permission !== 'granted' || !('PushManager' in window)) return;
    subscribeToPush(client).catch((error: unknown) => console.info('Parley: no Web Push in this browser; notifications need the tab open.', error));
  }, [client, permission]);

  // A click on a notification (service worker → this page): go to the message.
  useEffect(() => {
    if (!('serviceWorker' in navigator)) return;
    const onMessage = (event: MessageEvent) => {
      const data = event.data as { type?: string; url?: string } | null;
      if (data?.type !== 'parley.open' || typeof data.url !== 'string') return;
      const url = new URL(data.url, location.origin);
      if (url.origin === location.origin && url.hash.startsWith(`#/w/${encodeURIComponent(partitionId)}/`)) latest.current.openHash(url.hash);
    };
    navigator.serviceWorker.addEventListener('message', onMessage);
    return () => navigator.serviceWorker.removeEventListener('message', onMessage);
  }, [partitionId]);

  if (!prompt || permission !== 'default') return null;
  return (
    <div className="banner notification-prompt" role="status">
      <span>Get a browser notification when someone mentions you or sends you a direct message?</span>
      <button
        type="button"
        className="button primary"
        onClick={() => {
          setPrompt(false);
          void request();
        }}
      >
        Turn on notifications
      </button>
      <button
        type="button"
        className="button subtle"
        onClick={() => {
          dismissPrompt();
          setPrompt(false);
        }}
      >
        Not now
      </button>
    </div>
  );
}
