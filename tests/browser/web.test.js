// Browser test of rekap's web pages (run by tests/browser/web.sh, which builds the store and
// starts the server). Steps, each asserting what a person would see and what the server then
// holds:
//   0. seed: a few KPPS uploads signed in node with the same web/chasil.js the browser uses; a
//      document breaking the rules is sent too, and the server's 422 list must equal the
//      browser-side validator's, code for code and message for message;
//   1. KPPS app: log in (device key registered), photograph both pages: a blank sheet is refused
//      (422) and page 2 in page 1's slot too (409), each with a message; the printed pages are
//      read by the digit reader (POST /api/read) and pre-fill the numbers, a box the pen missed is
//      flagged, highlighted on the photo and blocks review until typed; a wrong sum shows its rule
//      message live; go offline, sign and send: the form waits as
//      "antre"; back online it uploads by itself; the receipt QR loads; a resend is a duplicate;
//      the app opens again with no network (service worker); a second version queued offline
//      is refused ("ditolak", with the reason) once the PPK has corrected and approved, while
//      the other race's form, queued offline beside it, goes out in the same request and is
//      accepted; with every page closed, a form queued offline is sent by the service worker
//      (Background Sync) when the signal returns, and the reopened app shows its receipt, whose
//      QR code shows with no signal (fetched on acceptance);
//   2. recap console: Bawaslu files an objection (keberatan) to a version, with a reason (no
//      approve, no correct); the PPK sees it in the review, then keyboard review, a correction
//      with a reason, approval, filters;
//   3. public portal: province totals equal the API's, the TPS page shows the history with the
//      reason and a Bawaslu objection, the witness check of a receipt, the English switch, CSV
//      download.
'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const {chromium} = require('playwright-core');

const BASE = process.env.REKAP_URL;
const TMP = process.env.REKAP_TMP;
const SHOTS = process.env.REKAP_SHOTS;
const TPS = process.env.KPPS_TPS;
const Chasil = require(path.join(process.env.REKAP_WEB, 'chasil.js'));
const t0 = Date.now();

