import { afterEach, beforeEach, expect, test } from 'vitest';
import { cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
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
      return {
        user: { id: ADA.id, username: input.username, displayName: parley.me.displayName, isAdmin: false, createdAt: ADA.createdAt },
        token: null,
        expiresAt: ADA.sessionExpiresAt,
      };
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

/** A refusal as the server sends one for invalid input: a sentence plus zod's field errors. */
function invalid(message: string, fieldErrors: Record<string, string[]>) {
  return Object.assign(new TRPCError({ code: 'BAD_REQUEST', message }), { fieldErrors });
}

test('validation errors show at their fields, in words, tied to them for screen readers, with no run-together summary', async () => {
  parley.use(
    parley.trpc.auth.register.mutation(() => {
      throw invalid('username: A username may contain letters, digits, ".", "-" and "_".; password: A password has at least 8 characters.', {
        username: ['A username may contain letters, digits, ".", "-" and "_".'],
        password: ['A password has at least 8 characters.'],
      });
    }),
  );
  renderApp({ parley, hash: '#/' });
  await screen.findByRole('heading', { name: 'Sign in' });
  fireEvent.click(screen.getByRole('button', { name: 'Create an account' }));
  fill('Username', 'ada lovelace');
  fill('Password', 'short');
  fireEvent.click(screen.getByRole('button', { name: 'Create account' }));

  const username = screen.getByLabelText('Username');
  await waitFor(() => expect(username.getAttribute('aria-invalid')).toBe('true'));
  const usernameError = document.getElementById(username.getAttribute('aria-describedby')!);
  expect(usernameError?.textContent).toBe('A username may contain letters, digits, ".", "-" and "_".');

  const password = screen.getByLabelText('Password');
  expect(password.getAttribute('aria-invalid')).toBe('true');
  const describedBy = password
    .getAttribute('aria-describedby')!
    .split(' ')
    .map((id) => document.getElementById(id)?.textContent);
  expect(describedBy).toEqual(['A password has at least 8 characters.', 'At least 8 characters and hard to guess: a few uncommon words work well.']);

  expect(screen.getByLabelText('Display name', { exact: false }).hasAttribute('aria-invalid')).toBe(false);
  expect(screen.queryByRole('alert')).toBeNull();
  expect(document.body.textContent).not.toContain('username:');
  expect(document.activeElement).toBe(username);
});

test('an error for a field the form does not show, or without field errors, is shown for the form', async () => {
  parley.use(
    parley.trpc.auth.login.mutation(() => {
      throw invalid('session: Invalid option.', { session: ['Invalid option'] });
    }),
  );
  renderApp({ parley, hash: '#/' });
  await screen.findByRole('heading', { name: 'Sign in' });
  fill('Username', 'ada');
  fill('Password', 'whatever-it-is');
  fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
  expect((await screen.findByRole('alert')).textContent).toBe('Invalid option.');
  expect(screen.getByLabelText('Username').hasAttribute('aria-invalid')).toBe(false);
});

test("a guessable password: the server's advice shows at the password field", async () => {
  const advice = 'This is a heavily used password. Add more words that are less common.';
  parley.use(
    parley.trpc.auth.register.mutation(() => {
      throw invalid(`password: ${advice}`, { password: [advice] });
    }),
  );
  renderApp({ parley, hash: '#/' });
  await screen.findByRole('heading', { name: 'Sign in' });
  fireEvent.click(screen.getByRole('button', { name: 'Create an account' }));
  fill('Username', 'ada');
  fill('Password', 'password');
  fireEvent.click(screen.getByRole('button', { name: 'Create account' }));

  const password = screen.getByLabelText('Password');
  await waitFor(() => expect(password.getAttribute('aria-invalid')).toBe('true'));
  expect(document.getElementById(password.getAttribute('aria-describedby')!.split(' ')[0]!)?.textContent).toBe(advice);
  expect(document.activeElement).toBe(password);
});

test('opened from the setup link a node printed, the form creates the administrator with its token, then forgets it', async () => {
  window.history.replaceState(null, '', '/?setup=abcdefgh23456');
  try {
    parley.use(
      parley.trpc.auth.register.mutation(({ input }) => {
        parley.me = { ...ADA, username: input.username, isAdmin: true };
        return {
          user: { id: ADA.id, username: input.username, displayName: input.username, isAdmin: true, createdAt: ADA.createdAt },
          token: null,
          expiresAt: ADA.sessionExpiresAt,
        };
      }),
    );
    renderApp({ parley, hash: '#/' });
    await screen.findByRole('heading', { name: 'Create your account' });
    expect(screen.getByText(/This account will administer this Parley server/)).toBeTruthy();
    fill('Username', 'ada');
    fill('Password', 'correct horse battery');
    fireEvent.click(screen.getByRole('button', { name: 'Create account' }));
    await waitFor(() => expect(parley.callsTo('auth.register')).toEqual([{ username: 'ada', password: 'correct horse battery', setupToken: 'abcdefgh23456' }]));
    await waitFor(() => expect(window.location.search).toBe(''));
  } finally {
    window.history.replaceState(null, '', '/');
  }
});
