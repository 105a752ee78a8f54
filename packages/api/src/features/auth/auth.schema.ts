import { z } from 'zod';
import { PLAIN_NAME } from '../../schemas.ts';

export const usernameSchema = z
  .string()
  .trim()
  .min(3, 'A username has at least 3 characters.')
  .max(32, 'A username has at most 32 characters.')
  .regex(/^[A-Za-z0-9_.-]+$/, 'A username may contain letters, digits, ".", "-" and "_".');

export const passwordSchema = z
  .string()
  .min(8, 'A password has at least 8 characters.')
  .max(256, 'A password has at most 256 characters.');

/** `cookie` (browsers: HttpOnly cookie, no token in the body) or `token` (programs: bearer). */
export const sessionKindSchema = z.enum(['cookie', 'token']).default('cookie');

export const registerInput = z.object({
  username: usernameSchema,
  password: passwordSchema,
  displayName: z
    .string()
    .trim()
    .min(1, 'A display name cannot be empty.')
    .max(64, 'A display name has at most 64 characters.')
    .regex(PLAIN_NAME, 'A display name cannot contain control or text-direction characters.')
    .optional(),
  session: sessionKindSchema,
});
export type RegisterInput = z.infer<typeof registerInput>;

export const loginInput = z.object({
  username: z.string().trim().min(1, 'Enter your username.').max(32),
  password: z.string().min(1, 'Enter your password.').max(256),
  session: sessionKindSchema,
});
export type LoginInput = z.infer<typeof loginInput>;

export const changePasswordInput = z.object({
  currentPassword: z.string().min(1).max(256),
  newPassword: passwordSchema,
});
export type ChangePasswordInput = z.infer<typeof changePasswordInput>;