function log(msg) { console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`); }

async function api(p, opts = {}) {
  const h = {Accept: 'application/json'};
  if (opts.token) h.Authorization = 'Bearer ' + opts.token;
  let body = opts.body;
  if (body != null && typeof body !== 'string') body = JSON.stringify(body);
  if (body != null) h['Content-Type'] = 'application/json';
  const r = await fetch(BASE + p, {method: opts.method || (body != null ? 'POST' : 'GET'), headers: h, body});
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch (e) { /* CSV or empty */ }
  return {status: r.status, json, text, headers: r.headers};
}

// A rule-abiding C.Hasil for a TPS of the given registry DPT; turnout as a fraction.
function makeDoc(tps, race, dptL, dptP, turnout) {
  const d = {v: 1, type: 'chasil', election: 'pilkada2024', race, tps, paslon: 2, kolom_kosong: false};
  const b1l = Math.floor(dptL * turnout), b1p = Math.floor(dptP * turnout);
  Object.assign(d, {pemilih_dpt_l: dptL, pemilih_dpt_p: dptP, pemilih_dpt_j: dptL + dptP,
    pengguna_dpt_l: b1l, pengguna_dpt_p: b1p, pengguna_dpt_j: b1l + b1p,
    pengguna_dptb_l: 1, pengguna_dptb_p: 1, pengguna_dptb_j: 2, pengguna_dpk_l: 0, pengguna_dpk_p: 1, pengguna_dpk_j: 1});
  d.pengguna_total_l = b1l + 1;
  d.pengguna_total_p = b1p + 2;
  d.pengguna_total_j = d.pengguna_total_l + d.pengguna_total_p;
  const dpt = dptL + dptP;
  d.ss_diterima = dpt + Math.ceil(dpt * 0.025);
  d.ss_digunakan = d.pengguna_total_j;
  d.ss_rusak = 1;
  d.ss_sisa = d.ss_diterima - d.ss_digunakan - 1;
  Object.assign(d, {disabilitas_l: 1, disabilitas_p: 0, disabilitas_j: 1});
  d.suara_tidak_sah = 3;
  d.suara_sah = d.pengguna_total_j - 3;
  d.suara_paslon_1 = Math.round(d.suara_sah * 0.58);
  d.suara_paslon_2 = d.suara_sah - d.suara_paslon_1;
  d.suara_total = d.pengguna_total_j;
  return d;
}

async function seed() {
  const lines = fs.readFileSync(path.join(TMP, 'seed.csv'), 'utf8').trim().split('\n').slice(1);
  let flagged = 0;
  for (let i = 0; i < lines.length; i++) {
    const [username, password] = lines[i].split(',');
    const tps = username.replace(/^kpps-/, '');
    const login = await api('/api/login', {body: {username, password}});
    assert.equal(login.status, 200, 'seed login');
    const token = login.json.token;
    const pair = await crypto.subtle.generateKey({name: 'Ed25519'}, false, ['sign', 'verify']);
    const pub = Chasil.hex(await crypto.subtle.exportKey('raw', pair.publicKey));
    const dev = await api('/api/devices', {token, body: {public_key: pub}});
    assert.equal(dev.status, 201, 'device registration');
    const reg = (await api('/api/regions/' + tps)).json.region;
    if (i === 0) {
      // A form that breaks hard rules: the server's verdict must be what the browser shows.
      const bad = makeDoc(tps, 1, reg.dpt_l, reg.dpt_p, 0.7);
      bad.suara_sah += 2;
      bad.ss_diterima += 40;
      bad.pemilih_dpt_l += 1;
      const s = await Chasil.sign(bad, [], null, dev.json.key_id, pair.privateKey);
      const r = await api('/api/submissions', {body: s.body});
      assert.equal(r.status, 422, 'bad form is refused: ' + r.text);
      const mine = Chasil.validate(bad, Chasil.contextFor('pilkada', reg));
      assert.ok(mine.length >= 5, 'several rules broken');
      assert.deepEqual(r.json.error.violations, mine, 'server and browser validators agree');
    }
    // The last seeded TPS gets a very high turnout: accepted but flagged.
    const high = i === lines.length - 1;
    const doc = makeDoc(tps, 1, reg.dpt_l, reg.dpt_p, high ? 0.97 : 0.6 + 0.05 * i);
    const s = await Chasil.sign(doc, [], null, dev.json.key_id, pair.privateKey);
    const r = await api('/api/submissions', {body: s.body});
    assert.equal(r.status, 201, 'seed upload: ' + r.text);
    assert.equal(r.json.doc_sha256, s.docHash, 'the browser-side canonical JSON hashes like the server\'s');
    if (high) { assert.match(r.json.flags, /A2_TURNOUT_HIGH/); flagged++; }
  }
  log(`seeded ${lines.length} TPS uploads (${flagged} flagged); validators agree`);
  return {count: lines.length, flagged};
}

let lastPage = null; // for a screenshot when a step fails

function watch(page, name) {
  lastPage = page;
  const errors = [];
  page.on('pageerror', (e) => { errors.push(`${name}: ${e.message}`); console.error(`${name} page error: ${e.stack || e.message}`); });
  page.on('console', (m) => { if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(`${name} console: ${m.text()}`); });
  return errors;
}

async function shot(page, name) {
  await page.screenshot({path: path.join(SHOTS, name + '.png'), fullPage: true});
}

// A copy of a PNG with white rectangles [x, y, w, h] painted over it (a box the pen missed, a
// blank sheet), drawn by the browser's canvas; returns the new file's path.
async function doctor(browser, src, rects, name) {
  const p = await browser.newPage();
  const out = await p.evaluate(async ([b64, rects]) => {
    const img = new Image();
    img.src = 'data:image/png;base64,' + b64;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.width;
    c.height = img.height;
    const g = c.getContext('2d');
    g.drawImage(img, 0, 0);
    g.fillStyle = '#fff';
    for (const r of rects) g.fillRect(r[0], r[1], r[2], r[3]);
    return c.toDataURL('image/png').split(',')[1];
  }, [fs.readFileSync(src).toString('base64'), rects]);
  await p.close();
  const file = path.join(TMP, name);
  fs.writeFileSync(file, Buffer.from(out, 'base64'));
  return file;
}

// The inputs of the open KPPS form: value and whether it is marked as doubted by the reader.
function formInputs(page) {
  return page.evaluate(() => {
    const o = {};
    document.querySelectorAll('input[data-f]').forEach((i) => { o[i.dataset.f] = {v: i.value, doubt: i.classList.contains('doubt')}; });
    return o;
  });
}

// The KPPS officer's form: the numbers of fill.json (the photographed pages) and the rest.
const KPPS_DOC = {pemilih_dpt_l: 218, pemilih_dpt_p: 208, pemilih_dpt_j: 426,
  pengguna_dpt_l: 150, pengguna_dpt_p: 146, pengguna_dpt_j: 296, pengguna_dptb_l: 3, pengguna_dptb_p: 2, pengguna_dptb_j: 5,
  pengguna_dpk_l: 2, pengguna_dpk_p: 3, pengguna_dpk_j: 5, pengguna_total_l: 155, pengguna_total_p: 151, pengguna_total_j: 306,
  ss_diterima: 437, ss_digunakan: 306, ss_rusak: 2, ss_sisa: 129, disabilitas_l: 2, disabilitas_p: 1, disabilitas_j: 3,
  suara_paslon_1: 180, suara_paslon_2: 120, suara_sah: 300, suara_tidak_sah: 6, suara_total: 306};

async function kpps(browser) {
  const ctx = await browser.newContext({viewport: {width: 390, height: 844}, hasTouch: true, isMobile: true, deviceScaleFactor: 1});
  const page = await ctx.newPage();
  const errors = watch(page, 'kpps');
  await page.goto(BASE + '/kpps/');
  await page.fill('#u', 'kpps1');
  await page.fill('#p', 'kpps-sandi-rahasia');
  await shot(page, '01-kpps-login');
  await page.click('#login');
  await page.waitForSelector('[data-race="1"]');
  await shot(page, '02-kpps-home');
  const key = await page.evaluate(() => new Promise((ok) => {
    const rq = indexedDB.open('rekap-kpps');
    rq.onsuccess = () => {
      const g = rq.result.transaction('kv').objectStore('kv').get('device');
      g.onsuccess = () => ok({keyId: g.result.keyId, extractable: g.result.privateKey.extractable, alg: g.result.privateKey.algorithm.name});
    };
  }));
  assert.match(key.keyId, /^[0-9a-f]{16}$/, 'device key registered');
  assert.equal(key.extractable, false, 'private key is not extractable');
  assert.equal(key.alg, 'Ed25519');
  log('kpps: logged in, device key ' + key.keyId);

  await page.click('[data-fill="1"]');
  await page.waitForSelector('input[data-f="suara_total"]');
  const page1 = path.join(TMP, 'page1.png'), page2 = path.join(TMP, 'page2.png');

  // The reader through the API: what it makes of the printed page 1, to know where its boxes are.
  const token = await page.evaluate(() => JSON.parse(localStorage.getItem('rekap.kpps.token')));
  const rr = await fetch(`${BASE}/api/read?page=1&tps=${TPS}`, {method: 'POST', headers: {Authorization: 'Bearer ' + token},
    body: fs.readFileSync(page1)});
  assert.equal(rr.status, 200, 'the server reads the printed page');
  const clean = await rr.json();
  assert.equal(clean.race_id, 1);
  assert.equal(clean.photo.width, 1240);
  for (const f of clean.fields) if (!f.needs_review) assert.equal(f.value, KPPS_DOC[f.name], 'read as printed: ' + f.name);
  // Page 1 as it might come back from a polling station: the pen missed the units box of
  // disabilitas_l. And a sheet with nothing on it.
  const q = clean.fields.find((f) => f.name === 'disabilitas_l').digits[2].box;
  const missed = await doctor(browser, page1, [[q[0][0] + 3, q[0][1] + 3, q[1][0] - q[0][0] - 6, q[3][1] - q[0][1] - 6]], 'page1-missed.png');
  const white = await doctor(browser, page1, [[0, 0, 5000, 5000]], 'white.png');

  // Not a form: refused with the reason, nothing filled in, the officer can type.
  await page.setInputFiles('input[data-page="0"]', white);
  await page.waitForSelector('#read-banner .line[data-page="1"][data-state="err"]');
  assert.match(await page.textContent('#read-banner'), /Foto tidak terbaca: .*Ambil foto lagi/);
  assert.equal(await page.inputValue('input[data-f="pemilih_dpt_l"]'), '');
  await shot(page, '03-kpps-read-refused');
  // Page 2 in page 1's slot: the server says which page it is.
  await page.setInputFiles('input[data-page="0"]', page2);
  await page.waitForFunction(() => /halaman lain/.test(document.getElementById('read-banner').textContent));
  assert.equal(await page.inputValue('input[data-f="suara_total"]'), '', 'a refused page fills nothing in');
  // The right pages: page 2 as printed, page 1 with the missed box.
  await page.setInputFiles('input[data-page="1"]', page2);
  await page.waitForSelector('.overlay[data-page="2"] .fbox[data-f="suara_total"]');
  await page.setInputFiles('input[data-page="0"]', missed);
  await page.waitForSelector('.overlay[data-page="1"] .fbox[data-f="disabilitas_l"]');
  await page.waitForFunction(() => document.querySelectorAll('.page.has img').length === 2);
  const got = await formInputs(page);
  const flagged = [];
  for (const [f, v] of Object.entries(KPPS_DOC)) {
    if (got[f].doubt) flagged.push(f);
    else assert.equal(got[f].v, String(v), f + ': pre-filled with the value printed');
  }
  assert.ok(flagged.includes('disabilitas_l'), 'the missed box is flagged: ' + flagged);
  assert.equal(got.disabilitas_l.v, '', 'an unreadable number is left for the officer');
  assert.equal(await page.locator('.overlay .fbox.doubt[data-f="disabilitas_l"] .digit.doubt[data-digit="2"]').count(), 1,
    'the missed digit is highlighted on the photo');
  assert.equal(await page.locator('[data-reading="disabilitas_l"] .d.doubt[data-digit="2"]').count(), 1,
    'and under its box');
  assert.equal(await page.locator('.overlay .fbox.doubt').count(), flagged.length, 'every flagged number is yellow on the photo');
  assert.match(await page.textContent('#read-doubt'), new RegExp('Periksa angka yang ditandai kuning \\(' + flagged.length + '\\)'));
  assert.equal(await page.isDisabled('#review'), true, 'doubted numbers block the review');
  assert.match(await page.textContent('#summary'), /angka bertanda kuning belum diperiksa/);
  // The reader got the camera's file, not the 1600 px copy that is uploaded and signed.
  const rd = await page.evaluate(() => new Promise((ok) => {
    const rq = indexedDB.open('rekap-kpps');
    rq.onsuccess = () => {
      const g = rq.result.transaction('drafts').objectStore('drafts').get(1);
      g.onsuccess = () => ok({w: g.result.readings.map((x) => x && x.w)});
    };
  }));
  assert.deepEqual(rd.w, [1240, 1240]);
  await page.locator('.overlay[data-page="1"] .fbox[data-f="disabilitas_l"]').scrollIntoViewIfNeeded();
  await shot(page, '04-kpps-read-doubt');
  // Zoomed in on the photo, scrolled to the numbers' boxes (right half of the page).
  await page.click('#zoom');
  await page.evaluate(() => { const r = document.getElementById('reading-photo'); r.scrollLeft = r.scrollWidth; });
  await page.locator('.overlay[data-page="1"] .fbox[data-f="disabilitas_l"]').scrollIntoViewIfNeeded();
  await page.screenshot({path: path.join(SHOTS, '04-kpps-read-doubt-zoom.png')});
  await page.click('#zoom');
  log(`kpps: pages read; flagged ${flagged.join(', ')}`);

  // The officer answers each flag: a number read right is confirmed, a wrong or missing one typed.
  let confirmed = 0;
  for (const f of flagged) {
    assert.equal(await page.isDisabled('#review'), true);
    if (got[f].v === String(KPPS_DOC[f])) { await page.click(`[data-confirm="${f}"]`); confirmed++; }
    else await page.fill(`input[data-f="${f}"]`, String(KPPS_DOC[f]));
    assert.equal(await page.locator(`input[data-f="${f}"].doubt`).count(), 0);
  }
  assert.equal(await page.locator('#read-doubt').count(), 0, 'no yellow left');
  await shot(page, '05-kpps-read-checked');
  log(`kpps: ${confirmed} confirmed, ${flagged.length - confirmed} typed`);

  await page.fill('input[data-f="suara_sah"]', '302');
  // A wrong sum is explained right away, in Indonesian, next to the numbers, and blocks sending.
  const msg = page.locator('li[data-code="R3_SAH_SUM"]');
  await msg.waitFor();
  assert.match(await msg.textContent(), /Jumlah suara sah \(302\) harus sama dengan jumlah suara semua paslon \(300 = 180 \+ 120\)/);
  assert.equal(await page.isDisabled('#review'), true, 'cannot send a form that does not add up');
  assert.equal(await page.getAttribute('input[data-f="suara_sah"]', 'class'), 'bad');
  await page.locator('[data-sec="V"]').scrollIntoViewIfNeeded();
  await shot(page, '06-kpps-form-error');
  await page.fill('input[data-f="suara_sah"]', '300');
  await page.waitForFunction(() => !document.querySelector('li.hard'));
  assert.equal(await page.isDisabled('#review'), false);

  // No signal: the signed form waits in IndexedDB.
  await ctx.setOffline(true);
  await page.click('#review');
  assert.match(await page.textContent('#from-photo'), /angka diisi dari foto/);
  assert.equal(await page.locator('.confirm .tag.checked').count(), flagged.length, 'the numbers the officer checked are marked');
  await page.check('#agree');
  await shot(page, '07-kpps-confirm');
  await page.click('#send');
  await page.waitForSelector('[data-race="1"] [data-status="antre"]');
  await page.waitForTimeout(800);
  assert.equal(await page.locator('[data-race="1"] [data-status="antre"]').count(), 1, 'still queued while offline');
  assert.equal((await api(`/api/tps/${TPS}/races/1`)).json.current, null, 'nothing reached the server offline');
  await shot(page, '08-kpps-queued-offline');
  log('kpps: form queued offline');

  // Signal back: it goes out by itself.
  await ctx.setOffline(false);
  await page.waitForSelector('[data-race="1"] [data-status="diterima"]', {timeout: 20000});
  const st = (await api(`/api/tps/${TPS}/races/1`)).json;
  assert.equal(st.current.version, 1);
  for (const [f, v] of Object.entries(KPPS_DOC)) assert.equal(st.current.document[f], v, f);
  const v1 = (await api(`/api/tps/${TPS}/races/1/versions/1`)).json;
  assert.equal(v1.photos.length, 2, 'both page photos bound to the signed statement');
  for (const h of v1.photos) {
    const ph = await fetch(`${BASE}/api/photos/${h}`);
    assert.equal(ph.status, 200);
    assert.equal(ph.headers.get('content-type'), 'image/jpeg');
    const bytes = new Uint8Array(await ph.arrayBuffer());
    assert.equal(Chasil.hex(await crypto.subtle.digest('SHA-256', bytes)), h, 'photo stored under its hash');
  }
  assert.match(v1.device, /^[0-9a-f]{16}$/);
  log('kpps: uploaded by itself after going online');

  // Resending is harmless.
  const queued = await page.evaluate(() => rekapQueue().then((a) => a.map((i) => ({body: i.body, status: i.status, sig: i.signature}))));
  assert.equal(queued.length, 1);
  assert.equal(queued[0].status, 'diterima');
  assert.equal(queued[0].sig, v1.signature);
  const again = await api('/api/submissions', {body: queued[0].body});
  assert.equal(again.status, 200);
  assert.equal(again.json.duplicate, true);

  // Receipt with the witness QR.
  await shot(page, '09-kpps-accepted');
  await page.click('[data-race="1"] button.primary');
  await page.waitForFunction(() => { const q = document.getElementById('qr'); return q && q.complete && q.naturalWidth > 100; });
  const link = await page.getAttribute('#publink', 'href');
  assert.ok(link.includes(`/#/${TPS}/1?doc=${v1.doc_sha256}&sig=${v1.signature}`), link);
  const qr = await fetch(BASE + (await page.getAttribute('#qr', 'src')));
  assert.equal(qr.headers.get('content-type'), 'image/svg+xml');
  await shot(page, '10-kpps-receipt');

  // The app starts with no network at all.
  await page.evaluate(() => navigator.serviceWorker.ready);
  await ctx.setOffline(true);
  await page.reload();
  await page.waitForSelector('[data-race="1"] [data-status="diterima"]');
  await ctx.setOffline(false);
  log('kpps: receipt QR ok; app reopens offline');
  assert.deepEqual(errors, []);
  return {link, v1, ctx, page, errors};
}

