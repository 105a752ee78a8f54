import { expect, test } from 'vitest';
import { checkDraft, MESSAGE_MAX_CHARS } from './message-draft.ts';

test('an empty or blank draft cannot be sent', () => {
  expect(checkDraft('')).toMatchObject({ canSend: false, problem: 'empty' });
  expect(checkDraft('  \n\t ')).toMatchObject({ canSend: false, problem: 'empty' });
});

test('surrounding whitespace is trimmed, inner newlines are kept', () => {
  expect(checkDraft('  hello\nworld \n')).toMatchObject({ body: 'hello\nworld', canSend: true, problem: null });
});

test('the counter appears only near the limit', () => {
  expect(checkDraft('hi').showCounter).toBe(false);
  const near = checkDraft('x'.repeat(MESSAGE_MAX_CHARS - 10));
  expect(near).toMatchObject({ showCounter: true, remaining: 10, canSend: true });
});

test('exactly at the limit may be sent, one more may not', () => {
  expect(checkDraft('x'.repeat(MESSAGE_MAX_CHARS))).toMatchObject({ canSend: true, remaining: 0 });
  expect(checkDraft('x'.repeat(MESSAGE_MAX_CHARS + 1))).toMatchObject({ canSend: false, remaining: -1, problem: 'too-long' });
});

test('whitespace that trimming removes does not count against the limit', () => {
  expect(checkDraft(`  ${'x'.repeat(MESSAGE_MAX_CHARS)}  `).canSend).toBe(true);
});
