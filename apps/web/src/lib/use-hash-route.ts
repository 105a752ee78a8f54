import { useCallback, useSyncExternalStore } from 'react';
import { formatRoute, parseRoute, type Route } from './route.ts';

function subscribe(onChange: () => void) {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

const getHash = () => window.location.hash;

/**
 * The current route and a way to go elsewhere. `replace` fills in a default (a workspace's
 * first room) without adding a history entry that Back would bounce on.
 */
export function useHashRoute(): [Route, (route: Route, opts?: { replace?: boolean }) => void] {
  const hash = useSyncExternalStore(subscribe, getHash);
  const navigate = useCallback((route: Route, opts?: { replace?: boolean }) => {
    const next = formatRoute(route);
    if (next === window.location.hash) return;
    if (opts?.replace) {
      window.history.replaceState(window.history.state, '', next);
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    } else {
      window.location.hash = next;
    }
  }, []);
  return [parseRoute(hash), navigate];
}
