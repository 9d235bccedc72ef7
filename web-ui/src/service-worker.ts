/**
 * Registers the page's service worker (/sw.js, written by the build from web-ui/sw.js): it keeps the page itself
 * (index.html and the hashed files) so the page opens while the box restarts, and never keeps an API answer. Only
 * where the browser has service workers and the page is a secure context (https, or the box's own 127.0.0.1 /
 * localhost): over plain http to the box's LAN address a browser offers none, and the page works as before.
 */
export function registerServiceWorker(firstScreen?: Promise<unknown>): void {
  const nav = navigator as Navigator & { serviceWorker?: ServiceWorkerContainer };
  if (nav.serviceWorker === undefined || window.isSecureContext === false) return;
  // After the first screen is up (the page loaded and the boot script's GET /bootstrap answered, or failed):
  // installing fetches the page again, which must not compete with the first load on a slow link.
  const register = (): void => {
    const go = (): void => {
      nav.serviceWorker!.register('/sw.js').catch(() => undefined);
    };
    if (firstScreen === undefined) go();
    else firstScreen.then(go, go);
  };
  if (document.readyState === 'complete') register();
  else window.addEventListener('load', register);
}
