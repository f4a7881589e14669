// The C.Hasil document in the browser: field order, canonical JSON (the bytes a KPPS device
// hashes and signs; they must equal lib/chasil.c's rk_chasil_encode byte for byte, or the
// server's signature check fails), and a mirror of lib/validate.c's arithmetic rules with the same
// codes and messages, for live feedback while numbers are typed. The server stays the authority:
// it re-validates and answers 422 with its own list. Works in a page (window.Chasil) and in node.
'use strict';
(function (root) {
  var FIELDS = [
    'pemilih_dpt_l', 'pemilih_dpt_p', 'pemilih_dpt_j',
    'pengguna_dpt_l', 'pengguna_dpt_p', 'pengguna_dpt_j',
    'pengguna_dptb_l', 'pengguna_dptb_p', 'pengguna_dptb_j',
    'pengguna_dpk_l', 'pengguna_dpk_p', 'pengguna_dpk_j',
    'pengguna_total_l', 'pengguna_total_p', 'pengguna_total_j',
    'ss_diterima', 'ss_digunakan', 'ss_rusak', 'ss_sisa',
    'disabilitas_l', 'disabilitas_p', 'disabilitas_j',
    'suara_paslon_1', 'suara_paslon_2', 'suara_paslon_3',
    'suara_paslon_4', 'suara_paslon_5', 'suara_paslon_6',
    'suara_sah', 'suara_tidak_sah', 'suara_total'
  ];
  var VALUE_MAX = 999;

  // Sections as printed on the form, for building input screens. Rows of three are L/P/J.
  var SECTIONS = [
    {id: 'I.A', title: ['Pemilih terdaftar dalam DPT', 'Registered voters (DPT)'], row: 'pemilih_dpt'},
    {id: 'I.B.1', title: ['Pengguna hak pilih dalam DPT', 'DPT voters who voted'], row: 'pengguna_dpt'},
    {id: 'I.B.2', title: ['Pengguna hak pilih DPTb (pindahan)', 'DPTb voters (moved in)'], row: 'pengguna_dptb'},
    {id: 'I.B.3', title: ['Pengguna hak pilih DPK (KTP-el)', 'DPK voters (ID card only)'], row: 'pengguna_dpk'},
    {id: 'I.B.4', title: ['Jumlah pengguna hak pilih (B.1 + B.2 + B.3)', 'All voters who voted (B.1 + B.2 + B.3)'], row: 'pengguna_total'},
    {id: 'II', title: ['Surat suara', 'Ballot papers'], fields: [
      ['ss_diterima', 'Diterima (termasuk cadangan 2,5%)', 'Received (incl. 2.5% reserve)'],
      ['ss_digunakan', 'Digunakan', 'Used'],
      ['ss_rusak', 'Rusak / keliru coblos (dikembalikan)', 'Damaged / mis-marked (returned)'],
      ['ss_sisa', 'Sisa / tidak digunakan', 'Unused']]},
    {id: 'III', title: ['Pemilih disabilitas yang menggunakan hak pilih', 'Voters with disabilities who voted'], row: 'disabilitas'},
    {id: 'IV', title: ['Perolehan suara', 'Votes per candidate pair'], paslon: true},
    {id: 'V', title: ['Jumlah suara', 'Vote totals'], fields: [
      ['suara_sah', 'A. Suara sah', 'A. Valid votes'],
      ['suara_tidak_sah', 'B. Suara tidak sah', 'B. Invalid votes'],
      ['suara_total', 'C. Suara sah dan tidak sah (A + B)', 'C. Valid and invalid (A + B)']]}
  ];

  // The form fields a document of n columns carries (every one is required from a KPPS).
  function fieldsFor(paslon) {
    return FIELDS.filter(function (f) {
      var m = /^suara_paslon_(\d)$/.exec(f);
      return !m || Number(m[1]) <= paslon;
    });
  }

  function isCount(v) { return typeof v === 'number' && Number.isInteger(v) && v >= 0; }

  // Canonical JSON: envelope keys, then the present form fields in table order; integers in
  // shortest form; no whitespace. Absent (null/undefined/'') fields are omitted.
  function canonical(doc) {
    if (!/^[a-z0-9-]{1,31}$/.test(doc.election)) throw new Error('bad election slug');
    if (!/^\d{13}$/.test(doc.tps)) throw new Error('bad TPS code');
    if (!Number.isInteger(doc.race) || doc.race < 1) throw new Error('bad race id');
    if (!Number.isInteger(doc.paslon) || doc.paslon < 2 || doc.paslon > 6) throw new Error('bad paslon');
    var s = '{"v":1,"type":"chasil","election":"' + doc.election + '","race":' + doc.race +
      ',"tps":"' + doc.tps + '","paslon":' + doc.paslon + ',"kolom_kosong":' +
      (doc.kolom_kosong ? 'true' : 'false');
    fieldsFor(doc.paslon).forEach(function (f) {
      var v = doc[f];
      if (v == null || v === '') return;
      if (!isCount(v)) throw new Error('bad value for ' + f);
      s += ',"' + f + '":' + String(v);
    });
    return s + '}';
  }

  // ---- rules (lib/validate.c) ----

  var COL_ID = ['laki-laki', 'perempuan', 'jumlah'], COL_EN = ['men', 'women', 'total'];
  var ROWS = {
    pemilih_dpt: ['Pemilih DPT (I.A)', 'Registered voters, DPT (I.A)', 'R1_DPT_LP'],
    pengguna_dpt: ['Pengguna hak pilih DPT (I.B.1)', 'DPT voters who voted (I.B.1)', 'R1_B1_LP'],
    pengguna_dptb: ['Pengguna hak pilih DPTb (I.B.2)', 'DPTb voters who voted (I.B.2)', 'R1_B2_LP'],
    pengguna_dpk: ['Pengguna hak pilih DPK (I.B.3)', 'DPK voters who voted (I.B.3)', 'R1_B3_LP'],
    pengguna_total: ['Jumlah pengguna hak pilih (I.B.4)', 'Total voters who voted (I.B.4)', 'R1_B4_LP'],
    disabilitas: ['Pemilih disabilitas yang memilih (III)', 'Voters with disabilities who voted (III)', 'R1_DIS_LP']
  };
  var SOFT = {R8_RESERVE_UNDER: 1, A1_TURNOUT_FULL: 1, A2_TURNOUT_HIGH: 1, A3_ONE_COLUMN_ALL: 1,
    A4_INVALID_HIGH: 1, A5_NO_VOTES: 1, A6_DPT_REGISTRY: 1};
  var SFX = ['_l', '_p', '_j'];

  function columnLabel(d, i) {
    if (d.kolom_kosong && i === d.paslon - 1) return ['kolom kosong', 'the empty column (kolom kosong)'];
    return ['paslon ' + (i + 1), 'pair ' + (i + 1)];
  }

  function fieldLabel(d, f) {
    var ss = {ss_diterima: ['Surat suara diterima (II.1)', 'Ballots received (II.1)'],
      ss_digunakan: ['Surat suara digunakan (II.2)', 'Ballots used (II.2)'],
      ss_rusak: ['Surat suara rusak/keliru coblos (II.3)', 'Ballots damaged/mis-marked (II.3)'],
      ss_sisa: ['Surat suara tidak digunakan (II.4)', 'Ballots not used (II.4)'],
      suara_sah: ['Jumlah suara sah (V.A)', 'Valid votes (V.A)'],
      suara_tidak_sah: ['Jumlah suara tidak sah (V.B)', 'Invalid votes (V.B)'],
      suara_total: ['Jumlah suara sah dan tidak sah (V.C)', 'Total votes (V.C)']};
    if (ss[f]) return ss[f];
    var m = /^suara_paslon_(\d)$/.exec(f);
    if (m) {
      var c = columnLabel(d, Number(m[1]) - 1);
      return ['Suara ' + c[0] + ' (IV)', 'Votes for ' + c[1] + ' (IV)'];
    }
    var k = f.lastIndexOf('_'), row = ROWS[f.slice(0, k)], ci = SFX.indexOf(f.slice(k));
    return [row[0] + ', ' + COL_ID[ci], row[1] + ', ' + COL_EN[ci]];
  }

  // ctx: {voter_cap, reserve_permille, dpt_l, dpt_p} (dpt_* = the registry's, optional).
  function contextFor(kind, tps) {
    var c = kind === 'pemilu' ? {voter_cap: 300, reserve_permille: 20} : {voter_cap: 600, reserve_permille: 25};
    if (tps && tps.dpt_l != null) { c.dpt_l = tps.dpt_l; c.dpt_p = tps.dpt_p; }
    return c;
  }

  // Returns [{code, severity:'hard'|'soft', fields:[...], message:{id,en}}], in the server's order.
  function validate(d, ctx) {
    ctx = ctx || {reserve_permille: 25};
    var out = [];
    var has = function (f) { return isCount(d[f]); };
    var hasAll = function (fs) { return fs.every(has); };
    var v = function (f) { return d[f]; };
    var add = function (code, fields, id, en) {
      out.push({code: code, severity: SOFT[code] ? 'soft' : 'hard', fields: fields, message: {id: id, en: en}});
    };
    var n = Math.min(d.paslon || 0, 6);

    Object.keys(ROWS).forEach(function (row) { // R1
      var f = SFX.map(function (s) { return row + s; });
      if (!hasAll(f)) return;
      var l = v(f[0]), p = v(f[1]), j = v(f[2]);
      if (l + p === j) return;
      var r = ROWS[row];
      add(r[2], f, r[0] + ': laki-laki ' + l + ' + perempuan ' + p + ' = ' + (l + p) +
        ', tetapi kolom jumlah berisi ' + j + '. Periksa ketiga angka.',
        r[1] + ': men ' + l + ' + women ' + p + ' = ' + (l + p) + ', but the total column says ' + j +
        '. Check all three numbers.');
    });
    ['L', 'P', 'J'].forEach(function (c, i) { // R2
      var f = ['pengguna_total', 'pengguna_dpt', 'pengguna_dptb', 'pengguna_dpk'].map(function (r) { return r + SFX[i]; });
      if (!hasAll(f)) return;
      var b4 = v(f[0]), b1 = v(f[1]), b2 = v(f[2]), b3 = v(f[3]), s = b1 + b2 + b3;
      if (s === b4) return;
      add('R2_B4_' + c, f, 'Jumlah pengguna hak pilih (I.B.4, ' + COL_ID[i] + ') ' + b4 +
        ' harus sama dengan B.1 + B.2 + B.3 = ' + b1 + ' + ' + b2 + ' + ' + b3 + ' = ' + s + '. Periksa bagian I.B.',
        'Total voters (I.B.4, ' + COL_EN[i] + ') ' + b4 + ' must equal B.1 + B.2 + B.3 = ' + b1 + ' + ' + b2 +
        ' + ' + b3 + ' = ' + s + '. Check section I.B.');
    });
    (function () { // R3
      var f = ['suara_sah'];
      for (var i = 1; i <= n; i++) f.push('suara_paslon_' + i);
      if (n < 1 || !hasAll(f)) return;
      var parts = f.slice(1).map(v), sum = parts.reduce(function (a, b) { return a + b; }, 0);
      var sah = v('suara_sah');
      if (sum === sah) return;
      add('R3_SAH_SUM', f, 'Jumlah suara sah (' + sah + ') harus sama dengan jumlah suara semua ' +
        (d.kolom_kosong ? 'kolom' : 'paslon') + ' (' + sum + ' = ' + parts.join(' + ') + '). Periksa bagian IV dan V.A.',
        'Valid votes (' + sah + ') must equal the votes of all ' + (d.kolom_kosong ? 'columns' : 'pairs') +
        ' together (' + sum + ' = ' + parts.join(' + ') + '). Check sections IV and V.A.');
    })();
    if (hasAll(['suara_total', 'suara_sah', 'suara_tidak_sah'])) { // R4
      var tot = v('suara_total'), sah = v('suara_sah'), ts = v('suara_tidak_sah');
      if (sah + ts !== tot)
        add('R4_TOTAL_SUM', ['suara_total', 'suara_sah', 'suara_tidak_sah'],
          'Jumlah suara sah dan tidak sah (V.C) ' + tot + ' harus sama dengan suara sah ' + sah +
          ' + suara tidak sah ' + ts + ' = ' + (sah + ts) + '. Periksa bagian V.',
          'Total votes (V.C) ' + tot + ' must equal valid ' + sah + ' + invalid ' + ts + ' = ' + (sah + ts) + '. Check section V.');
    }
    if (hasAll(['suara_total', 'pengguna_total_j']) && v('suara_total') !== v('pengguna_total_j')) // R5
      add('R5_TOTAL_B4', ['suara_total', 'pengguna_total_j'],
        'Jumlah suara sah dan tidak sah (V.C) ' + v('suara_total') + ' harus sama dengan jumlah pengguna hak pilih (I.B.4) ' +
        v('pengguna_total_j') + ': setiap pemilih memasukkan satu surat suara.',
        'Total votes (V.C) ' + v('suara_total') + ' must equal the number of voters (I.B.4) ' + v('pengguna_total_j') +
        ': every voter casts one ballot.');
    if (hasAll(['ss_digunakan', 'suara_total']) && v('ss_digunakan') !== v('suara_total')) // R6
      add('R6_USED_TOTAL', ['ss_digunakan', 'suara_total'],
        'Surat suara yang digunakan (II.2) ' + v('ss_digunakan') + ' harus sama dengan jumlah suara sah dan tidak sah (V.C) ' +
        v('suara_total') + '.',
        'Ballots used (II.2) ' + v('ss_digunakan') + ' must equal total votes (V.C) ' + v('suara_total') + '.');
    var f7 = ['ss_diterima', 'ss_digunakan', 'ss_rusak', 'ss_sisa'];
    if (hasAll(f7)) { // R7
      var recv = v(f7[0]), used = v(f7[1]), bad = v(f7[2]), left = v(f7[3]), s7 = used + bad + left;
      if (s7 !== recv)
        add('R7_BALLOTS_SUM', f7, 'Surat suara diterima (II.1) ' + recv + ' harus sama dengan digunakan ' + used +
          ' + rusak/keliru coblos ' + bad + ' + sisa ' + left + ' = ' + s7 + '. Periksa bagian II.',
          'Ballots received (II.1) ' + recv + ' must equal used ' + used + ' + damaged/mis-marked ' + bad +
          ' + unused ' + left + ' = ' + s7 + '. Check section II.');
    }
    var dpt = null, fromForm = false;
    if (has('pemilih_dpt_j')) { dpt = v('pemilih_dpt_j'); fromForm = true; }
    else if (ctx.dpt_l != null) dpt = ctx.dpt_l + ctx.dpt_p;
    if (has('ss_diterima') && dpt != null) { // R8
      var pm = ctx.reserve_permille || 0, reserve = Math.floor((dpt * pm + 999) / 1000);
      var r8 = v('ss_diterima'), f8 = fromForm ? ['ss_diterima', 'pemilih_dpt_j'] : ['ss_diterima'];
      var pct = Math.floor(pm / 10) + ',' + (pm % 10), pctEn = Math.floor(pm / 10) + '.' + (pm % 10);
      if (r8 > dpt + reserve)
        add('R8_RESERVE_OVER', f8, 'Surat suara diterima (II.1) ' + r8 + ' melebihi DPT ' + dpt + ' + cadangan ' + pct +
          '% (' + reserve + ') = ' + (dpt + reserve) + '. Periksa angka surat suara diterima.',
          'Ballots received (II.1) ' + r8 + ' exceed DPT ' + dpt + ' + the ' + pctEn + '% reserve (' + reserve + ') = ' +
          (dpt + reserve) + '. Check the number of ballots received.');
      else if (r8 < dpt)
        add('R8_RESERVE_UNDER', f8, 'Surat suara diterima (II.1) ' + r8 + ' lebih sedikit dari pemilih DPT ' + dpt +
          '. Pastikan angka ini benar dan catat kekurangan surat suara.',
          'Ballots received (II.1) ' + r8 + ' are fewer than the ' + dpt + ' registered voters. Make sure the number is right and record the shortage.');
    }
    [0, 1, 2].forEach(function (c) { // R9 (I.B.1 <= I.A)
      var a = 'pengguna_dpt' + SFX[c], b = 'pemilih_dpt' + SFX[c];
      if (hasAll([a, b]) && v(a) > v(b))
        add('R9_B1_DPT', [a, b], 'Pengguna hak pilih DPT (I.B.1, ' + COL_ID[c] + ') ' + v(a) +
          ' tidak mungkin lebih dari pemilih DPT (I.A, ' + COL_ID[c] + ') ' + v(b) + '. Periksa kedua angka.',
          'DPT voters who voted (I.B.1, ' + COL_EN[c] + ') ' + v(a) + ' cannot exceed registered voters (I.A, ' +
          COL_EN[c] + ') ' + v(b) + '. Check both numbers.');
    });
    [0, 1, 2].forEach(function (c) { // R9 (III <= I.B.4)
      var a = 'disabilitas' + SFX[c], b = 'pengguna_total' + SFX[c];
      if (hasAll([a, b]) && v(a) > v(b))
        add('R9_DIS_B4', [a, b], 'Pemilih disabilitas yang memilih (III, ' + COL_ID[c] + ') ' + v(a) +
          ' tidak mungkin lebih dari jumlah pengguna hak pilih (I.B.4, ' + COL_ID[c] + ') ' + v(b) + '.',
          'Voters with disabilities who voted (III, ' + COL_EN[c] + ') ' + v(a) + ' cannot exceed all voters who voted (I.B.4, ' +
          COL_EN[c] + ') ' + v(b) + '.');
    });
    FIELDS.forEach(function (f) { // R10
      if (!has(f) || v(f) <= VALUE_MAX) return;
      var m = /^suara_paslon_(\d)$/.exec(f);
      if (m && Number(m[1]) > n) return;
      var lb = fieldLabel(d, f);
      add('R10_RANGE', [f], lb[0] + ' tertulis ' + v(f) + ', padahal setiap angka di formulir paling besar 999 (tiga kotak). Periksa angka ini.',
        lb[1] + ' reads ' + v(f) + ', but every number on the form is at most 999 (three boxes). Check this number.');
    });
    if (ctx.voter_cap && has('pemilih_dpt_j') && v('pemilih_dpt_j') > ctx.voter_cap)
      add('R10_DPT_CAP', ['pemilih_dpt_j'], 'Pemilih DPT (I.A) ' + v('pemilih_dpt_j') + ' melebihi batas ' + ctx.voter_cap +
        ' pemilih per TPS. Periksa angka DPT.',
        'Registered voters (I.A) ' + v('pemilih_dpt_j') + ' exceed the cap of ' + ctx.voter_cap + ' voters per TPS. Check the DPT number.');
    if (has('pengguna_total_j')) { // R11
      var b4 = v('pengguna_total_j');
      for (var i = 0; i < n; i++) {
        var pf = 'suara_paslon_' + (i + 1);
        if (!has(pf) || v(pf) <= b4) continue;
        var cl = columnLabel(d, i);
        add('R11_VOTE_B4', [pf, 'pengguna_total_j'], 'Suara ' + cl[0] + ' (IV) ' + v(pf) +
          ' melebihi jumlah pengguna hak pilih (I.B.4) ' + b4 + '. Periksa angka suara ' + cl[0] + '.',
          'Votes for ' + cl[1] + ' (IV) ' + v(pf) + ' exceed the number of voters (I.B.4) ' + b4 + '. Check the votes for ' + cl[1] + '.');
      }
    }
    var f11 = ['pengguna_total_j', 'pemilih_dpt_j', 'pengguna_dptb_j', 'pengguna_dpk_j'];
    if (hasAll(f11)) {
      var t4 = v(f11[0]), dd = v(f11[1]), b2 = v(f11[2]), b3 = v(f11[3]);
      if (t4 > dd + b2 + b3)
        add('R11_B4_MAX', f11, 'Jumlah pengguna hak pilih (I.B.4) ' + t4 + ' melebihi DPT ' + dd + ' + DPTb ' + b2 +
          ' + DPK ' + b3 + ' = ' + (dd + b2 + b3) + '. Periksa bagian I.',
          'Total voters (I.B.4) ' + t4 + ' exceed DPT ' + dd + ' + DPTb ' + b2 + ' + DPK ' + b3 + ' = ' + (dd + b2 + b3) + '. Check section I.');
    }
    // Anomalies (soft).
    var vf = has('pengguna_dpt_j') ? 'pengguna_dpt_j' : has('pengguna_total_j') ? 'pengguna_total_j' :
      has('suara_total') ? 'suara_total' : null;
    if (dpt != null && dpt > 0 && vf) {
      var voters = v(vf), tp = Math.floor(voters * 100 / dpt), lf = fieldLabel(d, vf);
      var fa = fromForm ? [vf, 'pemilih_dpt_j'] : [vf];
      if (voters >= dpt)
        add('A1_TURNOUT_FULL', fa, 'Partisipasi ' + tp + '%: ' + lf[0] + ' ' + voters + ', sama dengan atau lebih dari DPT ' + dpt +
          '. Diterima, tetapi ditandai untuk diperiksa.',
          'Turnout ' + tp + '%: ' + lf[1] + ' ' + voters + ', as many as or more than the ' + dpt + ' registered. Accepted, but flagged for review.');
      else if (voters * 100 > dpt * 95)
        add('A2_TURNOUT_HIGH', fa, 'Partisipasi sangat tinggi (' + tp + '%): ' + lf[0] + ' ' + voters + ' dari DPT ' + dpt +
          '. Diterima, tetapi ditandai untuk diperiksa.',
          'Very high turnout (' + tp + '%): ' + lf[1] + ' ' + voters + ' of ' + dpt + ' registered. Accepted, but flagged for review.');
    }
    if (has('suara_sah') && v('suara_sah') > 0) {
      for (var k = 0; k < n; k++) {
        var kf = 'suara_paslon_' + (k + 1);
        if (!has(kf) || v(kf) !== v('suara_sah')) continue;
        var others = true;
        for (var o = 0; o < n; o++)
          if (o !== k && (!has('suara_paslon_' + (o + 1)) || v('suara_paslon_' + (o + 1)))) others = false;
        if (!others) continue;
        var ck = columnLabel(d, k);
        add('A3_ONE_COLUMN_ALL', [kf, 'suara_sah'], 'Semua ' + v('suara_sah') + ' suara sah untuk ' + ck[0] +
          '; kolom lain nol. Diterima, tetapi ditandai untuk diperiksa.',
          'All ' + v('suara_sah') + ' valid votes went to ' + ck[1] + '; every other column is zero. Accepted, but flagged for review.');
        break;
      }
    }
    if (hasAll(['suara_tidak_sah', 'suara_total']) && v('suara_total') > 0 && v('suara_tidak_sah') * 10 > v('suara_total')) {
      var ti = v('suara_tidak_sah'), tt = v('suara_total'), ip = Math.floor(ti * 100 / tt);
      add('A4_INVALID_HIGH', ['suara_tidak_sah', 'suara_total'], 'Suara tidak sah ' + ti + ' dari ' + tt + ' (' + ip +
        '%), lebih dari 10%. Pastikan angka suara tidak sah (V.B) benar.',
        'Invalid votes are ' + ti + ' of ' + tt + ' (' + ip + '%), more than 10%. Make sure the invalid vote count (V.B) is right.');
    }
    var zf = has('suara_total') ? 'suara_total' : has('pengguna_total_j') ? 'pengguna_total_j' : null;
    if (dpt != null && dpt > 0 && zf && v(zf) === 0)
      add('A5_NO_VOTES', fromForm ? [zf, 'pemilih_dpt_j'] : [zf], 'Tidak ada suara tercatat, padahal TPS ini memiliki ' + dpt +
        ' pemilih DPT. Pastikan formulir sudah diisi lengkap.',
        'No votes recorded although this TPS has ' + dpt + ' registered voters. Make sure the form is filled in completely.');
    if (ctx.dpt_l != null) {
      var reg = [ctx.dpt_l, ctx.dpt_p, ctx.dpt_l + ctx.dpt_p], badf = [], fv = [];
      SFX.forEach(function (s, c) {
        var f = 'pemilih_dpt' + s;
        fv.push(has(f) ? String(v(f)) : '-');
        if (has(f) && v(f) !== reg[c]) badf.push(f);
      });
      if (badf.length)
        add('A6_DPT_REGISTRY', badf, 'DPT di formulir (laki-laki ' + fv[0] + ', perempuan ' + fv[1] + ', jumlah ' + fv[2] +
          ') berbeda dengan DPT terdaftar untuk TPS ini (' + reg.join(', ') + '). Periksa salinan DPT (Model A).',
          'DPT on the form (men ' + fv[0] + ', women ' + fv[1] + ', total ' + fv[2] + ') differs from the registered DPT of this TPS (' +
          reg.join(', ') + '). Check the DPT copy (Model A).');
    }
    return out;
  }

  // ---- hashing and signing (WebCrypto; browsers and node >= 20 alike) ----

  function hex(buf) {
    var b = new Uint8Array(buf), s = '';
    for (var i = 0; i < b.length; i++) s += (b[i] < 16 ? '0' : '') + b[i].toString(16);
    return s;
  }

  function sha256Hex(data) {
    var bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    return root.crypto.subtle.digest('SHA-256', bytes).then(hex);
  }

  // The statement a device signs (lib/submission.c rk_submission_statement).
  function statement(tps, docHash, prevHash, photos) {
    return 'rekap-submission-v1\ntps=' + tps + '\ndoc=' + docHash + '\nprev=' + (prevHash || '-') +
      '\nphotos=' + (photos && photos.length ? photos.join(',') : '-') + '\n';
  }

  // Builds the POST /api/submissions body: {document, photos, prev, device, signature}.
  function sign(doc, photos, prev, keyId, privateKey) {
    var json = canonical(doc);
    return sha256Hex(json).then(function (docHash) {
      var st = statement(doc.tps, docHash, prev, photos);
      return root.crypto.subtle.sign({name: 'Ed25519'}, privateKey, new TextEncoder().encode(st)).then(function (sig) {
        return {body: '{"document":' + json + ',"photos":' + JSON.stringify(photos || []) + ',"prev":' +
          (prev ? '"' + prev + '"' : 'null') + ',"device":"' + keyId + '","signature":"' + hex(sig) + '"}',
          docHash: docHash, signature: hex(sig)};
      });
    });
  }

  var api = {FIELDS: FIELDS, SECTIONS: SECTIONS, VALUE_MAX: VALUE_MAX, fieldsFor: fieldsFor, canonical: canonical,
    validate: validate, contextFor: contextFor, fieldLabel: fieldLabel, columnLabel: columnLabel,
    hex: hex, sha256Hex: sha256Hex, statement: statement, sign: sign};
  if (typeof module !== 'undefined' && module.exports) module.exports = api;
  else root.Chasil = api;
})(typeof self !== 'undefined' ? self : globalThis);
