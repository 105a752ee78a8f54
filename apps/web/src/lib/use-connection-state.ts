import { useCallback, useSyncExternalStore } from 'react';
import { useClients } from './clients-context.ts';

export type ConnectionStatus = 'idle' | 'connecting' | 'connected' | 'reconnecting';

/** The live-updates socket as a person would describe it. */
export function useConnectionState(): ConnectionStatus {
  const { wsClient } = useClients();
  const subscribe = useCallback(
    (onChange: () => void) => {
      const subscription = wsClient.connectionState.subscribe({ next: onChange });
      return () => subscription.unsubscribe();
    },
    [wsClient],
  );
  const state = useSyncExternalStore(subscribe, () => wsClient.connectionState.get());
  if (state.state === 'pending') return 'connected';
  if (state.state === 'connecting') return state.error ? 'reconnecting' : 'connecting';
  return 'idle';
}
