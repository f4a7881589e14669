/* PostgreSQL engine (libpq): the scale-out store, with the same behaviour as sqlite.c. One
 * connection per handle; statements are prepared once per connection; the schema is migrated
 * forward in numbered steps recorded in rekap_meta, under an advisory lock so several rekap
 * instances starting together do not race. Codes use the "C" collation so the subtree range
 * trick ([P, P || ':')) means the same thing as in SQLite.
 *
 * Round trips are what cost on election night, so every statement goes through libpq's
 * pipeline mode: inside a transaction, writes whose only possible failure is a broken database
 * (the per-TPS state and the tallies of rk_store_version_add/approve) are queued and sent with
 * the next statement that needs an answer, or with COMMIT; their error, if any, is returned by
 * that later call and the transaction can then only be rolled back (COMMIT says so too).
 * Writes a caller may expect to fail and carry on (a duplicate on import) run under a
 * savepoint, sent in the same round trip as the statement itself.
 *
 * Concurrency (several server processes on one database): transactions run at READ COMMITTED;
 * the TPS state is read under a lock inside a transaction so two submissions of one TPS queue up
 * instead of both becoming version N+1, and log appends take an advisory lock held to commit so
 * the log stays dense. Version ids come from a sequence, so they increase in insert order, not
 * strictly in commit order; the log index is the commit-ordered sequence. */
#include "store/store_impl.h"
#include "rekap/status.h"

#include <libpq-fe.h>
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum pq_stmt {
    PQ_REGION_PUT,
    PQ_REGION_GET,
    PQ_REGION_CHILDREN_ROOT,
    PQ_REGION_CHILDREN,
    PQ_REGION_AT_LEVEL,
    PQ_REGION_COUNTS,
    PQ_REGION_VOTERS,
    PQ_ELECTION_PUT,
    PQ_ELECTION_GET,
    PQ_ELECTION_BY_SLUG,
    PQ_ELECTION_LIST,
    PQ_RACE_PUT,
    PQ_RACE_GET,
    PQ_RACE_LIST,
    PQ_CANDIDATE_PUT,
    PQ_CANDIDATE_LIST,
    PQ_TPS_STATE_GET,
    PQ_TPS_LOCK,
    PQ_TPS_STATE_PUT,
    PQ_TPS_STATES,
    PQ_VERSION_INSERT,
    PQ_VERSION_GET,
    PQ_VERSION_LIST,
    PQ_VERSION_SCAN,
    PQ_VERSION_SET_LOG,
    PQ_TALLY_APPLY,
    PQ_TALLY_GET,
    PQ_TALLY_CHILDREN_ROOT,
    PQ_TALLY_CHILDREN,
    PQ_LOG_LOCK,
    PQ_LOG_APPEND,
    PQ_LOG_SIZE,
    PQ_LOG_GET,
    PQ_LOG_LEAVES,
    PQ_STH_PUT,
    PQ_OBJECTION_PUT,
    PQ_OBJECTION_LIST,
    PQ_STH_LATEST,
    PQ_PHOTO_PUT,
    PQ_PHOTO_GET,
    PQ_PHOTO_COUNT,
    PQ_USER_PUT,
    PQ_USER_GET,
    PQ_USER_BY_NAME,
    PQ_USER_LIST_NATIONAL,
    PQ_USER_LIST,
    PQ_USER_SET_DISABLED,
    PQ_USER_SET_PASSWORD,
    PQ_SESSION_PUT,
    PQ_SESSION_GET,
    PQ_SESSION_DELETE,
    PQ_SESSION_DELETE_USER,
    PQ_SESSION_PURGE,
    PQ_DEVICE_PUT,
    PQ_DEVICE_GET,
    PQ_REGION_PAGE,
    PQ_USER_PAGE,
    PQ_DEVICE_PAGE,
    PQ_DEVICE_REVOKE,
    PQ_REGISTRY_GEN,
    PQ_COUNT
};

/* Rows per page of the listings that can span the whole country (every TPS, every version,
 * every account): memory stays bounded and visitors may call back into the store. */
#define PAGE_ROWS 1000
#define PAGE_ROWS_STR "1000"
#define VERSION_PAGE_ROWS 200
#define VERSION_PAGE_ROWS_STR "200"
#define LEAVES_CHUNK 4096

/* Advisory lock keys (one 64-bit key space per database). */
#define LOCK_MIGRATE "7231884"
#define LOCK_LOG "7231885"

#define TALLY_COLS "v1, v2, v3, v4, v5, v6, sah, tidak_sah, total, pengguna, dpt, received, flagged, approved"
#define STATE_COLS "race_id, tps_code, current_version, current_id, current_hash, approved_by, approved_ms, " TALLY_COLS
#define VERSION_COLS "id, race_id, tps_code, version, kind, actor, device, doc_hash, photos, signature, reason, flags, created_ms, log_index, doc"
#define TALLY_ADD(c) c " = tally." c " + excluded." c
#define STATE_SET(c) c " = excluded." c
#define USER_SELECT "SELECT id, username, role, coalesce(scope_code, ''), coalesce(race_id, 0), " \
                    "pwhash, disabled::int, created_at FROM users "

