import { z } from 'zod';
import { idSchema, opIdSchema } from '../../schemas.ts';

const eventIdSchema = z
  .number({ message: 'eventId is the event id of a message of the room.' })
  .int('eventId is a whole number.')
  .positive('eventId is the event id of a message of the room.')
  .max(Number.MAX_SAFE_INTEGER, 'eventId is too large.');

/** `read.mark`: the caller has read the room up to (and including) the message at `eventId`. */
export const markReadInput = z.object({ roomId: idSchema, eventId: eventIdSchema, opId: opIdSchema });
export type MarkReadInput = z.infer<typeof markReadInput>;

/** `read.markAll`: every room and direct message of the caller, up to its last message. */
export const markAllReadInput = z.object({ opId: opIdSchema });
export type MarkAllReadInput = z.infer<typeof markAllReadInput>;

/** `read.receipts`: who has read how far in one room. */
export const readReceiptsInput = z.object({ roomId: idSchema });
export type ReadReceiptsInput = z.infer<typeof readReceiptsInput>;

/** `user.setReceipts`: share read receipts (and see others'), or neither. */
export const setReceiptsInput = z.object({ enabled: z.boolean({ message: 'enabled is true or false.' }) });
export type SetReceiptsInput = z.infer<typeof setReceiptsInput>;
