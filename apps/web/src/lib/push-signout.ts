import type { ParleyClient } from '@parley/client';

/** How long signing out waits for the server to forget this browser's push subscription. */
const UNSUBSCRIBE_WAIT_MS = 3000;

/**
 * Signing out ends this browser's Web Push: the server forgets the subscription (so no mention
 * or DM of the account that left shows on a shared computer) and the browser drops it (the next
 * account that turns notifications on makes a new one). Offline, the browser's part still
 * happens; the push service then answers the server's next push with 410 and the server deletes
 * the subscription itself. Never throws, and never holds sign-out up for more than 3 seconds.
 */
export async function endPushOnSignOut(client: Pick<ParleyClient, 'trpc'>): Promise<void> {
  try {
    if (typeof navigator === 'undefined' || !('serviceWorker' in navigator)) return;
    const registration = await navigator.serviceWorker.getRegistration();
    const subscription = await registration?.pushManager?.getSubscription();
    if (!subscription) return;
    const told = client.trpc.push.unsubscribe.mutate({ endpoint: subscription.endpoint }).catch(() => undefined);
    await Promise.race([told, new Promise((resolve) => setTimeout(resolve, UNSUBSCRIBE_WAIT_MS))]);
    await subscription.unsubscribe().catch(() => false);
  } catch {
    // No service worker or no push in this browser: nothing to end.
  }
}
