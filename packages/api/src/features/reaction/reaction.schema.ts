import { z } from 'zod';
import { idSchema, opIdSchema } from '../../schemas.ts';

// One emoji as Unicode defines it (skin tones, flags, keycaps and ZWJ sequences included), or a
// lone pictograph with or without its emoji variation selector. (Built at run time: the `v`
// flag is newer than the compile target.)
const EMOJI = new RegExp('^(?:\\p{RGI_Emoji}|\\p{Extended_Pictographic}\\uFE0F?)$', 'v');

export const emojiSchema = z
  .string({ message: 'Choose an emoji.' })
  .max(32, 'That is not a single emoji.')
  .refine((s) => EMOJI.test(s), 'A reaction is one emoji, such as 👍.');

export const reactionInput = z.object({ messageId: idSchema, emoji: emojiSchema, opId: opIdSchema });
export type ReactionInput = z.infer<typeof reactionInput>;