static const char *const pq_sql[PQ_COUNT] = {
    [PQ_REGION_PUT] = "INSERT INTO region(code, parent, level, name, dpt_l, dpt_p) "
                      "VALUES($1, $2, $3::int, $4, $5::int, $6::int)",
    [PQ_REGION_GET] = "SELECT code, name, level, dpt_l, dpt_p FROM region WHERE code = $1",
    [PQ_REGION_CHILDREN_ROOT] = "SELECT code, name, level, dpt_l, dpt_p FROM region "
                                "WHERE parent IS NULL ORDER BY code",
    [PQ_REGION_CHILDREN] = "SELECT code, name, level, dpt_l, dpt_p FROM region "
                           "WHERE parent = $1 ORDER BY code",
    /* $3: the last code of the previous page ("" for the first). */
    [PQ_REGION_AT_LEVEL] = "SELECT code, name, level, dpt_l, dpt_p FROM region "
                           "WHERE code >= $1 AND code < $1 || ':' AND code > $3 "
                           "AND level = $2::int ORDER BY code LIMIT " PAGE_ROWS_STR,
    [PQ_REGION_COUNTS] = "SELECT level, count(*) FROM region "
                         "WHERE code >= $1 AND code < $1 || ':' GROUP BY level",
    [PQ_REGION_VOTERS] = "SELECT coalesce(sum(dpt_l), 0), coalesce(sum(dpt_p), 0) FROM region "
                         "WHERE code >= $1 AND code < $1 || ':' AND level = 5",
    [PQ_ELECTION_PUT] = "INSERT INTO election(id, slug, kind, year, name) "
                        "VALUES(coalesce($1::bigint, nextval('election_id_seq')), $2, $3::int, "
                        "$4::int, $5) RETURNING id",
    [PQ_ELECTION_GET] = "SELECT id, slug, kind, year, name FROM election WHERE id = $1::bigint",
    [PQ_ELECTION_BY_SLUG] = "SELECT id, slug, kind, year, name FROM election WHERE slug = $1",
    [PQ_ELECTION_LIST] = "SELECT id, slug, kind, year, name FROM election ORDER BY id",
    [PQ_RACE_PUT] = "INSERT INTO race(id, election_id, kind, region_code, name) "
                    "VALUES(coalesce($1::bigint, nextval('race_id_seq')), $2::bigint, $3::int, $4, "
                    "$5) RETURNING id",
    [PQ_RACE_GET] = "SELECT id, election_id, kind, coalesce(region_code, ''), name FROM race "
                    "WHERE id = $1::bigint",
    [PQ_RACE_LIST] = "SELECT id, election_id, kind, coalesce(region_code, ''), name FROM race "
                     "WHERE ($1::bigint = 0 OR election_id = $1::bigint) AND (region_code IS NULL "
                     "  OR region_code = substr($2, 1, length(region_code)) "
                     "  OR (region_code >= $2 AND region_code < $2 || ':')) "
                     "ORDER BY kind, region_code",
    [PQ_CANDIDATE_PUT] = "INSERT INTO candidate(id, race_id, ballot_no, name, color, kolom_kosong) "
                         "VALUES(coalesce($1::bigint, nextval('candidate_id_seq')), $2::bigint, "
                         "$3::int, $4, $5, $6::boolean) RETURNING id",
    [PQ_CANDIDATE_LIST] = "SELECT id, race_id, ballot_no, name, color, kolom_kosong::int FROM "
                          "candidate WHERE race_id = $1::bigint ORDER BY ballot_no",
    [PQ_TPS_STATE_GET] = "SELECT " STATE_COLS " FROM tps_state WHERE race_id = $1::bigint "
                         "AND tps_code = $2",
    /* Inside a transaction the state is read to be rewritten, so writers of one TPS must take
     * turns: a row lock cannot cover the first submission (no row yet), an advisory lock on
     * (race, TPS) can. It is its own statement, sent in the same round trip as the read that
     * follows, so under READ COMMITTED that read sees what the previous holder committed.
     * The state row needs no FOR UPDATE then: only holders of this lock write it.
     * (Two-int4 keys: a key space apart from the single-key locks below.) */
    [PQ_TPS_LOCK] = "SELECT pg_advisory_xact_lock(($1::bigint % 2147483647)::int, hashtext($2))",
    [PQ_TPS_STATE_PUT] =
        "INSERT INTO tps_state(" STATE_COLS ") VALUES($1::bigint, $2, $3::int, $4::bigint, "
        "$5::bytea, $6, $7::bigint, $8::bigint, $9::bigint, $10::bigint, $11::bigint, "
        "$12::bigint, $13::bigint, $14::bigint, $15::bigint, $16::bigint, $17::bigint, "
        "$18::bigint, $19::bigint, $20::bigint, $21::bigint) "
        "ON CONFLICT(race_id, tps_code) DO UPDATE SET " STATE_SET("current_version") ", "
        STATE_SET("current_id") ", " STATE_SET("current_hash") ", " STATE_SET("approved_by") ", "
        STATE_SET("approved_ms") ", " STATE_SET("v1") ", " STATE_SET("v2") ", " STATE_SET("v3") ", "
        STATE_SET("v4") ", " STATE_SET("v5") ", " STATE_SET("v6") ", " STATE_SET("sah") ", "
        STATE_SET("tidak_sah") ", " STATE_SET("total") ", " STATE_SET("pengguna") ", "
        STATE_SET("dpt") ", " STATE_SET("received") ", " STATE_SET("flagged") ", "
        STATE_SET("approved"),
    [PQ_TPS_STATES] = "SELECT " STATE_COLS ", (SELECT count(*) FROM objection o WHERE "
                      "o.race_id = tps_state.race_id AND o.tps_code = tps_state.tps_code) "
                      "FROM tps_state WHERE race_id = $1::bigint "
                      "AND tps_code >= $2 AND tps_code < $2 || ':' AND tps_code > $4 "
                      "AND ($3::int = 0 OR flagged = 1) ORDER BY tps_code LIMIT " PAGE_ROWS_STR,
    [PQ_VERSION_INSERT] = "INSERT INTO version(race_id, tps_code, version, kind, actor, device, "
                          "doc_hash, photos, signature, reason, flags, created_ms, log_index, doc) "
                          "VALUES($1::bigint, $2, $3::int, $4::int, $5, $6, $7::bytea, $8, "
                          "$9::bytea, $10, $11, $12::bigint, $13::bigint, $14) RETURNING id",
    [PQ_VERSION_GET] = "SELECT " VERSION_COLS " FROM version WHERE race_id = $1::bigint "
                       "AND tps_code = $2 AND version = $3::int",
    [PQ_VERSION_LIST] = "SELECT " VERSION_COLS " FROM version WHERE race_id = $1::bigint "
                        "AND tps_code = $2 ORDER BY version",
    [PQ_VERSION_SCAN] = "SELECT " VERSION_COLS " FROM version WHERE id > $1::bigint ORDER BY id "
                        "LIMIT " VERSION_PAGE_ROWS_STR,
    [PQ_VERSION_SET_LOG] = "UPDATE version SET log_index = $2::bigint WHERE id = $1::bigint "
                           "AND log_index = -1",
    [PQ_TALLY_APPLY] =
        "INSERT INTO tally(race_id, region_code, " TALLY_COLS ") VALUES($1::bigint, $2, "
        "$3::bigint, $4::bigint, $5::bigint, $6::bigint, $7::bigint, $8::bigint, $9::bigint, "
        "$10::bigint, $11::bigint, $12::bigint, $13::bigint, $14::bigint, $15::bigint, "
        "$16::bigint) "
        "ON CONFLICT(race_id, region_code) DO UPDATE SET " TALLY_ADD("v1") ", " TALLY_ADD("v2") ", "
        TALLY_ADD("v3") ", " TALLY_ADD("v4") ", " TALLY_ADD("v5") ", " TALLY_ADD("v6") ", "
        TALLY_ADD("sah") ", " TALLY_ADD("tidak_sah") ", " TALLY_ADD("total") ", "
        TALLY_ADD("pengguna") ", " TALLY_ADD("dpt") ", " TALLY_ADD("received") ", "
        TALLY_ADD("flagged") ", " TALLY_ADD("approved"),
    [PQ_TALLY_GET] = "SELECT " TALLY_COLS " FROM tally WHERE race_id = $1::bigint "
                     "AND region_code = $2",
    [PQ_TALLY_CHILDREN_ROOT] = "SELECT r.code, r.name, r.level, r.dpt_l, r.dpt_p, t.v1, t.v2, "
                               "t.v3, t.v4, t.v5, t.v6, t.sah, t.tidak_sah, t.total, t.pengguna, "
                               "t.dpt, t.received, t.flagged, t.approved FROM region r "
                               "LEFT JOIN tally t ON t.race_id = $1::bigint "
                               "AND t.region_code = r.code WHERE r.parent IS NULL ORDER BY r.code",
    [PQ_TALLY_CHILDREN] = "SELECT r.code, r.name, r.level, r.dpt_l, r.dpt_p, t.v1, t.v2, t.v3, "
                          "t.v4, t.v5, t.v6, t.sah, t.tidak_sah, t.total, t.pengguna, t.dpt, "
                          "t.received, t.flagged, t.approved FROM region r LEFT JOIN tally t "
                          "ON t.race_id = $1::bigint AND t.region_code = r.code "
                          "WHERE r.parent = $2 ORDER BY r.code",
    /* Appenders queue up on this lock until the holder commits; the INSERT that follows is a
     * separate statement, so under READ COMMITTED it sees the holder's entry and max + 1 stays
     * dense. */
    [PQ_LOG_LOCK] = "SELECT pg_advisory_xact_lock(" LOCK_LOG ")",
    [PQ_LOG_APPEND] = "INSERT INTO log_entry(idx, entry, leaf) SELECT coalesce(max(idx) + 1, 0), "
                      "$1::bytea, $2::bytea FROM log_entry RETURNING idx",
    [PQ_LOG_SIZE] = "SELECT coalesce(max(idx) + 1, 0) FROM log_entry",
    [PQ_REGISTRY_GEN] = "SELECT n FROM registry_gen WHERE id = 1",
    [PQ_LOG_GET] = "SELECT entry, leaf FROM log_entry WHERE idx = $1::bigint",
    [PQ_LOG_LEAVES] = "SELECT idx, leaf FROM log_entry WHERE idx >= $1::bigint "
                      "AND idx < $1::bigint + $2::bigint ORDER BY idx",
    [PQ_STH_PUT] = "INSERT INTO sth(size, root, ts_ms, key_id, sig) "
                   "VALUES($1::bigint, $2::bytea, $3::bigint, $4, $5::bytea)",
    [PQ_OBJECTION_PUT] = "INSERT INTO objection(race_id, tps_code, version, actor, reason, "
                         "created_ms, log_index) VALUES($1::bigint, $2, $3::integer, $4, $5, "
                         "$6::bigint, $7::bigint)",
    [PQ_OBJECTION_LIST] = "SELECT version, actor, reason, created_ms, log_index FROM objection "
                          "WHERE race_id = $1::bigint AND tps_code = $2 ORDER BY id "
                          "LIMIT $3::bigint",
    [PQ_STH_LATEST] = "SELECT size, root, ts_ms, key_id, sig FROM sth ORDER BY size DESC LIMIT 1",
    [PQ_PHOTO_PUT] = "INSERT INTO photo(hash, type, bytes, uploader, created_ms) "
                     "VALUES($1, $2, $3, $4, $5::bigint)",
    [PQ_PHOTO_GET] = "SELECT type, bytes FROM photo WHERE hash = $1",
    [PQ_PHOTO_COUNT] = "SELECT count(*) FROM photo WHERE uploader = $1",
    [PQ_USER_PUT] = "INSERT INTO users(username, role, scope_code, race_id, pwhash, disabled, "
                    "created_at) VALUES($1, $2::int, $3, $4::bigint, $5, $6::boolean, $7::bigint) "
                    "RETURNING id",
    [PQ_USER_GET] = USER_SELECT "WHERE id = $1::bigint",
    [PQ_USER_BY_NAME] = USER_SELECT "WHERE username = $1",
    /* Listing every account: the national ones (scope NULL, sorting as "") first, then the
     * others by (scope, username) — the order SQLite gives for coalesce(scope_code, ''), paged
     * on the index. */
    [PQ_USER_LIST_NATIONAL] = USER_SELECT "WHERE scope_code IS NULL AND username > $1 "
                                          "ORDER BY username LIMIT " PAGE_ROWS_STR,
    [PQ_USER_LIST] = USER_SELECT "WHERE scope_code >= $1 AND scope_code < $1 || ':' "
                                 "AND (scope_code, username) > ($2, $3) "
                                 "ORDER BY scope_code, username LIMIT " PAGE_ROWS_STR,
    [PQ_USER_SET_DISABLED] = "UPDATE users SET disabled = $2::boolean WHERE id = $1::bigint",
    [PQ_USER_SET_PASSWORD] = "UPDATE users SET pwhash = $2 WHERE id = $1::bigint",
    [PQ_SESSION_PUT] = "INSERT INTO sessions(token_hash, user_id, created_at, expires_at) "
                       "VALUES($1::bytea, $2::bigint, $3::bigint, $4::bigint)",
    [PQ_SESSION_GET] = "SELECT token_hash, user_id, created_at, expires_at FROM sessions "
                       "WHERE token_hash = $1::bytea",
    [PQ_SESSION_DELETE] = "DELETE FROM sessions WHERE token_hash = $1::bytea",
    [PQ_SESSION_DELETE_USER] = "DELETE FROM sessions WHERE user_id = $1::bigint",
    [PQ_SESSION_PURGE] = "DELETE FROM sessions WHERE expires_at <= $1::bigint",
    [PQ_DEVICE_PUT] = "INSERT INTO device_keys(key_id, user_id, public_key, created_at, log_index) "
                      "VALUES($1, $2::bigint, $3::bytea, $4::bigint, $5::bigint)",
    [PQ_DEVICE_GET] = "SELECT key_id, user_id, public_key, created_at, coalesce(revoked_at, 0), "
                      "log_index FROM device_keys WHERE key_id = $1",
    [PQ_REGION_PAGE] = "SELECT code, name, level, dpt_l, dpt_p FROM region "
                       "WHERE level = $1::int AND code > $2 ORDER BY code LIMIT $3::int",
    [PQ_USER_PAGE] = USER_SELECT "WHERE id > $1::bigint ORDER BY id LIMIT $2::int",
    [PQ_DEVICE_PAGE] = "SELECT key_id, user_id, public_key, created_at, coalesce(revoked_at, 0), "
                       "log_index FROM device_keys WHERE key_id > $1 ORDER BY key_id LIMIT $2::int",
    [PQ_DEVICE_REVOKE] = "UPDATE device_keys SET revoked_at = $2::bigint "
                         "WHERE key_id = $1 AND revoked_at IS NULL",
};

/* Forward-only migrations, same numbering as sqlite.c (entry i moves version i to i+1), same
 * constraints. Never edit a shipped entry: append a new one. */
