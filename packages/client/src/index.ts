/**
 * @parley/client — the typed client for Parley servers, for browsers and Node programs.
 *
 * @example
 * ```ts
 * import WebSocket from 'ws';
 * const client = createParleyClient({ url: 'http://localhost:3000', token, WebSocket });
 * const rooms = await client.trpc.room.list.query({ partitionId: 'acme' });
 * ```
 */
export { createParleyClient, type ParleyClient, type ParleyClientOptions } from './create-client.ts';
export type { AppRouter, MessageDto, ParleyEvent, PartitionDto, PublicUser, RoomDto, RoomListItem } from '@parley/api';
