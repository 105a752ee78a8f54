import { z } from 'zod';
import { REFUSAL, SEARCH_PAGE_DEFAULT, SEARCH_PAGE_MAX, SEARCH_QUERY_MAX_CHARS } from '@parley/rules';
import { idSchema, UNSTORABLE_TEXT, userIdSchema } from '../../schemas.ts';

/** The limits live in `@parley/rules`, shared with the client and the SPA. */
export { SEARCH_PAGE_MAX, SEARCH_QUERY_MAX_CHARS } from '@parley/rules';

const instant = (field: string) => z.iso.datetime({ offset: true, message: `${field} is a date and time in ISO-8601, such as 2026-03-01T00:00:00Z.` });

export const searchMessagesInput = z.object({
  /** What to look for, in web search syntax: words, "a phrase", -excluded, or. */
  query: z
    .string({ message: REFUSAL.searchEmpty })
    .trim()
    .min(1, REFUSAL.searchEmpty)
    .max(SEARCH_QUERY_MAX_CHARS, REFUSAL.searchTooLong)
    .refine((s) => !UNSTORABLE_TEXT.test(s), 'A search cannot contain the NUL character or broken Unicode (a lone surrogate).'),
  /** Only in this room (one the caller is in). */
  roomId: idSchema.optional(),
  /** Only messages this person wrote. */
  authorId: userIdSchema.optional(),
  /** Only messages sent at or after this instant. */
  after: instant('after').optional(),
  /** Only messages sent before this instant. */
  before: instant('before').optional(),
  limit: z.number().int().min(1).max(SEARCH_PAGE_MAX).default(SEARCH_PAGE_DEFAULT),
  /** `nextCursor` of the previous page: the hits older than it. */
  cursor: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
});
export type SearchMessagesInput = z.infer<typeof searchMessagesInput>;
