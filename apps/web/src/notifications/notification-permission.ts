import { useCallback, useEffect, useState } from 'react';

export type NotificationSupport = NotificationPermission | 'unsupported';

/** Whether this browser can notify through a service worker, and what the user said so far. */
export function notificationSupport(): NotificationSupport {
  if (typeof Notification === 'undefined' || typeof navigator === 'undefined' || !('serviceWorker' in navigator)) return 'unsupported';
  return Notification.permission;
}

const PROMPT_KEY = 'parley.notificationPrompt';

/** The user answered the "Turn on notifications" prompt with "Not now": it does not come back on its own. */
export function promptDismissed(): boolean {
  try {
    return localStorage.getItem(PROMPT_KEY) === 'dismissed';
  } catch {
    return false;
  }
}

export function dismissPrompt(): void {
  try {
    localStorage.setItem(PROMPT_KEY, 'dismissed');
  } catch {
    // Private mode without storage: the prompt may come back next time.
  }
}

const listeners = new Set<() => void>();

/**
 * The permission, and a way to ask for it. Asking is only ever the result of a click (the
 * prompt after a first message, the room's notification menu), never on load.
 */
export function useNotificationPermission(): { permission: NotificationSupport; request: () => Promise<NotificationSupport> } {
  const [permission, setPermission] = useState<NotificationSupport>(notificationSupport);
  useEffect(() => {
    const update = () => setPermission(notificationSupport());
    listeners.add(update);
    return () => void listeners.delete(update);
  }, []);
  const request = useCallback(async () => {
    if (notificationSupport() === 'unsupported') return 'unsupported' as const;
    const answer = await Notification.requestPermission();
    for (const l of listeners) l();
    return answer;
  }, []);
  return { permission, request };
}
