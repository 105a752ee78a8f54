import WebSocket from 'ws';
import { uuidv7 } from 'uuidv7';
import { createParleyClient, type MessageDto, type ParleyClient } from '@parley/client';

export interface BotOptions {
  /** The Parley server, e.g. http://localhost:3000 */
  url: string;
  /** A session token (`auth.login({ session: 'token' })`). */
  token: string;
  partitionId: string;
  /** Resume after this event id (e.g. the last one a previous run handled). */
  lastEventId?: number | null;
  /** What to answer to a message, or null to stay quiet. */
  reply?: (message: MessageDto) => string | null;
  onError?: (error: unknown) => void;
}

/** Answers `!ping` with `pong`, and `!echo <text>` with the text. */
export function defaultReply(message: MessageDto): string | null {
  const body = message.body.trim();
  if (body === '!ping') return 'pong';
  const echo = body.match(/^!echo\s+([\s\S]+)$/);
  if (echo) return echo[1]!.slice(0, 4000);
  return null;
}

export interface Bot {
  client: ParleyClient;
  userId: string;
  /** The last event id handled: persist it to resume there next time. */
  readonly lastEventId: number | null;
  stop(): Promise<void>;
}

/**
 * Connects with a token, subscribes to one workspace and answers messages from others in the
 * room they came from. Replies carry a clientId derived from nothing but a fresh UUIDv7, sent
 * once per incoming message: the event log's dense ids mean no message is handled twice.
 */
export async function startBot(opts: BotOptions): Promise<Bot> {
  const client = createParleyClient({
    url: opts.url,
    token: opts.token,
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
  });
  const me = await client.trpc.auth.me.query();
  if (!me) throw new Error('The token is not valid (signed out or expired).');
  const reply = opts.reply ?? defaultReply;
  let lastEventId = opts.lastEventId ?? null;
  const subscription = client.trpc.event.onEvent.subscribe(
    { partitionId: opts.partitionId, lastEventId },
    {
      onData: ({ data: event }) => {
        lastEventId = event.id;
        if (event.type !== 'message.created' || event.data.authorId === me.id) return;
        const text = reply(event.data);
        if (!text) return;
        client.trpc.message.send
          .mutate({ partitionId: opts.partitionId, roomId: event.data.roomId, clientId: uuidv7(), body: text })
          .catch((error: unknown) => opts.onError?.(error));
      },
      onError: (error) => opts.onError?.(error),
    },
  );
  return {
    client,
    userId: me.id,
    get lastEventId() {
      return lastEventId;
    },
    async stop() {
      subscription.unsubscribe();
      await client.close();
    },
  };
}
