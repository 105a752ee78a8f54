import 'fake-indexeddb/auto';
import { render, screen } from '@testing-library/react';
import { createParleyClient, manualNetwork, memoryStorage, type ManualNetwork, type ParleyClient, type ParleyClientOptions } from '@parley/client';
import { App } from '../app.tsx';
import { ParleyClientFactoryContext } from '../lib/parley-session.tsx';
import { GENERAL, ORIGIN, roomHash, type MockParley } from './msw-server.ts';

/** Says the network went away or came back, as the browser's `offline`/`online` events do. */
export type FakeNetwork = ManualNetwork;
export const fakeNetwork = manualNetwork;

let builds = 0;

export interface RenderAppOptions {
  parley: MockParley;
  network?: FakeNetwork;
  connection?: ParleyClientOptions['connection'];
  /** Where the app opens (default: #general of Acme). */
  hash?: string;
}

/**
 * The whole SPA (`<App>`: session gate, workspace, chat) against the mocked server, with a
 * Parley client on the mocked origin whose network the test controls.
 */
export function renderApp({ parley, network = fakeNetwork(), connection, hash = roomHash(GENERAL) }: RenderAppOptions) {
  window.location.hash = hash;
  const clients: ParleyClient[] = [];
  const factory = (userId: string) => {
    const client = createParleyClient({ url: ORIGIN, storage: memoryStorage(), network, connection, user: { id: userId, name: '' } });
    clients.push(client);
    return client;
  };
  // Another build id each time: a query cache saved (in fake IndexedDB) by an earlier test is
  // never restored into this one.
  const result = render(
    <ParleyClientFactoryContext.Provider value={factory}>
      <App buildId={`test-${++builds}`} />
    </ParleyClientFactoryContext.Provider>,
  );
  return {
    ...result,
    network,
    /** The Parley client of the signed-in session. */
    client(): ParleyClient {
      const client = clients.at(-1);
      if (!client) throw new Error('No Parley client yet: nobody is signed in.');
      return client;
    },
    /** The network goes away: the platform says so and the server cannot be reached. */
    goOffline() {
      parley.setReachable(false);
      network.set(false);
    },
    goOnline() {
      parley.setReachable(true);
      network.set(true);
    },
  };
}

/**
 * `renderApp` on an empty #general (the default route), once the room shows and the
 * workspace's event stream runs: where most component tests start.
 */
export async function renderLiveGeneral(options: RenderAppOptions) {
  const app = renderApp(options);
  await screen.findByText('No messages in #general yet. Say hello!');
  await options.parley.whenSubscribed();
  return app;
}
