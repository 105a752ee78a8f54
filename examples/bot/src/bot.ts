import { EventSource } from 'eventsource';
import WebSocket from 'ws';
import { createParleyClient, type ClientStorage, type MessageDto, type ParleyClient } from '@parley/client';
import { fileStorage } from '@parley/client/file-storage';

export interface BotOptions {
  /** The Parley server, e.g. http://localhost:3000 */
  url: string;
  /** A session token (`auth.login({ session: 'token' })`). */
  token: string;
  partitionId: string;
  /**
   * A JSON file for the bot's state (its position in the event log and its unsent replies):
   * with it, a restarted bot answers what was asked while it was down, and a reply written
   * just before a crash is still sent. Without it the bot starts from "now" each time.
   */
  statePath?: string | undefined;
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
  /** The last event id handled (kept in `statePath` when given). */
  readonly lastEventId: number | null;
  stop(): Promise<void>;
}

/**
 * Connects with a token, follows one workspace through @parley/client's message store (which
 * resumes after every disconnect from the last event id), and answers messages from others in
 * the room they came from, through the outbox (idempotent, retried, durable with `statePath`).
 */
export async function startBot(opts: BotOptions): Promise<Bot> {
  const storage: ClientStorage | undefined = opts.statePath ? fileStorage(opts.statePath) : undefined;
  const client = createParleyClient({
    url: opts.url,
    token: opts.token,
    storage,
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    // Where WebSockets cannot get through (a proxy that strips Upgrade), events come over HTTP.
    EventSource,
  });
  const me = await client.trpc.auth.me.query();
  if (!me) throw new Error('The token is not valid (signed out or expired).');
  const reply = opts.reply ?? defaultReply;
  const offEvents = client.messages.onEvent((event) => {
    if (event.partitionId !== opts.partitionId) return;
    if (event.type !== 'message.created' || event.data.authorId === me.id) return;
    const text = reply(event.data);
    if (!text) return;
    try {
      client.outbox.send({ partitionId: opts.partitionId, roomId: event.data.roomId, body: text, author: { id: me.id, name: me.displayName } });
    } catch (error) {
      opts.onError?.(error);
    }
  });
  const offFailures = client.outbox.subscribe(() => {
    for (const entry of client.outbox.getSnapshot()) {
      if (entry.status !== 'failed') continue;
      opts.onError?.(new Error(`reply refused: ${entry.error ?? 'unknown reason'}`));
      client.outbox.cancel(entry.clientId);
    }
  });
  const unwatch = client.messages.watch(opts.partitionId);
  return {
    client,
    userId: me.id,
    get lastEventId() {
      return client.messages.syncStatus(opts.partitionId).lastEventId;
    },
    async stop() {
      offEvents();
      offFailures();
      unwatch();
      await client.close();
    },
  };
}
