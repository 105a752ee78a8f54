import type { TRPCRouterRecord } from '@trpc/server';
import { authedProcedure } from '../../trpc.ts';
import { subscribePushInput, unsubscribePushInput } from './push.schema.ts';
import * as service from './push.service.ts';

export const pushRouter = {
  /** The server's VAPID public key (base64url): `pushManager.subscribe({ applicationServerKey })`. */
  vapidKey: authedProcedure.query(({ ctx }) => service.vapidPublicKey(ctx)),
  /** This browser's subscription (`PushSubscription.toJSON()`), for you: mentions and DMs reach it with the tab closed. */
  subscribe: authedProcedure.input(subscribePushInput).mutation(({ ctx, input }) => service.subscribePush(ctx, input)),
  unsubscribe: authedProcedure.input(unsubscribePushInput).mutation(({ ctx, input }) => service.unsubscribePush(ctx, input)),
} satisfies TRPCRouterRecord;
