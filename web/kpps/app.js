// rekap KPPS app: the polling-station officer logs in, photographs each page of the C.Hasil form,
// types every number (checked live against the form's arithmetic), signs the document with the
// device's Ed25519 key and sends it. Offline first: a signed form and its photos wait in
// IndexedDB (outbox.js) and go out by themselves when the network returns (the online event,
// retries with growing waits, and a Background Sync that wakes the service worker even with the
// app closed); resending is harmless, the server answers "duplicate". After acceptance a
// receipt shows a QR code that a witness scans to open the same signed copy on the public portal.
//
// The digit reader (POST /api/read) pre-fills the numbers from each page photo and draws what it
// read over the photo; numbers it doubts are marked yellow and must be confirmed or retyped
// before the form can be reviewed. Without the reader (offline, no model, unreadable photo) the
// officer types as before and is told why.
//
// The device key is generated with WebCrypto (Ed25519), its private half non-extractable, and
// kept in IndexedDB; only the public half ever leaves the phone (POST /api/devices).
'use strict';
(function () {
  var T = R.T, el = R.el, fmt = R.fmt;
  var main = R.$('main');
  var LS = 'rekap.kpps.';
  var PAGES = 2;          // photos per race: the two pages of the C.Hasil-KWK form (docs/forms.md)
  var PHOTO_EDGE = 1600;  // longest side of an uploaded photo: digits stay sharp, ~300 KB
  // The reader needs the printed marks, QR and digit boxes sharp: it gets the camera's own file
  // when that is a JPEG/PNG under the server's cap, else a copy this large (docs/reader.md).
  var READ_EDGE = 3000, READ_MAX = 11 * 1024 * 1024;

  // ---- small persistent state ----

  function lsGet(k) { try { return JSON.parse(localStorage.getItem(LS + k)); } catch (e) { return null; } }
  function lsSet(k, v) { try { localStorage.setItem(LS + k, JSON.stringify(v)); } catch (e) { /* full */ } }
  function lsDel(k) { try { localStorage.removeItem(LS + k); } catch (e) { /* ignore */ } }

  var idb = Outbox.idb; // kv (device key), queue (signed forms), drafts (numbers + photos)

  // ---- session and context ----

  var S = {token: lsGet('token'), user: lsGet('user'), ctx: lsGet('ctx'), state: lsGet('state') || {}};

  function online() { return navigator.onLine !== false; }

  function paintNet() {
    var n = R.$('net');
    n.textContent = online() ? T('daring', 'online') : T('luring', 'offline');
    n.className = 'chip ' + (online() ? 'ok' : 'warn');
  }

  // Loads what the app needs to work offline: the TPS, its races, the elections' kinds.
  function loadContext() {
    var code = S.user.scope;
    return Promise.all([R.get('/api/regions/' + code), R.get('/api/races?region=' + code), R.get('/api/elections')]).then(function (a) {
      var el2 = {};
      a[2].elections.forEach(function (e) { el2[e.id] = e; });
      S.ctx = {tps: a[0].region, breadcrumb: a[0].breadcrumb, races: a[1].races, elections: el2};
      lsSet('ctx', S.ctx);
    });
  }

  // Server state of each race at this TPS (current version, approval), for prev and the status.
  function loadState() {
    return Promise.all(S.ctx.races.map(function (r) {
      return R.get('/api/tps/' + S.ctx.tps.code + '/races/' + r.id).then(function (st) {
        var last = st.history.length ? st.history[st.history.length - 1] : null;
        S.state[r.id] = {version: st.current ? st.current.version : 0, approved: !!(st.state && st.state.approved),
          doc: last ? last.doc_sha256 : null,
          objections: (st.objections || []).map(function (o) { return {version: o.version, actor: o.actor, reason: o.reason}; })};
      });
    })).then(function () { lsSet('state', S.state); }, function () { /* offline: keep the last known */ });
  }

  // The device key: one per phone and account, registered once while online.
  function deviceKey() {
    return idb.get('kv', 'device').then(function (k) {
      if (k && k.username === S.user.username) return k;
      if (!window.crypto || !crypto.subtle) throw new Error(T('Peramban ini tidak mendukung tanda tangan digital.', 'This browser cannot sign.'));
      return crypto.subtle.generateKey({name: 'Ed25519'}, false, ['sign', 'verify']).then(function (pair) {
        return crypto.subtle.exportKey('raw', pair.publicKey).then(function (raw) {
          return R.api('/api/devices', {token: S.token, body: {public_key: Chasil.hex(raw)}});
        }).then(function (r) {
          var rec = {username: S.user.username, keyId: r.body.key_id, privateKey: pair.privateKey, publicKey: pair.publicKey,
            created: Date.now()};
          return idb.put('kv', rec, 'device').then(function () { return rec; });
        });
      });
    }).catch(function (e) {
      if (e && e.name === 'NotSupportedError')
        throw new Error(T('Peramban ini belum mendukung Ed25519; perbarui Chrome.', 'This browser lacks Ed25519; update Chrome.'));
      throw e;
    });
  }

  // ---- the queue ----

  var flushing = false, timer = null, listeners = [];

  function notify() { listeners.forEach(function (f) { f(); }); }

  // The latest accepted version of each race, from the receipts in the queue: a form may have
  // been accepted while the app was closed (the service worker sent it).
  function adopt(items) {
    var changed = false;
    items.forEach(function (it) {
      if (it.status !== 'diterima' || !it.receipt) return;
      var st = S.state[it.race];
      if (st && st.version >= it.receipt.version) return;
      S.state[it.race] = {version: it.receipt.version, approved: false, doc: it.receipt.doc_sha256,
        objections: st && st.objections}; // objections are the TPS's, not the version's
      changed = true;
    });
    if (changed) lsSet('state', S.state);
  }

  // What the outbox's last round changed: receipts to adopt, refusals because the TPS moved on
  // (approved, corrected) to show where it stands now, and a Background Sync for what is left
  // (not when the round was the worker's own: the browser retries that sync itself).
  function settled(res, fromWorker) {
    return idb.all('queue').then(function (items) {
      adopt(items);
      notify();
      if (res && res.retry && !fromWorker) Outbox.requestSync();
      if (res && res.conflict) return loadState().then(notify);
    });
  }

  function flush() {
    if (flushing) return Promise.resolve();
    flushing = true;
    clearTimeout(timer);
    timer = null;
    return Outbox.flush({token: S.token, online: online, onChange: notify}).then(settled).catch(function () {
      /* a storage hiccup: try again later */
    }).then(function () {
      flushing = false;
      return idb.all('queue');
    }).then(function (items) {
      // Offline, the online event wakes the queue; the slow timer covers a phone that misses it.
      var next = Infinity, now = Date.now();
      items.forEach(function (it) {
        if (it.status !== 'antre' || (it.needsLogin && !S.token)) return;
        next = Math.min(next, online() ? Math.max(it.nextAt || 0, now + 500) : now + 30000);
      });
      if (next < Infinity) timer = setTimeout(flush, next - now);
    });
  }

  // Signs and queues a form. An older unsent form of the same race is dropped: the newest wins.
  function enqueue(race, doc, photos) {
    var st = S.state[race.id] || {};
    return deviceKey().then(function (key) {
      var shas = photos.map(function (p) { return p.sha; });
      return Chasil.sign(doc, shas, st.doc || null, key.keyId, key.privateKey);
    }).then(function (s) {
      return idb.all('queue').then(function (items) {
        return Promise.all(items.filter(function (it) { return it.race === race.id && it.status === 'antre'; })
          .map(function (it) { return idb.del('queue', it.id); }));
      }).then(function () {
        return idb.put('queue', {race: race.id, raceName: race.name, tps: doc.tps, body: s.body, docHash: s.docHash,
          signature: s.signature, prev: st.doc || null, photos: photos.map(function (p) { return {blob: p.blob, sha: p.sha}; }),
          status: 'antre', tries: 0, nextAt: 0, created: Date.now()});
      });
    }).then(function () { notify(); if (!online()) Outbox.requestSync(); flush(); });
  }

  function latestItem(items, raceId) {
    var best = null;
    items.forEach(function (it) { if (it.race === raceId && (!best || it.id > best.id)) best = it; });
    return best;
  }

  // ---- photos ----

  // Scales a camera photo down and re-encodes it as JPEG; returns {blob, sha, read}: blob (and
  // its sha) is what /api/photos gets and the signed statement binds, read the larger copy for
  // the reader (kept in memory only).
  function preparePhoto(file) {
    var bitmap = null;
    var load = window.createImageBitmap ? createImageBitmap(file) : new Promise(function (ok, bad) {
      var img = new Image();
      img.onload = function () { ok(img); };
      img.onerror = bad;
      img.src = URL.createObjectURL(file);
    });
    function scaled(img, edge, q) {
      var w = img.width, h = img.height, k = Math.min(1, edge / Math.max(w, h));
      var c = document.createElement('canvas');
      c.width = Math.round(w * k);
      c.height = Math.round(h * k);
      c.getContext('2d').drawImage(img, 0, 0, c.width, c.height);
      return new Promise(function (ok) { c.toBlob(ok, 'image/jpeg', q); });
    }
    return load.then(function (img) {
      bitmap = img;
      return scaled(img, PHOTO_EDGE, 0.85);
    }).then(function (blob) {
      if (!blob) throw new Error(T('Foto tidak dapat dibaca.', 'Cannot read the photo.'));
      var orig = /^image\/(jpeg|png)$/.test(file.type) && file.size <= READ_MAX;
      return Promise.all([blob.arrayBuffer().then(function (buf) { return Chasil.sha256Hex(new Uint8Array(buf)); }),
        orig ? file : scaled(bitmap, READ_EDGE, 0.92)]).then(function (a) { return {blob: blob, sha: a[0], read: a[1] || blob}; });
    });
  }


  // ---- views ----

  var view = null; // re-render on language switch

  function render(fn) { view = fn; R.clear(main); fn(); }

  function viewLogin(msg) {
    render(function () {
      var card = el('form', null, 'card', {autocomplete: 'on'});
      card.appendChild(el('h2', T('Masuk sebagai KPPS', 'Log in as KPPS')));
      card.appendChild(el('p', T('Gunakan nama pengguna dan kata sandi dari PPS.', 'Use the username and password from the PPS.'), 'muted'));
      if (msg) card.appendChild(el('div', msg, 'err'));
      card.appendChild(el('label', T('Nama pengguna', 'Username'), null, {'for': 'u'}));
      var u = el('input', null, null, {id: 'u', name: 'username', autocomplete: 'username', autocapitalize: 'none', required: true});
      card.appendChild(u);
      card.appendChild(el('label', T('Kata sandi', 'Password'), null, {'for': 'p'}));
      var p = el('input', null, null, {id: 'p', name: 'password', type: 'password', autocomplete: 'current-password', required: true});
      card.appendChild(p);
      var b = el('button', T('Masuk', 'Log in'), 'primary big', {type: 'submit', id: 'login'});
      card.appendChild(el('div', [b], null, {style: 'margin-top:1rem'}));
      card.addEventListener('submit', function (ev) {
        ev.preventDefault();
        b.disabled = true;
        R.api('/api/login', {body: {username: u.value.trim(), password: p.value}}).then(function (r) {
          if (r.body.user.role !== 'kpps') throw new Error(T('Akun ini bukan akun KPPS. Gunakan konsol rekap.', 'This is not a KPPS account. Use the recap console.'));
          S.token = r.body.token;
          S.user = r.body.user;
          lsSet('token', S.token);
          lsSet('user', S.user);
          return Outbox.setToken(S.token).then(loadContext).then(deviceKey).then(loadState);
        }).then(function () {
          idb.all('queue').then(function (items) {
            items.forEach(function (it) { if (it.needsLogin) { it.needsLogin = false; it.nextAt = 0; idb.put('queue', it); } });
          }).then(flush);
          viewHome();
        }).catch(function (e) {
          b.disabled = false;
          viewLogin(e.status === 0 ? T('Tidak ada sinyal. Masuk pertama kali memerlukan internet.', 'No network. The first login needs internet.') : e.message);
        });
      });
      main.appendChild(card);
      u.focus();
    });
  }

  var STATUS = {antre: ['Antre', 'Queued'], mengirim: ['Mengirim…', 'Sending…'], diterima: ['Diterima', 'Accepted'], ditolak: ['Ditolak', 'Rejected']};

  function statusChip(s) { return el('span', T(STATUS[s][0], STATUS[s][1]), 'status ' + s, {'data-status': s}); }

  function viewHome() {
    render(function () {
      var c = S.ctx, tps = c.tps;
      R.$('who').textContent = S.user.username;
      var head = el('div', null, 'card');
      head.appendChild(el('h2', [tps.name + ' ', el('small', tps.code)]));
      head.appendChild(el('div', c.breadcrumb.map(function (b) { return b.name; }).join(' › '), 'crumb'));
      head.appendChild(el('div', T('Pemilih DPT: ', 'Registered voters: ') + fmt(tps.dpt_l + tps.dpt_p) +
        ' (L ' + fmt(tps.dpt_l) + ', P ' + fmt(tps.dpt_p) + ')', 'muted'));
      main.appendChild(head);
      var list = el('div', null, null, {id: 'races'});
      main.appendChild(list);
      var paint = function () {
        idb.all('queue').then(function (items) {
          R.clear(list);
          c.races.forEach(function (r) {
            var it = latestItem(items, r.id), st = S.state[r.id] || {};
            var card = el('section', null, 'card race', {'data-race': r.id});
            card.appendChild(el('h3', r.name));
            var row = el('div', null, 'row');
            if (it) row.appendChild(statusChip(it.status));
            else if (st.version) row.appendChild(el('span', T('Tercatat versi ', 'Recorded version ') + st.version, 'status diterima'));
            else row.appendChild(el('span', T('Belum dikirim', 'Not sent yet'), 'status antre'));
            if (st.approved) row.appendChild(el('span', T('Disetujui PPK', 'Approved by PPK'), 'chip ok'));
            card.appendChild(row);
            // Objections of saksi or Bawaslu to this TPS's result: the officer should know.
            (st.objections || []).forEach(function (o) {
              card.appendChild(el('div', [el('b', T('Keberatan ', 'Objection ') + o.actor + T(' (versi ', ' (version ') + o.version + '): '), o.reason],
                'warn objection'));
            });
            if (it && it.status === 'antre') card.appendChild(el('p', it.reason || (online()
              ? T('Menunggu giliran kirim…', 'Waiting to send…')
              : T('Tidak ada sinyal: terkirim otomatis saat sinyal kembali.', 'No network: it will be sent automatically when the network returns.')), 'muted'));
            if (it && it.status === 'ditolak') {
              card.appendChild(el('div', it.reason, 'err reason'));
              if (it.violations) card.appendChild(el('ul', it.violations.map(function (v) {
                return el('li', T(v.message.id, v.message.en), v.severity);
              }), 'msgs'));
            }
            var btns = el('div', null, 'row');
            if (it && it.status === 'diterima')
              btns.appendChild(el('button', T('Tanda terima & QR', 'Receipt & QR'), 'primary', {type: 'button', onclick: function () { viewReceipt(it); }}));
            if (!st.approved)
              btns.appendChild(el('button', it || st.version ? T('Isi ulang / perbaiki', 'Fill in again / fix') : T('Isi formulir', 'Fill in the form'),
                it || st.version ? '' : 'primary', {type: 'button', 'data-fill': r.id, onclick: function () { viewForm(r); }}));
            card.appendChild(btns);
            list.appendChild(card);
          });
        });
      };
      listeners = [paint];
      paint();
      main.appendChild(el('div', [el('button', T('Keluar', 'Log out'), '', {type: 'button', onclick: logout})], null, {style: 'margin-top:1rem'}));
    });
  }

  function logout() {
    if (S.token) R.api('/api/logout', {token: S.token, method: 'POST'}).catch(function () {});
    S.token = S.user = null;
    Outbox.setToken(null).catch(function () {});
    lsDel('token');
    lsDel('user');
    viewLogin();
  }

  // The reader's flags in words, for the note under a doubtful box.
  var FLAG_WORDS = {low_confidence: ['tulisan kurang jelas', 'handwriting unclear'],
    digit_bubble_disagree: ['angka dan bulatan berbeda', 'digit and bubble differ'],
    crossed_out: ['kotak dicoret', 'box crossed out'], blank: ['kotak kosong', 'box empty'],
    bubble_unclear: ['bulatan tidak jelas', 'bubble unclear'], sum_mismatch: ['jumlahnya tidak cocok', 'a sum does not add up'],
    box_not_found: ['kotak tidak terlihat', 'box not found'],
    faint_ink: ['tinta pudar, periksa', 'pale ink, check it']};
  // a digit of a flagged number under this confidence is highlighted (stricter than the model's
  // accept threshold, so every doubtful digit of a flagged number shows)
  var DOUBT_P = 0.999;

  function flagWords(flags) {
    return flags.filter(function (f) { return FLAG_WORDS[f]; }).map(function (f) { return T(FLAG_WORDS[f][0], FLAG_WORDS[f][1]); }).join(', ');
  }

  // What the overlay and the checks need of a POST /api/read answer (kept in the draft).
  function trimReading(res) {
    return {page: res.form.page, w: res.photo.width, h: res.photo.height, violations: res.violations || [],
      fields: res.fields.map(function (f) {
        return {name: f.name, value: f.value, review: !!f.needs_review, flags: f.flags || [], box: f.box,
          digits: (f.digits || []).map(function (d) { return {v: d.value, ink: d.ink, c: d.confidence, bs: d.bubble_state, box: d.box}; })};
      })};
  }

  // The digits of a flagged number to highlight: crossed out, unclear bubble, under the model's
  // threshold (disagreeing with the bubble included), or a blank box where a digit belongs. A
  // number flagged only because its sum does not add up has none: its whole outline is marked.
  function doubtfulDigits(f) {
    var seen = false, out = [];
    if (!f.review) return out;
    f.digits.forEach(function (d, k) {
      if (d.ink === 'crossed' || d.bs === 'unclear' || (d.ink === 'digit' && d.c < DOUBT_P) || (d.ink === 'blank' && (seen || f.value == null)))
        out.push(k);
      if (d.ink === 'digit') seen = true;
    });
    return out;
  }

  function quadPoints(q) { return q.map(function (p) { return p[0] + ',' + p[1]; }).join(' '); }

  var applyOpenForm = null; // the open form's applyReading, for window.rekapShowReading

  // The form of one race: photos (each read by the server's digit reader when it can), then
  // every section, checked as it is typed.
  function viewForm(race) {
    var c = S.ctx, el2 = c.elections[race.election_id] || {slug: 'pilkada2024', kind: 'pilkada'};
    var paslon = race.candidates.length;
    var kk = race.candidates.some(function (x) { return x.kolom_kosong; });
    var vctx = Chasil.contextFor(el2.kind, c.tps);
    // values: the numbers; src[f]: 'reader' (pre-filled from a photo) or 'typed'; flag[f]: the
    // reader's reasons for a number it doubts, until the officer confirms or retypes it;
    // checked[f]: a flagged number the officer confirmed; readings[i]: page i+1's reading.
    function blank() { return {values: {}, photos: [], readings: [], src: {}, flag: {}, checked: {}}; }
    var draft = blank();
    var inputs = {};
    var reads = [], readState = [], seq = [], urls = {}; // per page, in memory only
    var zoom = false;

    idb.get('drafts', race.id).then(function (d) {
      if (d) draft = Object.assign(blank(), d);
      listeners = [function () {
        // Back online: read the pages that could not be read for want of a signal.
        if (!online()) return;
        readState.forEach(function (st, i) { if (st && st.state === 'off' && st.net && reads[i]) readPage(i); });
      }];
      applyOpenForm = applyReading;
      render(paint);
    });

    function save() { idb.put('drafts', draft, race.id); }

    function doc() {
      var d = {v: 1, type: 'chasil', election: el2.slug, race: race.id, tps: c.tps.code, paslon: paslon, kolom_kosong: kk};
      Chasil.fieldsFor(paslon).forEach(function (f) { if (draft.values[f] != null) d[f] = draft.values[f]; });
      return d;
    }

    function paint() {
      inputs = {};
      var top = el('div', null, 'card');
      top.appendChild(el('button', '‹ ' + T('Kembali', 'Back'), '', {type: 'button', onclick: viewHome}));
      top.appendChild(el('h2', race.name));
      top.appendChild(el('p', T('Foto setiap halaman formulir C.Hasil: angkanya dibaca dari foto bila bisa. Cocokkan setiap angka dengan formulir, atau ketik sendiri. Angka dicek otomatis.',
        'Photograph each page of the C.Hasil form: the numbers are read from the photo when possible. Compare every number with the form, or type it yourself. Numbers are checked as you type.'), 'muted'));
      main.appendChild(top);

      var pc = el('section', null, 'card');
      pc.appendChild(el('h3', T('Foto formulir', 'Form photos')));
      var pages = el('div', null, 'pages');
      for (var i = 0; i < PAGES; i++) pages.appendChild(pageSlot(i));
      pc.appendChild(pages);
      pc.appendChild(el('div', null, 'read-banner', {id: 'read-banner', role: 'status', 'aria-live': 'polite'}));
      pc.appendChild(el('div', null, 'reading-photo', {id: 'reading-photo'}));
      main.appendChild(pc);

      Chasil.SECTIONS.forEach(function (s) { main.appendChild(section(s)); });

      var bar = el('div', null, 'sticky');
      var summary = el('div', null, 'muted', {id: 'summary'});
      var next = el('button', T('Periksa & kirim', 'Review & send'), 'primary big', {type: 'button', id: 'review', onclick: function () { viewConfirm(race, doc(), draft, vctx); }});
      bar.appendChild(summary);
      bar.appendChild(next);
      main.appendChild(bar);
      paintReadings();
      check();
    }

    function pageSlot(i) {
      var p = draft.photos[i];
      var slot = el('label', null, 'page' + (p ? ' has' : ''));
      if (p) {
        var img = el('img', null, null, {alt: T('Halaman ', 'Page ') + (i + 1)});
        img.src = photoUrl(i);
        slot.appendChild(img);
        slot.appendChild(el('span', T('Halaman ', 'Page ') + (i + 1) + ' ✓', 'cap'));
      } else slot.appendChild(el('span', [camera(), el('br'), T('Foto halaman ', 'Photo of page ') + (i + 1)]));
      var inp = el('input', null, null, {type: 'file', accept: 'image/*', capture: 'environment', 'data-page': i,
        'aria-label': T('Foto halaman ', 'Photo of page ') + (i + 1)});
      inp.addEventListener('change', function () {
        if (!inp.files || !inp.files[0]) return;
        slot.classList.add('has');
        preparePhoto(inp.files[0]).then(function (ph) {
          draft.photos[i] = {blob: ph.blob, sha: ph.sha};
          draft.readings[i] = null; // the old reading belongs to the old photo
          reads[i] = ph.read;
          save();
          slot.parentNode.replaceChild(pageSlot(i), slot);
          readPage(i);
          check();
        }, function (e) { alert(e.message); });
      });
      slot.appendChild(inp);
      return slot;
    }

    function photoUrl(i) {
      var p = draft.photos[i];
      if (!urls[p.sha]) urls[p.sha] = URL.createObjectURL(p.blob);
      return urls[p.sha];
    }

    // Sends page i's photo to the reader. Whatever goes wrong, the officer can still type.
    function readPage(i) {
      var my = seq[i] = (seq[i] || 0) + 1;
      if (!online()) {
        readState[i] = readError(i, {status: 0});
        paintReadings();
        return;
      }
      readState[i] = {state: 'reading'};
      paintReadings();
      R.api('/api/read?page=' + (i + 1) + '&tps=' + encodeURIComponent(c.tps.code),
        {token: S.token, raw: reads[i], type: reads[i].type || 'image/jpeg'}).then(function (r) {
        if (seq[i] !== my) return; // a newer photo of this page was taken meanwhile
        if (r.body.race_id !== race.id) {
          readState[i] = {state: 'err', msg: T('Foto ini formulir pemilihan lain (' + r.body.form.race + '), bukan ' + race.name + '.',
            'This photo is the form of another race (' + r.body.form.race + '), not ' + race.name + '.')};
          paintReadings();
          return;
        }
        applyReading(r.body, i);
      }, function (e) {
        if (seq[i] !== my) return;
        readState[i] = readError(i, e);
        paintReadings();
      });
    }

    function readError(i, e) {
      var typeIt = T(' Ketik angka dari formulir.', ' Type the numbers from the form.');
      if (e.status === 0) return {state: 'off', net: true, msg: T('Tidak ada sinyal: angka belum dibaca dari foto; dibaca begitu sinyal kembali.',
        'No network: the numbers were not read from the photo; they will be once the network returns.') + typeIt};
      if (e.status === 415) return {state: 'off', msg: T('Pembaca foto tidak tersedia: ', 'Photo reader not available: ') + e.message + '.' + typeIt};
      if (e.status === 422) return {state: 'err', msg: T('Foto tidak terbaca: ', 'Photo not readable: ') + e.message + '. ' +
        T('Ambil foto lagi (seluruh lembar, terang, tegak lurus), atau ketik angkanya.',
          'Take it again (the whole sheet, in good light, straight on), or type the numbers.')};
      if (e.status === 409) return {state: 'err', msg: e.message + '. ' + T('Periksa halaman yang difoto.', 'Check which page was photographed.')};
      if (e.status === 401) return {state: 'off', msg: T('Sesi berakhir: masuk lagi agar foto dapat dibaca.', 'Session expired: log in again to have photos read.') + typeIt};
      return {state: 'err', retry: true, msg: e.message + '.' + typeIt};
    }

    // Takes a reading into the form: every number the officer has not typed is filled in, a
    // doubted one marked until confirmed; the officer's own numbers are never overwritten.
    function applyReading(res, i) {
      var rd = trimReading(res);
      if (i == null) i = rd.page - 1;
      draft.readings[i] = rd;
      rd.fields.forEach(function (f) {
        var n = f.name;
        if (!inputs[n]) return; // a column this race does not have
        if (draft.src[n] === 'typed' || (draft.values[n] != null && draft.src[n] !== 'reader')) return;
        if (f.value == null) delete draft.values[n]; else draft.values[n] = f.value;
        draft.src[n] = 'reader';
        delete draft.checked[n];
        if (f.review) draft.flag[n] = f.flags; else delete draft.flag[n];
        inputs[n].value = f.value == null ? '' : String(f.value);
      });
      readState[i] = {state: 'ok'};
      save();
      paintReadings();
      check();
    }

    // The number of a field in the latest reading that has it.
    function readField(f) {
      var out = null;
      draft.readings.forEach(function (rd) { if (rd) rd.fields.forEach(function (x) { if (x.name === f) out = x; }); });
      return out;
    }

    function confirmField(f) {
      delete draft.flag[f];
      draft.checked[f] = true;
      save();
      paintReadings();
      check();
    }

    function unconfirmed() { return Object.keys(draft.flag).filter(function (f) { return inputs[f]; }); }

    // The banner, the photos with what was read drawn over them, and the note under each box.
    function paintReadings() {
      var banner = R.$('read-banner'), ph = R.$('reading-photo');
      if (!banner) return;
      R.clear(banner);
      R.clear(ph);
      var doubt = unconfirmed().length, any = draft.readings.some(Boolean), state = '';
      for (var i = 0; i < PAGES; i++) {
        var st = readState[i];
        if (!st || st.state === 'ok') continue;
        if (st.state === 'reading') state = 'reading';
        var line = el('div', [T('Halaman ', 'Page ') + (i + 1) + ': ', st.state === 'reading' ? T('membaca angka dari foto…', 'reading the numbers from the photo…') : st.msg],
          'line ' + st.state, {'data-page': i + 1, 'data-state': st.state});
        if (st.retry && reads[i]) line.appendChild(el('button', T('Baca lagi', 'Read again'), '', {type: 'button', onclick: readPage.bind(null, i)}));
        banner.appendChild(line);
        if (!state) state = st.state;
      }
      if (doubt) {
        banner.insertBefore(el('div', [el('strong', T('Periksa angka yang ditandai kuning', 'Check the numbers marked yellow') + ' (' + doubt + ')'),
          el('br'), T('Pembaca foto ragu. Cocokkan dengan formulir, lalu ketik angka yang benar atau tekan "Sudah benar".',
            'The photo reader is unsure. Compare with the form, then type the right number or press "Correct".')], 'line doubt', {id: 'read-doubt'}), banner.firstChild);
        if (state !== 'reading') state = 'doubt';
      } else if (any) {
        banner.appendChild(el('div', T('Angka diisi dari foto. Tetap cocokkan setiap angka dengan formulir sebelum mengirim.',
          'Numbers filled in from the photo. Still compare every number with the form before sending.'), 'line ok'));
        if (!state) state = 'ok';
      }
      banner.setAttribute('data-state', state);
      banner.classList.toggle('hidden', !state);

      var shown = 0;
      draft.readings.forEach(function (rd, k) { if (rd && draft.photos[k]) { ph.appendChild(overlay(k, rd)); shown++; } });
      if (shown) ph.insertBefore(el('button', zoom ? T('Perkecil', 'Zoom out') : T('Perbesar foto', 'Zoom in'), 'small', {type: 'button', id: 'zoom', onclick: function () {
        zoom = !zoom;
        paintReadings();
      }}), ph.firstChild);
      ph.classList.toggle('zoom', zoom);

      Object.keys(inputs).forEach(function (f) { fieldNote(f); });
    }

    function overlay(k, rd) {
      var fig = el('figure', null, 'overlay', {'data-page': k + 1});
      var frame = el('div', [el('img', null, null, {src: photoUrl(k), alt: T('Halaman ', 'Page ') + (k + 1)})], 'frame');
      var s = R.svg('svg', {viewBox: '0 0 ' + rd.w + ' ' + rd.h, preserveAspectRatio: 'none', 'aria-hidden': 'true'});
      rd.fields.forEach(function (f) {
        if (!inputs[f.name]) return;
        var st = draft.flag[f.name] ? 'doubt' : draft.checked[f.name] ? 'checked'
          : draft.src[f.name] === 'typed' && draft.values[f.name] !== f.value ? 'typed' : 'read';
        var g = R.svg('g', {'class': 'fbox ' + st, 'data-f': f.name});
        g.appendChild(R.svg('polygon', {points: quadPoints(f.box), 'class': 'outline'}));
        if (st === 'doubt') doubtfulDigits(f).forEach(function (d) {
          g.appendChild(R.svg('polygon', {points: quadPoints(f.digits[d].box), 'class': 'digit doubt', 'data-digit': d}));
        });
        var h = Math.abs(f.box[3][1] - f.box[0][1]) || 20;
        // The number read, small, just above the boxes' right end: clear of the handwriting.
        var t = R.svg('text', {x: f.box[1][0], y: f.box[1][1] - h * 0.08, 'font-size': h * 0.5, 'text-anchor': 'end'});
        t.textContent = f.value == null ? '?' : String(f.value);
        g.appendChild(t);
        g.addEventListener('click', function () { inputs[f.name].scrollIntoView({block: 'center'}); inputs[f.name].focus(); });
        s.appendChild(g);
      });
      frame.appendChild(s);
      fig.appendChild(frame);
      fig.appendChild(el('figcaption', T('Halaman ', 'Page ') + (k + 1) + T(': kotak hijau terbaca, kuning perlu diperiksa. Ketuk kotak untuk ke isiannya.',
        ': green boxes read, yellow ones need checking. Tap a box to go to its field.'), 'muted'));
      return fig;
    }

    // Under a box: the reader's digits of a doubted number with why and a "Correct" button, or
    // the reader's number when the officer typed another.
    function fieldNote(f) {
      var box = main.querySelector('[data-reading="' + f + '"]'), rf = readField(f);
      if (!box) return;
      R.clear(box);
      if (!rf) return;
      if (draft.flag[f]) {
        var dd = doubtfulDigits(rf);
        box.appendChild(el('span', T('Foto:', 'Photo:')));
        rf.digits.forEach(function (d, k) {
          box.appendChild(el('span', d.v == null || d.v < 0 ? '?' : String(d.v), 'd' + (dd.indexOf(k) >= 0 ? ' doubt' : ''), {'data-digit': k}));
        });
        box.appendChild(el('span', flagWords(draft.flag[f]), 'why'));
        if (draft.values[f] != null)
          box.appendChild(el('button', T('Sudah benar', 'Correct'), 'small', {type: 'button', 'data-confirm': f, onclick: function () { confirmField(f); }}));
      } else if (draft.src[f] === 'typed' && rf.value != null && draft.values[f] !== rf.value) {
        box.appendChild(el('span', T('Foto: ', 'Photo: ') + rf.value));
        box.appendChild(el('button', T('pakai', 'use'), 'small', {type: 'button', onclick: function () {
          draft.values[f] = rf.value;
          inputs[f].value = String(rf.value);
          draft.src[f] = 'reader';
          confirmField(f);
        }}));
      } else if (draft.checked[f]) box.appendChild(el('span', '✓ ' + T('sudah diperiksa', 'checked'), 'done'));
    }

    function camera() {
      var s = R.svg('svg', {viewBox: '0 0 24 24', width: 32, height: 32, 'aria-hidden': 'true'});
      s.appendChild(R.svg('path', {d: 'M4 7h3l2-2h6l2 2h3v12H4z', fill: 'none', stroke: '#5b6470', 'stroke-width': 1.8, 'stroke-linejoin': 'round'}));
      s.appendChild(R.svg('circle', {cx: 12, cy: 13, r: 3.5, fill: 'none', stroke: '#5b6470', 'stroke-width': 1.8}));
      return s;
    }

    function numInput(f, label) {
      var wrap = el('label', null, 'num');
      wrap.appendChild(el('span', label));
      var inp = el('input', null, null, {type: 'text', inputmode: 'numeric', pattern: '[0-9]*', maxlength: 3, autocomplete: 'off',
        enterkeyhint: 'next', name: f, 'data-f': f, 'aria-label': label});
      if (draft.values[f] != null) inp.value = String(draft.values[f]);
      inp.addEventListener('input', function () {
        var v = inp.value.replace(/[^0-9]/g, '').slice(0, 3);
        if (v !== inp.value) inp.value = v;
        if (v === '') delete draft.values[f]; else draft.values[f] = Number(v);
        // Typing over a doubted number is the officer's answer to it.
        draft.src[f] = 'typed';
        if (draft.flag[f]) { delete draft.flag[f]; draft.checked[f] = true; }
        save();
        paintReadings();
        check();
      });
      inp.addEventListener('keydown', function (ev) {
        if (ev.key !== 'Enter') return;
        ev.preventDefault();
        var all = Array.prototype.slice.call(main.querySelectorAll('input[data-f]'));
        var nx = all[all.indexOf(inp) + 1];
        if (nx) nx.focus(); else R.$('review').focus();
      });
      inputs[f] = inp;
      wrap.appendChild(inp);
      wrap.appendChild(el('div', null, 'reading', {'data-reading': f}));
      return wrap;
    }

    function section(s) {
      var sec = el('section', null, 'card sec', {'data-sec': s.id});
      sec.appendChild(el('h3', [el('span', s.id, 'sid'), T(s.title[0], s.title[1])]));
      var box;
      if (s.row) {
        box = el('div', null, 'fields');
        box.appendChild(numInput(s.row + '_l', T('Laki-laki', 'Men')));
        box.appendChild(numInput(s.row + '_p', T('Perempuan', 'Women')));
        box.appendChild(numInput(s.row + '_j', T('Jumlah', 'Total')));
      } else {
        box = el('div', null, 'fields list');
        if (s.paslon) race.candidates.forEach(function (x, i) {
          box.appendChild(numInput('suara_paslon_' + (i + 1), x.ballot_no + '. ' + (x.kolom_kosong ? T('Kolom kosong', 'Empty column') : x.name)));
        });
        else s.fields.forEach(function (f) { box.appendChild(numInput(f[0], T(f[1], f[2]))); });
      }
      sec.appendChild(box);
      sec.appendChild(el('ul', null, 'msgs', {'data-msgs': s.id}));
      return sec;
    }

    // Runs the rules on what is typed so far; marks fields and puts each message in the section
    // of its first field, next to where the officer is looking.
    function check() {
      var d = doc(), vs = Chasil.validate(d, vctx), mark = {};
      Object.keys(inputs).forEach(function (f) { inputs[f].className = draft.values[f] != null ? 'okv' : ''; });
      main.querySelectorAll('[data-msgs]').forEach(function (u) { R.clear(u); });
      vs.forEach(function (v) {
        v.fields.forEach(function (f) { if (inputs[f] && mark[f] !== 'bad') mark[f] = v.severity === 'hard' ? 'bad' : 'warn'; });
        var inp = inputs[v.fields[0]], sec = inp && inp.closest('[data-sec]');
        var ul = sec && sec.querySelector('[data-msgs]');
        if (ul) ul.appendChild(el('li', T(v.message.id, v.message.en), v.severity, {'data-code': v.code}));
      });
      Object.keys(mark).forEach(function (f) { inputs[f].className = mark[f]; });
      var doubt = unconfirmed();
      doubt.forEach(function (f) { inputs[f].classList.add('doubt'); });
      var missing = Chasil.fieldsFor(paslon).filter(function (f) { return draft.values[f] == null; }).length;
      var hard = vs.filter(function (v) { return v.severity === 'hard'; }).length;
      var photos = draft.photos.filter(Boolean).length;
      var parts = [];
      if (photos < PAGES) parts.push(T('foto halaman belum lengkap', 'page photos missing') + ' (' + photos + '/' + PAGES + ')');
      if (missing) parts.push(missing + T(' angka belum diisi', ' numbers still empty'));
      if (hard) parts.push(hard + T(' angka tidak cocok', ' numbers do not add up'));
      if (doubt.length) parts.push(doubt.length + T(' angka bertanda kuning belum diperiksa', ' yellow-marked numbers not yet checked'));
      var sum = R.$('summary');
      if (sum) sum.textContent = parts.length ? T('Belum bisa dikirim: ', 'Cannot send yet: ') + parts.join(', ') + '.'
        : T('Semua angka cocok. Periksa sekali lagi lalu kirim.', 'Everything adds up. Review once more, then send.');
      var b = R.$('review');
      if (b) b.disabled = parts.length > 0;
    }
  }

  // Applies a POST /api/read answer to the open form as if its page had just been read: for
  // tests and for readings obtained another way. Returns false when no form is open.
  window.rekapShowReading = function (res) {
    if (!applyOpenForm || !R.$('read-banner')) return false;
    applyOpenForm(res);
    return true;
  };

  function viewConfirm(race, d, draft, vctx) {
    listeners = [];
    render(function () {
      var vs = Chasil.validate(d, vctx);
      var card = el('section', null, 'card confirm');
      card.appendChild(el('button', '‹ ' + T('Ubah angka', 'Change numbers'), '', {type: 'button', onclick: function () { viewForm(race); }}));
      card.appendChild(el('h2', T('Periksa sekali lagi', 'Check once more')));
      card.appendChild(el('p', T('Cocokkan setiap angka dengan formulir di tangan Anda.', 'Compare every number with the form in your hands.'), 'muted'));
      var fromPhoto = Chasil.fieldsFor(d.paslon).filter(function (f) { return draft.src && draft.src[f] === 'reader'; }).length;
      if (fromPhoto) card.appendChild(el('p', fromPhoto + T(' angka diisi dari foto (ditandai "foto"): pembaca foto bisa salah, cocokkan juga.',
        ' numbers were filled in from the photo (marked "photo"): the reader can be wrong, compare them too.'), 'note', {id: 'from-photo'}));
      var tb = el('table');
      Chasil.fieldsFor(d.paslon).forEach(function (f) {
        var lb = Chasil.fieldLabel(d, f), tag = null;
        if (draft.checked && draft.checked[f]) tag = el('span', '✓ ' + T('diperiksa', 'checked'), 'tag checked');
        else if (draft.src && draft.src[f] === 'reader') tag = el('span', T('foto', 'photo'), 'tag photo');
        tb.appendChild(el('tr', [el('td', [T(lb[0], lb[1]), tag ? ' ' : null, tag]), el('td', fmt(d[f]), 'n', {'data-f': f})]));
      });
      card.appendChild(tb);
      var soft = vs.filter(function (v) { return v.severity === 'soft'; });
      if (soft.length) {
        card.appendChild(el('p', T('Catatan (tetap bisa dikirim, akan diperiksa PPK):', 'Notes (can still be sent; the PPK will review):')));
        card.appendChild(el('ul', soft.map(function (v) { return el('li', T(v.message.id, v.message.en), 'soft'); }), 'msgs'));
      }
      var cb = el('input', null, null, {type: 'checkbox', id: 'agree', style: 'width:1.5rem;height:1.5rem;vertical-align:middle'});
      card.appendChild(el('label', [cb, ' ' + T('Semua angka sudah saya cocokkan dengan formulir.', 'I have matched every number with the form.')],
        null, {'for': 'agree', style: 'font-weight:600;margin:1rem 0'}));
      var send = el('button', T('Tanda tangani & kirim', 'Sign & send'), 'primary big', {type: 'button', id: 'send', disabled: true});
      cb.addEventListener('change', function () { send.disabled = !cb.checked; });
      if (!online()) card.appendChild(el('p', T('Tidak ada sinyal: formulir ditandatangani dan disimpan di ponsel, lalu terkirim sendiri saat sinyal kembali.',
        'No network: the form is signed and kept on the phone, and goes out by itself when the network returns.'), 'note'));
      var err = el('div', null, 'err hidden');
      send.addEventListener('click', function () {
        // A number the reader doubted is never signed unless the officer confirmed or retyped it.
        if (Chasil.fieldsFor(d.paslon).some(function (f) { return draft.flag && draft.flag[f]; })) {
          err.textContent = T('Masih ada angka bertanda kuning yang belum diperiksa.', 'Some yellow-marked numbers are not checked yet.');
          err.classList.remove('hidden');
          return;
        }
        send.disabled = true;
        enqueue(race, d, draft.photos.filter(Boolean)).then(viewHome, function (e) {
          err.textContent = e.message;
          err.classList.remove('hidden');
          send.disabled = false;
        });
      });
      card.appendChild(err);
      card.appendChild(send);
      main.appendChild(card);
    });
  }

  // The witness copy (RKW1|tps|race ref|version|doc|device|sig base64url|log index, see
  // docs/audit-log.md §7) rides in the link as r=, so `rekap verify '<scanned text>'` checks the
  // same QR the portal opens.
  function viewReceipt(it) {
    listeners = [];
    render(function () {
      var r = it.receipt, card = el('section', null, 'card', {id: 'receipt'});
      card.appendChild(el('button', '‹ ' + T('Kembali', 'Back'), '', {type: 'button', onclick: viewHome}));
      card.appendChild(el('h2', T('Tanda terima', 'Receipt')));
      card.appendChild(el('p', it.raceName));
      card.appendChild(el('p', T('Saksi: pindai kode ini untuk membuka salinan bertanda tangan yang sama di portal publik.',
        'Witnesses: scan this code to open the same signed copy on the public portal.'), 'note'));
      var url = Outbox.receiptUrl(it);
      card.appendChild(el('img', null, 'qr', {src: Outbox.qrSrc(it), alt: url, id: 'qr'}));
      card.appendChild(el('p', [el('a', T('Buka salinan publik', 'Open the public copy'), null, {href: url, id: 'publink'})]));
      var tb = el('table');
      [[T('TPS', 'TPS'), r.tps], [T('Versi', 'Version'), String(r.version)], [T('Diterima', 'Accepted'), R.when(r.at)],
        [T('Sidik dokumen', 'Document hash'), el('code', r.doc_sha256)], [T('Tanda tangan perangkat', 'Device signature'), el('code', it.signature)],
        [T('Indeks log', 'Log index'), String(r.log_index)],
        [T('Tanda', 'Flags'), r.flags ? R.flagChips(r.flags) : T('tidak ada', 'none')]].forEach(function (row) {
        tb.appendChild(el('tr', [el('th', row[0]), el('td', [row[1]])]));
      });
      card.appendChild(tb);
      main.appendChild(card);
    });
  }

  // ---- start ----

  R.$('langbox').appendChild(R.langToggle(function () { paintNet(); if (view) { R.clear(main); view(); } }));
  paintNet();
  window.addEventListener('online', function () { paintNet(); notify(); flush(); });
  window.addEventListener('offline', function () { paintNet(); notify(); });
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('/kpps/sw.js', {scope: '/kpps/'}).catch(function () {});
    // The service worker sent queued forms (Background Sync): show what came of them.
    navigator.serviceWorker.addEventListener('message', function (ev) {
      if (ev.data && ev.data.type === 'outbox' && S.ctx) settled(ev.data, true);
    });
  }

  if (!S.token || !S.user || !S.ctx) viewLogin();
  else {
    // A session from before the token was kept in IndexedDB too, where the worker reads it.
    Outbox.getToken().then(function (t) { if (t !== S.token) return Outbox.setToken(S.token); }).catch(function () {});
    idb.all('queue').then(function (items) { adopt(items); notify(); }).catch(function () {});
    viewHome();
    if (online()) {
      R.get('/api/me', S.token).then(function () { return loadState(); }).then(function () { notify(); }, function (e) {
        if (e.status === 401) viewLogin(T('Sesi berakhir. Silakan masuk lagi.', 'Session expired. Please log in again.'));
      });
    }
    flush();
  }
  // For tests and the curious: the queue as the app sees it.
  window.rekapQueue = function () { return idb.all('queue'); };
  window.rekapFlush = flush;
})();
