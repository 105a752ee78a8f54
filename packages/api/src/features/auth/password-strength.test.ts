import { expect, test } from 'vitest';
import { passwordWeakness } from './password-strength.ts';

test('common and breached-list passwords are weak, with advice a person can follow', async () => {
  expect(await passwordWeakness('password')).toBe('This is a heavily used password. Add more words that are less common.');
  expect(await passwordWeakness('password1234')).toBe('This is similar to a commonly used password. Add more words that are less common.');
  expect(await passwordWeakness('qwertyuiop')).toBe('This is a frequently used password. Add more words that are less common.');
  expect(await passwordWeakness('aaaaaaaaaa')).toMatch(/^Repeated characters like "aaa" are easy to guess\. /);
});

test("a passphrase is strong; the user's own names make a password weaker", async () => {
  expect(await passwordWeakness('correct horse battery')).toBeNull();
  expect(await passwordWeakness('zorblatt2024')).toBeNull();
  expect(await passwordWeakness('zorblatt2024', ['zorblatt'])).toBe(
    'There should not be any personal or page related data. Add more words that are less common.',
  );
});

test('checks at once share the dictionaries loaded once', async () => {
  const answers = await Promise.all(['password', 'correct horse battery', 'sandwich'].map((p) => passwordWeakness(p)));
  expect(answers.map((a) => a === null)).toEqual([false, true, false]);
});
