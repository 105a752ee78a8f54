import { z } from 'zod';
import { idSchema, opIdSchema } from '../../schemas.ts';
import { messageBodySchema } from '../message/message.schema.ts';

export const createAnnouncementInput = z.object({ body: messageBodySchema, opId: opIdSchema });
export type CreateAnnouncementInput = z.infer<typeof createAnnouncementInput>;

export const dismissAnnouncementInput = z.object({ announcementId: idSchema, opId: opIdSchema.optional() });
export type DismissAnnouncementInput = z.infer<typeof dismissAnnouncementInput>;
