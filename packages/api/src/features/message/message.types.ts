export interface MessageDto {
  id: string;
  partitionId: string;
  roomId: string;
  /** The sender's idempotency key (UUIDv7): the same key always means the same message. */
  clientId: string;
  authorId: string;
  authorName: string;
  /** Plain text; clients render it as text, never as HTML. */
  body: string;
  /** The message's position in the partition's event log. */
  eventId: number;
  createdAt: string;
}