static const char *const pq_migrations[] = {
    "CREATE TABLE region("
    "  code TEXT COLLATE \"C\" PRIMARY KEY,"
    "  parent TEXT COLLATE \"C\" REFERENCES region(code),"
    "  level INTEGER NOT NULL CHECK(level BETWEEN 1 AND 5),"
    "  name TEXT NOT NULL,"
    "  dpt_l INTEGER NOT NULL DEFAULT 0 CHECK(dpt_l BETWEEN 0 AND 999),"
    "  dpt_p INTEGER NOT NULL DEFAULT 0 CHECK(dpt_p BETWEEN 0 AND 999));"
    "CREATE INDEX region_parent ON region(parent, code);"
    "CREATE SEQUENCE election_id_seq;"
    "CREATE TABLE election("
    "  id BIGINT PRIMARY KEY,"
    "  slug TEXT NOT NULL UNIQUE,"
    "  kind INTEGER NOT NULL,"
    "  year INTEGER NOT NULL,"
    "  name TEXT NOT NULL);"
    "CREATE SEQUENCE race_id_seq;"
    "CREATE TABLE race("
    "  id BIGINT PRIMARY KEY,"
    "  election_id BIGINT NOT NULL REFERENCES election(id),"
    "  kind INTEGER NOT NULL,"
    "  region_code TEXT COLLATE \"C\" REFERENCES region(code),"
    "  name TEXT NOT NULL,"
    "  UNIQUE NULLS NOT DISTINCT (election_id, kind, region_code));"
    "CREATE INDEX race_region ON race(region_code);"
    "CREATE SEQUENCE candidate_id_seq;"
    "CREATE TABLE candidate("
    "  id BIGINT PRIMARY KEY,"
    "  race_id BIGINT NOT NULL REFERENCES race(id),"
    "  ballot_no INTEGER NOT NULL CHECK(ballot_no BETWEEN 1 AND 6),"
    "  name TEXT NOT NULL,"
    "  color TEXT NOT NULL DEFAULT '',"
    "  kolom_kosong BOOLEAN NOT NULL DEFAULT false,"
    "  UNIQUE(race_id, ballot_no));",
    /* 2: results — versions (append-only), per-TPS state, tallies, transparency log */
    "CREATE TABLE version("
    "  id BIGSERIAL PRIMARY KEY,"
    "  race_id BIGINT NOT NULL REFERENCES race(id),"
    "  tps_code TEXT COLLATE \"C\" NOT NULL REFERENCES region(code),"
    "  version INTEGER NOT NULL CHECK(version >= 1),"
    "  kind INTEGER NOT NULL CHECK(kind IN (1, 2)),"
    "  actor TEXT NOT NULL,"
    "  device TEXT NOT NULL DEFAULT '',"
    "  doc_hash BYTEA NOT NULL CHECK(length(doc_hash) = 32),"
    "  photos TEXT NOT NULL DEFAULT '',"
    "  signature BYTEA,"
    "  reason TEXT NOT NULL DEFAULT '',"
    "  flags TEXT NOT NULL DEFAULT '',"
    "  created_ms BIGINT NOT NULL,"
    "  log_index BIGINT NOT NULL DEFAULT -1,"
    "  doc TEXT NOT NULL,"
    "  UNIQUE(race_id, tps_code, version));"
    /* Versions are history: the engine itself refuses to rewrite, delete or truncate them; the
     * one change allowed is filling in the log index once, every other column unchanged. */
    "CREATE FUNCTION rekap_version_append_only() RETURNS trigger LANGUAGE plpgsql AS $f$"
    "DECLARE o version;"
    "BEGIN"
    "  IF TG_OP = 'UPDATE' THEN"
    "    o := OLD;"
    "    o.log_index := NEW.log_index;"
    "    IF OLD.log_index = -1 AND NEW.log_index >= 0 AND o IS NOT DISTINCT FROM NEW THEN"
    "      RETURN NEW;"
    "    END IF;"
    "  END IF;"
    "  RAISE EXCEPTION 'versions are append-only';"
    "END $f$;"
    "CREATE TRIGGER version_append_only BEFORE UPDATE OR DELETE ON version FOR EACH ROW"
    "  EXECUTE FUNCTION rekap_version_append_only();"
    "CREATE TRIGGER version_no_truncate BEFORE TRUNCATE ON version FOR EACH STATEMENT"
    "  EXECUTE FUNCTION rekap_version_append_only();"
    "CREATE TABLE tps_state("
    "  race_id BIGINT NOT NULL REFERENCES race(id),"
    "  tps_code TEXT COLLATE \"C\" NOT NULL REFERENCES region(code),"
    "  current_version INTEGER NOT NULL,"
    "  current_id BIGINT NOT NULL REFERENCES version(id),"
    "  current_hash BYTEA NOT NULL,"
    "  approved_by TEXT NOT NULL DEFAULT '',"
    "  approved_ms BIGINT NOT NULL DEFAULT 0,"
    "  v1 BIGINT NOT NULL, v2 BIGINT NOT NULL, v3 BIGINT NOT NULL, v4 BIGINT NOT NULL,"
    "  v5 BIGINT NOT NULL, v6 BIGINT NOT NULL, sah BIGINT NOT NULL, tidak_sah BIGINT NOT NULL,"
    "  total BIGINT NOT NULL, pengguna BIGINT NOT NULL, dpt BIGINT NOT NULL,"
    "  received BIGINT NOT NULL, flagged BIGINT NOT NULL, approved BIGINT NOT NULL,"
    "  PRIMARY KEY(race_id, tps_code));"
    "CREATE TABLE tally("
    "  race_id BIGINT NOT NULL REFERENCES race(id),"
    "  region_code TEXT COLLATE \"C\" NOT NULL,"
    "  v1 BIGINT NOT NULL, v2 BIGINT NOT NULL, v3 BIGINT NOT NULL, v4 BIGINT NOT NULL,"
    "  v5 BIGINT NOT NULL, v6 BIGINT NOT NULL, sah BIGINT NOT NULL, tidak_sah BIGINT NOT NULL,"
    "  total BIGINT NOT NULL, pengguna BIGINT NOT NULL, dpt BIGINT NOT NULL,"
    "  received BIGINT NOT NULL, flagged BIGINT NOT NULL, approved BIGINT NOT NULL,"
    "  PRIMARY KEY(race_id, region_code));"
    "CREATE TABLE log_entry("
    "  idx BIGINT PRIMARY KEY CHECK(idx >= 0),"
    "  entry BYTEA NOT NULL,"
    "  leaf BYTEA NOT NULL CHECK(length(leaf) = 32));"
    "CREATE FUNCTION rekap_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $f$"
    "BEGIN"
    "  RAISE EXCEPTION 'the log is append-only';"
    "END $f$;"
    "CREATE TRIGGER log_append_only BEFORE UPDATE OR DELETE ON log_entry FOR EACH ROW"
    "  EXECUTE FUNCTION rekap_log_append_only();"
    "CREATE TRIGGER log_no_truncate BEFORE TRUNCATE ON log_entry FOR EACH STATEMENT"
    "  EXECUTE FUNCTION rekap_log_append_only();"
    "CREATE TABLE sth("
    "  size BIGINT PRIMARY KEY,"
    "  root BYTEA NOT NULL,"
    "  ts_ms BIGINT NOT NULL,"
    "  key_id TEXT NOT NULL,"
    "  sig BYTEA NOT NULL);",
    /* 3: accounts. Only hashes of secrets are stored: Argon2id strings for passwords, BLAKE2b
     * of session tokens. A NULL scope_code is the national scope. */
    "CREATE TABLE users("
    "  id BIGSERIAL PRIMARY KEY,"
    "  username TEXT COLLATE \"C\" NOT NULL UNIQUE CHECK(length(username) BETWEEN 3 AND 64),"
    "  role INTEGER NOT NULL CHECK(role BETWEEN 1 AND 8),"
    "  scope_code TEXT COLLATE \"C\" REFERENCES region(code),"
    "  race_id BIGINT REFERENCES race(id),"
    "  pwhash TEXT NOT NULL CHECK(substr(pwhash, 1, 10) = '$argon2id$'),"
    "  disabled BOOLEAN NOT NULL DEFAULT false,"
    "  created_at BIGINT NOT NULL);"
    "CREATE INDEX users_scope ON users(scope_code, username);"
    "CREATE TABLE sessions("
    "  token_hash BYTEA PRIMARY KEY CHECK(length(token_hash) = 32),"
    "  user_id BIGINT NOT NULL REFERENCES users(id),"
    "  created_at BIGINT NOT NULL,"
    "  expires_at BIGINT NOT NULL);"
    "CREATE INDEX sessions_user ON sessions(user_id);"
    "CREATE INDEX sessions_expiry ON sessions(expires_at);"
    "CREATE TABLE device_keys("
    "  key_id TEXT COLLATE \"C\" PRIMARY KEY CHECK(length(key_id) = 16),"
    "  user_id BIGINT NOT NULL REFERENCES users(id),"
    "  public_key BYTEA NOT NULL UNIQUE CHECK(length(public_key) = 32),"
    "  created_at BIGINT NOT NULL,"
    "  revoked_at BIGINT);"
    "CREATE INDEX device_keys_user ON device_keys(user_id);",
    /* 4: form photos, content-addressed */
    "CREATE TABLE photo("
    "  hash BYTEA PRIMARY KEY CHECK(length(hash) = 32),"
    "  type TEXT NOT NULL,"
    "  bytes BYTEA NOT NULL,"
    "  uploader TEXT COLLATE \"C\" NOT NULL,"
    "  created_ms BIGINT NOT NULL);"
    "CREATE INDEX photo_uploader ON photo(uploader);",
    /* 5: SQLite's migration 5 tightens its version trigger; PostgreSQL's was already strict. */
    "SELECT 1;",
    /* 6: the registry generation (see the SQLite engine's migration 6 and store/regcache.h).
     * Bumped once per transaction, not per statement: every UPDATE of the one row leaves a new
     * row version behind, and an import inserting 822,116 TPS in one transaction would walk an
     * ever longer chain of them. The new value becomes visible with the changes, at commit. */
    "CREATE TABLE registry_gen(id INTEGER PRIMARY KEY CHECK(id = 1), n BIGINT NOT NULL);"
    "INSERT INTO registry_gen(id, n) VALUES(1, 0);"
    "CREATE FUNCTION rekap_registry_bump() RETURNS trigger LANGUAGE plpgsql AS $f$"
    "BEGIN"
    "  IF current_setting('rekap.registry_bumped', true) IS DISTINCT FROM txid_current()::text"
    "  THEN"
    "    UPDATE registry_gen SET n = n + 1 WHERE id = 1;"
    "    PERFORM set_config('rekap.registry_bumped', txid_current()::text, true);"
    "  END IF;"
    "  RETURN NULL;"
    "END $f$;"
    "CREATE TRIGGER region_gen AFTER INSERT OR UPDATE OR DELETE ON region"
    "  FOR EACH STATEMENT EXECUTE FUNCTION rekap_registry_bump();"
    "CREATE TRIGGER candidate_gen AFTER INSERT OR UPDATE OR DELETE ON candidate"
    "  FOR EACH STATEMENT EXECUTE FUNCTION rekap_registry_bump();"
    "CREATE TRIGGER election_gen AFTER UPDATE OR DELETE ON election"
    "  FOR EACH STATEMENT EXECUTE FUNCTION rekap_registry_bump();"
    "CREATE TRIGGER race_gen AFTER UPDATE OR DELETE ON race"
    "  FOR EACH STATEMENT EXECUTE FUNCTION rekap_registry_bump();"
    "CREATE TRIGGER users_gen AFTER UPDATE OR DELETE ON users"
    "  FOR EACH STATEMENT EXECUTE FUNCTION rekap_registry_bump();"
    "CREATE TRIGGER device_keys_gen AFTER UPDATE OR DELETE ON device_keys"
    "  FOR EACH STATEMENT EXECUTE FUNCTION rekap_registry_bump();",
    /* 7: nothing here (SQLite's 7 drops the kecamatan and desa totals it stopped storing); kept
     * so both engines number their versions alike. */
    "SELECT 1;",
    /* 8: where each device key's registration sits in the log (-1: registered before this
     * was recorded), so a witness can check it without reading the whole log. */
    "ALTER TABLE device_keys ADD COLUMN log_index BIGINT NOT NULL DEFAULT -1;",
    /* 9: objections (keberatan) of saksi and Bawaslu to a TPS result; append-only. */
    "CREATE TABLE objection(id BIGSERIAL PRIMARY KEY, race_id BIGINT NOT NULL REFERENCES race(id),"
    "  tps_code TEXT NOT NULL, version INTEGER NOT NULL, actor TEXT NOT NULL, reason TEXT NOT NULL,"
    "  created_ms BIGINT NOT NULL, log_index BIGINT NOT NULL);"
    "CREATE INDEX objection_tps ON objection(race_id, tps_code, id);"
    "CREATE FUNCTION rekap_objection_frozen() RETURNS trigger LANGUAGE plpgsql AS $f$"
    "BEGIN RAISE EXCEPTION 'objections are append-only'; END $f$;"
    "CREATE TRIGGER objection_frozen BEFORE UPDATE OR DELETE ON objection"
    "  FOR EACH ROW EXECUTE FUNCTION rekap_objection_frozen();"
    "CREATE TRIGGER objection_no_truncate BEFORE TRUNCATE ON objection"
    "  FOR EACH STATEMENT EXECUTE FUNCTION rekap_objection_frozen();",
};
#define PQ_MIGRATION_COUNT ((int)(sizeof pq_migrations / sizeof pq_migrations[0]))

/* What was sent since the last sync, to match the results that come back in order. */
#define QUEUE_MAX 32
enum item_kind { IT_PREPARE, IT_QUERY, IT_SQL };
struct item {
    unsigned char kind;
    unsigned char stmt;
};

struct pg_store {
    struct rk_store base;
    PGconn *conn;
    unsigned char prepared[PQ_COUNT];
    int in_tx;
    int tx_err;  /* the failure that aborted the open transaction (only rollback is left), or 0 */
    int nq;      /* items sent and not yet synced */
    struct item q[QUEUE_MAX];
};

static struct pg_store *P(struct rk_store *s)
{
    return (struct pg_store *)s;
}

/* ---- parameters ---- */

#define PARAMS_MAX 24
struct pargs {
    int n;
    const char *v[PARAMS_MAX];
    int len[PARAMS_MAX];
    int fmt[PARAMS_MAX];
    char num[PARAMS_MAX][24];
};

static void a_text(struct pargs *a, const char *s)
{
    assert(a->n < PARAMS_MAX);
    a->v[a->n] = s;
    a->len[a->n] = 0;
    a->fmt[a->n] = 0;
    a->n++;
}

/* "" is stored as NULL (optional codes: national scope, no parent). */
static void a_opt(struct pargs *a, const char *s)
{
    a_text(a, s && s[0] ? s : NULL);
}

static void a_int(struct pargs *a, long long x)
{
    assert(a->n < PARAMS_MAX);
    snprintf(a->num[a->n], sizeof a->num[a->n], "%lld", x);
    a_text(a, a->num[a->n]);
}

/* An id of 0 means "none": NULL. */
static void a_id(struct pargs *a, int64_t id)
{
    if (id)
        a_int(a, id);
    else
        a_text(a, NULL);
}

/* Bytes go in binary format: exact for any value, no escaping. */
static void a_bytes(struct pargs *a, const void *p, size_t len)
{
    assert(a->n < PARAMS_MAX && len <= INT32_MAX);
    a->v[a->n] = p;
    a->len[a->n] = (int)len;
    a->fmt[a->n] = 1;
    a->n++;
}

/* ---- errors ---- */

