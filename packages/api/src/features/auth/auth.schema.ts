import { z } from 'zod';
import { DISPLAY_NAME_MAX_CHARS, PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS, USERNAME_MAX_CHARS, USERNAME_MIN_CHARS } from '@parley/rules';
import { PLAIN_NAME, UNSTORABLE_TEXT } from '../../schemas.ts';
import { passwordWeakness } from './password-strength.ts';

export const usernameSchema = z
  .string()
  .trim()
  .min(USERNAME_MIN_CHARS, `A username has at least ${USERNAME_MIN_CHARS} characters.`)
  .max(USERNAME_MAX_CHARS, `A username has at most ${USERNAME_MAX_CHARS} characters.`)
  .regex(/^[A-Za-z0-9_.-]+$/, 'A username may contain letters, digits, ".", "-" and "_".');

export const passwordSchema = z
  .string()
  .min(PASSWORD_MIN_CHARS, `A password has at least ${PASSWORD_MIN_CHARS} characters.`)
  .max(PASSWORD_MAX_CHARS, `A password has at most ${PASSWORD_MAX_CHARS} characters.`);

/**
 * Refuses a guessable new password (common, breached-list, keyboard walks, the username in it:
 * zxcvbn score below MIN_PASSWORD_SCORE) under `field`, with zxcvbn's advice. Only once the
 * length is right: that message comes first.
 */
function strongPassword<T>(field: keyof T & string, userInputs: (value: T) => (string | undefined)[]) {
  return async (value: T, ctx: z.RefinementCtx) => {
    const password = value[field];
    if (typeof password !== 'string' || !passwordSchema.safeParse(password).success) return;
    const weakness = await passwordWeakness(
      password,
      userInputs(value).filter((s): s is string => !!s),
    );
    if (weakness) ctx.addIssue({ code: 'custom', path: [field], message: weakness });
  };
}

/** `cookie` (browsers: HttpOnly cookie, no token in the body) or `token` (programs: bearer). */
export const sessionKindSchema = z.enum(['cookie', 'token']).default('cookie');

export const registerInput = z
  .object({
    username: usernameSchema,
    password: passwordSchema,
    displayName: z
      .string()
      .trim()
      .min(1, 'A display name cannot be empty.')
      .max(DISPLAY_NAME_MAX_CHARS, `A display name has at most ${DISPLAY_NAME_MAX_CHARS} characters.`)
      .regex(PLAIN_NAME, 'A display name cannot contain control or text-direction characters.')
      .optional(),
    session: sessionKindSchema,
    /** The one-time setup token a node prints while Parley has no administrator: this account becomes one. */
    setupToken: z.string().trim().min(1, 'Paste the setup token from the server log.').max(128, 'That is not a setup token.').optional(),
  })
  .superRefine(strongPassword('password', (v) => [v.username, v.displayName]));
export type RegisterInput = z.infer<typeof registerInput>;

export const loginInput = z.object({
  username: z
    .string()
    .trim()
    .min(1, 'Enter your username.')
    .max(USERNAME_MAX_CHARS)
    .refine((s) => !UNSTORABLE_TEXT.test(s), 'That is not a username.'),
  password: z.string().min(1, 'Enter your password.').max(PASSWORD_MAX_CHARS),
  session: sessionKindSchema,
});
export type LoginInput = z.infer<typeof loginInput>;

export const changePasswordInput = z
  .object({
    currentPassword: z.string().min(1).max(PASSWORD_MAX_CHARS),
    newPassword: passwordSchema,
  })
  .superRefine(strongPassword('newPassword', (v) => [v.currentPassword]));
export type ChangePasswordInput = z.infer<typeof changePasswordInput>;
