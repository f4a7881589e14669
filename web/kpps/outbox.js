// The KPPS app's outbox: signed forms and their photos waiting in IndexedDB, and the one routine
// that sends them. Shared by the page (app.js: at start, on the online event, on a timer) and
// the service worker (sw.js: on a Background Sync event, so a form signed with no signal goes out
// when the signal returns even if the officer has closed the app or the phone has put it away).
// Both may run it at once; a Web Lock keeps one sender at a time, and a resend is harmless anyway
// (photos are stored by hash, a form sent twice is answered "duplicate").
//
// Needs common.js (R.api, R.ApiError, R.T) loaded first. In the worker R.T answers in Bahasa
// Indonesia: it has no localStorage to read the officer's language from.
'use strict';
(function (root) {
  var R = root.R, T = R.T;
  var SYNC_TAG = 'rekap-outbox';
  // The service worker's cache (sw.js): the app's files, and each receipt's QR code.
  var CACHE = 'rekap-kpps-v3';
  var BACKOFF_MIN = 2000, BACKOFF_MAX = 5 * 60 * 1000;
  // The server takes up to this many signed forms in one request (RK_SUBMISSION_BULK_MAX).
  var BULK_MAX = 4;

  // IndexedDB: kv (device key, session), queue (signed forms waiting or sent), drafts.
  var dbp = null;
  function db() {
    if (dbp) return dbp;
    dbp = new Promise(function (ok, bad) {
      var rq = indexedDB.open('rekap-kpps', 1);
      rq.onupgradeneeded = function () {
        var d = rq.result;
        d.createObjectStore('kv');
        d.createObjectStore('queue', {keyPath: 'id', autoIncrement: true});
        d.createObjectStore('drafts');
      };
      rq.onsuccess = function () { ok(rq.result); };
      rq.onerror = function () { dbp = null; bad(rq.error); };
    });
    return dbp;
  }
  function tx(store, mode, fn) {
    return db().then(function (d) {
      return new Promise(function (ok, bad) {
        var t = d.transaction(store, mode), s = t.objectStore(store), out;
        var r = fn(s);
        if (r) r.onsuccess = function () { out = r.result; };
        t.oncomplete = function () { ok(out); };
        t.onerror = t.onabort = function () { bad(t.error); };
      });
    });
  }
  var idb = {
    get: function (st, k) { return tx(st, 'readonly', function (s) { return s.get(k); }); },
    put: function (st, v, k) { return tx(st, 'readwrite', function (s) { return k === undefined ? s.put(v) : s.put(v, k); }); },
    del: function (st, k) { return tx(st, 'readwrite', function (s) { return s.delete(k); }); },
    all: function (st) { return tx(st, 'readonly', function (s) { return s.getAll(); }); }
  };

  // The session token, kept here too (the page has it in localStorage, which a service worker
  // cannot read): photos are uploaded under the officer's session.
  function setToken(token) { return token ? idb.put('kv', token, 'token') : idb.del('kv', 'token'); }
  function getToken() { return idb.get('kv', 'token').then(function (t) { return t || null; }, function () { return null; }); }

  function backoff(tries) { return Math.min(BACKOFF_MAX, BACKOFF_MIN * Math.pow(2, Math.max(0, tries - 1))); }

  function hexToB64url(h) {
    var bin = '';
    for (var i = 0; i < h.length; i += 2) bin += String.fromCharCode(parseInt(h.substr(i, 2), 16));
    return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  // The witness copy of an accepted form (docs/web.md): enough to check it offline.
  function witnessCopy(it) {
    var r = it.receipt, body = it.body;
    try { if (typeof body === 'string') body = JSON.parse(body); } catch (e) { body = null; }
    if (!r || !r.race_ref || !body || !body.device || !it.signature) return null;
    return ['RKW1', r.tps, r.race_ref, r.version, r.doc_sha256, body.device, hexToB64url(it.signature), r.log_index].join('|');
  }

  // The public page of an accepted form, which its receipt's QR code holds.
  function receiptUrl(it) {
    var w = witnessCopy(it);
    return root.location.origin + '/#/' + it.tps + '/' + it.race + '?doc=' + it.docHash + '&sig=' + it.signature +
      (w ? '&r=' + encodeURIComponent(w) : '');
  }

  function qrSrc(it) { return '/api/qr?text=' + encodeURIComponent(receiptUrl(it)); }

  // Fetches the receipt's QR code into the worker's cache as soon as the form is accepted: the
  // officer may show it to a witness later, where there is no signal. Best effort.
  function keepQr(it) {
    if (!root.caches) return Promise.resolve();
    var src = qrSrc(it);
    return root.caches.open(CACHE).then(function (c) {
      return c.match(src).then(function (hit) { return hit || c.add(src); });
    }).catch(function () {});
  }

  function accepted(item, receipt) {
    item.status = 'diterima';
    item.reason = null;
    item.needsLogin = false;
    item.receipt = receipt;
    item.receipt.at = Date.now();
    return Promise.all([idb.del('drafts', item.race), keepQr(item)]);
  }

  // A try that may work later (no network, server busy or failing, session expired) leaves the
  // form queued; anything else is the server's final word.
  function failed(item, e) {
    if (e.status === 0 || e.status >= 500 || e.status === 429) {
      item.status = 'antre';
      item.tries = (item.tries || 0) + 1;
      item.nextAt = Date.now() + backoff(item.tries);
      item.reason = e.status ? e.message : null;
      item.noSignal = e.status === 0; // a busy server is not retried early (see flush)
      return true;
    }
    if (e.status === 401 && e.code === 'unauthenticated') {
      // The session ran out while the form waited: it stays queued until the officer logs in.
      item.status = 'antre';
      item.nextAt = Date.now() + BACKOFF_MAX;
      item.reason = T('Sesi berakhir: masuk lagi untuk mengirim.', 'Session expired: log in again to send.');
      item.needsLogin = true;
      return false;
    }
    item.status = 'ditolak';
    item.reason = e.message;
    item.violations = e.body && e.body.error && e.body.error.violations || null;
    item.code = e.code;
    return false;
  }

  // Uploads an item's photos, each idempotent by its hash.
  function sendPhotos(item, token) {
    var chain = Promise.resolve();
    item.photos.forEach(function (p) {
      chain = chain.then(function () {
        if (p.sent) return;
        return R.api('/api/photos', {token: token, raw: p.blob, type: p.blob.type || 'image/jpeg'}).then(function (r) {
          if (r.body.sha256 !== p.sha) throw new Error('photo hash mismatch');
          p.sent = true;
        });
      });
    });
    return chain;
  }

  // Sends one group: its photos first, then the signed forms. Forms that waited together (the
  // races of this TPS, after a stretch without signal) go in one request: one round trip on a
  // weak network, each form still answered on its own. Resolves to whether a try may work later.
  function send(items, token, onChange) {
    var retry = false;
    items.forEach(function (it) { it.status = 'mengirim'; });
    return Promise.all(items.map(function (it) { return idb.put('queue', it); })).then(onChange).then(function () {
      return items.reduce(function (chain, it) { return chain.then(function () { return sendPhotos(it, token); }); }, Promise.resolve());
    }).then(function () {
      if (items.length === 1)
        return R.api('/api/submissions', {body: items[0].body}).then(function (r) { return [{ok: true, receipt: r.body}]; });
      var body = '[' + items.map(function (it) { return it.body; }).join(',') + ']';
      return R.api('/api/submissions', {body: body}).then(function (r) {
        var res = r.body && r.body.results;
        if (!res || res.length !== items.length) throw R.ApiError(502, null);
        return res.map(function (x) {
          return x.status < 300 ? {ok: true, receipt: x.receipt} : {ok: false, error: R.ApiError(x.status, {error: x.error})};
        });
      });
    }).then(function (outcomes) {
      return Promise.all(items.map(function (it, i) {
        if (outcomes[i].ok) return accepted(it, outcomes[i].receipt);
        retry = failed(it, outcomes[i].error) || retry;
      }));
    }, function (e) {
      items.forEach(function (it) { retry = failed(it, e) || retry; });
    }).then(function () {
      return Promise.all(items.map(function (it) { return idb.put('queue', it); }));
    }).then(function () { return retry; });
  }

  function locked(fn) {
    var L = root.navigator && root.navigator.locks;
    return L && L.request ? L.request(SYNC_TAG, fn) : fn();
  }

  // Sends every form that is due. opts: token (else the stored one), online() (false: send
  // nothing), onChange() (after each status change), force (the browser says the network is
  // back: a form that failed for want of signal need not wait out its backoff; one a busy or
  // failing server refused still does, so that phones do not pile onto it on election night),
  // worker (skip forms waiting for a login: only the page can log in). Resolves to {retry: some
  // form is left for a later try, conflict: some form was refused because the TPS moved on}.
  function flush(opts) {
    opts = opts || {};
    var onChange = opts.onChange || function () {};
    var online = opts.online || function () { return root.navigator.onLine !== false; };
    var out = {retry: false, conflict: false};
    return locked(function () {
      return Promise.all([idb.all('queue'), opts.token !== undefined ? opts.token : getToken()]).then(function (a) {
        var items = a[0], token = a[1], now = Date.now();
        var due = items.filter(function (it) {
          if (it.status !== 'antre' && it.status !== 'mengirim') return false;
          if (it.needsLogin && (opts.worker || !token)) return false;
          if ((it.nextAt || 0) <= now || (opts.force && it.noSignal !== false)) return true;
          out.retry = true; // waiting out a busy server's backoff
          return false;
        }), chain = Promise.resolve();
        for (var i = 0; i < due.length; i += BULK_MAX)
          chain = chain.then(function (group) {
            if (!online()) { out.retry = true; return; }
            return send(group, token, onChange).then(function (r) {
              out.retry = out.retry || r;
              out.conflict = out.conflict || group.some(function (it) { return it.code === 'conflict'; });
            });
          }.bind(null, due.slice(i, i + BULK_MAX)));
        return chain;
      });
    }).then(function () { onChange(); return out; });
  }

  // Asks the browser to wake the service worker when the network is back (Background Sync),
  // where it has that; the page's own timer and online event cover the rest.
  function requestSync() {
    if (!root.navigator || !root.navigator.serviceWorker) return Promise.resolve(false);
    return root.navigator.serviceWorker.ready.then(function (reg) {
      return reg.sync ? reg.sync.register(SYNC_TAG).then(function () { return true; }) : false;
    }).catch(function () { return false; });
  }

  root.Outbox = {SYNC_TAG: SYNC_TAG, CACHE: CACHE, idb: idb, setToken: setToken, getToken: getToken, flush: flush,
    requestSync: requestSync, receiptUrl: receiptUrl, qrSrc: qrSrc};
})(self);
