import { afterEach, beforeEach, expect, test } from 'vitest';
import { cleanup, fireEvent, screen } from '@testing-library/react';
import { TRPCError } from '@trpc/server';
import { ADA, MockParley } from '../test/msw-server.ts';
import { renderApp } from '../test/render-app.tsx';

let parley: MockParley;
beforeEach(() => {
  parley = new MockParley({ me: null });
  parley.listen();
});
afterEach(async () => {
  cleanup();
  await parley.close();
});

function fill(label: string, value: string) {
  fireEvent.change(screen.getByLabelText(label, { exact: false }), { target: { value } });
}

function refuseLogins() {
  parley.use(
    parley.trpc.auth.login.mutation(() => {
      throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Wrong username or password.' });
    }),
  );
}

test('a wrong password shows the server’s message inline and stays on the form', async () => {
  refuseLogins();
  renderApp({ parley, hash: '#/' });
  await screen.findByRole('heading', { name: 'Sign in' });
  fill('Username', 'ada');
  fill('Password', 'nope-nope');
  fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));

  expect((await screen.findByRole('alert')).textContent).toBe('Wrong username or password.');
  expect(screen.getByRole('heading', { name: 'Sign in' })).toBeTruthy();
  expect(parley.callsTo('auth.login')).toEqual([{ username: 'ada', password: 'nope-nope' }]);
});

test('registering sends the trimmed display name, then opens the signed-in app', async () => {
  parley.use(
    parley.trpc.auth.register.mutation(({ input }) => {
      parley.me = { ...ADA, username: input.username, displayName: input.displayName ?? input.username };
      return { user: { id: ADA.id, username: input.username, displayName: parley.me.displayName, isAdmin: false, createdAt: ADA.createdAt }, token: null, expiresAt: ADA.sessionExpiresAt };
    }),
  );
  renderApp({ parley, hash: '#/' });
  await screen.findByRole('heading', { name: 'Sign in' });
  expect(screen.queryByLabelText('Display name', { exact: false })).toBeNull();

  fireEvent.click(screen.getByRole('button', { name: 'Create an account' }));
  fill('Username', 'ada');
  fill('Display name', '  Ada Lovelace ');
  fill('Password', 'correct horse battery');
  fireEvent.click(screen.getByRole('button', { name: 'Create account' }));

  expect(await screen.findByRole('heading', { name: 'Your workspaces' })).toBeTruthy();
  expect(screen.getByText('Ada Lovelace')).toBeTruthy();
  expect(await screen.findByText('Acme')).toBeTruthy();
  expect(parley.callsTo('auth.register')).toEqual([{ username: 'ada', password: 'correct horse battery', displayName: 'Ada Lovelace' }]);
});

test('switching between sign-in and register clears the previous error', async () => {
  refuseLogins();
  renderApp({ parley, hash: '#/' });
  await screen.findByRole('heading', { name: 'Sign in' });
  fill('Username', 'ada');
  fill('Password', 'nope-nope');
  fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
  await screen.findByRole('alert');

  fireEvent.click(screen.getByRole('button', { name: 'Create an account' }));
  expect(screen.queryByRole('alert')).toBeNull();
});
