/**
 * Registers the page's service worker (/sw.js, written by the build from web-ui/sw.js): it keeps the page itself
 * (index.html and the hashed files) so the page opens while the box restarts, and never keeps an API answer. Only
 * where the browser has service workers and the page is a secure context (https, or the box's own 127.0.0.1 /
 * localhost): over plain http to the box's LAN address a browser offers none, and the page works as before.
 */
export function registerServiceWorker(): void {
  const nav = navigator as Navigator & { serviceWorker?: ServiceWorkerContainer };
  if (nav.serviceWorker === undefined || window.isSecureContext === false) return;
  // After the first screen is up: installing fetches the shell again, which must not compete with the first load.
  const register = (): void => {
    nav.serviceWorker!.register('/sw.js').catch(() => undefined);
  };
  if (document.readyState === 'complete') register();
  else window.addEventListener('load', register);
}
