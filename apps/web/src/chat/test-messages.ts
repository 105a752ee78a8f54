import type { MessageDto } from '@parley/client';

/** A message as the server would send it, for tests. */
export function messageDto(eventId: number, overrides: Partial<MessageDto> = {}): MessageDto {
  return {
    id: `m${eventId}`,
    partitionId: 'acme',
    roomId: 'r1',
    clientId: `c${eventId}`,
    authorId: 'u-ada',
    authorName: 'Ada',
    body: `message ${eventId}`,
    eventId,
    createdAt: new Date(Date.UTC(2025, 0, 1, 12, 0, eventId)).toISOString(),
    ...overrides,
  };
}