/* Maps a failed result to a status by SQLSTATE, keeping the server's message; the same
 * mapping as sqlite.c's fail(). Clears res. */
static int pfail(struct pg_store *q, PGresult *res)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorMessage(res) : NULL;
    if (!msg || !msg[0])
        msg = PQerrorMessage(q->conn);
    rk_store_set_error(&q->base, "%s", msg && msg[0] ? msg : "postgres error");
    size_t n = strlen(q->base.errmsg);
    while (n && (q->base.errmsg[n - 1] == '\n'))
        q->base.errmsg[--n] = '\0';
    int status = RK_EDB;
    if (state) {
        if (strcmp(state, "23505") == 0)
            status = RK_EEXIST;
        else if (strcmp(state, "23503") == 0)
            status = RK_EORPHAN;
        else if (strcmp(state, "23514") == 0 || strcmp(state, "23502") == 0 ||
                 strcmp(state, "22P02") == 0 || strcmp(state, "22003") == 0 ||
                 strcmp(state, "22021") == 0 || strcmp(state, "22P05") == 0)
            status = RK_EINVAL; /* 22021/22P05: text that is not valid UTF-8 / has NUL */
    }
    PQclear(res);
    return status;
}

static int conn_fail(struct pg_store *q)
{
    return pfail(q, NULL);
}

/* Runs a parameterless SQL string outside pipeline mode (migrations, schema version). */
static int pexec(struct pg_store *q, const char *sql)
{
    PGresult *res = PQexec(q->conn, sql);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        return pfail(q, res);
    PQclear(res);
    return RK_OK;
}

/* ---- the pipeline ---- */

static int pipe_on(struct pg_store *q)
{
    if (PQpipelineStatus(q->conn) == PQ_PIPELINE_OFF && !PQenterPipelineMode(q->conn))
        return conn_fail(q);
    return RK_OK;
}

static void push(struct pg_store *q, enum item_kind kind, int stmt)
{
    q->q[q->nq].kind = (unsigned char)kind;
    q->q[q->nq].stmt = (unsigned char)stmt;
    q->nq++;
}

static int q_sync(struct pg_store *q, int keep, PGresult **out, int *failed);

/* Makes room for `need` more items, syncing what is queued if necessary. */
static int q_room(struct pg_store *q, int need)
{
    if (q->nq + need <= QUEUE_MAX)
        return RK_OK;
    return q_sync(q, -1, NULL, NULL);
}

/* Queues prepared statement id (preparing it first on this connection if needed); *at gets
 * the item index of its result. */
static int send_stmt(struct pg_store *q, enum pq_stmt id, const struct pargs *a, int *at)
{
    char name[16];
    int rc;
    if ((rc = q_room(q, 2)) != RK_OK || (rc = pipe_on(q)) != RK_OK)
        return rc;
    snprintf(name, sizeof name, "rk%d", (int)id);
    if (!q->prepared[id]) {
        if (!PQsendPrepare(q->conn, name, pq_sql[id], 0, NULL))
            return conn_fail(q);
        q->prepared[id] = 1; /* undone by q_sync if the PREPARE does not succeed */
        push(q, IT_PREPARE, id);
    }
    if (!PQsendQueryPrepared(q->conn, name, a ? a->n : 0, a ? a->v : NULL, a ? a->len : NULL,
                             a ? a->fmt : NULL, 0))
        return conn_fail(q);
    if (at)
        *at = q->nq;
    push(q, IT_QUERY, id);
    return RK_OK;
}

/* Queues a parameterless statement (transaction control). */
static int send_sql(struct pg_store *q, const char *sql, int *at)
{
    int rc;
    if ((rc = q_room(q, 1)) != RK_OK || (rc = pipe_on(q)) != RK_OK)
        return rc;
    if (!PQsendQueryParams(q->conn, sql, 0, NULL, NULL, NULL, NULL, 0))
        return conn_fail(q);
    if (at)
        *at = q->nq;
    push(q, IT_SQL, 0);
    return RK_OK;
}

/* Sends everything queued and reads every result back, in order. Returns RK_OK or the status
 * of the first item that failed (its message recorded; *failed gets its index, -1 if none).
 * On success *out (if out) gets the result of item keep, for the caller to PQclear. A failure
 * inside a transaction marks it aborted. */
static int q_sync(struct pg_store *q, int keep, PGresult **out, int *failed)
{
    int status = RK_OK, bad = -1, i = 0, n = q->nq;
    PGresult *kept = NULL;
    if (n == 0 && PQpipelineStatus(q->conn) == PQ_PIPELINE_OFF) {
        if (failed)
            *failed = -1;
        if (out)
            *out = NULL;
        return RK_OK;
    }
    int synced = PQpipelineSync(q->conn);
    if (!synced) {
        status = conn_fail(q);
        bad = 0;
    }
    while (synced) {
        PGresult *r = PQgetResult(q->conn);
        if (!r) {
            /* NULL ends one item's results; more NULLs than items means the connection broke. */
            if (++i > n || PQstatus(q->conn) == CONNECTION_BAD) {
                if (bad < 0) {
                    status = conn_fail(q);
                    bad = i - 1;
                }
                break;
            }
            continue;
        }
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_PIPELINE_SYNC) {
            PQclear(r);
            break;
        }
        if (i < n && q->q[i].kind == IT_PREPARE && st != PGRES_COMMAND_OK)
            q->prepared[q->q[i].stmt] = 0; /* not prepared after all: prepare again next time */
        if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
            if (i == keep && !kept) {
                kept = r;
                continue;
            }
        } else if (st != PGRES_PIPELINE_ABORTED && bad < 0) {
            bad = i;
            status = pfail(q, r);
            continue;
        }
        PQclear(r);
    }
    q->nq = 0;
    if (!PQexitPipelineMode(q->conn)) {
        /* Stray results (a broken connection): drain them so the handle stays usable. */
        PGresult *r;
        while ((r = PQgetResult(q->conn)) != NULL)
            PQclear(r);
        if (!PQexitPipelineMode(q->conn) && status == RK_OK) {
            status = conn_fail(q);
            bad = n;
        }
    }
    if (status != RK_OK) {
        PQclear(kept);
        kept = NULL;
        if (q->in_tx && !q->tx_err)
            q->tx_err = status;
    }
    if (out)
        *out = kept;
    else
        PQclear(kept);
    if (failed)
        *failed = bad;
    return status;
}

/* Runs prepared statement id now (with whatever was queued before it). On success *out (if
 * out) holds its result, for the caller to PQclear. */
static int run(struct pg_store *q, enum pq_stmt id, const struct pargs *a, PGresult **out)
{
    int at = -1;
    if (out)
        *out = NULL;
    if (q->tx_err)
        return q->tx_err; /* the transaction is dead; its first error's message is kept */
    int rc = send_stmt(q, id, a, &at);
    int rc2 = q_sync(q, at, out, NULL);
    return rc != RK_OK ? rc : rc2;
}

/* Queues a write whose failure can only mean a broken database, inside a transaction; its
 * status comes with the next statement run or with COMMIT. Outside a transaction it runs now. */
static int defer(struct pg_store *q, enum pq_stmt id, const struct pargs *a)
{
    if (!q->in_tx)
        return run(q, id, a, NULL);
    if (q->tx_err)
        return q->tx_err;
    return send_stmt(q, id, a, NULL);
}

/* Inside an explicit transaction a failed statement aborts the whole transaction in
 * PostgreSQL; SQLite keeps it usable. To behave the same where a caller may try an insert, get
 * RK_EEXIST and go on (importers), such writes run under a savepoint — sent in the same round
 * trip, and rolled back to only when the statement failed. */
static int guarded(struct pg_store *q, enum pq_stmt id, const struct pargs *a, PGresult **out)
{
    if (!q->in_tx)
        return run(q, id, a, out);
    if (out)
        *out = NULL;
    if (q->tx_err)
        return q->tx_err;
    int sp = -1, at = -1, failed = -1;
    int rc = q_room(q, 4);
    if (rc == RK_OK)
        rc = send_sql(q, "SAVEPOINT rk_sp", &sp);
    if (rc == RK_OK)
        rc = send_stmt(q, id, a, &at);
    if (rc == RK_OK)
        rc = send_sql(q, "RELEASE SAVEPOINT rk_sp", NULL);
    int rc2 = q_sync(q, at, out, &failed);
    if (rc != RK_OK)
        return rc;
    if (rc2 == RK_OK || failed <= sp)
        return rc2; /* fine, or an earlier queued write failed: the transaction is lost */
    /* The statement itself failed: undo it alone and keep the transaction. */
    char keep[sizeof q->base.errmsg];
    memcpy(keep, q->base.errmsg, sizeof keep);
    q->tx_err = 0;
    rc = send_sql(q, "ROLLBACK TO SAVEPOINT rk_sp", NULL);
    if (rc == RK_OK)
        rc = send_sql(q, "RELEASE SAVEPOINT rk_sp", NULL);
    int rc3 = q_sync(q, -1, NULL, NULL);
    if (rc != RK_OK || rc3 != RK_OK)
        return rc != RK_OK ? rc : rc3;
    memcpy(q->base.errmsg, keep, sizeof keep);
    return rc2;
}

/* Rows changed by a write (UPDATE/DELETE). */
static int64_t changed(PGresult *res)
{
    return strtoll(PQcmdTuples(res), NULL, 10);
}

/* ---- values ---- */

static void copy_val(char *dst, size_t cap, PGresult *res, int row, int col)
{
    const char *v = PQgetvalue(res, row, col);
    snprintf(dst, cap, "%s", v ? v : "");
}

static long long ival(PGresult *res, int row, int col)
{
    return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes a bytea value in text form into dst (cap bytes); *len gets its true length, which
 * may exceed cap (then nothing past cap is written). Returns RK_OK or RK_EDB. */
static int get_bytes(struct pg_store *q, PGresult *res, int row, int col, uint8_t *dst, size_t cap,
                     size_t *len)
{
    const char *t = PQgetvalue(res, row, col);
    *len = 0;
    if (PQgetisnull(res, row, col))
        return RK_OK;
    if (t[0] == '\\' && t[1] == 'x') { /* hex output, what this connection asks for */
        size_t n = (strlen(t) - 2) / 2;
        *len = n;
        for (size_t i = 0; i < n && i < cap; i++) {
            int hi = hexval((unsigned char)t[2 + 2 * i]), lo = hexval((unsigned char)t[3 + 2 * i]);
            if (hi < 0 || lo < 0) {
                rk_store_set_error(&q->base, "malformed bytea value from the server");
                return RK_EDB;
            }
            dst[i] = (uint8_t)(hi << 4 | lo);
        }
        return RK_OK;
    }
    size_t n = 0; /* a server configured for escape output */
    unsigned char *b = PQunescapeBytea((const unsigned char *)t, &n);
    if (!b)
        return RK_ENOMEM;
    *len = n;
    memcpy(dst, b, n < cap ? n : cap);
    PQfreemem(b);
    return RK_OK;
}

/* Copies a fixed-size byte column: zeroes when NULL or of another length. */
static void get_fixed(struct pg_store *q, PGresult *res, int row, int col, uint8_t *dst, size_t n)
{
    uint8_t tmp[64];
    size_t len = 0;
    assert(n <= sizeof tmp);
    memset(dst, 0, n);
    if (get_bytes(q, res, row, col, tmp, sizeof tmp, &len) == RK_OK && len == n)
        memcpy(dst, tmp, n);
}

/* ---- open, migrate, transactions ---- */

static void pg_close(struct rk_store *s)
{
    struct pg_store *q = P(s);
    /* Closing the connection rolls an open transaction back on the server. */
    PQfinish(q->conn);
    free(q);
}

static int pg_schema_version(struct rk_store *s, int *version)
{
    struct pg_store *q = P(s);
    int rc = q->tx_err ? q->tx_err : q_sync(q, -1, NULL, NULL);
    if (rc != RK_OK)
        return rc;
    PGresult *res = PQexec(q->conn, "SELECT value FROM rekap_meta WHERE key = 'schema_version'");
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        rc = pfail(q, res);
        if (q->in_tx && !q->tx_err)
            q->tx_err = rc;
        return rc;
    }
    *version = PQntuples(res) ? atoi(PQgetvalue(res, 0, 0)) : 0;
    PQclear(res);
    return RK_OK;
}

