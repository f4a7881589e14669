// Service worker of the KPPS app: keeps the app's own files so it opens with no signal at all,
// and sends the queued forms on a Background Sync event (outbox.js): the browser wakes it when the
// network is back, even with the app closed.
// Stale-while-revalidate: the cached copy answers at once (a cheap phone on a weak signal should
// not wait), and a fresh copy is fetched behind it for the next start. Receipt QR codes and
// form photos are immutable by URL, so they are kept once seen. The API is never cached here:
// the app keeps what it needs in IndexedDB and localStorage itself.
'use strict';
importScripts('/static/common.js', '/kpps/outbox.js');
var CACHE = Outbox.CACHE;
var SHELL = ['/kpps/', '/kpps/app.js', '/kpps/outbox.js', '/kpps/kpps.css', '/kpps/manifest.webmanifest', '/kpps/icon.svg',
  '/static/common.js', '/static/chasil.js', '/static/style.css'];

self.addEventListener('install', function (ev) {
  ev.waitUntil(caches.open(CACHE).then(function (c) { return c.addAll(SHELL); }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener('activate', function (ev) {
  ev.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k !== CACHE; }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener('fetch', function (ev) {
  var req = ev.request;
  if (req.method !== 'GET') return;
  var url = new URL(req.url);
  if (url.origin !== location.origin) return;
  var path = url.pathname === '/kpps' ? '/kpps/' : url.pathname;
  var immutable = path === '/api/qr' || path.indexOf('/api/photos/') === 0;
  if (SHELL.indexOf(path) < 0 && !immutable) return;
  var key = immutable ? req : path;
  ev.respondWith(caches.open(CACHE).then(function (c) {
    return c.match(key).then(function (hit) {
      if (hit && immutable) return hit;
      var net = fetch(req).then(function (r) {
        if (r.ok) c.put(key, r.clone());
        return r;
      });
      if (hit) {
        ev.waitUntil(net.catch(function () {}));
        return hit;
      }
      return net;
    });
  }));
});

// The forms the page could not send. A rejected promise asks the browser to try again later
// (it backs off, and gives up after a few tries; the page's own retries go on when it opens).
self.addEventListener('sync', function (ev) {
  if (ev.tag !== Outbox.SYNC_TAG) return;
  ev.waitUntil(Outbox.flush({force: true, worker: true}).then(function (res) {
    return self.clients.matchAll({includeUncontrolled: true}).then(function (cs) {
      cs.forEach(function (c) { c.postMessage({type: 'outbox', retry: res.retry, conflict: res.conflict}); });
      if (res.retry) throw new Error('outbox: forms left to send');
    });
  }));
});
