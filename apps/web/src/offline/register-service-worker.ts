/**
 * Registers `/sw.js` (emitted by `vite-plugins/service-worker.ts` in production builds) after
 * the page has loaded, so that precaching does not compete with the first render. Browsers
 * without service workers (or with them disabled) simply stay online-only.
 */
export function registerServiceWorker(): void {
  if (!('serviceWorker' in navigator)) return;
  const register = () => {
    navigator.serviceWorker.register('/sw.js').catch((error: unknown) => {
      console.warn('Parley works online only: the service worker was not registered.', error);
    });
  };
  if (document.readyState === 'complete') register();
  else window.addEventListener('load', register, { once: true });
}
