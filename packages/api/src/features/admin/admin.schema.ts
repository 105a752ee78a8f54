import { z } from 'zod';

export const AUDIT_PAGE_MAX = 200;

export const auditInput = z.object({
  /** Entries older than this id (the previous page's `nextCursor`). */
  before: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
  limit: z.number().int().min(1).max(AUDIT_PAGE_MAX, `At most ${AUDIT_PAGE_MAX} entries per page.`).default(50),
});
export type AuditInput = z.infer<typeof auditInput>;