static int pg_migrate(struct pg_store *q)
{
    int rc, v;
    /* Quiet the NOTICE that IF NOT EXISTS raises on every start; bytea comes back as hex. */
    if ((rc = pexec(q, "SET client_min_messages = warning; SET bytea_output = hex")) != RK_OK ||
        (rc = pexec(q, "BEGIN")) != RK_OK)
        return rc;
    if ((rc = pexec(q, "SELECT pg_advisory_xact_lock(" LOCK_MIGRATE ")")) != RK_OK ||
        (rc = pexec(q, "CREATE TABLE IF NOT EXISTS rekap_meta(key TEXT PRIMARY KEY, value TEXT "
                       "NOT NULL)")) != RK_OK ||
        (rc = pg_schema_version(&q->base, &v)) != RK_OK)
        goto fail;
    if (v > PQ_MIGRATION_COUNT) {
        rk_store_set_error(&q->base, "database schema %d is newer than this rekap (%d)", v,
                           PQ_MIGRATION_COUNT);
        rc = RK_EUNSUPPORTED;
        goto fail;
    }
    for (; v < PQ_MIGRATION_COUNT; v++) {
        char sql[160];
        snprintf(sql, sizeof sql,
                 "INSERT INTO rekap_meta VALUES('schema_version', '%d') ON CONFLICT(key) DO "
                 "UPDATE SET value = excluded.value",
                 v + 1);
        if ((rc = pexec(q, pq_migrations[v])) != RK_OK || (rc = pexec(q, sql)) != RK_OK)
            goto fail;
    }
    return pexec(q, "COMMIT");
fail:
    pexec(q, "ROLLBACK");
    return rc;
}

/* BEGIN is only queued: it travels with the transaction's first statement. READ COMMITTED
 * is explicit because the locking above relies on each statement seeing the latest commits. */
static int pg_begin(struct rk_store *s)
{
    struct pg_store *q = P(s);
    if (q->in_tx)
        return RK_ECONFLICT;
    int rc = send_sql(q, "BEGIN ISOLATION LEVEL READ COMMITTED", NULL);
    if (rc != RK_OK) {
        q_sync(q, -1, NULL, NULL);
        return rc;
    }
    q->in_tx = 1;
    q->tx_err = 0;
    return RK_OK;
}

/* Ends whatever transaction the server holds, keeping the recorded message. */
static void abort_tx(struct pg_store *q)
{
    char keep[sizeof q->base.errmsg];
    memcpy(keep, q->base.errmsg, sizeof keep);
    q->in_tx = 0;
    q->tx_err = 0;
    (void)send_sql(q, "ROLLBACK", NULL);
    (void)q_sync(q, -1, NULL, NULL);
    if (PQtransactionStatus(q->conn) != PQTRANS_IDLE) {
        /* An earlier queued item failed, so the pipeline skipped the ROLLBACK: send it again. */
        (void)send_sql(q, "ROLLBACK", NULL);
        (void)q_sync(q, -1, NULL, NULL);
    }
    memcpy(q->base.errmsg, keep, sizeof keep);
}

static int pg_commit(struct rk_store *s)
{
    struct pg_store *q = P(s);
    if (!q->in_tx)
        return RK_ECONFLICT;
    if (q->tx_err) {
        /* Unlike SQLite, the failed statement took the transaction with it: say so. */
        int rc = q->tx_err;
        abort_tx(q);
        return rc;
    }
    int at = -1;
    PGresult *res = NULL;
    int rc = send_sql(q, "COMMIT", &at);
    int rc2 = q_sync(q, at, &res, NULL);
    if (rc == RK_OK)
        rc = rc2;
    if (rc == RK_OK && (!res || strcmp(PQcmdStatus(res), "COMMIT") != 0)) {
        rk_store_set_error(&q->base, "transaction rolled back by the server");
        rc = RK_EDB;
    }
    PQclear(res);
    q->in_tx = 0;
    q->tx_err = 0;
    if (rc != RK_OK || PQtransactionStatus(q->conn) != PQTRANS_IDLE)
        abort_tx(q);
    return rc;
}

static int pg_rollback(struct rk_store *s)
{
    struct pg_store *q = P(s);
    if (!q->in_tx)
        return RK_ECONFLICT;
    abort_tx(q);
    if (PQtransactionStatus(q->conn) != PQTRANS_IDLE)
        return conn_fail(q);
    return RK_OK;
}

static int pg_in_transaction(struct rk_store *s)
{
    return P(s)->in_tx;
}

/* ---- regions, elections, races, candidates ---- */

static int pg_region_put(struct rk_store *s, const struct rk_region *r)
{
    struct pg_store *q = P(s);
    char parent[RK_CODE_MAX + 1];
    if (rk_code_level(r->code) != (int)r->level || r->level < RK_LEVEL_PROVINCE)
        return RK_EINVAL;
    if (rk_code_parent(r->code, parent) != RK_OK)
        return RK_EINVAL;
    struct pargs a = {0};
    a_text(&a, r->code);
    a_opt(&a, parent);
    a_int(&a, (int)r->level);
    a_text(&a, r->name);
    a_int(&a, r->dpt_l);
    a_int(&a, r->dpt_p);
    return guarded(q, PQ_REGION_PUT, &a, NULL);
}

static void read_region(PGresult *res, int row, struct rk_region *r)
{
    memset(r, 0, sizeof *r);
    copy_val(r->code, sizeof r->code, res, row, 0);
    copy_val(r->name, sizeof r->name, res, row, 1);
    r->level = (enum rk_level)ival(res, row, 2);
    r->dpt_l = (uint32_t)ival(res, row, 3);
    r->dpt_p = (uint32_t)ival(res, row, 4);
}

static int pg_region_get(struct rk_store *s, const char *code, struct rk_region *out)
{
    struct pg_store *q = P(s);
    PGresult *res;
    struct pargs a = {0};
    a_text(&a, code);
    int rc = run(q, PQ_REGION_GET, &a, &res);
    if (rc != RK_OK)
        return rc;
    rc = PQntuples(res) ? RK_OK : RK_ENOTFOUND;
    if (rc == RK_OK)
        read_region(res, 0, out);
    PQclear(res);
    return rc;
}

static int pg_region_children(struct rk_store *s, const char *code, rk_region_visit fn, void *ud)
{
    struct pg_store *q = P(s);
    PGresult *res;
    struct pargs a = {0};
    a_text(&a, code);
    int rc = code[0] ? run(q, PQ_REGION_CHILDREN, &a, &res)
                     : run(q, PQ_REGION_CHILDREN_ROOT, NULL, &res);
    if (rc != RK_OK)
        return rc;
    for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
        struct rk_region r;
        read_region(res, i, &r);
        rc = fn(ud, &r);
    }
    PQclear(res);
    return rc;
}

static int pg_region_at_level(struct rk_store *s, const char *code, enum rk_level level,
                              rk_region_visit fn, void *ud)
{
    struct pg_store *q = P(s);
    char last[RK_CODE_MAX + 1] = "";
    for (;;) {
        PGresult *res;
        struct pargs a = {0};
        a_text(&a, code);
        a_int(&a, (int)level);
        a_text(&a, last);
        int rc = run(q, PQ_REGION_AT_LEVEL, &a, &res);
        if (rc != RK_OK)
            return rc;
        int n = PQntuples(res);
        for (int i = 0; i < n && rc == 0; i++) {
            struct rk_region r;
            read_region(res, i, &r);
            rc = fn(ud, &r);
        }
        if (n)
            copy_val(last, sizeof last, res, n - 1, 0);
        PQclear(res);
        if (rc != 0 || n < PAGE_ROWS)
            return rc;
    }
}

static int pg_region_counts(struct rk_store *s, const char *code, int64_t counts[RK_LEVEL_COUNT])
{
    struct pg_store *q = P(s);
    PGresult *res;
    struct pargs a = {0};
    a_text(&a, code);
    memset(counts, 0, sizeof(int64_t) * RK_LEVEL_COUNT);
    int rc = run(q, PQ_REGION_COUNTS, &a, &res);
    if (rc != RK_OK)
        return rc;
    for (int i = 0; i < PQntuples(res); i++) {
        long long level = ival(res, i, 0);
        if (level > 0 && level < RK_LEVEL_COUNT)
            counts[level] = ival(res, i, 1);
    }
    PQclear(res);
    if (!code[0])
        counts[RK_LEVEL_NATIONAL] = 1;
    return RK_OK;
}

static int pg_region_voters(struct rk_store *s, const char *code, int64_t *l, int64_t *p)
{
    struct pg_store *q = P(s);
    PGresult *res;
    struct pargs a = {0};
    a_text(&a, code);
    int rc = run(q, PQ_REGION_VOTERS, &a, &res);
    if (rc != RK_OK)
        return rc;
    *l = ival(res, 0, 0);
    *p = ival(res, 0, 1);
    PQclear(res);
    return RK_OK;
}

/* Runs a guarded INSERT ... RETURNING id and stores the id. */
static int put_returning(struct pg_store *q, enum pq_stmt id, const struct pargs *a,
                         int64_t *out_id)
{
    PGresult *res;
    int rc = guarded(q, id, a, &res);
    if (rc != RK_OK)
        return rc;
    *out_id = ival(res, 0, 0);
    PQclear(res);
    return RK_OK;
}

static int pg_election_put(struct rk_store *s, struct rk_election *e)
{
    struct pg_store *q = P(s);
    if (rk_election_slug_check(e->slug) != RK_OK || !e->name[0])
        return RK_EINVAL;
    struct pargs a = {0};
    a_id(&a, e->id);
    a_text(&a, e->slug);
    a_int(&a, (int)e->kind);
    a_int(&a, e->year);
    a_text(&a, e->name);
    return put_returning(q, PQ_ELECTION_PUT, &a, &e->id);
}

static void read_election(PGresult *res, int row, struct rk_election *e)
{
    memset(e, 0, sizeof *e);
    e->id = ival(res, row, 0);
    copy_val(e->slug, sizeof e->slug, res, row, 1);
    e->kind = (enum rk_election_kind)ival(res, row, 2);
    e->year = (int)ival(res, row, 3);
    copy_val(e->name, sizeof e->name, res, row, 4);
}

static int pg_election_get(struct rk_store *s, int64_t id, const char *slug,
                           struct rk_election *out)
{
    struct pg_store *q = P(s);
    struct pargs a = {0};
    if (slug)
        a_text(&a, slug);
    else
        a_int(&a, id);
    PGresult *res;
    int rc = run(q, slug ? PQ_ELECTION_BY_SLUG : PQ_ELECTION_GET, &a, &res);
    if (rc != RK_OK)
        return rc;
    rc = PQntuples(res) ? RK_OK : RK_ENOTFOUND;
    if (rc == RK_OK)
        read_election(res, 0, out);
    PQclear(res);
    return rc;
}

static int pg_election_list(struct rk_store *s, rk_election_visit fn, void *ud)
{
    struct pg_store *q = P(s);
    PGresult *res;
    int rc = run(q, PQ_ELECTION_LIST, NULL, &res);
    if (rc != RK_OK)
        return rc;
    for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
        struct rk_election e;
        read_election(res, i, &e);
        rc = fn(ud, &e);
    }
    PQclear(res);
    return rc;
}

static int pg_race_put(struct rk_store *s, struct rk_race *r)
{
    struct pg_store *q = P(s);
    if ((int)rk_race_kind_level(r->kind) != rk_code_level(r->region_code) || !r->name[0])
        return RK_EINVAL;
    struct pargs a = {0};
    a_id(&a, r->id);
    a_int(&a, r->election_id);
    a_int(&a, (int)r->kind);
    a_opt(&a, r->region_code);
    a_text(&a, r->name);
    return put_returning(q, PQ_RACE_PUT, &a, &r->id);
}

