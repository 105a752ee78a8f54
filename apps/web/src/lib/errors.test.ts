import { expect, test } from 'vitest';
import { TRPCClientError } from '@trpc/client';
import { fieldErrors } from './errors.ts';
import { formErrors } from './form-errors.ts';

function serverError(data: Record<string, unknown>, message = 'name: Give the room a name.') {
  return new TRPCClientError(message, { result: { error: { code: -32600, message, data: { code: 'BAD_REQUEST', ...data } } } as never });
}

test('fieldErrors reads the first message of each field, as a sentence', () => {
  const error = serverError({
    fieldErrors: { name: ['Give the room a name.', 'Other'], displayName: ['Too small: expected string to have >=1 characters'], empty: [] },
  });
  expect(fieldErrors(error)).toEqual({ name: 'Give the room a name.', displayName: 'Too small: expected string to have >=1 characters.' });
  expect(fieldErrors(serverError({}))).toEqual({});
  expect(fieldErrors(new Error('boom'))).toEqual({});
  expect(fieldErrors(serverError({ fieldErrors: 'nonsense' }))).toEqual({});
});

test('formErrors puts field errors at the fields shown and everything else on the form', () => {
  const error = serverError({ fieldErrors: { name: ['Give the room a name.'], partitionId: ['Invalid.'] } });
  expect(formErrors(error, ['name'])).toEqual({ fields: { name: 'Give the room a name.' }, general: 'Invalid.' });
  expect(formErrors(serverError({}, 'You cannot create rooms here.'), ['name'])).toEqual({ fields: {}, general: 'You cannot create rooms here.' });
  expect(formErrors(null, ['name'])).toEqual({ fields: {}, general: null });
});
