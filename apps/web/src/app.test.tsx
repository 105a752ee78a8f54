import { afterEach, beforeEach, expect, test } from 'vitest';
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { MockParley } from './test/msw-server.ts';
import { renderApp } from './test/render-app.tsx';

let parley: MockParley;
beforeEach(() => {
  parley = new MockParley();
  parley.listen();
});
afterEach(async () => {
  cleanup();
  await parley.close();
});

test('signing out shows the sign-in form and closes the live connection', async () => {
  parley.post('before you leave');
  const app = renderApp({ parley });
  await screen.findByText('before you leave');
  await parley.whenSubscribed();

  const sidebar = screen.getByRole('complementary', { name: 'Workspace' });
  fireEvent.click(within(sidebar).getByRole('button', { name: 'Sign out' }));

  expect(await screen.findByRole('heading', { name: 'Sign in' })).toBeTruthy();
  expect(screen.queryByText('before you leave')).toBeNull();
  await waitFor(() => expect(parley.subscriptionCount()).toBe(0));
  expect(app.client().connection.getSnapshot().state).toBe('DISCONNECTED');
  expect(parley.callsTo('auth.logout')).toHaveLength(1);
});
