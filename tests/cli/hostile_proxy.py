#!/usr/bin/env python3
"""A lying server for tests/cli/hostile_server.sh: forwards GETs to a real `rekap serve` and
changes one kind of answer, as a compromised or buggy server (or a man in the middle) would.
Usage: hostile_proxy.py UPSTREAM_URL PORT_FILE MODE. MODE "pass" changes nothing; the others
are listed in MUTATORS (JSON answers, by path prefix) and RAW (the bytes on the wire)."""
import json
import os
import sys
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

UPSTREAM, PORT_FILE, MODE = sys.argv[1], sys.argv[2], sys.argv[3]


def flip_hex(s):
    """The same hex string with its first digit changed."""
    return ('1' if s[0] != '1' else '2') + s[1:]


def device(field, value):
    def f(j):
        j[field] = value(j) if callable(value) else value
        return j
    return ('/api/devices/', f)


def sth(f):
    def g(j):
        f(j['sth'])
        return j
    return ('/api/log/sth', g)


def entry(f):
    def g(j):
        for e in j.get('entries', []):
            f(e)
        return j
    return ('/api/log/entries', g)


def version(f):
    """A published version (/api/tps/T/races/R/versions/N; not the race's current state)."""
    def g(j):
        if 'document_canonical' in j:
            f(j)
        return j
    return ('/api/tps/', g)


def proof(j):
    j['inclusion_path'][0] = flip_hex(j['inclusion_path'][0])
    return j


# mode -> (path prefix, change to the parsed JSON answer)
MUTATORS = {
    'device_index_string': device('log_index', lambda j: str(j['log_index'])),
    'device_index_negative': device('log_index', -7),
    'device_index_huge': device('log_index', 18446744073709551615),
    'device_index_fraction': device('log_index', 16.5),
    'device_index_next': device('log_index', lambda j: j['log_index'] + 1),
    'device_index_past_head': device('log_index', 10**9),
    'device_key_swapped': device('public_key', lambda j: flip_hex(j['public_key'])),
    'device_key_short': device('public_key', lambda j: j['public_key'][:62]),
    'device_owner_other': device('owner', 'kpps-someone-else'),
    'device_revoked': ('/api/devices/', lambda j: j.update(revoked=True, revoked_at=1) or j),
    'device_revoked_flag': device('revoked', True),  # revoked, but at no time
    'device_not_object': ('/api/devices/', lambda j: [j]),
    'sth_signature': sth(lambda s: s.update(signature=flip_hex(s['signature']))),
    'sth_root': sth(lambda s: s.update(root_hash=flip_hex(s['root_hash']))),
    'sth_small': sth(lambda s: s.update(tree_size=3)),
    'sth_size_string': sth(lambda s: s.update(tree_size=str(s['tree_size']))),
    'entry_bytes': entry(lambda e: e.update(entry_hex=e['entry_hex'][:-2] + ('00' if e['entry_hex'][-2:] != '00' else '01'))),
    'entry_odd_hex': entry(lambda e: e.update(entry_hex=e['entry_hex'][:-1])),
    'proof_hash': ('/api/log/proof/inclusion', proof),
    'proof_short': ('/api/log/proof/inclusion', lambda j: j.update(inclusion_path=j['inclusion_path'][:-1]) or j),
    'version_document': version(lambda v: v.update(document_canonical=v['document_canonical'].replace('"suara_tidak_sah":', '"suara_tidak_sah":1', 1))),
    'version_signature': version(lambda v: v.update(signature=flip_hex(v['signature']))),
}

# mode -> (path prefix, raw answer: bytes, or a function writing to the socket)
RAW = {
    'truncated_json': ('/api/devices/', b'{"key_id":"'),
    'html_page': ('/api/log/sth', b'<html><body>Bad gateway</body></html>'),
    'deep_nesting': ('/api/devices/', b'[' * 200000 + b']' * 200000),
    'huge_body': ('/api/log/sth', None),   # 80 MiB: over the client's cap
    'no_length_close': ('/api/log/sth', None),  # no Content-Length, closes mid-object
    'drip': ('/api/log/sth', None),        # one byte a second, forever
    'bad_status_line': ('/api/log/sth', None),
    'busy': ('/api/log/sth', None),        # 503 "try later", forever
}


class H(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.0'

    def log_message(self, *a):
        pass

    def send_bytes(self, status, body, ctype='application/json'):
        self.send_response(status)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        raw = RAW.get(MODE)
        if raw and self.path.startswith(raw[0]):
            return self.raw(raw[1])
        try:
            with urllib.request.urlopen(UPSTREAM + self.path, timeout=30) as r:
                status, body = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, body = e.code, e.read()
        mut = MUTATORS.get(MODE)
        if mut and self.path.startswith(mut[0]) and status == 200:
            body = json.dumps(mut[1](json.loads(body))).encode()
        self.send_bytes(status, body)

    def raw(self, body):
        if body is not None:
            return self.send_bytes(200, body, 'text/html' if body.startswith(b'<') else 'application/json')
        w = self.wfile
        if MODE == 'huge_body':
            w.write(b'HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{"sth":"')
            chunk = b'a' * (1 << 20)
            try:
                for _ in range(80):
                    w.write(chunk)
            except OSError:
                pass
        elif MODE == 'no_length_close':
            w.write(b'HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{"sth":{"log_id":"rek')
        elif MODE == 'busy':
            self.send_bytes(503, b'{"error":{"code":"busy"}}')
        elif MODE == 'bad_status_line':
            w.write(b'HTTP/9.9 OK OK\r\n\r\n{}')
        elif MODE == 'drip':
            try:
                w.write(b'HTTP/1.0 200 OK\r\n')
                w.flush()
                while True:
                    time.sleep(1)
                    w.write(b'X')
                    w.flush()
            except OSError:
                pass


srv = ThreadingHTTPServer(('127.0.0.1', 0), H)
srv.daemon_threads = True
with open(PORT_FILE + '.tmp', 'w') as f:
    f.write(str(srv.server_address[1]))
os.rename(PORT_FILE + '.tmp', PORT_FILE)
srv.serve_forever()
