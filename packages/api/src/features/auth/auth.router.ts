import type { TRPCRouterRecord } from '@trpc/server';
import { authedProcedure, publicProcedure } from '../../trpc.ts';
import { changePasswordInput, loginInput, registerInput } from './auth.schema.ts';
import * as service from './auth.service.ts';
import { validateSession } from './session.ts';

export const authRouter = {
  register: publicProcedure.input(registerInput).mutation(({ ctx, input }) => service.register(ctx, input)),
  login: publicProcedure.input(loginInput).mutation(({ ctx, input }) => service.login(ctx, input)),
  logout: authedProcedure.mutation(async ({ ctx }) => {
    await service.logout(ctx);
    return { ok: true as const };
  }),
  /** The signed-in user, or null. Also the browser's session heartbeat. */
  me: publicProcedure.query(async ({ ctx }) => {
    if (!ctx.req.token) return null;
    const result = await validateSession(ctx, ctx.req.token);
    if (!result) return null;
    if (result.renewed && ctx.req.tokenSource === 'cookie') {
      ctx.req.setSessionCookie?.(ctx.req.token, new Date(result.session.expires_at));
    }
    // The server's upload limits, so the app refuses a file too big before sending a byte of it.
    const limits = { mediaMaxBytes: ctx.config.mediaMaxBytes, avatarMaxBytes: ctx.config.avatarMaxBytes };
    return { ...service.toPublicUser(result.user), sessionExpiresAt: result.session.expires_at, limits };
  }),
  changePassword: authedProcedure.input(changePasswordInput).mutation(({ ctx, input }) => service.changePassword(ctx, input)),
} satisfies TRPCRouterRecord;
