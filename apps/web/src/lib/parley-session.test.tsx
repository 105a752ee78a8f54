import 'fake-indexeddb/auto';
import { afterEach, expect, test, vi } from 'vitest';
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { createParleyClient, indexedDbStorage, type NetworkStatus } from '@parley/client';
import { ParleyProvider } from '@parley/client/react';
import { clientDatabaseName, useSignOut } from './parley-session.tsx';

afterEach(cleanup);

const offline: NetworkStatus = { isOnline: () => false, subscribe: () => () => {} };

function SignOutButton({ onSignOut, confirm }: { onSignOut: () => void; confirm: (q: string) => boolean }) {
  const signOut = useSignOut(onSignOut, confirm);
  return (
    <button type="button" onClick={signOut}>
      Sign out
    </button>
  );
}

test('signing out with unsent messages asks first; yes deletes the user\u2019s messages and outbox from the browser', async () => {
  const storage = indexedDbStorage(clientDatabaseName('u1'));
  const client = createParleyClient({ url: 'http://parley.test', storage, network: offline });
  client.outbox.send({ partitionId: 'acme', roomId: 'r1', body: 'not sent yet' });
  await client.outbox.ready;
  await client.outbox.saved();
  expect(await storage.get<unknown[]>('outbox')).toHaveLength(1);

  const onSignOut = vi.fn();
  const confirm = vi.fn(() => false);
  const { rerender } = render(
    <ParleyProvider client={client}>
      <SignOutButton onSignOut={onSignOut} confirm={confirm} />
    </ParleyProvider>,
  );
  fireEvent.click(screen.getByRole('button', { name: 'Sign out' }));
  expect(confirm).toHaveBeenCalledWith('1 message has not been sent yet and will be lost if you sign out now. Sign out anyway?');
  expect(onSignOut).not.toHaveBeenCalled();
  expect(await storage.get<unknown[]>('outbox')).toHaveLength(1);

  const yes = vi.fn(() => true);
  rerender(
    <ParleyProvider client={client}>
      <SignOutButton onSignOut={onSignOut} confirm={yes} />
    </ParleyProvider>,
  );
  await act(async () => {
    fireEvent.click(screen.getByRole('button', { name: 'Sign out' }));
    await vi.waitFor(() => expect(onSignOut).toHaveBeenCalledTimes(1));
  });
  expect(await indexedDbStorage(clientDatabaseName('u1')).get('outbox')).toBeUndefined();
});

test('with nothing waiting, signing out does not ask', async () => {
  const client = createParleyClient({ url: 'http://parley.test', storage: indexedDbStorage(clientDatabaseName('u1')), network: offline });
  const onSignOut = vi.fn();
  const confirm = vi.fn(() => false);
  render(
    <ParleyProvider client={client}>
      <SignOutButton onSignOut={onSignOut} confirm={confirm} />
    </ParleyProvider>,
  );
  fireEvent.click(screen.getByRole('button', { name: 'Sign out' }));
  await vi.waitFor(() => expect(onSignOut).toHaveBeenCalledTimes(1));
  expect(confirm).not.toHaveBeenCalled();
});
