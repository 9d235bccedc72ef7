/* global window, fetch */
// The first request of the operators' page, sent as soon as index.html is parsed (this tiny script comes in parallel
// with the main bundle and runs long before it): GET /api/v1/bootstrap, everything the first screen shows. The main
// bundle (src/api.ts, takeBootRequest) takes the answer instead of asking again, so on a slow link the round trip
// overlaps the bundle's download. Classic script, ES5, no CSP exception (a file from the box itself); built into
// dist/web-ui/assets/boot-<hash>.js by vite.tablet.ts.
(function () {
  if (typeof fetch !== 'function') return;
  var sent = fetch('/api/v1/bootstrap', { credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } });
  // A failure is the main bundle's to handle; this only keeps the browser from reporting it unhandled meanwhile.
  sent.catch(function () {});
  window.__fenghuoBoot = sent;
})();
