import { expect, test } from 'vitest';
import { loadEnv } from './env.ts';

test('ROOM_MENTION_MAX_MEMBERS defaults to 20 and is a whole number', () => {
  expect(loadEnv({}).ROOM_MENTION_MAX_MEMBERS).toBe(20);
  expect(loadEnv({ ROOM_MENTION_MAX_MEMBERS: '0' }).ROOM_MENTION_MAX_MEMBERS).toBe(0);
  expect(() => loadEnv({ ROOM_MENTION_MAX_MEMBERS: '-1' })).toThrow(/ROOM_MENTION_MAX_MEMBERS/);
  expect(() => loadEnv({ ROOM_MENTION_MAX_MEMBERS: 'many' })).toThrow(/ROOM_MENTION_MAX_MEMBERS/);
});

test('PUSH_SUBJECT is a mailto: address or an https: URL', () => {
  expect(loadEnv({}).PUSH_SUBJECT).toBe('mailto:parley@example.invalid');
  expect(loadEnv({ PUSH_SUBJECT: 'mailto:ops@acme.example' }).PUSH_SUBJECT).toBe('mailto:ops@acme.example');
  expect(loadEnv({ PUSH_SUBJECT: 'https://acme.example/contact' }).PUSH_SUBJECT).toBe('https://acme.example/contact');
  expect(() => loadEnv({ PUSH_SUBJECT: 'http://acme.example' })).toThrow(/PUSH_SUBJECT/);
  expect(() => loadEnv({ PUSH_SUBJECT: 'ops' })).toThrow(/PUSH_SUBJECT/);
});