static void read_race(PGresult *res, int row, struct rk_race *r)
{
    memset(r, 0, sizeof *r);
    r->id = ival(res, row, 0);
    r->election_id = ival(res, row, 1);
    r->kind = (enum rk_race_kind)ival(res, row, 2);
    copy_val(r->region_code, sizeof r->region_code, res, row, 3);
    copy_val(r->name, sizeof r->name, res, row, 4);
}

static int pg_race_get(struct rk_store *s, int64_t id, struct rk_race *out)
{
    struct pg_store *q = P(s);
    struct pargs a = {0};
    a_int(&a, id);
    PGresult *res;
    int rc = run(q, PQ_RACE_GET, &a, &res);
    if (rc != RK_OK)
        return rc;
    rc = PQntuples(res) ? RK_OK : RK_ENOTFOUND;
    if (rc == RK_OK)
        read_race(res, 0, out);
    PQclear(res);
    return rc;
}

static int pg_race_list(struct rk_store *s, int64_t election_id, const char *code, rk_race_visit fn,
                        void *ud)
{
    struct pg_store *q = P(s);
    struct pargs a = {0};
    a_int(&a, election_id);
    a_text(&a, code);
    PGresult *res;
    int rc = run(q, PQ_RACE_LIST, &a, &res);
    if (rc != RK_OK)
        return rc;
    for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
        struct rk_race r;
        read_race(res, i, &r);
        rc = fn(ud, &r);
    }
    PQclear(res);
    return rc;
}

static int pg_candidate_put(struct rk_store *s, struct rk_candidate *c)
{
    struct pg_store *q = P(s);
    if (c->ballot_no < 1 || c->ballot_no > RK_CANDIDATES_MAX || !c->name[0])
        return RK_EINVAL;
    struct pargs a = {0};
    a_id(&a, c->id);
    a_int(&a, c->race_id);
    a_int(&a, c->ballot_no);
    a_text(&a, c->name);
    a_text(&a, c->color);
    a_text(&a, c->kolom_kosong ? "true" : "false");
    return put_returning(q, PQ_CANDIDATE_PUT, &a, &c->id);
}

static int pg_candidate_list(struct rk_store *s, int64_t race_id, struct rk_candidate *out, int cap,
                             int *n)
{
    struct pg_store *q = P(s);
    struct pargs a = {0};
    a_int(&a, race_id);
    PGresult *res;
    int rc = run(q, PQ_CANDIDATE_LIST, &a, &res);
    if (rc != RK_OK)
        return rc;
    *n = PQntuples(res);
    for (int i = 0; i < *n && i < cap; i++) {
        struct rk_candidate *c = &out[i];
        memset(c, 0, sizeof *c);
        c->id = ival(res, i, 0);
        c->race_id = ival(res, i, 1);
        c->ballot_no = (int)ival(res, i, 2);
        copy_val(c->name, sizeof c->name, res, i, 3);
        copy_val(c->color, sizeof c->color, res, i, 4);
        c->kolom_kosong = ival(res, i, 5) != 0;
    }
    PQclear(res);
    return RK_OK;
}

/* ---- results ---- */

static void a_tally(struct pargs *a, const struct rk_tally *t)
{
    for (int i = 0; i < RK_CANDIDATES_MAX; i++)
        a_int(a, t->votes[i]);
    a_int(a, t->sah);
    a_int(a, t->tidak_sah);
    a_int(a, t->total);
    a_int(a, t->pengguna);
    a_int(a, t->dpt);
    a_int(a, t->received);
    a_int(a, t->flagged);
    a_int(a, t->approved);
}

static void read_tally(PGresult *res, int row, int first, struct rk_tally *t)
{
    for (int i = 0; i < RK_CANDIDATES_MAX; i++)
        t->votes[i] = ival(res, row, first + i);
    t->sah = ival(res, row, first + 6);
    t->tidak_sah = ival(res, row, first + 7);
    t->total = ival(res, row, first + 8);
    t->pengguna = ival(res, row, first + 9);
    t->dpt = ival(res, row, first + 10);
    t->received = ival(res, row, first + 11);
    t->flagged = ival(res, row, first + 12);
    t->approved = ival(res, row, first + 13);
}

static void read_state(struct pg_store *q, PGresult *res, int row, struct rk_tps_state *o)
{
    memset(o, 0, sizeof *o);
    o->race_id = ival(res, row, 0);
    copy_val(o->tps, sizeof o->tps, res, row, 1);
    o->current_version = (int)ival(res, row, 2);
    o->current_id = ival(res, row, 3);
    get_fixed(q, res, row, 4, o->current_hash, 32);
    copy_val(o->approved_by, sizeof o->approved_by, res, row, 5);
    o->approved_ms = ival(res, row, 6);
    read_tally(res, row, 7, &o->tally);
    o->approved = o->tally.approved != 0;
}

static int pg_tps_state_get(struct rk_store *s, int64_t race_id, const char *tps,
                            struct rk_tps_state *out)
{
    struct pg_store *q = P(s);
    struct pargs a = {0};
    a_int(&a, race_id);
    a_text(&a, tps);
    PGresult *res;
    int rc = q->in_tx ? defer(q, PQ_TPS_LOCK, &a) : RK_OK;
    if (rc == RK_OK)
        rc = run(q, PQ_TPS_STATE_GET, &a, &res);
    if (rc != RK_OK)
        return rc;
    rc = PQntuples(res) ? RK_OK : RK_ENOTFOUND;
    if (rc == RK_OK)
        read_state(q, res, 0, out);
    PQclear(res);
    return rc;
}

/* Only store.c writes the state, inside version_add/approve, after reading it under the TPS lock
 * and inserting the version it points to: nothing a caller could recover from can fail here. */
static int pg_tps_state_put(struct rk_store *s, const struct rk_tps_state *o)
{
    struct pg_store *q = P(s);
    struct pargs a = {0};
    a_int(&a, o->race_id);
    a_text(&a, o->tps);
    a_int(&a, o->current_version);
    a_int(&a, o->current_id);
    a_bytes(&a, o->current_hash, 32);
    a_text(&a, o->approved_by);
    a_int(&a, o->approved_ms);
    a_tally(&a, &o->tally);
    return defer(q, PQ_TPS_STATE_PUT, &a);
}

static int pg_tps_states(struct rk_store *s, int64_t race_id, const char *code, bool only_flagged,
                         rk_tps_state_visit fn, void *ud)
{
    struct pg_store *q = P(s);
    char last[RK_CODE_MAX + 1] = "";
    for (;;) {
        struct pargs a = {0};
        a_int(&a, race_id);
        a_text(&a, code);
        a_int(&a, only_flagged ? 1 : 0);
        a_text(&a, last);
        PGresult *res;
        int rc = run(q, PQ_TPS_STATES, &a, &res);
        if (rc != RK_OK)
            return rc;
        int n = PQntuples(res);
        for (int i = 0; i < n && rc == 0; i++) {
            struct rk_tps_state o;
            read_state(q, res, i, &o);
            o.objections = (int)ival(res, i, PQnfields(res) - 1); /* after STATE_COLS */
            rc = fn(ud, &o);
        }
        if (n)
            copy_val(last, sizeof last, res, n - 1, 1);
        PQclear(res);
        if (rc != 0 || n < PAGE_ROWS)
            return rc;
    }
}

static int pg_version_insert(struct rk_store *s, struct rk_version *v)
{
    struct pg_store *q = P(s);
    char photos[RK_PHOTOS_MAX * 65 + 1];
    rk_store_photos_format(v, photos, sizeof photos);
    struct pargs a = {0};
    a_int(&a, v->race_id);
    a_text(&a, v->tps);
    a_int(&a, v->version);
    a_int(&a, (int)v->kind);
    a_text(&a, v->actor);
    a_text(&a, v->device);
    a_bytes(&a, v->doc_hash, 32);
    a_text(&a, photos);
    if (v->has_sig)
        a_bytes(&a, v->sig, 64);
    else
        a_text(&a, NULL);
    a_text(&a, v->reason);
    a_text(&a, v->flags);
    a_int(&a, v->created_ms);
    a_int(&a, v->log_index);
    a_text(&a, v->doc);
    /* Not under a savepoint: a failure here fails rk_store_version_add, after which the caller
     * rolls back (it must with SQLite too, the tallies being half moved otherwise). */
    PGresult *res;
    int rc = run(q, PQ_VERSION_INSERT, &a, &res);
    if (rc != RK_OK)
        return rc;
    v->id = ival(res, 0, 0);
    PQclear(res);
    return RK_OK;
}

static int read_version(struct pg_store *q, PGresult *res, int row, struct rk_version *v)
{
    memset(v, 0, sizeof *v);
    v->id = ival(res, row, 0);
    v->race_id = ival(res, row, 1);
    copy_val(v->tps, sizeof v->tps, res, row, 2);
    v->version = (int)ival(res, row, 3);
    v->kind = (enum rk_version_kind)ival(res, row, 4);
    copy_val(v->actor, sizeof v->actor, res, row, 5);
    copy_val(v->device, sizeof v->device, res, row, 6);
    get_fixed(q, res, row, 7, v->doc_hash, 32);
    rk_store_photos_parse(PQgetvalue(res, row, 8), v);
    size_t n = 0;
    int rc = get_bytes(q, res, row, 9, v->sig, sizeof v->sig, &n);
    v->has_sig = rc == RK_OK && n == 64;
    if (!v->has_sig)
        memset(v->sig, 0, sizeof v->sig);
    copy_val(v->reason, sizeof v->reason, res, row, 10);
    copy_val(v->flags, sizeof v->flags, res, row, 11);
    v->created_ms = ival(res, row, 12);
    v->log_index = ival(res, row, 13);
    copy_val(v->doc, sizeof v->doc, res, row, 14);
    return rc;
}

static int pg_version_get(struct rk_store *s, int64_t race_id, const char *tps, int version,
                          struct rk_version *out)
{
    struct pg_store *q = P(s);
    struct pargs a = {0};
    a_int(&a, race_id);
    a_text(&a, tps);
    a_int(&a, version);
    PGresult *res;
    int rc = run(q, PQ_VERSION_GET, &a, &res);
    if (rc != RK_OK)
        return rc;
    rc = PQntuples(res) ? read_version(q, res, 0, out) : RK_ENOTFOUND;
    PQclear(res);
    return rc;
}

/* The versions of one TPS (tps set) are few and fetched at once; a scan of every version
 * (tps NULL) goes page by page on the id. Visitors may call back into the store. */
static int pg_version_list(struct rk_store *s, int64_t race_id, const char *tps, int64_t after_id,
                           rk_version_visit fn, void *ud)
{
    struct pg_store *q = P(s);
    struct rk_version *v = malloc(sizeof *v);
    if (!v)
        return RK_ENOMEM;
    int rc;
    for (;;) {
        struct pargs a = {0};
        if (tps) {
            a_int(&a, race_id);
            a_text(&a, tps);
        } else {
            a_int(&a, after_id);
        }
        PGresult *res;
        rc = run(q, tps ? PQ_VERSION_LIST : PQ_VERSION_SCAN, &a, &res);
        if (rc != RK_OK)
            break;
        int n = PQntuples(res);
        for (int i = 0; i < n && rc == 0; i++) {
            rc = read_version(q, res, i, v);
            if (rc == RK_OK)
                rc = fn(ud, v);
            after_id = v->id;
        }
        PQclear(res);
        if (rc != 0 || tps || n < VERSION_PAGE_ROWS)
            break;
    }
    free(v);
    return rc;
}

static int pg_version_set_log(struct rk_store *s, int64_t version_id, int64_t log_index)
{
    struct pg_store *q = P(s);
    struct pargs a = {0};
    a_int(&a, version_id);
    a_int(&a, log_index);
    PGresult *res;
    int rc = run(q, PQ_VERSION_SET_LOG, &a, &res);
    if (rc != RK_OK)
        return rc;
    rc = changed(res) == 1 ? RK_OK : RK_ECONFLICT;
    PQclear(res);
    return rc;
}

