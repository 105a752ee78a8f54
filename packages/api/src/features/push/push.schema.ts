import { z } from 'zod';

const base64url = (what: string, max: number) =>
  z
    .string()
    .min(1, `${what} is missing.`)
    .max(max, `${what} is too long.`)
    .regex(/^[A-Za-z0-9_-]+=*$/, `${what} is not base64url.`);

/** A browser's `PushSubscription.toJSON()` (the endpoint's scheme is checked by the service: https, or http when allowed). */
export const subscribePushInput = z.object({
  endpoint: z.url({ protocol: /^https?$/, message: 'endpoint is not an http(s) URL.' }).max(2000, 'endpoint is too long.'),
  keys: z.object({ p256dh: base64url('keys.p256dh', 200), auth: base64url('keys.auth', 100) }),
});
export type SubscribePushInput = z.infer<typeof subscribePushInput>;

export const unsubscribePushInput = z.object({
  endpoint: z.url({ protocol: /^https?$/, message: 'endpoint is not an http(s) URL.' }).max(2000, 'endpoint is too long.'),
});
export type UnsubscribePushInput = z.infer<typeof unsubscribePushInput>;
