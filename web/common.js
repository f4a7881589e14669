// Shared helpers of the three pages (public portal, KPPS app, recap console): DOM building,
// the Bahasa Indonesia / English switch, JSON API calls with the server's bilingual errors,
// number formatting and a small inline-SVG bar chart. No framework: each page stays a few KiB.
'use strict';
(function (root) {
  var LANG_KEY = 'rekap.lang';
  var lang = 'id';
  try { lang = localStorage.getItem(LANG_KEY) === 'en' ? 'en' : 'id'; } catch (e) { /* private mode */ }
  var listeners = [];

  // T('Bahasa Indonesia', 'English'): the text for the current language (Indonesian by default).
  function T(id, en) { return lang === 'en' && en != null ? en : id; }

  function setLang(l) {
    lang = l === 'en' ? 'en' : 'id';
    try { localStorage.setItem(LANG_KEY, lang); } catch (e) { /* ignore */ }
    document.documentElement.lang = lang;
    listeners.forEach(function (f) { f(lang); });
  }

  // A button that flips the language and calls back (each page re-renders itself).
  function langToggle(onChange) {
    if (onChange) listeners.push(onChange);
    var b = el('button', null, 'lang');
    b.type = 'button';
    var paint = function () {
      b.textContent = lang === 'en' ? 'Bahasa Indonesia' : 'English';
      b.setAttribute('aria-label', lang === 'en' ? 'Ganti bahasa' : 'Switch language');
    };
    paint();
    listeners.push(paint);
    b.addEventListener('click', function () { setLang(lang === 'en' ? 'id' : 'en'); });
    document.documentElement.lang = lang;
    return b;
  }

  function $(id) { return document.getElementById(id); }

  // el('div', 'text', 'class', {attr: value}) or el('div', [children], ...).
  function el(tag, content, cls, attrs) {
    var e = document.createElement(tag);
    if (Array.isArray(content)) content.forEach(function (c) { if (c != null) e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    else if (content != null) e.textContent = content;
    if (cls) e.className = cls;
    if (attrs) Object.keys(attrs).forEach(function (k) {
      if (attrs[k] === false || attrs[k] == null) return;
      if (k.slice(0, 2) === 'on') e.addEventListener(k.slice(2), attrs[k]);
      else e.setAttribute(k, attrs[k] === true ? '' : attrs[k]);
    });
    return e;
  }

  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); return e; }

  var SVG = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs) {
    var e = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    return e;
  }

  function fmt(n) { return n == null ? '–' : Number(n).toLocaleString(lang === 'en' ? 'en-US' : 'id-ID'); }

  function pct(a, b, digits) {
    if (!b) return '–';
    var p = 100 * a / b;
    return p.toLocaleString(lang === 'en' ? 'en-US' : 'id-ID', {minimumFractionDigits: digits == null ? 2 : digits,
      maximumFractionDigits: digits == null ? 2 : digits}) + '%';
  }

  // An error that carries the server's answer: .status, .code, .body (parsed JSON).
  function ApiError(status, body) {
    var e = body && body.error ? body.error : {};
    var err = new Error(e.message ? T(e.pesan, e.message) : T('Galat jaringan', 'Network error') + ' (' + status + ')');
    err.status = status;
    err.code = e.code || (status ? 'http_' + status : 'network');
    err.body = body;
    return err;
  }

  // fetch + JSON. opts: {method, body (object or string), token, raw (Blob/ArrayBuffer body), type}.
  function api(url, opts) {
    opts = opts || {};
    var h = {Accept: 'application/json'};
    if (opts.token) h.Authorization = 'Bearer ' + opts.token;
    var body = opts.raw;
    if (opts.body != null) {
      body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
      h['Content-Type'] = 'application/json';
    } else if (opts.type) h['Content-Type'] = opts.type;
    return fetch(url, {method: opts.method || (body != null ? 'POST' : 'GET'), headers: h, body: body,
      cache: 'no-cache'}).then(function (r) {
      return r.text().then(function (t) {
        var j = null;
        try { j = t ? JSON.parse(t) : null; } catch (e) { /* non-JSON (proxy page) */ }
        if (!r.ok) throw ApiError(r.status, j);
        return {status: r.status, body: j};
      });
    }, function () { throw ApiError(0, null); });
  }

  function get(url, token) { return api(url, {token: token}).then(function (r) { return r.body; }); }

  // A horizontal bar chart of votes per candidate as inline SVG (no library, prints well). Drawn
  // for a phone's width (360 units); on a desk it scales up to the CSS max-width.
  function barChart(cands, votes, title) {
    var total = votes.reduce(function (a, b) { return a + b; }, 0);
    var rowH = 42, w = 360, barMax = w - 118, h = cands.length * rowH + 4;
    var s = svg('svg', {viewBox: '0 0 ' + w + ' ' + h, role: 'img', 'class': 'chart'});
    var t = svg('title');
    t.textContent = title || '';
    s.appendChild(t);
    var max = Math.max.apply(null, votes.concat([1]));
    cands.forEach(function (c, i) {
      var y = 2 + i * rowH, bw = Math.max(2, Math.round(barMax * votes[i] / max));
      var lab = svg('text', {x: 0, y: y + 14, 'font-size': 13, fill: '#1b1f24'});
      var name = c.ballot_no + '. ' + (c.kolom_kosong ? T('Kolom kosong', 'Empty column') : c.name);
      lab.textContent = name.length > 46 ? name.slice(0, 45) + '…' : name;
      s.appendChild(lab);
      s.appendChild(svg('rect', {x: 0, y: y + 20, width: bw, height: 16, rx: 3,
        fill: /^#[0-9A-Fa-f]{6}$/.test(c.color) ? c.color : '#777'}));
      var val = svg('text', {x: bw + 6, y: y + 33, 'font-size': 13, fill: '#1b1f24', 'font-weight': 700});
      val.textContent = pct(votes[i], total, 1) + ' · ' + fmt(votes[i]);
      s.appendChild(val);
    });
    return s;
  }

  // A labelled progress bar: done of total.
  function progressBar(done, total, label) {
    var p = total ? Math.min(100, 100 * done / total) : 0;
    var wrap = el('div', null, 'progress', {role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': total,
      'aria-valuenow': done, 'aria-label': label});
    var bar = el('div', null, 'bar');
    bar.style.width = p.toFixed(2) + '%';
    wrap.appendChild(bar);
    return el('div', [el('div', label + ': ' + fmt(done) + ' / ' + fmt(total) + ' (' + pct(done, total, 1) + ')', 'progress-label'), wrap]);
  }

  // Local time of a millisecond timestamp.
  function when(ms) {
    if (!ms) return '–';
    return new Date(ms).toLocaleString(lang === 'en' ? 'en-GB' : 'id-ID', {dateStyle: 'medium', timeStyle: 'short'});
  }

  // Names of soft/hard rule codes for flag chips.
  var FLAG_NAMES = {
    A1_TURNOUT_FULL: ['Partisipasi ≥ 100%', 'Turnout ≥ 100%'],
    A2_TURNOUT_HIGH: ['Partisipasi > 95%', 'Turnout > 95%'],
    A3_ONE_COLUMN_ALL: ['Semua suara satu kolom', 'All votes in one column'],
    A4_INVALID_HIGH: ['Suara tidak sah > 10%', 'Invalid votes > 10%'],
    A5_NO_VOTES: ['Tidak ada suara', 'No votes'],
    A6_DPT_REGISTRY: ['DPT beda dengan daftar', 'DPT differs from registry'],
    R8_RESERVE_UNDER: ['Surat suara < DPT', 'Ballots < DPT']
  };
  function flagChips(flags) {
    var list = (flags || '').split(',').filter(Boolean);
    return el('span', list.map(function (f) {
      var n = FLAG_NAMES[f];
      return el('span', n ? T(n[0], n[1]) : f, 'chip warn', {title: f});
    }), 'chips');
  }

  root.R = {T: T, setLang: setLang, lang: function () { return lang; }, langToggle: langToggle, $: $, el: el,
    clear: clear, svg: svg, fmt: fmt, pct: pct, api: api, get: get, ApiError: ApiError, barChart: barChart,
    progressBar: progressBar, when: when, flagChips: flagChips};
})(self);