// Offline again, the officer sends a second version of race 1; it waits in the queue while the
// PPK corrects and approves the TPS, and is refused when the network returns.
async function kppsStaleFix(k) {
  await k.ctx.setOffline(true);
  await k.page.click('[data-fill="1"]');
  await k.page.waitForSelector('input[data-f="suara_total"]');
  for (const p of [0, 1]) {
    await k.page.setInputFiles(`input[data-page="${p}"]`, path.join(TMP, `page${p + 1}.png`));
    await k.page.waitForFunction((n) => document.querySelectorAll('.page.has img').length >= n, p + 1);
  }
  // No signal, no reading: the officer is told so and types.
  await k.page.waitForSelector('#read-banner .line[data-page="2"][data-state="off"]');
  assert.match(await k.page.textContent('#read-banner'), /Tidak ada sinyal: angka belum dibaca dari foto/);
  assert.equal(await k.page.inputValue('input[data-f="suara_total"]'), '');
  const doc = Object.assign({}, KPPS_DOC, {suara_paslon_1: 181, suara_paslon_2: 119});
  for (const [f, v] of Object.entries(doc)) await k.page.fill(`input[data-f="${f}"]`, String(v));
  await k.page.click('#review');
  await k.page.waitForSelector('#send');
  assert.match(await k.page.textContent('main'), /Tidak ada sinyal: formulir ditandatangani dan disimpan/);
  await k.page.check('#agree');
  await k.page.click('#send');
  await k.page.waitForSelector('[data-race="1"] [data-status="antre"]');

  // Still without signal, the regent's race too: both forms now wait together.
  const other = (await k.page.$$eval('[data-fill]', (els) => els.map((e) => e.dataset.fill))).find((id) => id !== '1');
  assert.ok(other, 'the TPS holds a second race');
  await fillOther(k.page, other, [180, 120]);
  k.other = other;
}

