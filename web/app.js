// rekap public portal: results for every race at every level, national -> provinsi -> kab/kota ->
// kecamatan -> desa -> TPS, with totals, percentages, an inline SVG chart, the share of TPS
// received, and per TPS the form photos, numbers, flags and full version history. Hash routing
// keeps every view a permalink without server routes:
//   #/                      national
//   #/<code>[/<race>]        a region (2, 4, 6 or 10 digits), optionally one race
//   #/<tps>/<race>[?doc=..&sig=..]   a TPS page; doc/sig come from a KPPS receipt QR and are
//                                    checked against the published version
'use strict';
(function () {
  var T = R.T, el = R.el, fmt = R.fmt, pct = R.pct, get = R.get;
  var main = R.$('main');
  var seq = 0; // a newer navigation wins over slower answers of an older one

  function parseHash() {
    var h = location.hash.replace(/^#\/?/, '');
    var q = {}, qi = h.indexOf('?');
    if (qi >= 0) {
      h.slice(qi + 1).split('&').forEach(function (kv) {
        var p = kv.split('=');
        if (p[0]) q[decodeURIComponent(p[0])] = decodeURIComponent(p[1] || '');
      });
      h = h.slice(0, qi);
    }
    var parts = h.split('/').filter(Boolean);
    return {code: (parts[0] || '').replace(/[^0-9]/g, ''), race: Number(parts[1]) || 0, q: q};
  }

  function link(code, race, text) {
    return el('a', text, null, {href: '#/' + code + (race ? '/' + race : '')});
  }

  function crumbs(region, breadcrumb, race) {
    var nav = el('nav', null, 'crumb', {'aria-label': T('Jejak wilayah', 'Breadcrumb')});
    nav.appendChild(link('', 0, 'Indonesia'));
    breadcrumb.concat(region.code ? [region] : []).forEach(function (b, i, all) {
      nav.appendChild(document.createTextNode(' › '));
      if (i === all.length - 1) nav.appendChild(el('span', b.name));
      else nav.appendChild(link(b.code, race ? race.id : 0, b.name));
    });
    return nav;
  }

  function downloads(items) {
    return el('div', [el('span', T('Unduh data:', 'Download data:'), 'muted')].concat(items.map(function (it) {
      return el('a', it[0], null, {href: it[1], download: it[2] || null});
    })), 'downloads');
  }

  function fail(e, my) {
    if (my !== seq) return;
    R.clear(main).appendChild(el('div', T('Galat: ', 'Error: ') + e.message, 'err'));
    main.appendChild(el('p', [link('', 0, T('Kembali ke halaman depan', 'Back to the front page'))]));
  }

  // The race shown by default: the one held closest to the region (deepest ancestor-or-self).
  function defaultRace(races, code) {
    var best = null;
    races.forEach(function (r) {
      if (code.indexOf(r.region_code) === 0 && (!best || r.region_code.length > best.region_code.length)) best = r;
    });
    return best || races[0] || null;
  }

  function raceLabel(r) { return r.name + (r.single_candidate ? ' — ' + T('calon tunggal', 'single candidate') : ''); }

  function candName(c) { return c.kolom_kosong ? T('Kolom kosong', 'Empty column') : c.name; }

  // ---- region page ----

  function showRegion(code, raceId) {
    var my = ++seq;
    var reg = get('/api/regions' + (code ? '/' + code : ''));
    var races = code ? get('/api/races?region=' + code) : Promise.resolve({races: []});
    // the country and each province also get every race's progress (no Pilkada race is national)
    var prog = code.length <= 2 ? get('/api/progress' + (code ? '?region=' + code : '')) : Promise.resolve(null);
    Promise.all([reg, races, prog]).then(function (a) {
      if (my !== seq) return;
      var d = a[0], list = a[1].races, pr = a[2];
      var race = list.filter(function (r) { return r.id === raceId; })[0] || defaultRace(list, code);
      if (!race) return renderRegion(d, list, null, null, pr);
      // a desa's TPS rows also say which TPS have objections (keberatan) of saksi or Bawaslu
      var tps = code.length === 10 ? get('/api/races/' + race.id + '/tps?region=' + code) : Promise.resolve(null);
      return Promise.all([get('/api/races/' + race.id + '/results?region=' + code), tps]).then(function (b) {
        var res = b[0];
        res.objections = {};
        if (b[1]) b[1].tps.forEach(function (t) { if (t.objections) res.objections[t.tps] = t.objections; });
        if (my === seq) renderRegion(d, list, race, res, pr);
      });
    }).catch(function (e) { fail(e, my); });
  }

  // Counting progress race by race: nationally one row per province (its governor race) and one
  // line for all regent and mayor races; in a province every race held there.
  function progressCard(pr, code) {
    var t = pr.totals, card = el('section', null, 'card progress-card');
    card.appendChild(el('h2', T('Progres penghitungan', 'Counting progress') + (code ? '' : T(' nasional', ' nationwide'))));
    card.appendChild(R.progressBar(t.tps_received, t.tps_expected,
      T('TPS masuk, ' + fmt(t.races) + ' pemilihan', 'Polling stations received, ' + fmt(t.races) + ' races')));
    var chips = el('div', null, 'chips');
    chips.appendChild(el('span', T('Disetujui ', 'Approved ') + fmt(t.tps_approved), 'chip ok'));
    chips.appendChild(el('span', T('Ditandai ', 'Flagged ') + fmt(t.tps_flagged), 'chip ' + (t.tps_flagged ? 'warn' : '')));
    card.appendChild(chips);
    var rows = code ? pr.races : pr.races.filter(function (r) { return r.region_code.length === 2; });
    var rest = code ? [] : pr.races.filter(function (r) { return r.region_code.length !== 2; });
    var wrap = el('div', null, 'tablewrap'), tb = el('table');
    tb.appendChild(el('tr', [el('th', T('Pemilihan', 'Race')), el('th', T('TPS masuk', 'Received'), 'n'), el('th', '%', 'n'),
      el('th', T('Ditandai', 'Flagged'), 'n'), el('th', T('Disetujui', 'Approved'), 'n')]));
    function row(label, p, cls) {
      return el('tr', [el('td', label), el('td', fmt(p.tps_received) + '/' + fmt(p.tps_expected), 'n'),
        el('td', pct(p.tps_received, p.tps_expected, 1), 'n'), el('td', fmt(p.tps_flagged), 'n'), el('td', fmt(p.tps_approved), 'n')], cls);
    }
    rows.forEach(function (r) { tb.appendChild(row([link(r.region_code, r.id, r.name)], r.progress)); });
    if (rest.length) {
      var sum = {tps_received: 0, tps_expected: 0, tps_flagged: 0, tps_approved: 0};
      rest.forEach(function (r) { Object.keys(sum).forEach(function (k) { sum[k] += r.progress[k]; }); });
      tb.appendChild(row(T('Bupati dan wali kota (' + fmt(rest.length) + ' pemilihan)', 'Regents and mayors (' + fmt(rest.length) + ' races)'), sum, 'sum'));
    }
    wrap.appendChild(tb);
    card.appendChild(wrap);
    card.appendChild(downloads([[T('Progres (JSON)', 'Progress (JSON)'), '/api/progress' + (code ? '?region=' + code : '')]]));
    return card;
  }

  function renderRegion(d, races, race, res, pr) {
    var r = d.region, code = r.code;
    document.title = (code ? r.name + ' — ' : '') + 'rekap';
    R.clear(main);
    main.appendChild(crumbs(r, d.breadcrumb, race));
    var head = el('div', null, 'card');
    head.appendChild(el('h1', r.name + (code ? ' ' : ''), null));
    if (code) head.firstChild.appendChild(el('small', '(' + r.level_name + ' ' + code + ')'));
    var stat = el('div', null, 'stat');
    [['provinsi', 'Provinsi', 'Provinces'], ['kabkota', 'Kab/Kota', 'Regencies/cities'], ['kecamatan', 'Kecamatan', 'Districts'],
      ['desa', 'Desa/Kel.', 'Villages'], ['tps', 'TPS', 'Polling stations']].forEach(function (l) {
      if (d.counts[l[0]] != null) stat.appendChild(el('div', [el('b', fmt(d.counts[l[0]])), T(l[1], l[2])]));
    });
    stat.appendChild(el('div', [el('b', fmt(d.dpt.total)), T('Pemilih (DPT)', 'Registered voters')]));
    head.appendChild(stat);
    if (races.length > 1) {
      var sel = el('select', null, null, {'aria-label': T('Pilih pemilihan', 'Choose a race'), id: 'race'});
      races.forEach(function (x) {
        var o = el('option', raceLabel(x));
        o.value = x.id;
        if (race && x.id === race.id) o.selected = true;
        sel.appendChild(o);
      });
      sel.addEventListener('change', function () { location.hash = '#/' + code + '/' + sel.value; });
      head.appendChild(el('label', T('Pemilihan', 'Race'), null, {'for': 'race'}));
      head.appendChild(sel);
    }
    main.appendChild(head);
    if (!code) {
      main.appendChild(el('p', T('Pilih provinsi untuk melihat hasil pemilihan gubernur, bupati dan wali kota.',
        'Choose a province to see the results of the governor, regent and mayor races.'), 'note'));
    }
    if (pr && !code) main.appendChild(progressCard(pr, code));
    if (race && res) main.appendChild(resultsCard(race, res));
    if (pr && code) main.appendChild(progressCard(pr, code));
    main.appendChild(childrenCard(d, race, res));
    var dl = [[T('Wilayah (JSON)', 'Region (JSON)'), '/api/regions' + (code ? '/' + code : '')]];
    if (race) {
      dl.push([T('Hasil (JSON)', 'Results (JSON)'), '/api/races/' + race.id + '/results?region=' + code]);
      dl.push([T('Hasil per TPS (CSV)', 'Results per TPS (CSV)'), '/api/races/' + race.id + '/results.csv?region=' + code,
        'hasil-' + race.id + '-' + (code || 'nasional') + '.csv']);
    }
    main.appendChild(el('div', [downloads(dl)], 'card'));
  }

  function resultsCard(race, res) {
    var t = res.tally, p = t.progress, c = race.candidates;
    var card = el('section', null, 'card');
    card.appendChild(el('h2', raceLabel(race)));
    card.appendChild(R.progressBar(p.tps_received, p.tps_expected, T('TPS masuk', 'Polling stations received')));
    var chips = el('div', null, 'chips');
    chips.appendChild(el('span', T('Disetujui ', 'Approved ') + fmt(p.tps_approved), 'chip ok'));
    chips.appendChild(el('span', T('Ditandai ', 'Flagged ') + fmt(p.tps_flagged), 'chip ' + (p.tps_flagged ? 'warn' : '')));
    card.appendChild(chips);
    if (!p.tps_received) {
      card.appendChild(el('p', T('Belum ada hasil TPS yang masuk di wilayah ini.', 'No polling station results received in this region yet.'), 'muted'));
      return card;
    }
    card.appendChild(R.barChart(c, t.votes, T('Perolehan suara', 'Votes')));
    var tb = el('table');
    tb.appendChild(el('tr', [el('th', T('No.', 'No.')), el('th', T('Pasangan calon', 'Candidate pair')),
      el('th', T('Suara', 'Votes'), 'n'), el('th', '%', 'n')]));
    c.forEach(function (x, i) {
      var sw = el('span', null, 'sw');
      if (/^#[0-9A-Fa-f]{6}$/.test(x.color)) sw.style.background = x.color;
      tb.appendChild(el('tr', [el('td', String(x.ballot_no)), el('td', [sw, candName(x)]),
        el('td', fmt(t.votes[i]), 'n'), el('td', pct(t.votes[i], t.sah), 'n')]));
    });
    card.appendChild(tb);
    var st = el('div', null, 'stat');
    [[t.sah, 'Suara sah', 'Valid votes'], [t.tidak_sah, 'Suara tidak sah', 'Invalid votes'], [t.total, 'Jumlah suara', 'Total votes'],
      [t.dpt, 'DPT (TPS masuk)', 'DPT (received TPS)']].forEach(function (s) {
      st.appendChild(el('div', [el('b', fmt(s[0])), T(s[1], s[2])]));
    });
    st.appendChild(el('div', [el('b', pct(t.total, t.dpt, 1)), T('Partisipasi', 'Turnout')]));
    card.appendChild(st);
    return card;
  }

  function childrenCard(d, race, res) {
    var card = el('section', null, 'card kids');
    if (!d.children.length) return card;
    card.appendChild(el('h2', d.children[0].level_name + ' (' + fmt(d.children.length) + ')'));
    var byCode = {};
    ((res && res.children) || []).forEach(function (c) { byCode[c.code] = c.tally; });
    var kids = d.children.filter(function (c) {
      return !race || c.code.indexOf(race.region_code) === 0 || race.region_code.indexOf(c.code) === 0;
    });
    var wrap = el('div', null, 'tablewrap'), tb = el('table');
    var hdr = [el('th', T('Wilayah', 'Region'))];
    if (race) {
      hdr.push(el('th', T('TPS masuk', 'Received'), 'n'));
      race.candidates.forEach(function (c) { hdr.push(el('th', c.ballot_no + '.', 'n', {title: candName(c)})); });
      hdr.push(el('th', T('Sah', 'Valid'), 'n'));
    }
    var showDpt = !race && kids.some(function (c) { return c.dpt_l != null; });
    if (showDpt) hdr.push(el('th', 'DPT', 'n'));
    tb.appendChild(el('tr', hdr));
    kids.forEach(function (c) {
      var t = byCode[c.code];
      var row = [el('td', [link(c.code, race ? race.id : 0, c.name)])];
      if (race) {
        var p = t ? t.progress : null;
        if (c.level === 5) {
          var nob = res.objections[c.code];
          row.push(el('td', [t && p.tps_received ? (p.tps_flagged ? T('masuk ⚑', 'in ⚑') : T('masuk', 'in')) : '–',
            nob ? ' ' : null, nob ? el('span', T('keberatan ', 'objections ') + nob, 'chip bad obj') : null], 'n'));
        }
        else row.push(el('td', p ? fmt(p.tps_received) + '/' + fmt(p.tps_expected) : '–', 'n'));
        race.candidates.forEach(function (x, i) {
          row.push(el('td', t && t.sah ? pct(t.votes[i], t.sah, 1) : '–', 'n', {title: t ? fmt(t.votes[i]) : ''}));
        });
        row.push(el('td', t ? fmt(t.sah) : '–', 'n'));
      } else if (showDpt) row.push(el('td', c.dpt_l != null ? fmt(c.dpt_l + c.dpt_p) : '', 'n'));
      tb.appendChild(el('tr', row));
    });
    wrap.appendChild(tb);
    card.appendChild(wrap);
    return card;
  }

  // ---- TPS page ----

  var ROWLAB = [['L', 'M'], ['P', 'W'], ['Jumlah', 'Total']];

  // The form's numbers as printed: rows of three (L, P, total) side by side, lists one per line.
  function numbersTable(doc, race) {
    var tb = el('table', null, 'numbers');
    var val = function (f) { return doc[f] == null ? '–' : fmt(doc[f]); };
    Chasil.SECTIONS.forEach(function (s) {
      tb.appendChild(el('tr', [el('th', s.id + ' ' + T(s.title[0], s.title[1]), null, {colspan: 3})], 'sechead'));
      if (s.row) {
        tb.appendChild(el('tr', ['_l', '_p', '_j'].map(function (x, i) {
          return el('td', [el('small', T(ROWLAB[i][0], ROWLAB[i][1]) + ' '), el('b', val(s.row + x), null, {'data-f': s.row + x})], 'trio');
        })));
        return;
      }
      var rows = [];
      if (s.paslon) race.candidates.forEach(function (c, i) {
        if (i < doc.paslon) rows.push(['suara_paslon_' + (i + 1), c.ballot_no + '. ' + candName(c)]);
      });
      else s.fields.forEach(function (f) { rows.push([f[0], T(f[1], f[2])]); });
      rows.forEach(function (r) {
        tb.appendChild(el('tr', [el('td', r[1], null, {colspan: 2}), el('td', val(r[0]), 'n', {'data-f': r[0]})]));
      });
    });
    return tb;
  }

  function showTps(code, raceId, q) {
    var my = ++seq;
    Promise.all([get('/api/regions/' + code), get('/api/races?region=' + code)]).then(function (a) {
      if (my !== seq) return;
      var races = a[1].races;
      var race = races.filter(function (r) { return r.id === raceId; })[0] || defaultRace(races, code);
      if (!race) return renderTps(a[0], races, null, null, null, q);
      return get('/api/tps/' + code + '/races/' + race.id).then(function (st) {
        var v = st.current ? photoVersion(code, race.id, st) : null;
        var claimed = null;
        if (q.doc) st.history.forEach(function (h) { if (h.doc_sha256 === q.doc) claimed = h; });
        var cv = claimed && (!st.current || claimed.version !== st.current.version)
          ? get('/api/tps/' + code + '/races/' + race.id + '/versions/' + claimed.version) : v;
        return Promise.all([v, cv]).then(function (vs) {
          if (my === seq) renderTps(a[0], races, race, st, vs[0], q, vs[1]);
        });
      });
    }).catch(function (e) { fail(e, my); });
  }

  // The current version, with the photos of the newest version that has any: a correction
  // changes numbers, not the photographed form, so it carries none of its own.
  function photoVersion(code, race, st) {
    var base = '/api/tps/' + code + '/races/' + race + '/versions/';
    return get(base + st.current.version).then(function (v) {
      if (v.photos.length) return v;
      var up = st.history.filter(function (h) { return h.kind === 'upload'; }).pop();
      if (!up) return v;
      return get(base + up.version).then(function (u) { v.photos = u.photos; v.photos_version = u.version; return v; });
    });
  }

  function renderTps(d, races, race, st, ver, q, claimedVer) {
    var r = d.region;
    document.title = r.name + ' ' + r.code + ' — rekap';
    R.clear(main);
    main.appendChild(crumbs(r, d.breadcrumb, race));
    var head = el('div', null, 'card');
    head.appendChild(el('h1', [r.name + ' ', el('small', r.code)]));
    head.appendChild(el('div', [el('div', [el('b', fmt(r.dpt_l + r.dpt_p)), T('Pemilih DPT (L ', 'Registered (M ') +
      fmt(r.dpt_l) + ', P ' + fmt(r.dpt_p) + ')'])], 'stat'));
    if (races.length > 1) {
      var sel = el('select', null, null, {id: 'race', 'aria-label': T('Pilih pemilihan', 'Choose a race')});
      races.forEach(function (x) {
        var o = el('option', raceLabel(x));
        o.value = x.id;
        if (race && x.id === race.id) o.selected = true;
        sel.appendChild(o);
      });
      sel.addEventListener('change', function () { location.hash = '#/' + r.code + '/' + sel.value; });
      head.appendChild(el('label', T('Pemilihan', 'Race'), null, {'for': 'race'}));
      head.appendChild(sel);
    }
    main.appendChild(head);
    if (!race) return;
    if (q.doc) main.appendChild(verifyBox(st, q, claimedVer));
    var card = el('section', null, 'card');
    card.appendChild(el('h2', raceLabel(race)));
    if (!st.current) {
      card.appendChild(el('p', T('Hasil TPS ini belum masuk.', 'This polling station\'s result has not arrived yet.'), 'muted'));
      main.appendChild(card);
      return;
    }
    var doc = st.current.document, s = st.state;
    var chips = el('div', null, 'chips');
    chips.appendChild(el('span', T('Versi ', 'Version ') + st.current.version, 'chip info'));
    chips.appendChild(s.approved ? el('span', T('Disetujui oleh ', 'Approved by ') + s.approved_by, 'chip ok')
      : el('span', T('Belum disetujui', 'Not approved yet'), 'chip'));
    chips.appendChild(R.flagChips(st.current.flags));
    card.appendChild(chips);
    var c = race.candidates, votes = c.map(function (x, i) { return doc['suara_paslon_' + (i + 1)] || 0; });
    card.appendChild(R.barChart(c, votes, T('Perolehan suara', 'Votes')));
    var g = el('div', null, 'grid2');
    var left = el('div');
    left.appendChild(el('h3', T('Angka formulir C.Hasil', 'C.Hasil form numbers')));
    left.appendChild(numbersTable(doc, race));
    var right = el('div');
    right.appendChild(el('h3', T('Foto formulir', 'Form photos')));
    var ph = el('div', null, 'photos');
    ((ver && ver.photos) || []).forEach(function (h, i) {
      ph.appendChild(el('a', [el('img', null, null, {src: '/api/photos/' + h, alt: T('Halaman ', 'Page ') + (i + 1), loading: 'lazy'})],
        null, {href: '/api/photos/' + h, target: '_blank', rel: 'noopener'}));
    });
    if (!ph.firstChild) ph.appendChild(el('p', T('Tidak ada foto pada versi ini.', 'No photos with this version.'), 'muted'));
    right.appendChild(ph);
    if (ver) right.appendChild(el('p', [el('small', T('Sidik dokumen (SHA-256): ', 'Document hash (SHA-256): ')),
      el('code', ver.doc_sha256)]));
    g.appendChild(left);
    g.appendChild(right);
    card.appendChild(g);
    main.appendChild(card);
    main.appendChild(historyCard(st, r.code, race.id));
    var base = '/api/tps/' + r.code + '/races/' + race.id;
    main.appendChild(el('div', [downloads([[T('TPS (JSON)', 'TPS (JSON)'), base],
      [T('Versi ini (JSON, bertanda tangan)', 'This version (JSON, signed)'), base + '/versions/' + st.current.version],
      [T('CSV', 'CSV'), '/api/races/' + race.id + '/results.csv?region=' + r.code, 'tps-' + r.code + '-' + race.id + '.csv']])], 'card'));
  }

  function historyCard(st, tps, race) {
    var card = el('section', null, 'card');
    card.appendChild(el('h2', T('Riwayat versi', 'Version history')));
    var ol = el('ol', null, 'history');
    st.history.slice().reverse().forEach(function (h) {
      var li = el('li', null, null, {'data-version': h.version});
      li.appendChild(el('div', [el('a', T('Versi ', 'Version ') + h.version, 'ver', {href: '/api/tps/' + tps + '/races/' + race + '/versions/' + h.version}),
        ' · ' + (h.kind === 'upload' ? T('unggahan KPPS', 'KPPS upload') : T('koreksi', 'correction')) + ' · ' + h.actor + ' · ' + R.when(h.created_ms)]));
      if (h.reason) li.appendChild(el('div', [el('small', T('Alasan: ', 'Reason: ')), h.reason], 'reason'));
      var meta = el('div', [R.flagChips(h.flags), el('small', [' ' + T('log #', 'log #'),
        el('a', String(h.log_index), null, {href: '/api/log/entries?start=' + h.log_index + '&count=1'}), ' · ', el('code', h.doc_sha256.slice(0, 16) + '…')])]);
      li.appendChild(meta);
      ol.appendChild(li);
    });
    card.appendChild(ol);
    if (st.state && st.state.approved)
      card.appendChild(el('p', '✓ ' + T('Disetujui oleh ', 'Approved by ') + st.state.approved_by + ' — ' + R.when(st.state.approved_ms), 'ok'));
    var obj = st.objections || [];
    if (obj.length) {
      // Objections (keberatan) of saksi and Bawaslu: on the record, they change no number.
      card.appendChild(el('h3', T('Keberatan (', 'Objections (') + obj.length + ')'));
      var ul = el('ul', null, 'history objections', {id: 'objections'});
      obj.forEach(function (o) {
        var li = el('li', null, null, {'data-version': o.version});
        li.appendChild(el('div', [T('Atas versi ', 'On version ') + o.version + ' · ' + o.actor + ' · ' + R.when(o.created_ms)]));
        li.appendChild(el('div', [el('small', T('Alasan: ', 'Reason: ')), o.reason], 'reason'));
        li.appendChild(el('div', [el('small', [T('log #', 'log #'),
          el('a', String(o.log_index), null, {href: '/api/log/entries?start=' + o.log_index + '&count=1'})])]));
        ul.appendChild(li);
      });
      card.appendChild(ul);
    }
    return card;
  }

  // A witness scanned a KPPS receipt: does the published record hold that document, signed so?
  function verifyBox(st, q, ver) {
    var found = null;
    st.history.forEach(function (h) { if (h.doc_sha256 === q.doc) found = h; });
    var good = found && ver && ver.doc_sha256 === q.doc && (!q.sig || ver.signature === q.sig);
    var cur = found && st.current && found.version === st.current.version;
    var msg = good
      ? T('Salinan cocok: dokumen dan tanda tangan perangkat KPPS sama dengan versi ' + found.version + ' yang tercatat.',
        'Copy matches: the document and the KPPS device signature equal recorded version ' + found.version + '.') +
        (cur ? '' : T(' Versi ini sudah diganti; lihat riwayat.', ' This version has since been replaced; see the history.'))
      : T('Salinan TIDAK cocok dengan catatan server. Laporkan ke pengawas (Bawaslu).',
        'The copy does NOT match the server\'s record. Report it to the supervisors (Bawaslu).');
    return el('div', msg, 'verify ' + (good ? 'good' : 'badv'), {id: 'verify'});
  }

  function route() {
    var h = parseHash();
    if (h.code.length === 13) showTps(h.code, h.race, h.q);
    else showRegion(h.code, h.race);
  }

  function chrome() {
    R.$('tagline').textContent = T('rekapitulasi suara terbuka dan dapat diverifikasi', 'open, verifiable vote-count recapitulation');
    R.clear(R.$('foot')).appendChild(el('span', [T('Data terbuka: ', 'Open data: '), el('a', 'API', null, {href: '/api/health'}),
      ' · ', el('a', T('log transparansi', 'transparency log'), null, {href: '/api/log/sth'}),
      ' · ', el('a', T('aplikasi KPPS', 'KPPS app'), null, {href: '/kpps/'}),
      ' · ', el('a', T('konsol rekap', 'recap console'), null, {href: '/console/'})]));
  }

  R.$('langbox').appendChild(R.langToggle(function () { chrome(); route(); }));
  chrome();
  window.addEventListener('hashchange', route);
  route();
})();
