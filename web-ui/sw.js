/* global self, caches, fetch, Request, SHELL, VERSION */
// The operators' page's service worker (served at /sw.js, scope /). vite.tablet.ts writes dist/web-ui/sw.js from this
// file, with `SHELL` (index.html as "/" and every hashed file of the build) and `VERSION` (a hash of them) before it.
// Today the shell is "/" alone: the build puts the boot script, the bundle and the styles inside index.html.
//
// - The shell (index.html and any hashed assets) is cached at install, so the page still opens while the box
//   restarts or the Wi-Fi is down; the page itself then says the box cannot be reached.
// - A page load (navigation) always asks the box first: index.html is revalidated, so a firmware update shows at
//   once; only when the box cannot be reached does the cached index.html answer.
// - Hashed assets (/assets/…) come from the cache (their names change with their content), else from the box.
// - Everything else goes to the network untouched, above all /api/… and /metrics: an API answer is never stored and
//   never answered from a cache (a cached water level during a flood is a wrong one).
// - A new firmware brings a new index.html (and asset names), so a new VERSION, so a new sw.js: it installs the new
//   shell, takes over at once and drops the old caches.

var CACHE = 'fenghuo-shell-' + VERSION;
var PREFIX = 'fenghuo-shell-';

self.addEventListener('install', function (event) {
  event.waitUntil(
    caches
      .open(CACHE)
      .then(function (cache) {
        return cache.addAll(SHELL.map(function (path) { return new Request(path, { cache: 'reload' }); }));
      })
      .then(function () {
        return self.skipWaiting();
      }),
  );
});

self.addEventListener('activate', function (event) {
  event.waitUntil(
    caches
      .keys()
      .then(function (keys) {
        return Promise.all(
          keys.filter(function (k) { return k.indexOf(PREFIX) === 0 && k !== CACHE; }).map(function (k) { return caches.delete(k); }),
        );
      })
      .then(function () {
        return self.clients.claim();
      }),
  );
});

function isApi(path) {
  return path === '/api' || path.indexOf('/api/') === 0 || path === '/metrics';
}

/** index.html from the box; when the box cannot be reached, the cached one. A good answer refreshes the cache. */
function page(request) {
  return fetch(request).then(
    function (res) {
      if (res.ok && (res.headers.get('Content-Type') || '').indexOf('text/html') === 0) {
        var copy = res.clone();
        caches.open(CACHE).then(function (cache) { return cache.put('/', copy); });
      }
      return res;
    },
    function (err) {
      return caches.match('/', { cacheName: CACHE }).then(function (hit) {
        if (hit !== undefined) return hit;
        throw err;
      });
    },
  );
}

function asset(request) {
  return caches.match(request, { cacheName: CACHE }).then(function (hit) {
    return hit !== undefined ? hit : fetch(request);
  });
}

self.addEventListener('fetch', function (event) {
  var request = event.request;
  if (request.method !== 'GET') return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin || isApi(url.pathname)) return;
  if (request.mode === 'navigate') event.respondWith(page(request));
  else if (url.pathname.indexOf('/assets/') === 0) event.respondWith(asset(request));
});
