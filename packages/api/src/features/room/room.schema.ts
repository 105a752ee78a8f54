import { z } from 'zod';
import { idSchema } from '../../schemas.ts';

export const roomNameSchema = z
  .string()
  .trim()
  .min(1, 'Give the room a name.')
  .max(48, 'A room name has at most 48 characters.')
  .regex(/^[^\p{Cc}]+$/u, 'A room name cannot contain control characters.');

export const createRoomInput = z.object({ name: roomNameSchema });
export type CreateRoomInput = z.infer<typeof createRoomInput>;

export const roomRefInput = z.object({ roomId: idSchema });
export type RoomRefInput = z.infer<typeof roomRefInput>;
