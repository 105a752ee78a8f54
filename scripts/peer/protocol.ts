/**
 * The Socket.IO peer's wire protocol and table, shared by its server (server.ts) and the
 * benchmark's client (scripts/bench/compare/peer-client.ts). Types and constants only.
 *
 * - handshake `auth`: `{ token, username }` (the token is required, and only checked to be there);
 * - `join` `{ room }` → ack `{ node }` (the node's SERVER_ID: which node the socket landed on);
 * - `send` `{ clientId, room, body }` → ack `{ id }` (the row's id; a repeated clientId gets the
 *   first row's id and is not broadcast again) or `{ error }`;
 * - `message` `{ id, room, body, clientId }` to everyone in the room, the sender included.
 */

export interface JoinRequest {
  room: string;
}
export type JoinReply = { node: string } | { error: string };

export interface SendRequest {
  clientId: string;
  room: string;
  body: string;
}
export type SendReply = { id: string; duplicate?: boolean } | { error: string };

export interface MessageEvent {
  id: string;
  room: string;
  body: string;
  clientId: string;
}

/** Created by the first node at start (idempotent); the benchmark gives each run a fresh database. */
export const PEER_SCHEMA = `create table if not exists peer_messages (
  id bigserial primary key,
  client_id uuid unique not null,
  room text not null,
  body text not null,
  author text not null,
  created_at timestamptz default now()
)`;

export const PEER_TABLE = 'peer_messages';
