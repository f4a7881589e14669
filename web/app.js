// rekap landing page: drill down the region tree (provinsi -> kab/kota -> kecamatan -> desa ->
// TPS) through /api/regions, and show the races and candidates that concern a region through
// /api/races. Plain DOM, no framework, no build step: it must stay fast on a cheap phone.
'use strict';
(function () {
  var $ = function (id) { return document.getElementById(id); };
  var LEVELS = [['provinsi', 'Provinsi', 'provinces'], ['kabkota', 'Kab/Kota', 'regencies/cities'],
    ['kecamatan', 'Kecamatan', 'districts'], ['desa', 'Desa/Kel.', 'villages'],
    ['tps', 'TPS', 'polling stations']];
  var fmt = function (n) { return Number(n).toLocaleString('id-ID'); };

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text != null) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }

  function get(url) {
    return fetch(url, {headers: {Accept: 'application/json'}}).then(function (r) {
      return r.json().then(function (j) {
        if (!r.ok) throw new Error(j.error ? j.error.pesan + ' / ' + j.error.message : r.status);
        return j;
      });
    });
  }

  function showError(e) {
    $('err').hidden = false;
    $('err').textContent = 'Galat / error: ' + e.message;
  }

  function link(code, name) {
    var a = el('a', name);
    a.href = '#' + code;
    return a;
  }

  function renderRegion(d) {
    var r = d.region;
    document.title = (r.code ? r.name + ' — ' : '') + 'rekap';
    var nav = $('crumb');
    nav.textContent = '';
    if (r.code) {
      nav.appendChild(link('', 'Indonesia'));
      d.breadcrumb.forEach(function (b) {
        nav.appendChild(document.createTextNode(' › '));
        nav.appendChild(link(b.code, b.name));
      });
    }
    $('title').textContent = r.name + (r.code ? ' (' + r.level_name + ' ' + r.code + ')' : '');
    var t = $('counts');
    t.textContent = '';
    LEVELS.forEach(function (l) {
      if (d.counts[l[0]] == null) return;
      var tr = el('tr');
      tr.appendChild(el('td', l[1] + ' / ' + l[2]));
      tr.appendChild(el('td', fmt(d.counts[l[0]]), 'n'));
      t.appendChild(tr);
    });
    var tr = el('tr');
    tr.appendChild(el('td', 'DPT (L / P) / registered voters'));
    tr.appendChild(el('td', fmt(d.dpt.total) + ' (' + fmt(d.dpt.l) + ' / ' + fmt(d.dpt.p) + ')', 'n'));
    t.appendChild(tr);
    var ul = $('kids');
    ul.textContent = '';
    $('kidsh').hidden = d.children.length === 0;
    if (d.children.length) $('kidsh').textContent = d.children[0].level_name + ' (' + d.children.length + ')';
    var frag = document.createDocumentFragment();
    d.children.forEach(function (c) {
      var li = el('li');
      var label = c.name + (c.dpt_l != null ? ' — DPT ' + fmt(c.dpt_l + c.dpt_p) : '');
      li.appendChild(link(c.code, label));
      frag.appendChild(li);
    });
    ul.appendChild(frag);
  }

  function renderRaces(d) {
    var box = $('races');
    box.textContent = '';
    if (!d.races.length) return;
    box.appendChild(el('h2', 'Kontestasi / races (' + d.races.length + ')'));
    d.races.forEach(function (race) {
      var div = el('div', null, 'race');
      div.appendChild(el('strong', race.name));
      if (race.single_candidate) div.appendChild(el('small', ' — calon tunggal / single candidate'));
      var ol = el('ol');
      race.candidates.forEach(function (c) {
        var li = el('li', null, c.kolom_kosong ? 'kk' : '');
        li.value = c.ballot_no;
        var sw = el('span', null, 'sw');
        if (/^#[0-9A-Fa-f]{6}$/.test(c.color)) sw.style.background = c.color;
        li.appendChild(sw);
        li.appendChild(document.createTextNode(c.kolom_kosong ? 'Kolom kosong / empty column' : c.name));
        ol.appendChild(li);
      });
      div.appendChild(ol);
      box.appendChild(div);
    });
  }

  function load() {
    var code = location.hash.slice(1).replace(/[^0-9.]/g, '');
    $('err').hidden = true;
    get('/api/regions' + (code ? '/' + code : '')).then(renderRegion).catch(showError);
    // At the national root every race in the country concerns the region: too long a list for a
    // phone, so races are shown from the province down.
    $('races').textContent = '';
    if (!code) return;
    var slug = $('el').value;
    get('/api/races?region=' + code + (slug ? '&election=' + encodeURIComponent(slug) : ''))
      .then(renderRaces).catch(showError);
  }

  get('/api/elections').then(function (d) {
    d.elections.forEach(function (e) {
      var o = el('option', e.name + ' (' + e.slug + ')');
      o.value = e.slug;
      $('el').appendChild(o);
    });
  }).catch(showError);
  $('el').addEventListener('change', load);
  window.addEventListener('hashchange', load);
  load();
})();
