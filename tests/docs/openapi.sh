#!/usr/bin/env bash
# docs/openapi.json stays true: the set of (method, path) it describes equals the route table in
# server/routes.c exactly; every path template's parameters are declared, every $ref resolves
# (into docs/chasil.schema.json too) and every operation has a response; then a real
# `rekap serve` on a demo store answers a handful of public reads (a few errors and 304s too)
# with a status the spec lists and a body its schema accepts (a small validator: types,
# required, properties, items, enum/const, pattern, allOf/oneOf/anyOf, $ref).
set -u
SRC=${REKAP_SOURCE_DIR:?REKAP_SOURCE_DIR must point at the source tree}
command -v python3 >/dev/null || { echo "skip: python3 not installed / python3 tidak terpasang"; exit 77; }

T=$(mktemp -d "${TMPDIR:-/tmp}/rekap-openapi-XXXXXX")
PID=
cleanup() {
    [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    [ -f "$T/err" ] && tail -20 "$T/err" | sed 's/^/  server: /' >&2
    exit 1
}

cat >"$T/check.py" <<'PY'
import json, os, re, sys, urllib.request, urllib.error

SRC = os.environ["SRC"]
SPEC_PATH = os.path.join(SRC, "docs", "openapi.json")
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
errors = []

def bad(msg):
    errors.append(msg)

with open(SPEC_PATH, encoding="utf-8") as f:
    spec = json.load(f)  # a parse error fails the test with the position
docs = {SPEC_PATH: spec}

def load_doc(path):
    if path not in docs:
        with open(path, encoding="utf-8") as f:
            docs[path] = json.load(f)
    return docs[path]

def pointer(doc, frag):
    node = doc
    if frag in ("", "/"):
        return node
    for tok in frag.lstrip("/").split("/"):
        tok = tok.replace("~1", "/").replace("~0", "~")
        node = node[int(tok)] if isinstance(node, list) else node[tok]
    return node

def resolve(ref, base):
    """(target, its document path) of a $ref written in the document at base."""
    file_part, _, frag = ref.partition("#")
    path = os.path.normpath(os.path.join(os.path.dirname(base), file_part)) if file_part else base
    return pointer(load_doc(path), frag), path

# ---- 1. the route table of server/routes.c ----
with open(os.path.join(SRC, "server", "routes.c"), encoding="utf-8") as f:
    routes_c = f.read()
table = re.search(r"const struct rk_route rk_routes\[\] = \{(.*?)\n\};", routes_c, re.S)
if not table:
    sys.exit("FAIL: cannot find rk_routes[] in server/routes.c")
routes = set()
for m in re.finditer(r'\{\s*"([A-Z]+)",\s*"([^"]+)",', table.group(1)):
    routes.add((m.group(1), m.group(2)))
if len(routes) < 30:
    sys.exit("FAIL: only %d routes read from server/routes.c; the extraction is broken" % len(routes))

# ---- 2. the spec's operations, in routes.c's pattern syntax ----
def deref(node, base):
    while isinstance(node, dict) and "$ref" in node:
        node, base = resolve(node["$ref"], base)
    return node, base

spec_routes = {}
for path, item in spec.get("paths", {}).items():
    for method in METHODS:
        if method not in item:
            continue
        opr = item[method]
        where = "%s %s" % (method.upper(), path)
        params = {}
        for p in item.get("parameters", []) + opr.get("parameters", []):
            p, _ = deref(p, SPEC_PATH)
            params[(p.get("in"), p.get("name"))] = p
        names = re.findall(r"\{([^}]*)\}", path)
        for name in names:
            p = params.get(("path", name))
            if p is None:
                bad("%s: path parameter {%s} is not declared" % (where, name))
            elif p.get("required") is not True:
                bad("%s: path parameter {%s} must be required" % (where, name))
        for (loc, name) in params:
            if loc == "path" and name not in names:
                bad("%s: declares path parameter %s that is not in the template" % (where, name))
        pattern = re.sub(r"\{([^}]*)\}", lambda m: "{*}" if params.get(("path", m.group(1)), {}).get(
            "x-rekap-rest-of-path") else "{}", path)
        spec_routes[(method.upper(), pattern)] = where
        if not opr.get("responses"):
            bad("%s: no responses" % where)
        for code in opr.get("responses", {}):
            if not re.fullmatch(r"[1-5][0-9][0-9]", code):
                bad("%s: response key %r is not a status code" % (where, code))

for r in sorted(routes - set(spec_routes)):
    bad("route %s %s is in server/routes.c but not in docs/openapi.json" % r)
for r in sorted(set(spec_routes) - routes):
    bad("%s is in docs/openapi.json but not in server/routes.c" % spec_routes[r])

# ---- 3. every $ref resolves, in the spec and in the documents it refers to ----
def walk_refs(node, base, seen):
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            key = (base, node["$ref"])
            if key not in seen:
                seen.add(key)
                try:
                    target, tbase = resolve(node["$ref"], base)
                except (KeyError, IndexError, ValueError, OSError) as e:
                    bad("$ref %s (in %s) does not resolve: %r" % (node["$ref"], os.path.basename(base), e))
                else:
                    if tbase != base:
                        walk_refs(load_doc(tbase), tbase, seen)
        for v in node.values():
            walk_refs(v, base, seen)
    elif isinstance(node, list):
        for v in node:
            walk_refs(v, base, seen)

walk_refs(spec, SPEC_PATH, set())
schemes = spec.get("components", {}).get("securitySchemes", {})
for path, item in spec.get("paths", {}).items():
    for method in METHODS:
        for req in item.get(method, {}).get("security", []):
            for name in req:
                if name not in schemes:
                    bad("%s %s: unknown security scheme %s" % (method.upper(), path, name))

# ---- 4. live answers of a real server against the spec ----
TYPES = {"object": dict, "array": list, "string": str, "null": type(None), "boolean": bool}

def type_ok(v, t):
    if t == "integer":
        return isinstance(v, int) and not isinstance(v, bool)
    if t == "number":
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    return isinstance(v, TYPES[t])

def validate(v, schema, base, at):
    """Appends to errs every way v breaks schema (a subset of JSON Schema 2020-12)."""
    errs = []
    if schema is True or schema == {}:
        return errs
    if "$ref" in schema:
        target, tbase = resolve(schema["$ref"], base)
        errs += validate(v, target, tbase, at)
    for sub in schema.get("allOf", []):
        errs += validate(v, sub, base, at)
    for kw in ("oneOf", "anyOf"):
        if kw in schema:
            ok = [s for s in schema[kw] if not validate(v, s, base, at)]
            if not ok or (kw == "oneOf" and len(ok) > 1):
                errs.append("%s: matches %d of the %d %s alternatives" % (at, len(ok), len(schema[kw]), kw))
    if "type" in schema:
        ts = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(type_ok(v, t) for t in ts):
            return errs + ["%s: %s is not of type %s" % (at, json.dumps(v)[:60], "/".join(ts))]
    if "const" in schema and v != schema["const"]:
        errs.append("%s: %r is not %r" % (at, v, schema["const"]))
    if "enum" in schema and v not in schema["enum"]:
        errs.append("%s: %r is not one of %r" % (at, v, schema["enum"]))
    if isinstance(v, str) and "pattern" in schema and not re.search(schema["pattern"], v):
        errs.append("%s: %r does not match %s" % (at, v, schema["pattern"]))
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if "minimum" in schema and v < schema["minimum"]:
            errs.append("%s: %r < minimum %r" % (at, v, schema["minimum"]))
        if "maximum" in schema and v > schema["maximum"]:
            errs.append("%s: %r > maximum %r" % (at, v, schema["maximum"]))
    if isinstance(v, dict):
        props = schema.get("properties", {})
        for k in schema.get("required", []):
            if k not in v:
                errs.append("%s: required property %s missing" % (at, k))
        for k, sub in v.items():
            if k in props:
                errs += validate(sub, props[k], base, "%s.%s" % (at, k))
            elif schema.get("additionalProperties") is False:
                errs.append("%s: property %s not in the schema" % (at, k))
            elif isinstance(schema.get("additionalProperties"), dict):
                errs += validate(sub, schema["additionalProperties"], base, "%s.%s" % (at, k))
    if isinstance(v, list):
        if "maxItems" in schema and len(v) > schema["maxItems"]:
            errs.append("%s: more than %d items" % (at, schema["maxItems"]))
        if "items" in schema:
            for n, sub in enumerate(v[:50]):
                errs += validate(sub, schema["items"], base, "%s[%d]" % (at, n))
    return errs

def live(base_url):
    # (spec path, request target, expected status, extra headers)
    probes = [
        ("/api/health", "/api/health", 200),
        ("/api/elections", "/api/elections", 200),
        ("/api/regions", "/api/regions", 200),
        ("/api/regions/{code}", "/api/regions/61.01", 200),
        ("/api/regions/{code}", "/api/regions/00", 400),
        ("/api/regions/{code}", "/api/regions/6199", 404),
        ("/api/races", "/api/races?region=6101&election=pilkada2024", 200),
        ("/api/progress", "/api/progress", 200),
        ("/api/progress", "/api/progress?region=6101&election=pilkada2024", 200),
        ("/api/progress", "/api/progress?region=6101012001001", 400),
        ("/api/races/{id}", "/api/races/1", 200),
        ("/api/races/{race}/results", "/api/races/1/results?region=6101", 200),
        ("/api/races/{race}/results", "/api/races/1/results", 200),
        ("/api/races/{race}/tps", "/api/races/1/tps?region=610101", 200),
        ("/api/tps/{tps}/races/{race}", "/api/tps/6101012001001/races/1", 200),
        ("/api/tps/{tps}/races/{race}/versions/{n}", "/api/tps/6101012001001/races/1/versions/1", 200),
        ("/api/races/{race}/regions/{code}/dhasil.json", "/api/races/1/regions/610101/dhasil.json", 200),
        ("/api/verify", "/api/verify?receipt=nonsense", 400),
        ("/api/log/sth", "/api/log/sth", 200),
        ("/api/log/entries", "/api/log/entries?start=0&count=3", 200),
        ("/api/log/proof/inclusion", "/api/log/proof/inclusion?index=1&size=5", 200),
        ("/api/log/proof/consistency", "/api/log/proof/consistency?first=2&second=5", 200),
    ]
    for spec_path, target, want in probes:
        where = "GET %s (%s)" % (spec_path, target)
        opr = spec["paths"].get(spec_path, {}).get("get")
        if opr is None:
            bad("%s: not in the spec" % where)
            continue
        try:
            with urllib.request.urlopen(base_url + target, timeout=10) as r:
                status, ctype, body, etag = r.status, r.headers.get("Content-Type", ""), r.read(), r.headers.get("ETag")
        except urllib.error.HTTPError as e:
            status, ctype, body, etag = e.code, e.headers.get("Content-Type", ""), e.read(), None
        if status != want:
            bad("%s: status %d, the test expected %d: %s" % (where, status, want, body[:200]))
            continue
        response = opr["responses"].get(str(status))
        if response is None:
            bad("%s: answered %d, which the spec does not list" % (where, status))
            continue
        response, rbase = deref(response, SPEC_PATH)
        content = response.get("content", {})
        media = content.get(ctype.split(";")[0].strip())
        if media is None:
            bad("%s: answered %s, the spec has %s" % (where, ctype, sorted(content)))
            continue
        for e in validate(json.loads(body), media["schema"], rbase, "body"):
            bad("%s: %s" % (where, e))
        if status == 200 and etag:
            req = urllib.request.Request(base_url + target, headers={"If-None-Match": etag})
            try:
                urllib.request.urlopen(req, timeout=10)
                bad("%s: If-None-Match with its ETag did not give 304" % where)
            except urllib.error.HTTPError as e:
                if e.code != 304:
                    bad("%s: If-None-Match gave %d" % (where, e.code))
                elif "304" not in opr["responses"]:
                    bad("%s: answers 304 to If-None-Match but the spec does not list 304" % where)

if len(sys.argv) > 1:
    live(sys.argv[1])
for e in errors:
    print("FAIL: " + e, file=sys.stderr)
if errors:
    sys.exit(1)
print("ok: %d routes in server/routes.c and docs/openapi.json agree%s" % (
    len(routes), "; live answers match" if len(sys.argv) > 1 else ""))
PY

# Static checks first: they need no server.
SRC="$SRC" python3 "$T/check.py" || fail "docs/openapi.json does not match the code (above)"

REKAP=${REKAP:?REKAP must point at the rekap binary}
DB="$T/demo.db"
"$REKAP" demo --db "$DB" --scale 0.02 --results 0.5 >/dev/null || fail "demo"
"$REKAP" serve --db "$DB" --listen 127.0.0.1:0 --port-file "$T/port" --key "$T/log.key" \
    --no-cache --threads 2 >"$T/out" 2>"$T/err" &
PID=$!
for _ in $(seq 100); do
    [ -s "$T/port" ] && break
    kill -0 "$PID" 2>/dev/null || fail "server exited early"
    sleep 0.05
done
[ -s "$T/port" ] || fail "no port file"
B="http://127.0.0.1:$(cat "$T/port")"
# The server signs its first tree head shortly after it starts.
for _ in $(seq 100); do
    python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1])" "$B/api/log/sth" \
        2>/dev/null && break
    sleep 0.05
done
SRC="$SRC" python3 "$T/check.py" "$B" || fail "live answers do not match docs/openapi.json (above)"
kill "$PID"
wait "$PID" || fail "server did not exit cleanly"
PID=
echo "ok"
