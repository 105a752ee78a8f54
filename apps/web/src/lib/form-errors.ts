import { errorMessage, fieldErrors } from './errors.ts';

export interface FormErrors {
  /** Field name → the sentence to show at that field. */
  fields: Record<string, string>;
  /** For the form as a whole: an error without field errors, or ones for fields not on screen. */
  general: string | null;
}

/**
 * Splits a mutation's error between the fields a form shows and the form itself.
 * @example formErrors(register.error, ['username', 'password'])
 */
export function formErrors(error: unknown, shown: readonly string[]): FormErrors {
  if (!error) return { fields: {}, general: null };
  const all = fieldErrors(error);
  const fields: Record<string, string> = {};
  const others: string[] = [];
  for (const [field, message] of Object.entries(all)) {
    if (shown.includes(field)) fields[field] = message;
    else others.push(message);
  }
  if (Object.keys(fields).length === 0 && others.length === 0) return { fields, general: errorMessage(error) };
  return { fields, general: others.length ? others.join(' ') : null };
}

/**
 * The attributes that tie an input to its error (and its hint, when it has one) for screen
 * readers: `aria-invalid` and `aria-describedby`.
 */
export function describedBy(errorId: string, error: string | undefined, hintId?: string): { 'aria-invalid'?: true; 'aria-describedby'?: string } {
  const ids = [error ? errorId : null, hintId ?? null].filter((id): id is string => id !== null);
  return { ...(error ? { 'aria-invalid': true as const } : {}), ...(ids.length ? { 'aria-describedby': ids.join(' ') } : {}) };
}
