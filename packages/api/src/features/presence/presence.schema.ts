import { z } from 'zod';
import { idSchema } from '../../schemas.ts';

/** `presence.typing`: the partition comes from `partitionProcedure`'s input. */
export const typingInput = z.object({ roomId: idSchema });
export type TypingInput = z.infer<typeof typingInput>;
