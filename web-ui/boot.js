/* global window, fetch */
// The first request of the operators' page, sent as soon as the head of index.html arrives: GET /api/v1/bootstrap,
// everything the first screen shows. The build (vite.tablet.ts) puts this script inline as the first thing in
// <head>, so on a slow link the round trip overlaps the rest of the page (the main bundle, inline at the end of
// <body>) arriving; the bundle (src/api.ts, takeBootRequest) takes the answer instead of asking again. Classic
// script, ES5; allowed by its sha256 hash in the page's CSP (node-daemon/http/static-ui.ts, pageCsp). Whole-line
// comments are dropped when it is inlined.
(function () {
  if (typeof fetch !== 'function') return;
  var sent = fetch('/api/v1/bootstrap', { credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } });
  // A failure is the main bundle's to handle; this only keeps the browser from reporting it unhandled meanwhile.
  sent.catch(function () {});
  window.__fenghuoBoot = sent;
})();
