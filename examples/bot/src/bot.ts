import { EventSource } from 'eventsource';
import WebSocket from 'ws';
import { createParleyClient, MESSAGE_MAX_CHARS, type ClientStorage, type MessageDto, type ParleyClient } from '@parley/client';
import { fileStorage } from '@parley/client/file-storage';
import { uuidv7 } from 'uuidv7';
import { uploadMedia } from './upload.ts';

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
  reply?: (message: MessageDto) => BotAnswer | string | null;
  onError?: (error: unknown) => void;
}

/** What the bot does about a message: answer it (as a reply quoting it, or plainly), react to it, or both. */
export interface BotAnswer {
  text?: string | null | undefined;
  /** Send `text` as a reply to the message (it quotes the original). */
  asReply?: boolean | undefined;
  /** An emoji to react with, e.g. '👍'. */
  react?: string | null | undefined;
  /** A file to upload and send with `text` (which may then be empty). */
  file?: { name: string; bytes: Uint8Array } | null | undefined;
}

/** Answers a message containing `!ping` with a reply `pong` and a 👍, `!echo <text>` with the text, and `!file` with a small text file. */
export function defaultReply(message: MessageDto): BotAnswer | null {
  const body = message.body.trim();
  if (/^!file(\s|$)/.test(body)) {
    const text = `Hello from the Parley bot.\nYou asked for a file at ${new Date().toISOString()}.\n`;
    return { text: 'Here is a file.', asReply: true, file: { name: 'hello-from-the-bot.txt', bytes: new TextEncoder().encode(text) } };
  }
  if (/(^|\s)!ping(\s|$)/.test(body)) return { text: 'pong', asReply: true, react: '👍' };
  const echo = body.match(/^!echo\s+([\s\S]+)$/);
  if (echo) return { text: echo[1]!.slice(0, MESSAGE_MAX_CHARS) };
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
  let user: { id: string; name: string } | null = null;
  const client = createParleyClient({
    url: opts.url,
    token: opts.token,
    storage,
    // Its own reactions then show as its own (`mine`) in the client's views.
    user: () => user,
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    // Where WebSockets cannot get through (a proxy that strips Upgrade), events come over HTTP.
    EventSource,
  });
  const me = await client.trpc.auth.me.query();
  if (!me) throw new Error('The token is not valid (signed out or expired).');
  user = { id: me.id, name: me.displayName };
  const reply = opts.reply ?? defaultReply;
  const offEvents = client.messages.onEvent((event) => {
    if (event.partitionId !== opts.partitionId) return;
    if (event.type !== 'message.created' || event.data.authorId === me.id) return;
    const found = reply(event.data);
    const answer: BotAnswer | null = typeof found === 'string' ? { text: found } : found;
    if (!answer) return;
    const message = event.data;
    try {
      // Both go through the outbox, in this order: durable, retried, and applied once each
      // (the send by its clientId, the reaction by its opId), also across a crash.
      if (answer.react) client.actions.react(opts.partitionId, message.id, answer.react);
      if (answer.file) {
        sendFile(message, answer, answer.file).catch((error: unknown) => opts.onError?.(error));
      } else if (answer.text) {
        client.outbox.send({
          partitionId: opts.partitionId,
          roomId: message.roomId,
          body: answer.text,
          author: user,
          replyTo: answer.asReply ? message.id : null,
        });
      }
    } catch (error) {
      opts.onError?.(error);
    }
  });
  const offFailures = client.outbox.subscribe(() => {
    for (const entry of client.outbox.getSnapshot()) {
      if (entry.status !== 'failed') continue;
      const what = entry.kind === 'send' ? 'reply' : entry.op.type;
      opts.onError?.(new Error(`${what} refused: ${entry.error ?? 'unknown reason'}`));
      client.outbox.cancel(entry.clientId);
    }
  });
  /** Uploads the file (`POST /media/…`), then sends the message that carries it (idempotent by its clientId). */
  const sendFile = async (message: MessageDto, answer: BotAnswer, file: { name: string; bytes: Uint8Array }) => {
    const media = await uploadMedia(opts.url, opts.token, { partitionId: opts.partitionId, roomId: message.roomId, filename: file.name, bytes: file.bytes });
    await client.trpc.message.send.mutate({
      partitionId: opts.partitionId,
      roomId: message.roomId,
      clientId: uuidv7(),
      body: answer.text ?? '',
      mediaId: media.id,
      ...(answer.asReply ? { replyTo: message.id } : {}),
    });
  };
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
