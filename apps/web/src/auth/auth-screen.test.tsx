import { afterEach, expect, test, vi } from 'vitest';
import { cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { FakeServer, renderWithServer, serverError } from '../lib/test-trpc.tsx';
import { AuthScreen } from './auth-screen.tsx';

afterEach(cleanup);

const signedIn = { user: { id: 'u1', username: 'ada', displayName: 'Ada' }, token: null, expiresAt: '2030-01-01T00:00:00Z' };

function fill(label: string, value: string) {
  fireEvent.change(screen.getByLabelText(label, { exact: false }), { target: { value } });
}

test('a wrong password shows the server’s message inline and stays on the form', async () => {
  const server = new FakeServer({
    'auth.login': () => {
      throw serverError('UNAUTHORIZED', 'Wrong username or password.');
    },
  });
  const onSignedIn = vi.fn();
  renderWithServer(<AuthScreen onSignedIn={onSignedIn} />, server);
  fill('Username', 'ada');
  fill('Password', 'nope-nope');
  fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
  expect((await screen.findByRole('alert')).textContent).toBe('Wrong username or password.');
  expect(onSignedIn).not.toHaveBeenCalled();
});

test('registering sends the display name and signs in', async () => {
  const server = new FakeServer({ 'auth.register': () => signedIn });
  const onSignedIn = vi.fn();
  renderWithServer(<AuthScreen onSignedIn={onSignedIn} />, server);
  expect(screen.queryByLabelText('Display name', { exact: false })).toBeNull();
  fireEvent.click(screen.getByRole('button', { name: 'Create an account' }));
  fill('Username', 'ada');
  fill('Display name', '  Ada Lovelace ');
  fill('Password', 'correct horse battery');
  fireEvent.click(screen.getByRole('button', { name: 'Create account' }));
  await waitFor(() => expect(onSignedIn).toHaveBeenCalled());
  expect(server.callsTo('auth.register')).toEqual([
    { username: 'ada', password: 'correct horse battery', displayName: 'Ada Lovelace' },
  ]);
});

test('switching between sign-in and register clears the previous error', async () => {
  const server = new FakeServer({
    'auth.login': () => {
      throw serverError('UNAUTHORIZED', 'Wrong username or password.');
    },
  });
  renderWithServer(<AuthScreen onSignedIn={() => {}} />, server);
  fill('Username', 'ada');
  fill('Password', 'nope-nope');
  fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
  await screen.findByRole('alert');
  fireEvent.click(screen.getByRole('button', { name: 'Create an account' }));
  expect(screen.queryByRole('alert')).toBeNull();
});