// Fills the regent's (or mayor's) race offline, the pairs' votes as given, and sends it: queued.
async function fillOther(page, other, votes) {
  await page.click(`[data-fill="${other}"]`);
  await page.waitForSelector('input[data-f="suara_total"]');
  for (const p of [0, 1]) {
    await page.setInputFiles(`input[data-page="${p}"]`, path.join(TMP, `page${p + 1}.png`));
    await page.waitForFunction((n) => document.querySelectorAll('.page.has img').length >= n, p + 1);
  }
  const pairs = await page.$$eval('input[data-f^="suara_paslon_"]', (els) => els.map((e) => e.dataset.f));
  assert.ok(pairs.length >= 2, 'a race has at least two columns (a pair and kolom kosong)');
  for (const [f, v] of Object.entries(KPPS_DOC))
    if (!f.startsWith('suara_paslon_')) await page.fill(`input[data-f="${f}"]`, String(v));
  for (const [i, f] of pairs.entries()) await page.fill(`input[data-f="${f}"]`, String(votes[i] || 0));
  await page.click('#review');
  await page.waitForSelector('#send');
  await page.check('#agree');
  await page.click('#send');
  await page.waitForSelector(`[data-race="${other}"] [data-status="antre"]`);
}

async function kppsRejected(k) {
  // From the page or from the service worker (a Background Sync may win the race to send them).
  const posts = [];
  k.ctx.on('request', (r) => { if (r.method() === 'POST' && r.url().endsWith('/api/submissions')) posts.push(r.postData()); });
  await k.ctx.setOffline(false);
  await k.page.waitForSelector('[data-race="1"] [data-status="ditolak"]', {timeout: 20000});
  await k.page.waitForSelector(`[data-race="${k.other}"] [data-status="diterima"]`, {timeout: 20000});
  // Both waiting forms went out in one request, and each got its own answer.
  assert.equal(posts.length, 1, 'one request for the two queued forms');
  const sent = JSON.parse(posts[0]);
  assert.ok(Array.isArray(sent) && sent.length === 2, 'a JSON array of the two signed forms');
  assert.deepEqual(sent.map((x) => String(x.document.race)).sort(), ['1', k.other].sort());
  const st2 = (await api(`/api/tps/${TPS}/races/${k.other}`)).json;
  assert.equal(st2.current.version, 1, 'the other race was accepted in the same request');
  assert.equal(st2.current.document.suara_sah, 300);
  log('kpps: the two forms queued offline went out in one request, each answered on its own');
  const reason = await k.page.textContent('[data-race="1"] .reason');
  assert.ok(reason.length > 10, 'the refusal says why: ' + reason);
  const st = (await api(`/api/tps/${TPS}/races/1`)).json;
  assert.equal(st.current.version, 2, 'a stale upload cannot replace the approved correction');
  await shot(k.page, '11-kpps-rejected');
  log('kpps: stale upload refused after approval: ' + reason);
  assert.deepEqual(k.errors, []);
}