/* One statement per level, all queued: the five levels of a submission reach the server in
 * the same round trip as whatever runs next. */
static int pg_tally_apply(struct rk_store *s, int64_t race_id, const char *code,
                          const struct rk_tally *d)
{
    struct pg_store *q = P(s);
    struct pargs a = {0};
    a_int(&a, race_id);
    a_text(&a, code);
    a_tally(&a, d);
    return defer(q, PQ_TALLY_APPLY, &a);
}

static int pg_tally_get(struct rk_store *s, int64_t race_id, const char *code, struct rk_tally *out)
{
    struct pg_store *q = P(s);
    struct pargs a = {0};
    a_int(&a, race_id);
    a_text(&a, code);
    PGresult *res;
    rk_tally_zero(out);
    int rc = run(q, PQ_TALLY_GET, &a, &res);
    if (rc != RK_OK)
        return rc;
    if (PQntuples(res))
        read_tally(res, 0, 0, out);
    PQclear(res);
    return RK_OK;
}

static int pg_tally_children(struct rk_store *s, int64_t race_id, const char *code,
                             rk_tally_visit fn, void *ud)
{
    struct pg_store *q = P(s);
    struct pargs a = {0};
    a_int(&a, race_id);
    if (code[0])
        a_text(&a, code);
    PGresult *res;
    int rc = run(q, code[0] ? PQ_TALLY_CHILDREN : PQ_TALLY_CHILDREN_ROOT, &a, &res);
    if (rc != RK_OK)
        return rc;
    for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
        struct rk_region r;
        struct rk_tally t;
        read_region(res, i, &r);
        rk_tally_zero(&t);
        if (!PQgetisnull(res, i, 5))
            read_tally(res, i, 5, &t);
        rc = fn(ud, &r, &t);
    }
    PQclear(res);
    return rc;
}

/* ---- transparency log ---- */

static int pg_log_append(struct rk_store *s, const uint8_t *entry, size_t len,
                         const uint8_t leaf[32], int64_t *index)
{
    struct pg_store *q = P(s);
    int rc = defer(q, PQ_LOG_LOCK, NULL);
    if (rc != RK_OK)
        return rc;
    struct pargs a = {0};
    a_bytes(&a, entry, len);
    a_bytes(&a, leaf, 32);
    PGresult *res;
    rc = run(q, PQ_LOG_APPEND, &a, &res);
    if (rc != RK_OK)
        return rc;
    *index = ival(res, 0, 0);
    PQclear(res);
    return RK_OK;
}

/* Runs a parameterless query of one integer (the first column of its single row). */
static int scalar(struct pg_store *q, enum pq_stmt id, int64_t *out)
{
    PGresult *res;
    int rc = run(q, id, NULL, &res);
    if (rc != RK_OK)
        return rc;
    if (PQntuples(res) != 1)
        rc = RK_EDB;
    else
        *out = ival(res, 0, 0);
    PQclear(res);
    return rc;
}

static int pg_log_size(struct rk_store *s, int64_t *size)
{
    return scalar(P(s), PQ_LOG_SIZE, size);
}

/* No snapshot is needed for the registry cache here: every request reads the generation before
 * its lookups, so an entry tagged with a generation is never served to a request that has seen
 * a later one, and a request that saw an earlier one began before the change committed. */
static int pg_registry_gen(struct rk_store *s, int64_t *gen)
{
    return scalar(P(s), PQ_REGISTRY_GEN, gen);
}

static int pg_log_get(struct rk_store *s, int64_t index, uint8_t *buf, size_t cap, size_t *len,
                      uint8_t leaf[32])
{
    struct pg_store *q = P(s);
    struct pargs a = {0};
    a_int(&a, index);
    PGresult *res;
    int rc = run(q, PQ_LOG_GET, &a, &res);
    if (rc != RK_OK)
        return rc;
    if (!PQntuples(res)) {
        PQclear(res);
        return RK_ENOTFOUND;
    }
    rc = get_bytes(q, res, 0, 0, buf, cap, len);
    if (rc == RK_OK && *len > cap)
        rc = RK_ETOOBIG;
    if (leaf)
        get_fixed(q, res, 0, 1, leaf, 32);
    PQclear(res);
    return rc;
}

static int pg_log_leaves(struct rk_store *s, int64_t start, int64_t count, uint8_t (*out)[32])
{
    struct pg_store *q = P(s);
    if (count > INT64_MAX - start)
        return RK_ERANGE;
    for (int64_t got = 0; got < count;) {
        int64_t chunk = count - got < LEAVES_CHUNK ? count - got : LEAVES_CHUNK;
        struct pargs a = {0};
        a_int(&a, start + got);
        a_int(&a, chunk);
        PGresult *res;
        int rc = run(q, PQ_LOG_LEAVES, &a, &res);
        if (rc != RK_OK)
            return rc;
        int n = PQntuples(res);
        for (int i = 0; i < n; i++) {
            if (ival(res, i, 0) != start + got)
                break; /* a hole: cannot happen with dense appends, refuse rather than misalign */
            get_fixed(q, res, i, 1, out[got], 32);
            got++;
        }
        PQclear(res);
        if (n < chunk)
            return RK_ERANGE;
    }
    return RK_OK;
}

static int pg_objection_put(struct rk_store *s, const struct rk_objection *o)
{
    struct pg_store *q = P(s);
    struct pargs a = {0};
    a_int(&a, o->race_id);
    a_text(&a, o->tps);
    a_int(&a, o->version);
    a_text(&a, o->actor);
    a_text(&a, o->reason);
    a_int(&a, o->created_ms);
    a_int(&a, o->log_index);
    return guarded(q, PQ_OBJECTION_PUT, &a, NULL);
}

static int pg_objection_list(struct rk_store *s, int64_t race_id, const char *tps,
                             struct rk_objection *out, int cap, int *n)
{
    struct pg_store *q = P(s);
    struct pargs a = {0};
    a_int(&a, race_id);
    a_text(&a, tps);
    a_int(&a, cap);
    PGresult *res;
    int rc = run(q, PQ_OBJECTION_LIST, &a, &res);
    if (rc != RK_OK)
        return rc;
    int rows = PQntuples(res);
    for (int i = 0; i < rows && i < cap; i++) {
        struct rk_objection *o = &out[(*n)++];
        memset(o, 0, sizeof *o);
        o->race_id = race_id;
        snprintf(o->tps, sizeof o->tps, "%s", tps);
        o->version = (int)ival(res, i, 0);
        copy_val(o->actor, sizeof o->actor, res, i, 1);
        copy_val(o->reason, sizeof o->reason, res, i, 2);
        o->created_ms = ival(res, i, 3);
        o->log_index = ival(res, i, 4);
    }
    PQclear(res);
    return RK_OK;
}

static int pg_sth_put(struct rk_store *s, const struct rk_sth_row *h)
{
    struct pg_store *q = P(s);
    struct pargs a = {0};
    a_int(&a, h->size);
    a_bytes(&a, h->root, 32);
    a_int(&a, h->timestamp_ms);
    a_text(&a, h->key_id);
    a_bytes(&a, h->sig, 64);
    return guarded(q, PQ_STH_PUT, &a, NULL); /* a second signer of the same size: RK_EEXIST */
}

static int pg_sth_latest(struct rk_store *s, struct rk_sth_row *h)
{
    struct pg_store *q = P(s);
    PGresult *res;
    int rc = run(q, PQ_STH_LATEST, NULL, &res);
    if (rc != RK_OK)
        return rc;
    if (PQntuples(res)) {
        memset(h, 0, sizeof *h);
        h->size = ival(res, 0, 0);
        get_fixed(q, res, 0, 1, h->root, 32);
        h->timestamp_ms = ival(res, 0, 2);
        copy_val(h->key_id, sizeof h->key_id, res, 0, 3);
        get_fixed(q, res, 0, 4, h->sig, 64);
    } else {
        rc = RK_ENOTFOUND;
    }
    PQclear(res);
    return rc;
}

/* ---- photos ---- */

static int pg_photo_put(struct rk_store *s, const uint8_t hash[32], const void *data, size_t len,
                        const char *type, const char *uploader, int64_t now_ms)
{
    struct pg_store *q = P(s);
    struct pargs a = {0};
    a_bytes(&a, hash, 32);
    a_text(&a, type);
    a_bytes(&a, data, len);
    a_text(&a, uploader);
    a_int(&a, now_ms);
    return guarded(q, PQ_PHOTO_PUT, &a, NULL);
}

static int pg_photo_get(struct rk_store *s, const uint8_t hash[32], void **data, size_t *len,
                        char type[32])
{
    struct pg_store *q = P(s);
    struct pargs a = {0};
    a_bytes(&a, hash, 32);
    PGresult *res;
    int rc = run(q, PQ_PHOTO_GET, &a, &res);
    if (rc != RK_OK)
        return rc;
    if (!PQntuples(res)) {
        PQclear(res);
        return RK_ENOTFOUND;
    }
    copy_val(type, 32, res, 0, 0);
    size_t cap = (size_t)PQgetlength(res, 0, 1) / 2 + 1;
    uint8_t *buf = malloc(cap);
    if (!buf) {
        PQclear(res);
        return RK_ENOMEM;
    }
    rc = get_bytes(q, res, 0, 1, buf, cap, len);
    PQclear(res);
    if (rc != RK_OK || *len > cap) {
        free(buf);
        return rc != RK_OK ? rc : RK_EDB;
    }
    *data = buf;
    return RK_OK;
}

static int pg_photo_count(struct rk_store *s, const char *uploader, int64_t *n)
{
    struct pg_store *q = P(s);
    struct pargs a = {0};
    a_text(&a, uploader);
    PGresult *res;
    int rc = run(q, PQ_PHOTO_COUNT, &a, &res);
    if (rc != RK_OK)
        return rc;
    *n = ival(res, 0, 0);
    PQclear(res);
    return RK_OK;
}

/* Job savepoints for the group-commit writer (store/batch.c). SAVEPOINT rides along with the
 * job's first statement; RELEASE waits for every queued write, so a deferred write's failure is
 * charged to its own job; ROLLBACK TO recovers the transaction. */
static int pg_savepoint(struct rk_store *s, int op)
{
    struct pg_store *q = P(s);
    if (!q->in_tx)
        return RK_ECONFLICT;
    if (op == 0) {
        if (q->tx_err)
            return q->tx_err;
        return send_sql(q, "SAVEPOINT rk_job", NULL);
    }
    if (op == 1) {
        if (q->tx_err)
            return q->tx_err;
        int rc = send_sql(q, "RELEASE SAVEPOINT rk_job", NULL);
        int rc2 = q_sync(q, -1, NULL, NULL);
        return rc != RK_OK ? rc : rc2;
    }
    if (op == 2) {
        char keep[sizeof q->base.errmsg];
        memcpy(keep, q->base.errmsg, sizeof keep);
        q->tx_err = 0;
        int rc = send_sql(q, "ROLLBACK TO SAVEPOINT rk_job", NULL);
        int rc2 = q_sync(q, -1, NULL, NULL);
        memcpy(q->base.errmsg, keep, sizeof keep);
        return rc != RK_OK ? rc : rc2;
    }
    return RK_EINVAL;
}

/* ---- accounts ---- */

static int pg_user_put(struct rk_store *s, struct rk_user *u)
{
    struct pg_store *q = P(s);
    struct pargs a = {0};
    a_text(&a, u->p.username);
    a_int(&a, (int)u->p.role);
    a_opt(&a, u->p.scope);
    a_id(&a, u->p.race_id);
    a_text(&a, u->pwhash);
    a_text(&a, u->p.disabled ? "true" : "false");
    a_int(&a, u->created_at);
    return put_returning(q, PQ_USER_PUT, &a, &u->p.user_id);
}

