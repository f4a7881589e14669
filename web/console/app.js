// rekap recap console for PPS, PPK and KPU officers: progress per region and race, the TPS list
// (flagged first if asked), and a review pane with the form photo (zoom, rotate) beside its
// numbers, the flags, the version history, approve, and correct with a mandatory reason. The
// keyboard drives the review: j/k next/previous TPS, a approve, c correct, +/- zoom, r rotate,
// ? help, Esc cancel. State lives in the URL hash (#/<region>/<race>/<tps>), so a link to the
// TPS under review can be sent to a colleague.
'use strict';
(function () {
  var T = R.T, el = R.el, fmt = R.fmt;
  var main = R.$('main');
  var LS = 'rekap.console.';
  var S = {token: null, user: null, races: [], race: null, region: '', tps: null, list: [], names: {}, flagged: false,
    disputed: false, zoom: 1, rot: 0, editing: false, detail: null};
  try { S.token = localStorage.getItem(LS + 'token'); S.user = JSON.parse(localStorage.getItem(LS + 'user')); } catch (e) { /* none */ }

  function store() {
    try {
      if (S.token) { localStorage.setItem(LS + 'token', S.token); localStorage.setItem(LS + 'user', JSON.stringify(S.user)); }
      else { localStorage.removeItem(LS + 'token'); localStorage.removeItem(LS + 'user'); }
    } catch (e) { /* private mode */ }
  }

  function tget(url) { return R.get(url, S.token); }

  // The last action's outcome; kept in S so that it survives the repaint that follows it.
  function toast(msg, cls) {
    S.toast = {msg: msg, cls: cls || 'note'};
    paintToast();
  }
  function paintToast() {
    var t = R.$('toast');
    if (!t || !S.toast) return;
    t.textContent = S.toast.msg;
    t.className = S.toast.cls + (S.toast.msg ? '' : ' hidden');
  }

  // ---- login ----

  function viewLogin(msg) {
    R.clear(main);
    var f = el('form', null, 'card', {style: 'max-width:26rem;margin:2rem auto'});
    f.appendChild(el('h2', T('Masuk ke konsol rekapitulasi', 'Log in to the recap console')));
    f.appendChild(el('p', T('Untuk PPS, PPK, KPU, Bawaslu dan saksi.', 'For PPS, PPK, KPU, Bawaslu and witnesses.'), 'muted'));
    if (msg) f.appendChild(el('div', msg, 'err'));
    f.appendChild(el('label', T('Nama pengguna', 'Username'), null, {'for': 'u'}));
    var u = el('input', null, null, {id: 'u', autocomplete: 'username', required: true, style: 'width:100%'});
    f.appendChild(u);
    f.appendChild(el('label', T('Kata sandi', 'Password'), null, {'for': 'p'}));
    var p = el('input', null, null, {id: 'p', type: 'password', autocomplete: 'current-password', required: true, style: 'width:100%'});
    f.appendChild(p);
    var b = el('button', T('Masuk', 'Log in'), 'primary big', {type: 'submit', id: 'login', style: 'margin-top:1rem'});
    f.appendChild(b);
    f.addEventListener('submit', function (ev) {
      ev.preventDefault();
      b.disabled = true;
      R.api('/api/login', {body: {username: u.value.trim(), password: p.value}}).then(function (r) {
        if (r.body.user.role === 'kpps') throw new Error(T('Akun KPPS memakai aplikasi KPPS di /kpps/.', 'KPPS accounts use the KPPS app at /kpps/.'));
        S.token = r.body.token;
        S.user = r.body.user;
        store();
        start();
      }).catch(function (e) { viewLogin(e.message); });
    });
    main.appendChild(f);
    u.focus();
  }

  function logout() {
    R.api('/api/logout', {token: S.token, method: 'POST'}).catch(function () {});
    S.token = S.user = null;
    store();
    R.$('who').textContent = '';
    viewLogin();
  }

  // ---- routing: #/<region>/<race>/<tps> ----

  function parseHash() {
    var p = location.hash.replace(/^#\/?/, '').split('/');
    return {region: (p[0] || '').replace(/[^0-9]/g, ''), race: Number(p[1]) || 0, tps: /^\d{13}$/.test(p[2] || '') ? p[2] : null};
  }

  function go(region, race, tps) {
    var h = '#/' + region + '/' + (race || '') + (tps ? '/' + tps : '');
    if (location.hash !== h) location.hash = h; else route();
  }

  function inScope(code) { return code.indexOf(S.user.scope) === 0; }

  function start() {
    R.$('who').textContent = S.user.username + ' · ' + S.user.role_label + (S.user.scope ? ' ' + S.user.scope : '');
    R.$('who').appendChild(el('button', T('Keluar', 'Log out'), 'lang', {type: 'button', onclick: logout, style: 'margin-left:.5rem'}));
    tget('/api/races?region=' + S.user.scope).then(function (d) {
      S.races = d.races.filter(function (r) { return !S.user.race_id || r.id === S.user.race_id; });
      route();
    }).catch(function (e) {
      if (e.status === 401) { S.token = null; store(); viewLogin(T('Sesi berakhir. Silakan masuk lagi.', 'Session expired. Please log in again.')); }
      else R.clear(main).appendChild(el('div', e.message, 'err'));
    });
  }

  var lastKey = '';
  function route() {
    if (!S.token) return;
    var h = parseHash();
    var region = h.region && inScope(h.region) ? h.region : S.user.scope;
    var race = S.races.filter(function (r) { return r.id === h.race; })[0] || S.races[0];
    if (!race) { R.clear(main).appendChild(el('p', T('Tidak ada pemilihan di wilayah Anda.', 'No race in your region.'), 'note')); return; }
    var key = region + '/' + race.id + '/' + S.flagged + '/' + S.disputed;
    S.race = race;
    S.tps = h.tps;
    if (key !== lastKey || !R.$('layout')) {
      lastKey = key;
      S.region = region;
      loadRegion();
    } else {
      paintList();
      loadTps();
    }
  }

  // ---- region: progress, children, TPS list ----

  function loadRegion() {
    var race = S.race, code = S.region;
    var q = '?region=' + code + (S.flagged ? '&flagged=1' : '');
    Promise.all([tget('/api/races/' + race.id + '/results?region=' + code), tget('/api/races/' + race.id + '/tps' + q),
      tget(code ? '/api/regions/' + code : '/api/regions')]).then(function (a) {
      S.results = a[0];
      // objections (keberatan) are few: "disputed only" filters the list here, not on the server
      S.list = a[1].tps.filter(function (t) { return !S.disputed || t.objections > 0; });
      S.regionInfo = a[2];
      var codes = S.list.map(function (t) { return t.tps; }).filter(function (c) { return !S.names[c]; }).slice(0, 1000);
      return (codes.length ? R.api('/api/regions/lookup', {body: {codes: codes}}).then(function (r) {
        r.body.regions.forEach(function (x) { S.names[x.code] = x; });
      }) : Promise.resolve()).then(paintRegion).then(loadTps);
    }).catch(function (e) { R.clear(main).appendChild(el('div', e.message, 'err')); });
  }

  function paintRegion() {
    var race = S.race, res = S.results, reg = S.regionInfo, p = res.tally.progress;
    R.clear(main);
    var head = el('section', null, 'card');
    var nav = el('nav', null, 'crumb');
    reg.breadcrumb.concat(reg.region.code ? [reg.region] : []).forEach(function (b, i) {
      if (i) nav.appendChild(document.createTextNode(' › '));
      if (inScope(b.code) && b.code !== S.region) nav.appendChild(el('a', b.name, null, {href: '#/' + b.code + '/' + race.id}));
      else nav.appendChild(el('span', b.name));
    });
    head.appendChild(nav);
    var top = el('div', null, 'actions');
    var sel = el('select', null, null, {id: 'race', 'aria-label': T('Pemilihan', 'Race')});
    S.races.forEach(function (r) {
      var o = el('option', r.name);
      o.value = r.id;
      if (r.id === race.id) o.selected = true;
      sel.appendChild(o);
    });
    sel.addEventListener('change', function () { go(S.region, Number(sel.value)); });
    top.appendChild(sel);
    var fl = el('input', null, null, {type: 'checkbox', id: 'flagged'});
    fl.checked = S.flagged;
    fl.addEventListener('change', function () { S.flagged = fl.checked; lastKey = ''; route(); });
    top.appendChild(el('label', [fl, ' ' + T('Hanya yang ditandai', 'Flagged only')], null, {'for': 'flagged', style: 'margin:0;font-weight:400'}));
    var dp = el('input', null, null, {type: 'checkbox', id: 'disputed'});
    dp.checked = S.disputed;
    dp.addEventListener('change', function () { S.disputed = dp.checked; lastKey = ''; route(); });
    top.appendChild(el('label', [dp, ' ' + T('Hanya yang ada keberatan', 'With objections only')], null, {'for': 'disputed', style: 'margin:0;font-weight:400'}));
    if (reg.region.level >= 1 && reg.region.level <= 3)
      top.appendChild(el('a', T('Unduh D.Hasil (PDF)', 'Download D.Hasil (PDF)'), 'btn', {id: 'dhasil',
        href: '/api/races/' + race.id + '/regions/' + reg.region.code + '/dhasil.pdf'}));
    top.appendChild(el('a', 'CSV', 'btn', {href: '/api/races/' + race.id + '/results.csv?region=' + S.region + (S.flagged ? '&flagged=1' : ''),
      download: 'tps-' + race.id + '-' + S.region + '.csv'}));
    head.appendChild(top);
    head.appendChild(el('h2', reg.region.name + ' — ' + race.name));
    head.appendChild(R.progressBar(p.tps_received, p.tps_expected, T('TPS masuk', 'TPS received')));
    head.appendChild(R.progressBar(p.tps_approved, p.tps_expected, T('TPS disetujui', 'TPS approved')));
    head.appendChild(el('div', [el('span', T('Ditandai: ', 'Flagged: ') + fmt(p.tps_flagged), 'chip ' + (p.tps_flagged ? 'warn' : ''))], 'chips'));
    if (res.children.length && reg.region.level < 4) {
      var tb = el('table', null, 'regions');
      tb.appendChild(el('tr', [el('th', T('Wilayah', 'Region')), el('th', T('Masuk', 'Received'), 'n'), el('th', T('Disetujui', 'Approved'), 'n'),
        el('th', T('Ditandai', 'Flagged'), 'n')]));
      res.children.forEach(function (c) {
        var q = c.tally.progress;
        tb.appendChild(el('tr', [el('td', [el('a', c.name, null, {href: '#/' + c.code + '/' + race.id})]),
          el('td', fmt(q.tps_received) + '/' + fmt(q.tps_expected), 'n'), el('td', fmt(q.tps_approved), 'n'), el('td', fmt(q.tps_flagged), 'n')]));
      });
      head.appendChild(el('details', [el('summary', T('Kemajuan per wilayah', 'Progress per region') + ' (' + res.children.length + ')'), tb]));
    }
    main.appendChild(head);
    main.appendChild(el('div', null, 'hidden', {id: 'toast', role: 'status'}));
    paintToast();
    var lay = el('div', null, 'layout', {id: 'layout'});
    lay.appendChild(el('section', null, 'card tpslist', {id: 'list'}));
    lay.appendChild(el('section', null, 'card review', {id: 'review'}));
    main.appendChild(lay);
    paintList();
  }

  function paintList() {
    var box = R.$('list');
    if (!box) return;
    R.clear(box);
    if (!S.list.length) {
      box.appendChild(el('p', S.disputed ? T('Tidak ada TPS dengan keberatan.', 'No TPS with objections.')
        : S.flagged ? T('Tidak ada TPS yang ditandai.', 'No flagged TPS.') : T('Belum ada hasil TPS.', 'No TPS results yet.'), 'muted', {style: 'padding:.75rem'}));
      return;
    }
    var tb = el('table');
    tb.appendChild(el('tr', [el('th', 'TPS'), el('th', 'v', 'n'), el('th', T('Status', 'Status'))]));
    S.list.forEach(function (t) {
      var n = S.names[t.tps];
      var st = el('td', [t.approved ? el('span', '✓ ' + T('setuju', 'approved'), 'chip ok') : el('span', T('menunggu', 'pending'), 'chip'),
        t.flagged ? el('span', '⚑', 'chip warn', {title: T('ditandai', 'flagged')}) : null,
        t.objections ? el('span', T('keberatan ', 'objections ') + t.objections, 'chip bad obj') : null]);
      var tr = el('tr', [el('td', [el('div', n ? n.name : t.tps), el('small', t.tps)]), el('td', String(t.version), 'n'), st],
        t.tps === S.tps ? 'sel' : '', {'data-tps': t.tps});
      tr.addEventListener('click', function () { go(S.region, S.race.id, t.tps); });
      tb.appendChild(tr);
    });
    box.appendChild(tb);
    var sel = box.querySelector('tr.sel');
    if (sel && sel.scrollIntoView) sel.scrollIntoView({block: 'nearest'});
  }

  // ---- one TPS ----

  function loadTps() {
    var box = R.$('review');
    if (!box) return;
    S.editing = false;
    if (!S.tps) {
      R.clear(box).appendChild(el('p', T('Pilih TPS dari daftar, atau tekan j untuk mulai. Tekan ? untuk bantuan.',
        'Pick a TPS from the list, or press j to start. Press ? for help.'), 'muted'));
      return;
    }
    var base = '/api/tps/' + S.tps + '/races/' + S.race.id, tps = S.tps;
    tget(base).then(function (st) {
      // A correction carries no photos of its own: show those of the newest upload.
      var up = st.history.filter(function (h) { return h.kind === 'upload'; }).pop();
      return (up ? tget(base + '/versions/' + up.version) : Promise.resolve(null)).then(function (v) {
        if (tps !== S.tps) return;
        S.detail = {st: st, ver: v, photo: 0};
        S.zoom = 1;
        S.rot = 0;
        paintTps();
      });
    }).catch(function (e) { R.clear(box).appendChild(el('div', e.message, 'err')); });
  }

  function paintTps() {
    var box = R.clear(R.$('review')), st = S.detail.st, v = S.detail.ver;
    box.appendChild(el('h2', [st.tps.name + ' ', el('small', st.tps.code)]));
    if (!st.current) { box.appendChild(el('p', T('Belum ada hasil.', 'No result yet.'), 'muted')); return; }
    var chips = el('div', null, 'chips');
    chips.appendChild(el('span', T('Versi ', 'Version ') + st.current.version, 'chip info'));
    chips.appendChild(st.state.approved ? el('span', T('Disetujui ', 'Approved ') + st.state.approved_by, 'chip ok', {id: 'approved'})
      : el('span', T('Belum disetujui', 'Not approved'), 'chip'));
    chips.appendChild(R.flagChips(st.current.flags));
    box.appendChild(chips);
    var pane = el('div', null, 'pane');
    pane.appendChild(viewer(v));
    var right = el('div');
    right.appendChild(numbers(st.current.document));
    right.appendChild(el('ul', null, 'msgs', {id: 'msgs'}));
    right.appendChild(actions(st));
    pane.appendChild(right);
    box.appendChild(pane);
    box.appendChild(history(st));
    check();
  }

  function viewer(v) {
    var wrap = el('div');
    var photos = (v && v.photos) || [];
    var tools = el('div', null, 'tools');
    var vw = el('div', null, 'viewer', {id: 'viewer'});
    var img = null;
    if (photos.length) {
      img = el('img', null, null, {src: '/api/photos/' + photos[S.detail.photo], alt: T('Foto formulir', 'Form photo'), id: 'photo'});
      img.addEventListener('load', apply);
      vw.appendChild(img);
    } else vw.appendChild(el('div', T('Tidak ada foto pada versi ini.', 'No photo with this version.'), 'empty'));
    function apply() {
      if (!img || !img.naturalWidth) return;
      var fit = Math.min(1, (vw.clientWidth - 4) / (S.rot % 180 ? img.naturalHeight : img.naturalWidth));
      var k = fit * S.zoom, w = img.naturalWidth * k, h = img.naturalHeight * k;
      img.style.width = w + 'px';
      img.style.height = h + 'px';
      // Rotate about the top-left corner, then move the picture back into the box.
      var tr = {0: '', 90: 'translate(' + h + 'px,0) ', 180: 'translate(' + w + 'px,' + h + 'px) ', 270: 'translate(0,' + w + 'px) '}[S.rot];
      img.style.transform = tr + 'rotate(' + S.rot + 'deg)';
    }
    S.applyView = apply;
    [['−', T('Perkecil', 'Zoom out'), function () { zoom(1 / 1.25); }], ['+', T('Perbesar', 'Zoom in'), function () { zoom(1.25); }],
      ['⟳', T('Putar', 'Rotate'), rotate], ['1:1', T('Pas layar', 'Fit'), function () { S.zoom = 1; S.rot = 0; apply(); }]].forEach(function (b) {
      tools.appendChild(el('button', b[0], '', {type: 'button', title: b[1], 'aria-label': b[1], onclick: b[2]}));
    });
    photos.forEach(function (p, i) {
      tools.appendChild(el('button', T('Hal. ', 'P. ') + (i + 1), i === S.detail.photo ? 'primary' : '', {type: 'button', onclick: function () {
        S.detail.photo = i; paintTps();
      }}));
    });
    wrap.appendChild(tools);
    wrap.appendChild(vw);
    return wrap;
  }

  function zoom(f) { S.zoom = Math.max(0.25, Math.min(8, S.zoom * f)); if (S.applyView) S.applyView(); }
  function rotate() { S.rot = (S.rot + 90) % 360; if (S.applyView) S.applyView(); }

  var ROWLAB = [['L', 'M'], ['P', 'W'], ['Jumlah', 'Total']];

  // The numbers as on the form (rows of three side by side); inputs while correcting.
  function numbers(doc) {
    var tb = el('table', null, 'numbers', {id: 'numbers'});
    function cell(f, label, cls) {
      var td = el('td', null, cls, {'data-f': f});
      if (label) td.appendChild(el('small', label + ' '));
      if (S.editing) {
        var inp = el('input', null, null, {inputmode: 'numeric', maxlength: 3, 'data-f': f, 'aria-label': label || f});
        inp.value = S.edit[f] == null ? '' : String(S.edit[f]);
        inp.addEventListener('input', function () {
          inp.value = inp.value.replace(/[^0-9]/g, '').slice(0, 3);
          if (inp.value === '') delete S.edit[f]; else S.edit[f] = Number(inp.value);
          td.classList.toggle('changed', S.edit[f] !== doc[f]);
          check();
        });
        td.appendChild(inp);
      } else td.appendChild(el('b', doc[f] == null ? '–' : fmt(doc[f])));
      return td;
    }
    Chasil.SECTIONS.forEach(function (s) {
      tb.appendChild(el('tr', [el('th', s.id + ' ' + T(s.title[0], s.title[1]), null, {colspan: 3})], 'sechead'));
      if (s.row) {
        tb.appendChild(el('tr', ['_l', '_p', '_j'].map(function (x, i) { return cell(s.row + x, T(ROWLAB[i][0], ROWLAB[i][1]), 'trio'); })));
        return;
      }
      var rows = [];
      if (s.paslon) S.race.candidates.forEach(function (c, i) {
        rows.push(['suara_paslon_' + (i + 1), c.ballot_no + '. ' + (c.kolom_kosong ? T('Kolom kosong', 'Empty column') : c.name)]);
      });
      else s.fields.forEach(function (f) { rows.push([f[0], T(f[1], f[2])]); });
      rows.forEach(function (r) {
        var td = cell(r[0], null, 'n');
        tb.appendChild(el('tr', [el('td', r[1], null, {colspan: 2}), td]));
      });
    });
    return tb;
  }

  function currentDoc() {
    var d = S.detail.st.current.document;
    if (!S.editing) return d;
    var out = {};
    ['v', 'type', 'election', 'race', 'tps', 'paslon', 'kolom_kosong'].forEach(function (k) { out[k] = d[k]; });
    Chasil.fieldsFor(d.paslon).forEach(function (f) { if (S.edit[f] != null) out[f] = S.edit[f]; });
    return out;
  }

  function check() {
    var ul = R.$('msgs');
    if (!ul || !S.detail || !S.detail.st.current) return [];
    var d = currentDoc(), vs = Chasil.validate(d, Chasil.contextFor('pilkada', S.detail.st.tps));
    R.clear(ul);
    vs.forEach(function (v) { ul.appendChild(el('li', v.code + ': ' + T(v.message.id, v.message.en), v.severity)); });
    if (S.editing) {
      var mark = {};
      vs.forEach(function (v) { v.fields.forEach(function (f) { if (mark[f] !== 'bad') mark[f] = v.severity === 'hard' ? 'bad' : 'warn'; }); });
      document.querySelectorAll('#numbers input').forEach(function (i) { i.className = mark[i.dataset.f] || ''; });
      var save = R.$('save');
      var hard = vs.some(function (v) { return v.severity === 'hard'; });
      var missing = Chasil.fieldsFor(d.paslon).some(function (f) { return d[f] == null; });
      var reason = (R.$('reason') || {}).value || '';
      if (save) save.disabled = hard || missing || reason.trim().length < 10;
    }
    return vs;
  }

  function actions(st) {
    var box = el('div');
    if (S.user.role === 'bawaslu' || S.user.role === 'saksi') return objectBox(st, box);
    var can = S.user.role !== 'pps';
    if (!can) return box;
    var row = el('div', null, 'actions');
    if (!S.editing) {
      row.appendChild(el('button', T('Setujui', 'Approve') + ' (a)', 'primary', {type: 'button', id: 'approve', disabled: st.state.approved, onclick: approve}));
      row.appendChild(el('button', T('Koreksi', 'Correct') + ' (c)', '', {type: 'button', id: 'correct', onclick: startCorrect}));
    } else {
      box.appendChild(el('label', T('Alasan koreksi (wajib, minimal 10 huruf)', 'Reason for the correction (required, at least 10 characters)'), null, {'for': 'reason'}));
      var ta = el('textarea', null, null, {id: 'reason', maxlength: 1000,
        placeholder: T('mis. salah ketik suara paslon 2, sesuai foto halaman 2', 'e.g. typo in pair 2\'s votes, per the photo of page 2')});
      ta.addEventListener('input', check);
      box.appendChild(ta);
      row.appendChild(el('button', T('Simpan koreksi', 'Save correction'), 'primary', {type: 'button', id: 'save', disabled: true, onclick: saveCorrect}));
      row.appendChild(el('button', T('Batal', 'Cancel') + ' (Esc)', '', {type: 'button', onclick: function () { S.editing = false; paintTps(); }}));
    }
    box.appendChild(row);
    return box;
  }

  function history(st) {
    var card = el('div');
    card.appendChild(el('h3', T('Riwayat versi', 'Version history')));
    var tb = el('table', null, 'history', {id: 'history'});
    tb.appendChild(el('tr', [el('th', '#'), el('th', T('Jenis', 'Kind')), el('th', T('Oleh', 'By')), el('th', T('Waktu', 'Time')),
      el('th', T('Alasan', 'Reason')), el('th', T('Tanda', 'Flags'))]));
    st.history.slice().reverse().forEach(function (h) {
      tb.appendChild(el('tr', [el('td', String(h.version)), el('td', h.kind === 'upload' ? T('unggahan', 'upload') : T('koreksi', 'correction')),
        el('td', h.actor), el('td', R.when(h.created_ms)), el('td', h.reason || '–'), el('td', [R.flagChips(h.flags)])]));
    });
    card.appendChild(el('div', [tb], 'tablewrap'));
    var obj = st.objections || [];
    if (obj.length) {
      // Keberatan of saksi and Bawaslu: what the reviewer should look at before approving.
      card.appendChild(el('h3', T('Keberatan saksi / Bawaslu (', 'Objections of saksi / Bawaslu (') + obj.length + ')'));
      var ot = el('table', null, 'history', {id: 'objections'});
      ot.appendChild(el('tr', [el('th', T('Versi', 'Version')), el('th', T('Oleh', 'By')), el('th', T('Waktu', 'Time')),
        el('th', T('Alasan', 'Reason'))]));
      obj.slice().reverse().forEach(function (o) {
        ot.appendChild(el('tr', [el('td', String(o.version)), el('td', o.actor), el('td', R.when(o.created_ms)), el('td', o.reason)]));
      });
      card.appendChild(el('div', [ot], 'tablewrap'));
    }
    card.appendChild(el('p', [el('a', T('Lihat di portal publik', 'See on the public portal'), null, {href: '/#/' + st.tps.code + '/' + S.race.id, target: '_blank'})]));
    return card;
  }

  // Bawaslu and saksi do not approve or correct: they object (keberatan), with a reason, to a
  // version of this TPS's result. On the record for the PPK and the public; no number moves.
  function objectBox(st, box) {
    if (!st.current) return box;
    box.appendChild(el('label', T('Keberatan atas versi', 'Objection to version'), null, {'for': 'obj-version'}));
    var sel = el('select', null, null, {id: 'obj-version'});
    st.history.slice().reverse().forEach(function (h) {
      sel.appendChild(el('option', String(h.version) + (h.version === st.current.version ? T(' (terkini)', ' (current)') : ''), null,
        {value: String(h.version)}));
    });
    box.appendChild(sel);
    box.appendChild(el('label', T('Alasan keberatan (wajib, minimal 10 huruf)', 'Reason for the objection (required, at least 10 characters)'), null, {'for': 'obj-reason'}));
    var ta = el('textarea', null, null, {id: 'obj-reason', maxlength: 1000,
      placeholder: T('mis. angka paslon 1 tidak sesuai foto C.Hasil halaman 2', 'e.g. pair 1\'s number does not match the photo of page 2')});
    var send = el('button', T('Ajukan keberatan', 'File the objection'), 'primary', {type: 'button', id: 'object', disabled: true, onclick: function () {
      send.disabled = true;
      R.api('/api/tps/' + st.tps.code + '/races/' + S.race.id + '/objections', {token: S.token,
        body: {version: Number(sel.value), reason: ta.value.trim()}}).then(function (r) {
        toast(T('Keberatan tercatat (log #', 'Objection on record (log #') + r.body.log_index + ').', 'note');
        refresh();
      }, function (e) { toast(e.message, 'err'); send.disabled = false; });
    }});
    ta.addEventListener('input', function () { send.disabled = ta.value.trim().length < 10; });
    box.appendChild(ta);
    box.appendChild(el('div', [send], 'actions'));
    return box;
  }

  function approve() {
    var st = S.detail.st;
    if (!st.current || st.state.approved) return;
    R.api('/api/tps/' + st.tps.code + '/races/' + S.race.id + '/approve', {token: S.token, body: {version: st.current.version}}).then(function () {
      toast(T('TPS ', 'TPS ') + st.tps.code + T(' disetujui.', ' approved.'), 'note');
      refresh();
    }, function (e) { toast(e.message, 'err'); });
  }

  function startCorrect() {
    if (!S.detail || !S.detail.st.current) return;
    S.editing = true;
    S.edit = {};
    var d = S.detail.st.current.document;
    Chasil.fieldsFor(d.paslon).forEach(function (f) { if (d[f] != null) S.edit[f] = d[f]; });
    paintTps();
    var first = document.querySelector('#numbers input');
    if (first) first.focus();
  }

  function saveCorrect() {
    var st = S.detail.st, d = currentDoc();
    var prev = st.history[st.history.length - 1].doc_sha256;
    var body = '{"document":' + Chasil.canonical(d) + ',"prev":"' + prev + '","reason":' + JSON.stringify(R.$('reason').value.trim()) + '}';
    R.$('save').disabled = true;
    R.api('/api/tps/' + st.tps.code + '/races/' + S.race.id + '/corrections', {token: S.token, body: body}).then(function (r) {
      toast(T('Koreksi tersimpan sebagai versi ', 'Correction saved as version ') + r.body.version + '.', 'note');
      S.editing = false;
      refresh();
    }, function (e) {
      var vs = e.body && e.body.error && e.body.error.violations;
      toast(e.message + (vs ? ' — ' + vs.map(function (v) { return v.code; }).join(', ') : ''), 'err');
      R.$('save').disabled = false;
    });
  }

  function refresh() { lastKey = ''; route(); }

  function move(step) {
    if (!S.list.length) return;
    var i = -1;
    S.list.forEach(function (t, k) { if (t.tps === S.tps) i = k; });
    var n = Math.max(0, Math.min(S.list.length - 1, i < 0 ? 0 : i + step));
    go(S.region, S.race.id, S.list[n].tps);
  }

  // ---- keyboard ----

  var KEYS = [['j', 'TPS berikutnya', 'next TPS'], ['k', 'TPS sebelumnya', 'previous TPS'], ['a', 'setujui versi ini', 'approve this version'],
    ['c', 'koreksi angka (dengan alasan)', 'correct numbers (with a reason)'], ['+ / −', 'perbesar / perkecil foto', 'zoom the photo in / out'],
    ['r', 'putar foto', 'rotate the photo'], ['f', 'hanya yang ditandai', 'flagged only'], ['o', 'hanya yang ada keberatan', 'with objections only'], ['Esc', 'batal / tutup', 'cancel / close'],
    ['?', 'bantuan ini', 'this help']];

  function help(show) {
    var h = R.$('help');
    if (show === undefined) show = h.classList.contains('hidden');
    h.classList.toggle('hidden', !show);
    if (!show) return;
    var tb = el('table', null, 'kbd');
    KEYS.forEach(function (k) { tb.appendChild(el('tr', [el('td', [el('kbd', k[0])]), el('td', T(k[1], k[2]))])); });
    R.clear(h).appendChild(el('div', [el('h2', T('Pintasan papan ketik', 'Keyboard shortcuts')), tb,
      el('button', T('Tutup', 'Close'), 'primary', {type: 'button', onclick: function () { help(false); }, style: 'margin-top:.75rem'})], 'card'));
  }

  document.addEventListener('keydown', function (ev) {
    if (!S.token || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    var t = ev.target.tagName;
    if (ev.key === 'Escape') {
      help(false);
      if (S.editing) { S.editing = false; paintTps(); }
      return;
    }
    if (t === 'INPUT' || t === 'TEXTAREA' || t === 'SELECT') return;
    var k = ev.key, officer = ['bawaslu', 'saksi', 'pps'].indexOf(S.user && S.user.role) < 0;
    if (k === 'j') move(1);
    else if (k === 'k') move(-1);
    else if (k === 'a' && officer) approve();
    else if (k === 'c' && officer) { ev.preventDefault(); startCorrect(); }
    else if (k === '+' || k === '=') zoom(1.25);
    else if (k === '-') zoom(1 / 1.25);
    else if (k === 'r') rotate();
    else if (k === 'f') { S.flagged = !S.flagged; refresh(); }
    else if (k === 'o') { S.disputed = !S.disputed; refresh(); }
    else if (k === '?') help();
    else return;
    ev.preventDefault();
  });

  R.$('helpbtn').addEventListener('click', function () { help(); });
  R.$('langbox').appendChild(R.langToggle(function () {
    R.$('title').textContent = T('konsol rekapitulasi', 'recap console');
    lastKey = '';
    if (S.token) { R.$('who').textContent = ''; start(); } else viewLogin();
  }));
  R.$('title').textContent = T('konsol rekapitulasi', 'recap console');
  window.addEventListener('hashchange', route);
  if (S.token && S.user) start(); else viewLogin();
})();
