import { io, type Socket } from 'socket.io-client';
import type { JoinReply, MessageEvent, SendReply } from '../../peer/protocol.ts';
import { parseBody, tracker } from '../bench-client.ts';
import type { LoadClient } from '../load.ts';
import { uuidv7 } from '../wire.ts';

export interface PeerClientEvents {
  /** The `join` was acknowledged: the client is in its room and receives its messages. */
  onJoined(client: PeerClient): void;
  onDelivered(client: PeerClient, seq: number, at: number): void;
  /** The index in the run's nodes of the node named in the `join` acknowledgement. */
  nodeIndex(serverId: string | undefined): number;
}

/**
 * One person on the Socket.IO peer through nginx: `socket.io-client` over a WebSocket only (no
 * long-polling first, as `transports: ['websocket']`), the token in the handshake's `auth`, then
 * `join` into its room. No reconnection: the comparison kills no node, and a socket that drops
 * shows up as failed sends and missing deliveries, which is what a step should report.
 */
export class PeerClient implements LoadClient {
  socket: Socket | undefined;
  node = -1;
  errors: string[] = [];
  /** Message ids this client received (ids from two nodes need not arrive in order, so a set, not a high-water mark). */
  readonly #seen = new Set<string>();

  constructor(
    readonly index: number,
    readonly username: string,
    readonly token: string,
    readonly room: number,
    readonly roomName: string,
    readonly url: string,
    readonly events: PeerClientEvents,
  ) {}

  connect(): void {
    const socket = io(this.url, {
      transports: ['websocket'],
      reconnection: false,
      // One connection per client, as every person has a browser of their own.
      forceNew: true,
      auth: { token: this.token, username: this.username },
    });
    this.socket = socket;
    socket.on('connect', () => {
      socket
        .timeout(20_000)
        .emitWithAck('join', { room: this.roomName })
        .then((reply: JoinReply) => {
          if ('error' in reply) throw new Error(reply.error);
          this.node = this.events.nodeIndex(reply.node);
          this.events.onJoined(this);
        })
        .catch((error: unknown) => this.errors.push(`join: ${error instanceof Error ? error.message : String(error)}`));
    });
    socket.on('connect_error', (error) => this.errors.push(`connect: ${error.message}`));
    socket.on('disconnect', (reason) => {
      this.node = -1;
      if (reason !== 'io client disconnect') this.errors.push(`disconnected: ${reason}`);
    });
    socket.on('message', (event: MessageEvent) => this.#message(event));
  }

  #message(event: MessageEvent): void {
    if (this.#seen.has(event.id)) {
      tracker.duplicates += 1;
      return;
    }
    this.#seen.add(event.id);
    const parsed = parseBody(event.body);
    if (parsed) this.events.onDelivered(this, parsed.seq, parsed.at);
  }

  /** `send` with an acknowledgement; resolves with the node that stored and broadcast it (this socket's). */
  async send(body: string): Promise<number> {
    const socket = this.socket;
    if (!socket?.connected) throw new Error('socket not connected');
    const node = this.node;
    const reply = (await socket.timeout(30_000).emitWithAck('send', { clientId: uuidv7(), room: this.roomName, body })) as SendReply;
    if ('error' in reply) throw new Error(reply.error);
    return node;
  }

  close(): void {
    this.socket?.disconnect();
    this.socket = undefined;
  }
}