static void read_user(PGresult *res, int row, struct rk_user *u)
{
    memset(u, 0, sizeof *u);
    u->p.user_id = ival(res, row, 0);
    copy_val(u->p.username, sizeof u->p.username, res, row, 1);
    u->p.role = (enum rk_role)ival(res, row, 2);
    copy_val(u->p.scope, sizeof u->p.scope, res, row, 3);
    u->p.race_id = ival(res, row, 4);
    copy_val(u->pwhash, sizeof u->pwhash, res, row, 5);
    u->p.disabled = ival(res, row, 6) != 0;
    u->created_at = ival(res, row, 7);
}

static int pg_user_get(struct rk_store *s, int64_t id, const char *username, struct rk_user *out)
{
    struct pg_store *q = P(s);
    struct pargs a = {0};
    if (username)
        a_text(&a, username);
    else
        a_int(&a, id);
    PGresult *res;
    int rc = run(q, username ? PQ_USER_BY_NAME : PQ_USER_GET, &a, &res);
    if (rc != RK_OK)
        return rc;
    rc = PQntuples(res) ? RK_OK : RK_ENOTFOUND;
    if (rc == RK_OK)
        read_user(res, 0, out);
    PQclear(res);
    return rc;
}

/* Visits one listing page by page; national selects the scope-less accounts. */
static int user_pages(struct pg_store *q, bool national, const char *code, rk_user_visit fn,
                      void *ud)
{
    char scope[RK_CODE_MAX + 1] = "", name[RK_USERNAME_MAX + 1] = "";
    for (;;) {
        struct pargs a = {0};
        if (national) {
            a_text(&a, name);
        } else {
            a_text(&a, code);
            a_text(&a, scope);
            a_text(&a, name);
        }
        PGresult *res;
        int rc = run(q, national ? PQ_USER_LIST_NATIONAL : PQ_USER_LIST, &a, &res);
        if (rc != RK_OK)
            return rc;
        int n = PQntuples(res);
        for (int i = 0; i < n && rc == 0; i++) {
            struct rk_user u;
            read_user(res, i, &u);
            rc = fn(ud, &u);
            if (i == n - 1) {
                memcpy(scope, u.p.scope, sizeof scope);
                memcpy(name, u.p.username, sizeof name);
            }
        }
        PQclear(res);
        if (rc != 0 || n < PAGE_ROWS)
            return rc;
    }
}

static int pg_user_list(struct rk_store *s, const char *code, rk_user_visit fn, void *ud)
{
    struct pg_store *q = P(s);
    if (!code[0]) {
        int rc = user_pages(q, true, "", fn, ud);
        if (rc != 0)
            return rc;
    }
    return user_pages(q, false, code, fn, ud);
}

/* Runs an UPDATE/DELETE keyed by one row; *n gets the rows changed. */
static int write_counted(struct pg_store *q, enum pq_stmt id, const struct pargs *a, int64_t *n)
{
    PGresult *res;
    *n = 0;
    int rc = run(q, id, a, &res);
    if (rc != RK_OK)
        return rc;
    *n = changed(res);
    PQclear(res);
    return RK_OK;
}

static int pg_user_set_disabled(struct rk_store *s, int64_t id, bool disabled)
{
    struct pargs a = {0};
    int64_t n;
    a_int(&a, id);
    a_text(&a, disabled ? "true" : "false");
    int rc = write_counted(P(s), PQ_USER_SET_DISABLED, &a, &n);
    return rc == RK_OK && n == 0 ? RK_ENOTFOUND : rc;
}

static int pg_user_set_password(struct rk_store *s, int64_t id, const char *pwhash)
{
    struct pargs a = {0};
    int64_t n;
    a_int(&a, id);
    a_text(&a, pwhash);
    int rc = write_counted(P(s), PQ_USER_SET_PASSWORD, &a, &n);
    return rc == RK_OK && n == 0 ? RK_ENOTFOUND : rc;
}

static int pg_session_put(struct rk_store *s, const struct rk_session *se)
{
    struct pargs a = {0};
    a_bytes(&a, se->token_hash, RK_TOKEN_HASH_BYTES);
    a_int(&a, se->user_id);
    a_int(&a, se->created_at);
    a_int(&a, se->expires_at);
    return guarded(P(s), PQ_SESSION_PUT, &a, NULL);
}

static int pg_session_get(struct rk_store *s, const uint8_t *hash, struct rk_session *out)
{
    struct pg_store *q = P(s);
    struct pargs a = {0};
    a_bytes(&a, hash, RK_TOKEN_HASH_BYTES);
    PGresult *res;
    int rc = run(q, PQ_SESSION_GET, &a, &res);
    if (rc != RK_OK)
        return rc;
    if (PQntuples(res)) {
        memset(out, 0, sizeof *out);
        get_fixed(q, res, 0, 0, out->token_hash, RK_TOKEN_HASH_BYTES);
        out->user_id = ival(res, 0, 1);
        out->created_at = ival(res, 0, 2);
        out->expires_at = ival(res, 0, 3);
    } else {
        rc = RK_ENOTFOUND;
    }
    PQclear(res);
    return rc;
}

static int pg_session_delete(struct rk_store *s, const uint8_t *hash)
{
    struct pargs a = {0};
    int64_t n;
    a_bytes(&a, hash, RK_TOKEN_HASH_BYTES);
    int rc = write_counted(P(s), PQ_SESSION_DELETE, &a, &n);
    return rc == RK_OK && n == 0 ? RK_ENOTFOUND : rc;
}

static int pg_session_delete_user(struct rk_store *s, int64_t user_id, int64_t *n)
{
    struct pargs a = {0};
    a_int(&a, user_id);
    return write_counted(P(s), PQ_SESSION_DELETE_USER, &a, n);
}

static int pg_session_purge(struct rk_store *s, int64_t now, int64_t *n)
{
    struct pargs a = {0};
    a_int(&a, now);
    return write_counted(P(s), PQ_SESSION_PURGE, &a, n);
}

static int pg_device_put(struct rk_store *s, const struct rk_device_key *k)
{
    struct pargs a = {0};
    a_text(&a, k->key_id);
    a_int(&a, k->user_id);
    a_bytes(&a, k->pub, RK_DEVICE_PUB_BYTES);
    a_int(&a, k->created_at);
    a_int(&a, k->log_index);
    return guarded(P(s), PQ_DEVICE_PUT, &a, NULL);
}

static void read_device(struct pg_store *q, PGresult *res, int row, struct rk_device_key *out)
{
    memset(out, 0, sizeof *out);
    copy_val(out->key_id, sizeof out->key_id, res, row, 0);
    out->user_id = ival(res, row, 1);
    get_fixed(q, res, row, 2, out->pub, RK_DEVICE_PUB_BYTES);
    out->created_at = ival(res, row, 3);
    out->revoked_at = ival(res, row, 4);
    out->log_index = ival(res, row, 5);
}

static int pg_device_get(struct rk_store *s, const char *key_id, struct rk_device_key *out)
{
    struct pg_store *q = P(s);
    struct pargs a = {0};
    a_text(&a, key_id);
    PGresult *res;
    int rc = run(q, PQ_DEVICE_GET, &a, &res);
    if (rc != RK_OK)
        return rc;
    if (PQntuples(res))
        read_device(q, res, 0, out);
    else
        rc = RK_ENOTFOUND;
    PQclear(res);
    return rc;
}

static int pg_registry_page(struct rk_store *s, enum rk_registry_kind kind, const char *after,
                            int limit, int (*fn)(void *ud, const void *row), void *ud)
{
    struct pg_store *q = P(s);
    static const enum pq_stmt ids[] = {PQ_REGION_PAGE, PQ_USER_PAGE, PQ_DEVICE_PAGE};
    if ((unsigned)kind > RK_REGISTRY_DEVICES)
        return RK_EINVAL;
    struct pargs a = {0};
    if (kind == RK_REGISTRY_TPS)
        a_int(&a, RK_LEVEL_TPS);
    if (kind == RK_REGISTRY_USERS)
        a_int(&a, strtoll(after, NULL, 10));
    else
        a_text(&a, after);
    a_int(&a, limit);
    PGresult *res;
    int rc = run(q, ids[kind], &a, &res);
    if (rc != RK_OK)
        return rc;
    int n = PQntuples(res);
    for (int i = 0; i < n && rc == 0; i++) {
        union {
            struct rk_region r;
            struct rk_user u;
            struct rk_device_key k;
        } row;
        if (kind == RK_REGISTRY_TPS)
            read_region(res, i, &row.r);
        else if (kind == RK_REGISTRY_USERS)
            read_user(res, i, &row.u);
        else
            read_device(q, res, i, &row.k);
        rc = fn(ud, &row);
    }
    PQclear(res);
    return rc;
}

static int pg_device_revoke(struct rk_store *s, const char *key_id, int64_t now)
{
    struct pargs a = {0};
    int64_t n;
    a_text(&a, key_id);
    a_int(&a, now);
    int rc = write_counted(P(s), PQ_DEVICE_REVOKE, &a, &n);
    if (rc == RK_OK && n == 0) {
        /* Tell "no such key" from "already revoked": a revocation must not move its date. */
        struct rk_device_key k;
        rc = pg_device_get(s, key_id, &k);
        return rc == RK_OK ? RK_ECONFLICT : rc;
    }
    return rc;
}

static const struct rk_store_ops pg_ops = {
    .engine = "postgres",
    .close = pg_close,
    .schema_version = pg_schema_version,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .region_put = pg_region_put,
    .region_get = pg_region_get,
    .region_children = pg_region_children,
    .region_at_level = pg_region_at_level,
    .region_counts = pg_region_counts,
    .region_voters = pg_region_voters,
    .election_put = pg_election_put,
    .election_get = pg_election_get,
    .election_list = pg_election_list,
    .race_put = pg_race_put,
    .race_get = pg_race_get,
    .race_list = pg_race_list,
    .candidate_put = pg_candidate_put,
    .candidate_list = pg_candidate_list,
    .in_transaction = pg_in_transaction,
    .tps_state_get = pg_tps_state_get,
    .tps_state_put = pg_tps_state_put,
    .tps_states = pg_tps_states,
    .version_insert = pg_version_insert,
    .version_get = pg_version_get,
    .version_list = pg_version_list,
    .version_set_log = pg_version_set_log,
    .tally_apply = pg_tally_apply,
    .tally_get = pg_tally_get,
    .tally_children = pg_tally_children,
    .log_append = pg_log_append,
    .log_size = pg_log_size,
    .registry_gen = pg_registry_gen,
    .log_get = pg_log_get,
    .log_leaves = pg_log_leaves,
    .objection_put = pg_objection_put,
    .objection_list = pg_objection_list,
    .sth_put = pg_sth_put,
    .sth_latest = pg_sth_latest,
    .photo_put = pg_photo_put,
    .photo_get = pg_photo_get,
    .photo_count = pg_photo_count,
    .savepoint = pg_savepoint,
    .user_put = pg_user_put,
    .user_get = pg_user_get,
    .user_list = pg_user_list,
    .user_set_disabled = pg_user_set_disabled,
    .user_set_password = pg_user_set_password,
    .session_put = pg_session_put,
    .session_get = pg_session_get,
    .session_delete = pg_session_delete,
    .session_delete_user = pg_session_delete_user,
    .session_purge = pg_session_purge,
    .device_put = pg_device_put,
    .device_get = pg_device_get,
    .registry_page = pg_registry_page,
    .device_revoke = pg_device_revoke,
};

int rk_postgres_open(const char *conninfo, struct rk_store **out)
{
    *out = NULL;
    struct pg_store *q = calloc(1, sizeof *q);
    if (!q)
        return RK_ENOMEM;
    q->base.ops = &pg_ops;
    q->conn = PQconnectdb(conninfo);
    if (!q->conn || PQstatus(q->conn) != CONNECTION_OK ||
        PQsetClientEncoding(q->conn, "UTF8") != 0) {
        pg_close(&q->base);
        return RK_EDB;
    }
    int rc = pg_migrate(q);
    if (rc != RK_OK) {
        pg_close(&q->base);
        return rc;
    }
    *out = &q->base;
    return RK_OK;
}
