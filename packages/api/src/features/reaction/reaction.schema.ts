import { z } from 'zod';
import { REACTION_EMOJI_MAX_CHARS, REACTION_EMOJI_PATTERN, REFUSAL } from '@parley/rules';
import { idSchema, opIdSchema } from '../../schemas.ts';

// Strict here (the client's `isReactionEmoji` lets an engine without the `v` flag through).
const EMOJI = new RegExp(REACTION_EMOJI_PATTERN, 'v');

export const emojiSchema = z
  .string({ message: 'Choose an emoji.' })
  .max(REACTION_EMOJI_MAX_CHARS, 'That is not a single emoji.')
  .refine((s) => EMOJI.test(s), REFUSAL.notEmoji);

export const reactionInput = z.object({ messageId: idSchema, emoji: emojiSchema, opId: opIdSchema });
export type ReactionInput = z.infer<typeof reactionInput>;
