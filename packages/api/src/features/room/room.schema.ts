import { z } from 'zod';
import { REFUSAL, ROOM_NAME_MAX_CHARS, ROOM_TOPIC_MAX_CHARS } from '@parley/rules';
import { idSchema, opIdSchema, PLAIN_NAME, userIdSchema } from '../../schemas.ts';

export { ROOM_TOPIC_MAX_CHARS } from '@parley/rules';

export const roomNameSchema = z
  .string()
  .trim()
  .min(1, REFUSAL.roomNameMissing)
  .max(ROOM_NAME_MAX_CHARS, REFUSAL.roomNameTooLong)
  .regex(PLAIN_NAME, 'A room name cannot contain control or text-direction characters.');

export const roomTopicSchema = z
  .string()
  .trim()
  .max(ROOM_TOPIC_MAX_CHARS, REFUSAL.topicTooLong)
  .regex(PLAIN_NAME, 'A topic cannot contain control or text-direction characters.');

export const createRoomInput = z.object({
  name: roomNameSchema,
  visibility: z.enum(['public', 'private'], { message: "visibility is 'public' or 'private'." }).default('public'),
  topic: roomTopicSchema.optional(),
  opId: opIdSchema.optional(),
});
export type CreateRoomInput = z.infer<typeof createRoomInput>;

export const roomRefInput = z.object({ roomId: idSchema });
export type RoomRefInput = z.infer<typeof roomRefInput>;

export const updateRoomInput = z
  .object({ roomId: idSchema, name: roomNameSchema.optional(), topic: roomTopicSchema.optional(), opId: opIdSchema.optional() })
  .refine((v) => v.name !== undefined || v.topic !== undefined, 'Say what to change: name or topic.');
export type UpdateRoomInput = z.infer<typeof updateRoomInput>;

export const roomMemberInput = z.object({ roomId: idSchema, userId: userIdSchema, opId: opIdSchema.optional() });
export type RoomMemberInput = z.infer<typeof roomMemberInput>;

export const setRoomRoleInput = z.object({
  roomId: idSchema,
  userId: userIdSchema,
  /** Left out: `member`. */
  role: z.enum(['admin', 'member'], { message: "A room role is 'admin' or 'member'." }).default('member'),
  opId: opIdSchema.optional(),
});
export type SetRoomRoleInput = z.infer<typeof setRoomRoleInput>;
