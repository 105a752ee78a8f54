import { z } from 'zod';
import { idSchema, opIdSchema } from '../../schemas.ts';

export const setNotifyInput = z.object({
  roomId: idSchema,
  level: z.enum(['all', 'mentions', 'mute'], { message: "level is 'all', 'mentions' or 'mute'." }),
  opId: opIdSchema,
});
export type SetNotifyInput = z.infer<typeof setNotifyInput>;