// Background Sync: a form signed with no signal goes out when the signal returns although the
// app was closed: the service worker sends it. Then the reopened app shows the receipt.
async function kppsBackgroundSync(k) {
  await k.ctx.setOffline(true);
  await fillOther(k.page, k.other, [170, 130]);
  const tags = await k.page.evaluate(() => navigator.serviceWorker.ready.then((r) => r.sync.getTags()));
  assert.deepEqual(tags, ['rekap-outbox'], 'the queued form asked for a Background Sync');
  const before = (await api(`/api/tps/${TPS}/races/${k.other}`)).json.current.version;
  await k.page.close();
  assert.equal(k.ctx.pages().length, 0, 'no page of the app is open');
  const posts = [];
  k.ctx.on('request', (r) => {
    if (r.method() === 'POST' && r.url().endsWith('/api/submissions')) posts.push(r.serviceWorker() ? 'worker' : 'page');
  });
  await k.ctx.setOffline(false);
  let st = null;
  for (let i = 0; i < 100; i++) {
    st = (await api(`/api/tps/${TPS}/races/${k.other}`)).json;
    if (st.current.version > before) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal(st.current.version, before + 1, 'the service worker sent the form with the app closed');
  assert.equal(st.current.document.suara_paslon_1, 170);
  assert.ok(posts.length >= 1 && posts.every((w) => w === 'worker'), 'sent by the worker: ' + posts.join(','));
  log(`kpps: background sync sent race ${k.other} v${st.current.version} with the app closed`);
  // The app, opened again, shows the receipt and knows the new version.
  const page = await k.ctx.newPage();
  const errors = watch(page, 'kpps');
  await page.goto(BASE + '/kpps/');
  await page.waitForSelector(`[data-race="${k.other}"] [data-status="diterima"]`);
  // Bawaslu's objection to race 1 (bawasluObjects) is shown to the officer too.
  await page.waitForSelector('[data-race="1"] .objection');
  assert.ok((await page.textContent('[data-race="1"] .objection')).includes(OBJECTION), 'the officer sees the objection');
  const state = await page.evaluate(() => JSON.parse(localStorage.getItem('rekap.kpps.state')));
  assert.equal(state[k.other].version, before + 1);
  const q = await page.evaluate(() => rekapQueue());
  const last = q.filter((it) => String(it.race) === String(k.other)).pop();
  assert.equal(last.status, 'diterima');
  assert.equal(last.receipt.version, before + 1);
  await shot(page, '11b-kpps-background-sync');
  // Its receipt's QR code, opened where there is no signal: the worker fetched it on acceptance.
  await k.ctx.setOffline(true);
  await page.click(`[data-race="${k.other}"] button.primary`);
  await page.waitForFunction(() => { const q = document.getElementById('qr'); return q && q.complete; });
  assert.ok(await page.evaluate(() => document.getElementById('qr').naturalWidth > 100), 'the QR code shows offline');
  await shot(page, '11c-kpps-receipt-offline');
  await k.ctx.setOffline(false);
  log('kpps: that receipt\'s QR code shows offline');
  assert.deepEqual(errors, []);
  await k.ctx.close();
}

// Bawaslu objects to the KPPS's version 1 of race 1 (keberatan) in the recap console: the PPK
// sees it when reviewing the TPS, the portal shows it, and the TPS's numbers and state do not
// move; a PPK may not object (it corrects).
const OBJECTION = 'PTPS mencatat dua surat suara sah dihitung tidak sah';
async function bawasluObjects(browser) {
  const before = (await api(`/api/tps/${TPS}/races/1`)).json;
  // In the recap console, Bawaslu reviews and objects; it has no approve or correct.
  const {ctx, page, errors} = await consoleLogin(browser, 'bawaslu1', 'bawaslu-sandi-rahasia');
  await page.keyboard.press('j');
  await page.waitForSelector(`#list tr.sel[data-tps="${TPS}"]`);
  await page.waitForSelector('#obj-reason');
  assert.equal(await page.locator('#approve, #correct').count(), 0, 'Bawaslu neither approves nor corrects');
  await page.keyboard.press('c');
  assert.equal(await page.locator('#numbers input').count(), 0, 'nor edits numbers from the keyboard');
  await page.selectOption('#obj-version', '1');
  await page.fill('#obj-reason', 'terlalu');
  assert.equal(await page.isDisabled('#object'), true, 'a reason is required');
  await page.fill('#obj-reason', OBJECTION);
  await page.click('#object');
  await page.waitForFunction((w) => { const o = document.getElementById('objections'); return o && o.textContent.includes(w); }, OBJECTION);
  await shot(page, '11d-console-bawaslu-objection');
  assert.deepEqual(errors, []);
  await ctx.close();
  const obs = (await api(`/api/tps/${TPS}/races/1`)).json.objections;
  assert.equal(obs.length, 1);
  const ob = {json: obs[0]};
  assert.equal(ob.json.actor, 'bawaslu1');
  assert.equal(ob.json.version, 1);
  const ppk = await api('/api/login', {body: {username: 'ppk1', password: 'ppk-sandi-rahasia'}});
  const no = await api(`/api/tps/${TPS}/races/1/objections`, {token: ppk.json.token, body: {version: 1, reason: OBJECTION}});
  assert.equal(no.status, 403, 'a PPK does not object: it corrects');
  const after = (await api(`/api/tps/${TPS}/races/1`)).json;
  assert.deepEqual(after.state, before.state, 'an objection moves no state');
  assert.deepEqual(after.current, before.current, 'nor any number');
  assert.equal(after.objections.length, 1);
  log('bawaslu: objection to version 1 on record, log #' + ob.json.log_index);
  return ob.json;
}

// The recap console on kecamatan 610101's governor race, logged in as user: its TPS listed.
async function consoleLogin(browser, user, password) {
  const ctx = await browser.newContext({viewport: {width: 1366, height: 900}});
  const page = await ctx.newPage();
  const errors = watch(page, user);
  await page.goto(BASE + '/console/#/610101/1');
  await page.fill('#u', user);
  await page.fill('#p', password);
  await page.click('#login');
  await page.waitForSelector('#list tr[data-tps]');
  return {ctx, page, errors};
}

async function consoleTest(browser, seeded) {
  const {ctx, page, errors} = await consoleLogin(browser, 'ppk1', 'ppk-sandi-rahasia');
  const rows = await page.locator('#list tr[data-tps]').count();
  assert.equal(rows, seeded.count + 1, 'every TPS with a result is listed');
  assert.equal(await page.getAttribute('#dhasil', 'href'), '/api/races/1/regions/610101/dhasil.pdf');
  await page.keyboard.press('j');
  await page.waitForSelector(`#list tr.sel[data-tps="${TPS}"]`);
  await page.waitForFunction(() => { const i = document.getElementById('photo'); return i && i.complete && i.naturalWidth > 0; });
  await page.waitForSelector('#objections');
  assert.ok((await page.textContent('#objections')).includes(OBJECTION), 'the reviewer sees the objection');
  assert.equal(await page.textContent(`#list tr[data-tps="${TPS}"] .obj`), 'keberatan 1', 'and the list marks the TPS');
  assert.equal(await page.locator('#list .obj').count(), 1, 'only that TPS');
  await shot(page, '12-console-review');
  await page.keyboard.press('r');
  await page.keyboard.press('+');
  assert.match(await page.getAttribute('#photo', 'style'), /rotate\(90deg\)/);
  await page.keyboard.press('r');
  await page.keyboard.press('r');
  await page.keyboard.press('r');

  // Correct with a reason: pair 1 and 2 were swapped by one vote.
  await page.keyboard.press('c');
  await page.waitForSelector('#numbers input[data-f="suara_paslon_1"]');
  await page.fill('#numbers input[data-f="suara_paslon_1"]', '179');
  await page.waitForSelector('#msgs li.hard');
  await page.fill('#numbers input[data-f="suara_paslon_2"]', '121');
  await page.fill('#reason', 'terlalu');
  assert.equal(await page.isDisabled('#save'), true, 'a reason is required');
  const reason = 'Salah baca: satu suara paslon 2 terbaca sebagai paslon 1, sesuai foto halaman 2';
  await page.fill('#reason', reason);
  assert.equal(await page.isDisabled('#save'), false);
  await shot(page, '13-console-correcting');
  await page.click('#save');
  await page.waitForFunction(() => /versi 2|version 2/.test(document.getElementById('toast').textContent));
  let st = (await api(`/api/tps/${TPS}/races/1`)).json;
  assert.equal(st.current.version, 2);
  assert.equal(st.current.document.suara_paslon_1, 179);
  assert.equal(st.history[1].kind, 'correction');
  assert.equal(st.history[1].actor, 'ppk1');
  assert.equal(st.history[1].reason, reason);
  log('console: correction saved');

  // Approve from the keyboard.
  await page.waitForSelector('#approve');
  await page.keyboard.press('a');
  await page.waitForSelector('#approved');
  st = (await api(`/api/tps/${TPS}/races/1`)).json;
  assert.equal(st.state.approved, true);
  assert.equal(st.state.approved_by, 'ppk1');
  await shot(page, '14-console-approved');

  await page.keyboard.press('?');
  await page.waitForSelector('#help:not(.hidden) kbd');
  await shot(page, '15-console-help');
  await page.keyboard.press('Escape');
  await page.waitForSelector('#help.hidden', {state: 'attached'});

  // Flagged only.
  await page.check('#flagged');
  await page.waitForFunction((n) => document.querySelectorAll('#list tr[data-tps]').length === n, seeded.flagged);
  await page.keyboard.press('j');
  await page.waitForSelector('#list tr.sel');
  await page.waitForSelector('.chip.warn[title="A2_TURNOUT_HIGH"]');
  await shot(page, '16-console-flagged');
  // With objections only: the one TPS Bawaslu objected to (it is not flagged: both filters
  // together list nothing), then every TPS again.
  await page.check('#disputed');
  await page.waitForSelector('#list p.muted');
  assert.equal(await page.locator('#list tr[data-tps]').count(), 0, 'no TPS is both flagged and disputed');
  await page.uncheck('#flagged');
  await page.waitForFunction(() => document.querySelectorAll('#list tr[data-tps]').length === 1);
  assert.equal(await page.getAttribute('#list tr[data-tps]', 'data-tps'), TPS);
  await page.uncheck('#disputed');
  await page.waitForFunction((n) => document.querySelectorAll('#list tr[data-tps]').length === n, rows);
  log('console: approved, help, flagged and objection filters');
  assert.deepEqual(errors, []);
  await ctx.close();
}

async function portal(browser, receipt) {
  const ctx = await browser.newContext({viewport: {width: 412, height: 900}, isMobile: true, deviceScaleFactor: 1});
  const page = await ctx.newPage();
  const errors = watch(page, 'portal');
  const fmt = (n) => n.toLocaleString('id-ID');
  await page.goto(BASE + '/');
  await page.waitForSelector('.kids a');
  await page.waitForSelector('.progress-card tr a');
  // nationally: one row per province's governor race, one line for every regent and mayor race
  const prog = (await api('/api/progress')).json;
  const gov = prog.races.filter((r) => r.region_code.length === 2);
  assert.ok(gov.length >= 1 && prog.races.length > gov.length, 'the demo has governor and regency races');
  const progText = await page.textContent('.progress-card');
  assert.ok(progText.includes(`${fmt(prog.totals.tps_received)} / ${fmt(prog.totals.tps_expected)}`),
    'national progress over every race: ' + progText.slice(0, 200));
  assert.equal(await page.locator('.progress-card tr:has(a)').count(), gov.length, 'one row per governor race');
  const g = gov[0].progress;
  assert.ok(progText.includes(`${fmt(g.tps_received)}/${fmt(g.tps_expected)}`), 'the governor row: ' + progText.slice(0, 300));
  assert.match(progText, new RegExp(`Bupati dan wali kota \\(${prog.races.length - gov.length} pemilihan\\)`));
  await shot(page, '20-portal-national');
  await page.goto(BASE + '/#/61/1');
  await page.waitForSelector('.chart');
  // in the province, every race held there
  await page.waitForSelector('.progress-card');
  const provProg = (await api('/api/progress?region=61')).json;
  assert.equal(await page.locator('.progress-card tr:has(a)').count(), provProg.races.length, 'one row per race in the province');
  const res = (await api('/api/races/1/results?region=61')).json;
  const text = await page.textContent('main');
  assert.ok(text.includes(fmt(res.tally.sah)), 'province page shows the valid-vote total ' + res.tally.sah);
  assert.ok(text.includes(`${fmt(res.tally.progress.tps_received)} / ${fmt(res.tally.progress.tps_expected)}`), 'progress of TPS received');
  const csvHref = await page.getAttribute('a[download$=".csv"]', 'href');
  const csv = await api(csvHref);
  assert.match(csv.text.split('\n')[0], /^tps,version,approved,flagged,paslon_1,paslon_2,suara_sah/);
  assert.equal(csv.text.trim().split('\n').length, res.tally.progress.tps_received + 1, 'one CSV row per TPS received');
  await shot(page, '21-portal-province');
  await page.goto(BASE + '/#/6101012001/1');
  await page.waitForSelector('.chart');
  const row = await page.textContent(`.kids tr:has(a[href="#/${TPS}/1"])`);
  assert.match(row, /TPS 001\s*masuk/, 'the desa lists its TPS with their own numbers: ' + row);
  assert.ok(row.includes('300'), 'valid votes of the TPS: ' + row);
  assert.ok(row.includes('keberatan 1'), 'and that it has an objection: ' + row);
  assert.equal(await page.locator('.kids .obj').count(), 1, 'no other TPS of the desa is marked');
  await shot(page, '22-portal-desa');

  // The Bawaslu objection (bawasluObjects) is public, with who, why and its log entry.
  const ob = receipt.objection, why = OBJECTION;
  await page.goto(BASE + `/#/${TPS}/1`);
  await page.waitForSelector('ol.history');
  assert.equal(await page.locator('ol.history li').count(), 2, 'two versions in the history');
  const objs = await page.textContent('#objections');
  assert.ok(objs.includes(why) && objs.includes('bawaslu1') && objs.includes(String(ob.log_index)),
    'the objection is public, with who, why and its log entry: ' + objs);
  const hist = await page.textContent('ol.history');
  assert.ok(hist.includes('Salah baca: satu suara paslon 2'), 'the correction reason is public');
  assert.ok(hist.includes('ppk1') && hist.includes('kpps1'));
  assert.equal(await page.textContent(`td[data-f="suara_paslon_1"]`), '179');
  await page.waitForFunction(() => {
    const imgs = [...document.querySelectorAll('.photos img')];
    return imgs.length === 2 && imgs.every((i) => i.complete && i.naturalWidth > 0);
  });
  await shot(page, '23-portal-tps');

  // A witness scans the KPPS receipt: the signed copy is on record (version 1, since replaced).
  await page.goto(receipt.link);
  await page.waitForSelector('#verify.good');
  assert.match(await page.textContent('#verify'), /versi 1/);
  await shot(page, '24-portal-witness-check');
  await page.goto(receipt.link.replace(/sig=([0-9a-f])/, (m, c) => 'sig=' + (c === '0' ? '1' : '0')));
  await page.waitForSelector('#verify.badv');

  await page.goto(BASE + `/#/${TPS}/1`);
  await page.waitForSelector('ol.history');
  await page.click('button.lang');
  await page.waitForFunction(() => document.body.textContent.includes('Version history'));
  await shot(page, '25-portal-tps-en');
  await page.click('button.lang');
  log('portal: totals, history, witness check, English');
  assert.deepEqual(errors, []);
  await ctx.close();
}

(async () => {
  const seeded = await seed();
  const browser = await chromium.launch({
    executablePath: process.env.REKAP_CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  try {
    const receipt = await kpps(browser);
    await kppsStaleFix(receipt);
    receipt.objection = await bawasluObjects(browser);
    await consoleTest(browser, seeded);
    await kppsRejected(receipt);
    await kppsBackgroundSync(receipt);
    await portal(browser, receipt);
  } catch (e) {
    if (lastPage) await lastPage.screenshot({path: path.join(SHOTS, 'FAILED.png'), fullPage: true}).catch(() => {});
    throw e;
  } finally {
    await browser.close();
  }
  log('all browser checks passed');
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
