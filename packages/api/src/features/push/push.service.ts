import webpush from 'web-push';
import type { Kysely } from 'kysely';
import type { Database, User } from '@parley/db';
import { defaultNotifyLevel, MENTION_ROOM, shouldNotify, splitMentions } from '@parley/rules';
import type { Context } from '../../context.ts';
import { AppError } from '../../errors.ts';
import type { MessageDto } from '../message/message.types.ts';
import { findMembers } from '../partition/partition.service.ts';
import type { InPartition } from '../room/room.service.ts';
import * as repo from './push.repo.ts';
import type { SubscribePushInput, UnsubscribePushInput } from './push.schema.ts';

/** What a push carries (encrypted to the browser): the service worker shows it as it is. */
export interface PushPayload {
  title: string;
  body: string;
  /** One notification per message: the same tag as the open page's own. */
  tag: string;
  /** The app's route of the message (`#/w/…/r/…/m/…`), from the origin. */
  url: string;
}

const BODY_MAX_CHARS = 180;
/** A push service keeps an undelivered push this long (the browser may be asleep). */
const PUSH_TTL_SECONDS = 3600;

/** The keys are made once per database and never change: read once per database handle. */
const vapidByDb = new WeakMap<Kysely<Database>, Promise<{ public_key: string; private_key: string }>>();

function vapidKeys(db: Kysely<Database>) {
  let keys = vapidByDb.get(db);
  if (!keys) {
    keys = repo.ensureVapidKeys(db, () => webpush.generateVAPIDKeys());
    keys.catch(() => vapidByDb.delete(db));
    vapidByDb.set(db, keys);
  }
  return keys;
}

/**
 * Whether anyone on this server has a push subscription, as this node last saw it. A send looks
 * the room's subscriptions up only when there are any: on a server where nobody turned push on
 * (every embedded first run, every bot workload) a message costs no extra query. Re-read at most
 * every {@link ANY_SUBSCRIPTION_TTL_MS}, and at once when a browser subscribes on this node; a
 * subscription made on another node is seen here within that time.
 */
const anySubscriptionByDb = new WeakMap<Kysely<Database>, { any: boolean; at: number }>();
export const ANY_SUBSCRIPTION_TTL_MS = 10_000;

async function anySubscription(db: Kysely<Database>): Promise<boolean> {
  const seen = anySubscriptionByDb.get(db);
  if (seen && Date.now() - seen.at < ANY_SUBSCRIPTION_TTL_MS) return seen.any;
  const any = await repo.anySubscription(db);
  anySubscriptionByDb.set(db, { any, at: Date.now() });
  return any;
}

/** The public key browsers subscribe with (`applicationServerKey`). */
export async function vapidPublicKey(ctx: Context): Promise<{ publicKey: string }> {
  return { publicKey: (await vapidKeys(ctx.db)).public_key };
}

export async function subscribePush(ctx: Context & { user: User }, input: SubscribePushInput): Promise<{ subscribed: true }> {
  const scheme = new URL(input.endpoint).protocol;
  if (scheme !== 'https:' && !(scheme === 'http:' && ctx.config.pushAllowHttp)) throw new AppError('BAD_REQUEST', 'A push endpoint is an https: URL.');
  await repo.upsertSubscription(ctx.db, ctx.user.id, { endpoint: input.endpoint, p256dh: input.keys.p256dh, auth: input.keys.auth });
  anySubscriptionByDb.set(ctx.db, { any: true, at: Date.now() });
  return { subscribed: true };
}

/** Only your own browser's subscription can be removed (someone else's endpoint: nothing happens). */
export async function unsubscribePush(ctx: Context & { user: User }, input: UnsubscribePushInput): Promise<{ unsubscribed: true }> {
  await repo.deleteSubscription(ctx.db, input.endpoint, ctx.user.id);
  return { unsubscribed: true };
}

function arrayBufferOf(bytes: Buffer): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** The text of a body with its mention tokens as "@Name" (no Markdown rendering: a notification is plain text). */
async function plainBody(ctx: InPartition, message: MessageDto): Promise<string> {
  const parts = splitMentions(message.body);
  const ids = [...new Set(parts.flatMap((p) => (p.type === 'user' ? [p.userId] : [])))];
  const names = new Map(ids.length ? (await findMembers(ctx, ctx.partitionId, ids)).map((m) => [m.id, m.display_name]) : []);
  const text = parts
    .map((p) => (p.type === 'text' ? p.text : p.type === 'room' ? `@${MENTION_ROOM}` : `@${names.get(p.userId) ?? 'someone'}`))
    .join('')
    .replace(/\s+/g, ' ')
    .trim();
  const body = text || (message.attachment ? 'Sent a file' : '');
  return body.length > BODY_MAX_CHARS ? `${body.slice(0, BODY_MAX_CHARS - 1)}…` : body;
}

/**
 * Web Push for a new message, after it is committed, to the room's members whose level asks for
 * it (as the open page decides: `shouldNotify`), on every browser they subscribed. A push
 * service's 404 or 410 means the subscription is gone: it is deleted. Never throws (logged).
 */
export async function pushNewMessage(ctx: InPartition, message: MessageDto): Promise<void> {
  try {
    if (!(await anySubscription(ctx.db))) return;
    const subscriptions = await repo.listRoomSubscriptions(ctx.db, ctx.partitionId, message.roomId, message.authorId);
    const due = subscriptions.filter((s) =>
      shouldNotify({ level: s.level ?? defaultNotifyLevel(s.kind), authorId: message.authorId, mentions: message.mentions }, s.user_id),
    );
    if (due.length === 0) return;
    const keys = await vapidKeys(ctx.db);
    const room = due[0]!;
    const payload: PushPayload = {
      title: room.kind === 'dm' ? message.authorName : `${message.authorName} in #${room.name}`,
      body: await plainBody(ctx, message),
      tag: `parley:${message.partitionId}:${message.id}`,
      url: `/#/w/${encodeURIComponent(message.partitionId)}/r/${encodeURIComponent(message.roomId)}/m/${encodeURIComponent(message.id)}`,
    };
    const vapidDetails = { subject: ctx.config.pushSubject, publicKey: keys.public_key, privateKey: keys.private_key };
    await Promise.all(
      due.map(async (s) => {
        const request = webpush.generateRequestDetails({ endpoint: s.endpoint, keys: { p256dh: s.p256dh, auth: s.auth } }, JSON.stringify(payload), {
          vapidDetails,
          TTL: PUSH_TTL_SECONDS,
          urgency: 'high',
        });
        try {
          const response = await fetch(request.endpoint, {
            method: request.method,
            headers: request.headers,
            body: arrayBufferOf(request.body),
            signal: AbortSignal.timeout(10_000),
          });
          if (response.status === 404 || response.status === 410) await repo.deleteSubscription(ctx.db, s.endpoint);
          else if (!response.ok) ctx.log.warn({ status: response.status, endpoint: new URL(s.endpoint).origin }, 'a push service refused a push');
        } catch (error) {
          ctx.log.warn({ err: error, endpoint: new URL(s.endpoint).origin }, 'a push could not be sent');
        }
      }),
    );
  } catch (error) {
    ctx.log.warn({ err: error, messageId: message.id }, 'pushes for a message failed');
  }
}
