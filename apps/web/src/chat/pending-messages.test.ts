import { expect, test } from 'vitest';
import { newPendingMessage, pendingReducer } from './pending-messages.ts';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('each new message gets its own UUIDv7 client id', () => {
  const a = newPendingMessage('r1', 'hi');
  const b = newPendingMessage('r1', 'hi');
  expect(a.clientId).toMatch(UUID_V7);
  expect(b.clientId).not.toBe(a.clientId);
  expect(a.status).toBe('sending');
});

test('a failure is remembered and a retry keeps the same client id', () => {
  const message = newPendingMessage('r1', 'hi');
  let state = pendingReducer([], { type: 'added', message });
  state = pendingReducer(state, { type: 'failed', clientId: message.clientId, error: 'Cannot reach Parley right now.' });
  expect(state[0]).toMatchObject({ status: 'failed', error: 'Cannot reach Parley right now.' });
  state = pendingReducer(state, { type: 'retrying', clientId: message.clientId });
  expect(state[0]).toMatchObject({ clientId: message.clientId, status: 'sending', error: null, body: 'hi' });
});

test('a settled message leaves, the others stay', () => {
  const a = newPendingMessage('r1', 'a');
  const b = newPendingMessage('r1', 'b');
  const state = pendingReducer(pendingReducer([], { type: 'added', message: a }), { type: 'added', message: b });
  expect(pendingReducer(state, { type: 'settled', clientId: a.clientId })).toEqual([b]);
});
