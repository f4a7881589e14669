/* SQLite engine, the embedded default: one file, WAL journal, foreign keys on, schema migrated
 * forward in numbered steps recorded in PRAGMA user_version. Statements are prepared once per
 * handle and reused, which is what makes bulk imports run at hundreds of thousands of rows per
 * second inside one transaction. */
#include "store/store_impl.h"
#include "store/pcache.h"
#include "store/walbuf.h"
#include "rekap/status.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum stmt_id {
    ST_REGION_PUT,
    ST_REGION_GET,
    ST_REGION_CHILDREN_ROOT,
    ST_REGION_CHILDREN,
    ST_REGION_AT_LEVEL,
    ST_REGION_COUNTS,
    ST_REGION_VOTERS,
    ST_ELECTION_PUT,
    ST_ELECTION_GET,
    ST_ELECTION_BY_SLUG,
    ST_ELECTION_LIST,
    ST_RACE_PUT,
    ST_RACE_GET,
    ST_RACE_LIST,
    ST_CANDIDATE_PUT,
    ST_CANDIDATE_LIST,
    ST_TPS_STATE_GET,
    ST_TPS_STATE_PUT,
    ST_TPS_STATES,
    ST_VERSION_INSERT,
    ST_VERSION_GET,
    ST_VERSION_LIST,
    ST_VERSION_SCAN,
    ST_VERSION_SET_LOG,
    ST_TALLY_APPLY,
    ST_TALLY_GET,
    ST_TALLY_CHILDREN_ROOT,
    ST_TALLY_CHILDREN,
    ST_TALLY_SUM_TPS,
    ST_TALLY_CHILDREN_TPS,
    ST_LOG_APPEND,
    ST_LOG_SIZE,
    ST_LOG_GET,
    ST_LOG_LEAVES,
    ST_STH_PUT,
    ST_OBJECTION_PUT,
    ST_OBJECTION_LIST,
    ST_STH_LATEST,
    ST_PHOTO_PUT,
    ST_PHOTO_GET,
    ST_PHOTO_COUNT,
    ST_USER_PUT,
    ST_USER_GET,
    ST_USER_BY_NAME,
    ST_USER_LIST_ALL,
    ST_USER_LIST,
    ST_USER_SET_DISABLED,
    ST_USER_SET_PASSWORD,
    ST_SESSION_PUT,
    ST_SESSION_GET,
    ST_SESSION_DELETE,
    ST_SESSION_DELETE_USER,
    ST_SESSION_PURGE,
    ST_DEVICE_PUT,
    ST_DEVICE_GET,
    ST_REGION_PAGE,
    ST_USER_PAGE,
    ST_DEVICE_PAGE,
    ST_DEVICE_REVOKE,
    ST_REGISTRY_GEN,
    ST_TX_BEGIN,
    ST_TX_READ,
    ST_TX_COMMIT,
    ST_TX_ROLLBACK,
    ST_SP_SET,
    ST_SP_RELEASE,
    ST_SP_ROLLBACK,
    ST_COUNT
};

#define TALLY_COLS "v1, v2, v3, v4, v5, v6, sah, tidak_sah, total, pengguna, dpt, received, flagged, approved"
#define STATE_COLS "race_id, tps_code, current_version, current_id, current_hash, approved_by, approved_ms, " TALLY_COLS
/* The versions of TPS ?2 in race ?1, found by walking back from its current one (no key index:
 * migration 10); `more` may stop the walk early ("v.version > ?3 AND "). Each step goes to a
 * lower id, so even a damaged chain ends. */
#define TPS_VERSIONS(more)                                                                        \
    "WITH RECURSIVE c(id) AS (SELECT current_id FROM tps_state WHERE tps_code = ?2 AND "          \
    "race_id = ?1 UNION ALL SELECT v.prev_id FROM version v JOIN c ON v.id = c.id WHERE " more   \
    "v.prev_id < v.id) SELECT " VERSION_COLS " FROM version WHERE id IN c AND race_id = ?1 AND " \
    "tps_code = ?2"
/* The tally columns summed over TPS rows, named as in tally (see tally_stored). */
#define TPS_SUMS                                                                                  \
    "sum(v1) AS v1, sum(v2) AS v2, sum(v3) AS v3, sum(v4) AS v4, sum(v5) AS v5, sum(v6) AS v6, "  \
    "sum(sah) AS sah, sum(tidak_sah) AS tidak_sah, sum(total) AS total, "                         \
    "sum(pengguna) AS pengguna, sum(dpt) AS dpt, sum(received) AS received, "                     \
    "sum(flagged) AS flagged, sum(approved) AS approved"
#define VERSION_COLS "id, race_id, tps_code, version, kind, actor, device, doc_hash, photos, signature, reason, flags, created_ms, log_index, doc"

/* Subtree ranges: every code in the subtree of P sorts in [P, P || ':'), because ':' follows
 * '9' in ASCII. This uses the primary key index for any prefix, unlike LIKE. */
static const char *const stmt_sql[ST_COUNT] = {
    /* Transaction control runs several times per upload: prepared once, not parsed each time. */
    [ST_REGISTRY_GEN] = "SELECT n FROM registry_gen WHERE id = 1",
    [ST_TX_BEGIN] = "BEGIN IMMEDIATE",
    [ST_TX_READ] = "BEGIN DEFERRED",
    [ST_TX_COMMIT] = "COMMIT",
    [ST_TX_ROLLBACK] = "ROLLBACK",
    [ST_SP_SET] = "SAVEPOINT rk_job",
    [ST_SP_RELEASE] = "RELEASE rk_job",
    [ST_SP_ROLLBACK] = "ROLLBACK TO rk_job",
    [ST_REGION_PUT] = "INSERT INTO region(code, parent, level, name, dpt_l, dpt_p) "
                      "VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
    [ST_REGION_GET] = "SELECT code, name, level, dpt_l, dpt_p FROM region WHERE code = ?1",
    [ST_REGION_CHILDREN_ROOT] = "SELECT code, name, level, dpt_l, dpt_p FROM region "
                                "WHERE parent IS NULL ORDER BY code",
    [ST_REGION_CHILDREN] = "SELECT code, name, level, dpt_l, dpt_p FROM region "
                           "WHERE parent = ?1 ORDER BY code",
    [ST_REGION_AT_LEVEL] = "SELECT code, name, level, dpt_l, dpt_p FROM region "
                           "WHERE code >= ?1 AND code < ?1 || ':' AND level = ?2 ORDER BY code",
    [ST_REGION_COUNTS] = "SELECT level, count(*) FROM region "
                         "WHERE code >= ?1 AND code < ?1 || ':' GROUP BY level",
    [ST_REGION_VOTERS] = "SELECT coalesce(sum(dpt_l), 0), coalesce(sum(dpt_p), 0) FROM region "
                         "WHERE code >= ?1 AND code < ?1 || ':' AND level = 5",
    [ST_ELECTION_PUT] = "INSERT INTO election(id, slug, kind, year, name) VALUES(?1, ?2, ?3, ?4, ?5)",
    [ST_ELECTION_GET] = "SELECT id, slug, kind, year, name FROM election WHERE id = ?1",
    [ST_ELECTION_BY_SLUG] = "SELECT id, slug, kind, year, name FROM election WHERE slug = ?1",
    [ST_ELECTION_LIST] = "SELECT id, slug, kind, year, name FROM election ORDER BY id",
    [ST_RACE_PUT] = "INSERT INTO race(id, election_id, kind, region_code, name) "
                    "VALUES(?1, ?2, ?3, ?4, ?5)",
    [ST_RACE_GET] = "SELECT id, election_id, kind, coalesce(region_code, ''), name FROM race "
                    "WHERE id = ?1",
    [ST_RACE_LIST] = "SELECT id, election_id, kind, coalesce(region_code, ''), name FROM race "
                     "WHERE (?1 = 0 OR election_id = ?1) AND (region_code IS NULL "
                     "  OR region_code = substr(?2, 1, length(region_code)) "
                     "  OR (region_code >= ?2 AND region_code < ?2 || ':')) "
                     "ORDER BY kind, region_code",
    [ST_CANDIDATE_PUT] = "INSERT INTO candidate(id, race_id, ballot_no, name, color, kolom_kosong) "
                         "VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
    [ST_CANDIDATE_LIST] = "SELECT id, race_id, ballot_no, name, color, kolom_kosong FROM candidate "
                          "WHERE race_id = ?1 ORDER BY ballot_no",
    [ST_TPS_STATE_GET] = "SELECT " STATE_COLS " FROM tps_state WHERE race_id = ?1 AND tps_code = ?2",
    [ST_TPS_STATE_PUT] = "INSERT OR REPLACE INTO tps_state(" STATE_COLS ") VALUES(?1, ?2, ?3, ?4, "
                         "?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, "
                         "?20, ?21)",
    [ST_TPS_STATES] = "SELECT " STATE_COLS ", (SELECT count(*) FROM objection o WHERE "
                      "o.race_id = tps_state.race_id AND o.tps_code = tps_state.tps_code) "
                      "FROM tps_state WHERE race_id = ?1 AND tps_code >= ?2 "
                      "AND tps_code < ?2 || ':' AND (?3 = 0 OR flagged = 1) ORDER BY tps_code",
    /* A version chains to the one its TPS showed until now (migration 10); store.c writes
     * the TPS's new state right after. */
    [ST_VERSION_INSERT] = "INSERT INTO version(race_id, tps_code, version, kind, actor, device, "
                          "doc_hash, photos, signature, reason, flags, created_ms, log_index, doc, "
                          "prev_id) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
                          "?14, (SELECT nullif(current_id, 0) FROM tps_state WHERE tps_code = ?2 "
                          "AND race_id = ?1))",
    [ST_VERSION_GET] = TPS_VERSIONS("v.version > ?3 AND ") " AND version = ?3",
    [ST_VERSION_LIST] = TPS_VERSIONS("") " ORDER BY version",
    [ST_VERSION_SCAN] = "SELECT " VERSION_COLS " FROM version WHERE id > ?1 ORDER BY id LIMIT ?2",
    [ST_VERSION_SET_LOG] = "UPDATE version SET log_index = ?2 WHERE id = ?1 AND log_index = -1",
    [ST_TALLY_APPLY] = "INSERT INTO tally(race_id, region_code, " TALLY_COLS ") VALUES(?1, ?2, ?3, "
                       "?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16) "
                       "ON CONFLICT(race_id, region_code) DO UPDATE SET v1 = v1 + excluded.v1, "
                       "v2 = v2 + excluded.v2, v3 = v3 + excluded.v3, v4 = v4 + excluded.v4, "
                       "v5 = v5 + excluded.v5, v6 = v6 + excluded.v6, sah = sah + excluded.sah, "
                       "tidak_sah = tidak_sah + excluded.tidak_sah, total = total + excluded.total, "
                       "pengguna = pengguna + excluded.pengguna, dpt = dpt + excluded.dpt, "
                       "received = received + excluded.received, "
                       "flagged = flagged + excluded.flagged, approved = approved + excluded.approved",
    [ST_TALLY_GET] = "SELECT " TALLY_COLS " FROM tally WHERE race_id = ?1 AND region_code = ?2",
    [ST_TALLY_CHILDREN_ROOT] = "SELECT r.code, r.name, r.level, r.dpt_l, r.dpt_p, t.v1, t.v2, t.v3, "
                               "t.v4, t.v5, t.v6, t.sah, t.tidak_sah, t.total, t.pengguna, t.dpt, "
                               "t.received, t.flagged, t.approved FROM region r LEFT JOIN tally t "
                               "ON t.race_id = ?1 AND t.region_code = r.code "
                               "WHERE r.parent IS NULL ORDER BY r.code",
    [ST_TALLY_CHILDREN] = "SELECT r.code, r.name, r.level, r.dpt_l, r.dpt_p, t.v1, t.v2, t.v3, "
                          "t.v4, t.v5, t.v6, t.sah, t.tidak_sah, t.total, t.pengguna, t.dpt, "
                          "t.received, t.flagged, t.approved FROM region r LEFT JOIN tally t "
                          "ON t.race_id = ?1 AND t.region_code = r.code "
                          "WHERE r.parent = ?2 ORDER BY r.code",
    /* Kecamatan and desa totals are not stored (see tally_stored): they are the sum of their
     * TPS's current rows, which lie together in tps_state's key order. ?3 is just above every
     * code that starts with ?2. */
    [ST_TALLY_SUM_TPS] = "SELECT " TPS_SUMS " FROM tps_state "
                         "WHERE race_id = ?1 AND tps_code > ?2 AND tps_code < ?3",
    [ST_TALLY_CHILDREN_TPS] = "SELECT r.code, r.name, r.level, r.dpt_l, r.dpt_p, t.v1, t.v2, t.v3, "
                              "t.v4, t.v5, t.v6, t.sah, t.tidak_sah, t.total, t.pengguna, t.dpt, "
                              "t.received, t.flagged, t.approved FROM region r LEFT JOIN "
                              "(SELECT substr(tps_code, 1, ?4) AS c, " TPS_SUMS " "
                              "FROM tps_state WHERE race_id = ?1 AND tps_code > ?2 AND tps_code < ?3 "
                              "GROUP BY c) t ON t.c = r.code WHERE r.parent = ?2 ORDER BY r.code",
    [ST_LOG_APPEND] = "INSERT INTO log_entry(idx, entry, leaf) VALUES((SELECT coalesce(max(idx) + 1, "
                      "0) FROM log_entry), ?1, ?2)",
    [ST_LOG_SIZE] = "SELECT coalesce(max(idx) + 1, 0) FROM log_entry",
    [ST_LOG_GET] = "SELECT entry, leaf FROM log_entry WHERE idx = ?1",
    [ST_LOG_LEAVES] = "SELECT idx, leaf FROM log_entry WHERE idx >= ?1 AND idx < ?1 + ?2 ORDER BY idx",
    [ST_STH_PUT] = "INSERT INTO sth(size, root, ts_ms, key_id, sig) VALUES(?1, ?2, ?3, ?4, ?5)",
    [ST_OBJECTION_PUT] = "INSERT INTO objection(race_id, tps_code, version, actor, reason, "
                         "created_ms, log_index) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [ST_OBJECTION_LIST] = "SELECT version, actor, reason, created_ms, log_index FROM objection "
                          "WHERE race_id = ?1 AND tps_code = ?2 ORDER BY id LIMIT ?3",
    [ST_STH_LATEST] = "SELECT size, root, ts_ms, key_id, sig FROM sth ORDER BY size DESC LIMIT 1",
    [ST_PHOTO_PUT] = "INSERT INTO photo(hash, type, bytes, uploader, created_ms) "
                     "VALUES(?1, ?2, ?3, ?4, ?5)",
    [ST_PHOTO_GET] = "SELECT type, bytes FROM photo WHERE hash = ?1",
    [ST_PHOTO_COUNT] = "SELECT count(*) FROM photo WHERE uploader = ?1",
#define USER_COLS "SELECT id, username, role, coalesce(scope_code, ''), coalesce(race_id, 0), " \
                  "pwhash, disabled, created_at FROM users "
    [ST_USER_PUT] = "INSERT INTO users(username, role, scope_code, race_id, pwhash, disabled, "
                    "created_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [ST_USER_GET] = USER_COLS "WHERE id = ?1",
    [ST_USER_BY_NAME] = USER_COLS "WHERE username = ?1",
    [ST_USER_LIST_ALL] = USER_COLS "ORDER BY coalesce(scope_code, ''), username",
    [ST_USER_LIST] = USER_COLS "WHERE scope_code >= ?1 AND scope_code < ?1 || ':' "
                               "ORDER BY scope_code, username",
    [ST_USER_SET_DISABLED] = "UPDATE users SET disabled = ?2 WHERE id = ?1",
    [ST_USER_SET_PASSWORD] = "UPDATE users SET pwhash = ?2 WHERE id = ?1",
    [ST_SESSION_PUT] = "INSERT INTO sessions(token_hash, user_id, created_at, expires_at) "
                       "VALUES(?1, ?2, ?3, ?4)",
    [ST_SESSION_GET] = "SELECT token_hash, user_id, created_at, expires_at FROM sessions "
                       "WHERE token_hash = ?1",
    [ST_SESSION_DELETE] = "DELETE FROM sessions WHERE token_hash = ?1",
    [ST_SESSION_DELETE_USER] = "DELETE FROM sessions WHERE user_id = ?1",
    [ST_SESSION_PURGE] = "DELETE FROM sessions WHERE expires_at <= ?1",
    [ST_DEVICE_PUT] = "INSERT INTO device_keys(key_id, user_id, public_key, created_at, log_index) "
                      "VALUES(?1, ?2, ?3, ?4, ?5)",
    [ST_DEVICE_GET] = "SELECT key_id, user_id, public_key, created_at, coalesce(revoked_at, 0), "
                      "log_index FROM device_keys WHERE key_id = ?1",
    [ST_REGION_PAGE] = "SELECT code, name, level, dpt_l, dpt_p FROM region "
                       "WHERE level = ?1 AND code > ?2 ORDER BY code LIMIT ?3",
    [ST_USER_PAGE] = USER_COLS "WHERE id > ?1 ORDER BY id LIMIT ?2",
    [ST_DEVICE_PAGE] = "SELECT key_id, user_id, public_key, created_at, coalesce(revoked_at, 0), "
                       "log_index FROM device_keys WHERE key_id > ?1 ORDER BY key_id LIMIT ?2",
    [ST_DEVICE_REVOKE] = "UPDATE device_keys SET revoked_at = ?2 "
                         "WHERE key_id = ?1 AND revoked_at IS NULL",
#undef USER_COLS
};

/* Forward-only migrations; entry i moves the schema from version i to i+1. Never edit a
 * shipped entry: append a new one. */
static const char *const migrations[] = {
    "CREATE TABLE region("
    "  code TEXT PRIMARY KEY,"
    "  parent TEXT REFERENCES region(code),"
    "  level INTEGER NOT NULL CHECK(level BETWEEN 1 AND 5),"
    "  name TEXT NOT NULL,"
    "  dpt_l INTEGER NOT NULL DEFAULT 0 CHECK(dpt_l BETWEEN 0 AND 999),"
    "  dpt_p INTEGER NOT NULL DEFAULT 0 CHECK(dpt_p BETWEEN 0 AND 999)"
    ") WITHOUT ROWID;"
    "CREATE INDEX region_parent ON region(parent, code);"
    "CREATE TABLE election("
    "  id INTEGER PRIMARY KEY,"
    "  slug TEXT NOT NULL UNIQUE,"
    "  kind INTEGER NOT NULL,"
    "  year INTEGER NOT NULL,"
    "  name TEXT NOT NULL);"
    "CREATE TABLE race("
    "  id INTEGER PRIMARY KEY,"
    "  election_id INTEGER NOT NULL REFERENCES election(id),"
    "  kind INTEGER NOT NULL,"
    "  region_code TEXT REFERENCES region(code),"
    "  name TEXT NOT NULL,"
    "  UNIQUE(election_id, kind, region_code));"
    "CREATE INDEX race_region ON race(region_code);"
    "CREATE TABLE candidate("
    "  id INTEGER PRIMARY KEY,"
    "  race_id INTEGER NOT NULL REFERENCES race(id),"
    "  ballot_no INTEGER NOT NULL CHECK(ballot_no BETWEEN 1 AND 6),"
    "  name TEXT NOT NULL,"
    "  color TEXT NOT NULL DEFAULT '',"
    "  kolom_kosong INTEGER NOT NULL DEFAULT 0,"
    "  UNIQUE(race_id, ballot_no));",
    /* 2: results — versions (append-only), per-TPS state, tallies, transparency log */
    "CREATE TABLE version("
    "  id INTEGER PRIMARY KEY,"
    "  race_id INTEGER NOT NULL REFERENCES race(id),"
    "  tps_code TEXT NOT NULL REFERENCES region(code),"
    "  version INTEGER NOT NULL CHECK(version >= 1),"
    "  kind INTEGER NOT NULL CHECK(kind IN (1, 2)),"
    "  actor TEXT NOT NULL,"
    "  device TEXT NOT NULL DEFAULT '',"
    "  doc_hash BLOB NOT NULL CHECK(length(doc_hash) = 32),"
    "  photos TEXT NOT NULL DEFAULT '',"
    "  signature BLOB,"
    "  reason TEXT NOT NULL DEFAULT '',"
    "  flags TEXT NOT NULL DEFAULT '',"
    "  created_ms INTEGER NOT NULL,"
    "  log_index INTEGER NOT NULL DEFAULT -1,"
    "  doc TEXT NOT NULL,"
    "  UNIQUE(race_id, tps_code, version));"
    /* Versions are history: the engine itself refuses to rewrite or delete them (only the
     * one-time log index link may be filled in). */
    "CREATE TRIGGER version_no_delete BEFORE DELETE ON version BEGIN "
    "  SELECT RAISE(ABORT, 'versions are append-only'); END;"
    "CREATE TRIGGER version_no_update BEFORE UPDATE ON version WHEN "
    "  NOT (OLD.log_index = -1 AND NEW.log_index >= 0 AND NEW.id = OLD.id AND "
    "  NEW.doc = OLD.doc AND NEW.doc_hash = OLD.doc_hash AND NEW.version = OLD.version AND "
    "  NEW.race_id = OLD.race_id AND NEW.tps_code = OLD.tps_code AND NEW.actor = OLD.actor AND "
    "  NEW.reason = OLD.reason AND NEW.flags = OLD.flags AND NEW.kind = OLD.kind) BEGIN "
    "  SELECT RAISE(ABORT, 'versions are append-only'); END;"
    "CREATE TABLE tps_state("
    "  race_id INTEGER NOT NULL REFERENCES race(id),"
    "  tps_code TEXT NOT NULL REFERENCES region(code),"
    "  current_version INTEGER NOT NULL,"
    "  current_id INTEGER NOT NULL REFERENCES version(id),"
    "  current_hash BLOB NOT NULL,"
    "  approved_by TEXT NOT NULL DEFAULT '',"
    "  approved_ms INTEGER NOT NULL DEFAULT 0,"
    "  v1 INTEGER NOT NULL, v2 INTEGER NOT NULL, v3 INTEGER NOT NULL, v4 INTEGER NOT NULL,"
    "  v5 INTEGER NOT NULL, v6 INTEGER NOT NULL, sah INTEGER NOT NULL, tidak_sah INTEGER NOT NULL,"
    "  total INTEGER NOT NULL, pengguna INTEGER NOT NULL, dpt INTEGER NOT NULL,"
    "  received INTEGER NOT NULL, flagged INTEGER NOT NULL, approved INTEGER NOT NULL,"
    "  PRIMARY KEY(race_id, tps_code)) WITHOUT ROWID;"
    "CREATE TABLE tally("
    "  race_id INTEGER NOT NULL REFERENCES race(id),"
    "  region_code TEXT NOT NULL,"
    "  v1 INTEGER NOT NULL, v2 INTEGER NOT NULL, v3 INTEGER NOT NULL, v4 INTEGER NOT NULL,"
    "  v5 INTEGER NOT NULL, v6 INTEGER NOT NULL, sah INTEGER NOT NULL, tidak_sah INTEGER NOT NULL,"
    "  total INTEGER NOT NULL, pengguna INTEGER NOT NULL, dpt INTEGER NOT NULL,"
    "  received INTEGER NOT NULL, flagged INTEGER NOT NULL, approved INTEGER NOT NULL,"
    "  PRIMARY KEY(race_id, region_code)) WITHOUT ROWID;"
    "CREATE TABLE log_entry("
    "  idx INTEGER PRIMARY KEY CHECK(idx >= 0),"
    "  entry BLOB NOT NULL,"
    "  leaf BLOB NOT NULL CHECK(length(leaf) = 32));"
    "CREATE TRIGGER log_no_delete BEFORE DELETE ON log_entry BEGIN "
    "  SELECT RAISE(ABORT, 'the log is append-only'); END;"
    "CREATE TRIGGER log_no_update BEFORE UPDATE ON log_entry BEGIN "
    "  SELECT RAISE(ABORT, 'the log is append-only'); END;"
    "CREATE TABLE sth("
    "  size INTEGER PRIMARY KEY,"
    "  root BLOB NOT NULL,"
    "  ts_ms INTEGER NOT NULL,"
    "  key_id TEXT NOT NULL,"
    "  sig BLOB NOT NULL);",
    /* 3: accounts. Only hashes of secrets are stored: Argon2id strings for passwords, BLAKE2b
     * of session tokens. A NULL scope_code is the national scope. */
    "CREATE TABLE users("
    "  id INTEGER PRIMARY KEY,"
    "  username TEXT NOT NULL UNIQUE CHECK(length(username) BETWEEN 3 AND 64),"
    "  role INTEGER NOT NULL CHECK(role BETWEEN 1 AND 8),"
    "  scope_code TEXT REFERENCES region(code),"
    "  race_id INTEGER REFERENCES race(id),"
    "  pwhash TEXT NOT NULL CHECK(substr(pwhash, 1, 10) = '$argon2id$'),"
    "  disabled INTEGER NOT NULL DEFAULT 0 CHECK(disabled IN (0, 1)),"
    "  created_at INTEGER NOT NULL);"
    "CREATE INDEX users_scope ON users(scope_code, username);"
    "CREATE TABLE sessions("
    "  token_hash BLOB PRIMARY KEY CHECK(length(token_hash) = 32),"
    "  user_id INTEGER NOT NULL REFERENCES users(id),"
    "  created_at INTEGER NOT NULL,"
    "  expires_at INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE INDEX sessions_user ON sessions(user_id);"
    "CREATE INDEX sessions_expiry ON sessions(expires_at);"
    "CREATE TABLE device_keys("
    "  key_id TEXT PRIMARY KEY CHECK(length(key_id) = 16),"
    "  user_id INTEGER NOT NULL REFERENCES users(id),"
    "  public_key BLOB NOT NULL UNIQUE CHECK(length(public_key) = 32),"
    "  created_at INTEGER NOT NULL,"
    "  revoked_at INTEGER"
    ") WITHOUT ROWID;"
    "CREATE INDEX device_keys_user ON device_keys(user_id);",
    /* 4: form photos, content-addressed */
    "CREATE TABLE photo("
    "  hash BLOB PRIMARY KEY CHECK(length(hash) = 32),"
    "  type TEXT NOT NULL,"
    "  bytes BLOB NOT NULL,"
    "  uploader TEXT NOT NULL,"
    "  created_ms INTEGER NOT NULL);"
    "CREATE INDEX photo_uploader ON photo(uploader);",
    /* 5: the version trigger of migration 2 let the one-time log link also change the device,
     * photos, signature or time; now every column but log_index must stay as it was. */
    "DROP TRIGGER version_no_update;"
    "CREATE TRIGGER version_no_update BEFORE UPDATE ON version WHEN "
    "  NOT (OLD.log_index = -1 AND NEW.log_index >= 0 AND NEW.id IS OLD.id AND "
    "  NEW.race_id IS OLD.race_id AND NEW.tps_code IS OLD.tps_code AND "
    "  NEW.version IS OLD.version AND NEW.kind IS OLD.kind AND NEW.actor IS OLD.actor AND "
    "  NEW.device IS OLD.device AND NEW.doc_hash IS OLD.doc_hash AND NEW.photos IS OLD.photos AND "
    "  NEW.signature IS OLD.signature AND NEW.reason IS OLD.reason AND NEW.flags IS OLD.flags AND "
    "  NEW.created_ms IS OLD.created_ms AND NEW.doc IS OLD.doc) BEGIN "
    "  SELECT RAISE(ABORT, 'versions are append-only'); END;",
    /* 6: the registry generation. Every change to the rows an upload looks up (regions,
     * elections, races, candidate lists, accounts, device keys) bumps it, so a process may keep
     * those rows in memory and know exactly when they went stale (store/regcache.h). Inserting
     * an election, race, account or device key changes no row anyone could have cached (only
     * rows found are cached), so those inserts do not bump it; a new candidate changes its
     * race's list and a new region the counts of its ancestors, so those do. */
    "CREATE TABLE registry_gen(id INTEGER PRIMARY KEY CHECK(id = 1), n INTEGER NOT NULL);"
    "INSERT INTO registry_gen(id, n) VALUES(1, 0);"
    "CREATE TRIGGER region_gen_i AFTER INSERT ON region BEGIN "
    "  UPDATE registry_gen SET n = n + 1 WHERE id = 1; END;"
    "CREATE TRIGGER region_gen_u AFTER UPDATE ON region BEGIN "
    "  UPDATE registry_gen SET n = n + 1 WHERE id = 1; END;"
    "CREATE TRIGGER region_gen_d AFTER DELETE ON region BEGIN "
    "  UPDATE registry_gen SET n = n + 1 WHERE id = 1; END;"
    "CREATE TRIGGER election_gen_u AFTER UPDATE ON election BEGIN "
    "  UPDATE registry_gen SET n = n + 1 WHERE id = 1; END;"
    "CREATE TRIGGER election_gen_d AFTER DELETE ON election BEGIN "
    "  UPDATE registry_gen SET n = n + 1 WHERE id = 1; END;"
    "CREATE TRIGGER race_gen_u AFTER UPDATE ON race BEGIN "
    "  UPDATE registry_gen SET n = n + 1 WHERE id = 1; END;"
    "CREATE TRIGGER race_gen_d AFTER DELETE ON race BEGIN "
    "  UPDATE registry_gen SET n = n + 1 WHERE id = 1; END;"
    "CREATE TRIGGER candidate_gen_i AFTER INSERT ON candidate BEGIN "
    "  UPDATE registry_gen SET n = n + 1 WHERE id = 1; END;"
    "CREATE TRIGGER candidate_gen_u AFTER UPDATE ON candidate BEGIN "
    "  UPDATE registry_gen SET n = n + 1 WHERE id = 1; END;"
    "CREATE TRIGGER candidate_gen_d AFTER DELETE ON candidate BEGIN "
    "  UPDATE registry_gen SET n = n + 1 WHERE id = 1; END;"
    "CREATE TRIGGER users_gen_u AFTER UPDATE ON users BEGIN "
    "  UPDATE registry_gen SET n = n + 1 WHERE id = 1; END;"
    "CREATE TRIGGER users_gen_d AFTER DELETE ON users BEGIN "
    "  UPDATE registry_gen SET n = n + 1 WHERE id = 1; END;"
    "CREATE TRIGGER device_keys_gen_u AFTER UPDATE ON device_keys BEGIN "
    "  UPDATE registry_gen SET n = n + 1 WHERE id = 1; END;"
    "CREATE TRIGGER device_keys_gen_d AFTER DELETE ON device_keys BEGIN "
    "  UPDATE registry_gen SET n = n + 1 WHERE id = 1; END;",
    /* 7: kecamatan and desa totals are computed from tps_state from now on (tally_stored). */
    "DELETE FROM tally WHERE length(region_code) IN (6, 10);",
    /* 8: where each device key's registration sits in the log (-1: registered before this
     * was recorded), so a witness can check it without reading the whole log. */
    "ALTER TABLE device_keys ADD COLUMN log_index INTEGER NOT NULL DEFAULT -1;",
    /* 9: objections (keberatan) of saksi and Bawaslu to a TPS result; append-only, like the
     * versions they object to. */
    "CREATE TABLE objection(id INTEGER PRIMARY KEY, race_id INTEGER NOT NULL REFERENCES race(id),"
    "  tps_code TEXT NOT NULL, version INTEGER NOT NULL, actor TEXT NOT NULL, reason TEXT NOT NULL,"
    "  created_ms INTEGER NOT NULL, log_index INTEGER NOT NULL);"
    "CREATE INDEX objection_tps ON objection(race_id, tps_code, id);"
    "CREATE TRIGGER objection_no_update BEFORE UPDATE ON objection BEGIN "
    "  SELECT RAISE(ABORT, 'objections are append-only'); END;"
    "CREATE TRIGGER objection_no_delete BEFORE DELETE ON objection BEGIN "
    "  SELECT RAISE(ABORT, 'objections are append-only'); END;",
    /* 10: a TPS's two races side by side, and no per-version key index. Every upload wrote two
     * random B-tree leaves, the version key index's and tps_state's, each a whole 4 KiB page in
     * the log and again at the checkpoint (docs/benchmarks.md: ~75 % of a national night's disk
     * writes). tps_state is now keyed by TPS first, so the governor's and the regent's rows of
     * one TPS, which its KPPS sends together, share a leaf; and versions are found from the
     * TPS's current row by a chain (prev_id, the TPS's version before) instead of an index.
     * The index also guaranteed one row per (race, TPS, number); the version_follows trigger
     * now does, by refusing any version that is not its TPS's current one + 1, chained to it.
     * Runs with foreign keys off (migrate) because tables are rebuilt. */
    "CREATE TABLE tps_state_new("
    "  race_id INTEGER NOT NULL REFERENCES race(id),"
    "  tps_code TEXT NOT NULL REFERENCES region(code),"
    "  current_version INTEGER NOT NULL,"
    "  current_id INTEGER NOT NULL REFERENCES version(id),"
    "  current_hash BLOB NOT NULL,"
    "  approved_by TEXT NOT NULL DEFAULT '',"
    "  approved_ms INTEGER NOT NULL DEFAULT 0,"
    "  v1 INTEGER NOT NULL, v2 INTEGER NOT NULL, v3 INTEGER NOT NULL, v4 INTEGER NOT NULL,"
    "  v5 INTEGER NOT NULL, v6 INTEGER NOT NULL, sah INTEGER NOT NULL, tidak_sah INTEGER NOT NULL,"
    "  total INTEGER NOT NULL, pengguna INTEGER NOT NULL, dpt INTEGER NOT NULL,"
    "  received INTEGER NOT NULL, flagged INTEGER NOT NULL, approved INTEGER NOT NULL,"
    "  PRIMARY KEY(tps_code, race_id)) WITHOUT ROWID;"
    "INSERT INTO tps_state_new SELECT * FROM tps_state;"
    "DROP TABLE tps_state;"
    "ALTER TABLE tps_state_new RENAME TO tps_state;"
    "CREATE TABLE version_new("
    "  id INTEGER PRIMARY KEY,"
    "  race_id INTEGER NOT NULL REFERENCES race(id),"
    "  tps_code TEXT NOT NULL REFERENCES region(code),"
    "  version INTEGER NOT NULL CHECK(version >= 1),"
    "  kind INTEGER NOT NULL CHECK(kind IN (1, 2)),"
    "  actor TEXT NOT NULL,"
    "  device TEXT NOT NULL DEFAULT '',"
    "  doc_hash BLOB NOT NULL CHECK(length(doc_hash) = 32),"
    "  photos TEXT NOT NULL DEFAULT '',"
    "  signature BLOB,"
    "  reason TEXT NOT NULL DEFAULT '',"
    "  flags TEXT NOT NULL DEFAULT '',"
    "  created_ms INTEGER NOT NULL,"
    "  log_index INTEGER NOT NULL DEFAULT -1,"
    "  doc TEXT NOT NULL,"
    "  prev_id INTEGER REFERENCES version(id));"
    "INSERT INTO version_new SELECT v.id, v.race_id, v.tps_code, v.version, v.kind, v.actor, "
    "  v.device, v.doc_hash, v.photos, v.signature, v.reason, v.flags, v.created_ms, "
    "  v.log_index, v.doc, (SELECT p.id FROM version p WHERE p.race_id = v.race_id AND "
    "  p.tps_code = v.tps_code AND p.version = v.version - 1) FROM version v ORDER BY v.id;"
    "DROP TABLE version;"
    "ALTER TABLE version_new RENAME TO version;"
    "CREATE TRIGGER version_no_delete BEFORE DELETE ON version BEGIN "
    "  SELECT RAISE(ABORT, 'versions are append-only'); END;"
    "CREATE TRIGGER version_no_update BEFORE UPDATE ON version WHEN "
    "  NOT (OLD.log_index = -1 AND NEW.log_index >= 0 AND NEW.id IS OLD.id AND "
    "  NEW.race_id IS OLD.race_id AND NEW.tps_code IS OLD.tps_code AND "
    "  NEW.version IS OLD.version AND NEW.kind IS OLD.kind AND NEW.actor IS OLD.actor AND "
    "  NEW.device IS OLD.device AND NEW.doc_hash IS OLD.doc_hash AND NEW.photos IS OLD.photos AND "
    "  NEW.signature IS OLD.signature AND NEW.reason IS OLD.reason AND NEW.flags IS OLD.flags AND "
    "  NEW.created_ms IS OLD.created_ms AND NEW.doc IS OLD.doc AND "
    "  NEW.prev_id IS OLD.prev_id) BEGIN "
    "  SELECT RAISE(ABORT, 'versions are append-only'); END;"
    "CREATE TRIGGER version_follows BEFORE INSERT ON version WHEN "
    "  NEW.version IS NOT coalesce((SELECT t.current_version FROM tps_state t WHERE "
    "  t.tps_code = NEW.tps_code AND t.race_id = NEW.race_id), 0) + 1 OR "
    "  NEW.prev_id IS NOT (SELECT nullif(t.current_id, 0) FROM tps_state t WHERE "
    "  t.tps_code = NEW.tps_code AND t.race_id = NEW.race_id) BEGIN "
    "  SELECT RAISE(ABORT, 'a version must follow its TPS''s current version'); END;",
};
#define MIGRATION_COUNT ((int)(sizeof migrations / sizeof migrations[0]))

struct sqlite_store {
    struct rk_store base;
    sqlite3 *db;
    sqlite3_stmt *stmt[ST_COUNT];
    int in_tx;
    int in_read; /* inside rk_store_read_begin's snapshot */
    void (*log_grew)(void *ud); /* the writer's checkpoint signal (sq_tune_writer) */
    void *grew_ud;
    int grew_at; /* log size (pages) at the last signal */
};

static struct sqlite_store *S(struct rk_store *s)
{
    return (struct sqlite_store *)s;
}

/* Maps an SQLite result to a status, keeping the message. Constraint kinds decide between
 * duplicate and missing-parent so importers can report which. */
static int fail(struct sqlite_store *q, int rc)
{
    rk_store_set_error(&q->base, "%s", sqlite3_errmsg(q->db));
    switch (sqlite3_extended_errcode(q->db)) {
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_UNIQUE:
        return RK_EEXIST;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
        return RK_EORPHAN;
    case SQLITE_CONSTRAINT_CHECK:
    case SQLITE_CONSTRAINT_NOTNULL:
        return RK_EINVAL;
    default:
        break;
    }
    return rc == SQLITE_NOMEM ? RK_ENOMEM : RK_EDB;
}

static int exec(struct sqlite_store *q, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(q->db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        rk_store_set_error(&q->base, "%s", msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return rc == SQLITE_NOMEM ? RK_ENOMEM : RK_EDB;
    }
    return RK_OK;
}

/* Returns the prepared statement id, reset and unbound, or NULL (error recorded). */
static sqlite3_stmt *stmt(struct sqlite_store *q, enum stmt_id id)
{
    if (!q->stmt[id]) {
        if (sqlite3_prepare_v3(q->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &q->stmt[id],
                               NULL) != SQLITE_OK) {
            rk_store_set_error(&q->base, "prepare: %s", sqlite3_errmsg(q->db));
            return NULL;
        }
    } else {
        /* A visitor calling back into the same listing would rebind the statement under the
         * outer loop's feet: refuse instead of silently cutting the outer listing short. */
        if (sqlite3_stmt_busy(q->stmt[id])) {
            rk_store_set_error(&q->base, "nested use of the same query from a visitor");
            return NULL;
        }
        sqlite3_reset(q->stmt[id]);
        sqlite3_clear_bindings(q->stmt[id]);
    }
    return q->stmt[id];
}

/* Steps a write statement to completion. */
static int step_done(struct sqlite_store *q, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    int status = rc == SQLITE_DONE ? RK_OK : fail(q, rc);
    sqlite3_reset(st);
    return status;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s && s[0])
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

static void copy_col(char *dst, size_t cap, sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    size_t n = t ? (size_t)sqlite3_column_bytes(st, col) : 0;
    if (n >= cap)
        n = cap - 1;
    if (n)
        memcpy(dst, t, n);
    dst[n] = '\0';
}

static void sq_close(struct rk_store *s)
{
    struct sqlite_store *q = S(s);
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(q->stmt[i]);
    if (q->in_tx)
        sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(q->db);
    free(q);
}

static int sq_schema_version(struct rk_store *s, int *version)
{
    struct sqlite_store *q = S(s);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(q->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        return fail(q, SQLITE_ERROR);
    int rc = sqlite3_step(st);
    *version = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? RK_OK : fail(q, rc);
}

/* RK_OK when no row refers to a missing one (PRAGMA foreign_key_check finds nothing). */
static int foreign_keys_hold(struct sqlite_store *q)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(q->db, "PRAGMA foreign_key_check", -1, &st, NULL) != SQLITE_OK)
        return fail(q, SQLITE_ERROR);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW) {
        rk_store_set_error(&q->base, "a schema migration would leave dangling references");
        return RK_EDB;
    }
    return rc == SQLITE_DONE ? RK_OK : fail(q, rc);
}

static int migrate(struct sqlite_store *q)
{
    int v;
    int rc = sq_schema_version(&q->base, &v);
    if (rc != RK_OK)
        return rc;
    if (v > MIGRATION_COUNT) {
        rk_store_set_error(&q->base, "database schema %d is newer than this rekap (%d)", v,
                           MIGRATION_COUNT);
        return RK_EUNSUPPORTED;
    }
    if (v == MIGRATION_COUNT)
        return RK_OK;
    /* Foreign keys off while tables are rebuilt (SQLite's own recipe for schema changes: a
     * DROP TABLE would otherwise delete the rows others refer to); each step is checked
     * before it commits instead. */
    if ((rc = exec(q, "PRAGMA foreign_keys = OFF")) != RK_OK)
        return rc;
    for (; v < MIGRATION_COUNT && rc == RK_OK; v++) {
        char pragma[64];
        snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", v + 1);
        if ((rc = exec(q, "BEGIN IMMEDIATE")) != RK_OK)
            break;
        if ((rc = exec(q, migrations[v])) != RK_OK || (rc = exec(q, pragma)) != RK_OK ||
            (rc = foreign_keys_hold(q)) != RK_OK) {
            exec(q, "ROLLBACK");
            break;
        }
        rc = exec(q, "COMMIT");
    }
    int on = exec(q, "PRAGMA foreign_keys = ON");
    return rc != RK_OK ? rc : on;
}

/* Runs one transaction-control statement. */
static int tx(struct sqlite_store *q, enum stmt_id id)
{
    sqlite3_stmt *st = stmt(q, id);
    return st ? step_done(q, st) : RK_EDB;
}

static int sq_begin(struct rk_store *s)
{
    struct sqlite_store *q = S(s);
    if (q->in_tx || q->in_read)
        return RK_ECONFLICT;
    int rc = tx(q, ST_TX_BEGIN);
    q->in_tx = rc == RK_OK;
    return rc;
}

static int sq_commit(struct rk_store *s)
{
    struct sqlite_store *q = S(s);
    if (!q->in_tx)
        return RK_ECONFLICT;
    int rc = tx(q, ST_TX_COMMIT);
    if (rc == RK_OK)
        q->in_tx = 0;
    return rc;
}

static int sq_rollback(struct rk_store *s)
{
    struct sqlite_store *q = S(s);
    if (!q->in_tx)
        return RK_ECONFLICT;
    q->in_tx = 0;
    return tx(q, ST_TX_ROLLBACK);
}

static int sq_read_begin(struct rk_store *s)
{
    struct sqlite_store *q = S(s);
    if (q->in_tx || q->in_read)
        return RK_OK;
    int rc = tx(q, ST_TX_READ);
    q->in_read = rc == RK_OK;
    return rc;
}

static void sq_read_end(struct rk_store *s)
{
    struct sqlite_store *q = S(s);
    if (q->in_read) {
        q->in_read = 0;
        if (tx(q, ST_TX_COMMIT) != RK_OK)
            tx(q, ST_TX_ROLLBACK);
    }
}

/* Runs a parameterless query of one integer (the first column of its first row). */
static int scalar(struct sqlite_store *q, enum stmt_id id, int64_t *out)
{
    sqlite3_stmt *st = stmt(q, id);
    if (!st)
        return RK_EDB;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? RK_OK : fail(q, rc);
}

static int sq_registry_gen(struct rk_store *s, int64_t *gen)
{
    return scalar(S(s), ST_REGISTRY_GEN, gen);
}

/* Write-ahead log sizes, in pages of 4 KiB. A checkpoint every ~40 MB of log copies the hot
 * pages (national, province and regency tallies, the log's right edge) into the database once
 * instead of ten times (measured ~15 % more uploads a second than SQLite's 4 MB). */
#define WAL_CHECKPOINT_PAGES 10000
/* With a checkpoint thread (sq_tune_writer with log_grew): it is signalled every
 * WAL_SIGNAL_PAGES of log, and the writer checkpoints only past WAL_BACKSTOP_PAGES. Why a
 * backstop at all: the log restarts from its beginning only when it was copied whole when a
 * write begins, which a checkpoint running beside a busy writer never achieves. The writer's
 * own checkpoint then copies what the thread has not (and lets the log restart). To keep that
 * remainder, and so the writer's pause, small, the thread runs back to back over the last
 * WAL_SIGNAL_PAGES before the backstop: each pass copies what came during the one before, so
 * the remainder shrinks to what arrives during one short pass (traced on 150,000 TPS: ~100 ms
 * writer pauses became 2-90 ms; docs/benchmarks.md). */
#define WAL_SIGNAL_PAGES 5000
#define WAL_BACKSTOP_PAGES 30000

/* The writer's commit hook (it replaces SQLite's autocheckpoint, which is one too). */
static int writer_wal_hook(void *ud, sqlite3 *db, const char *name, int pages)
{
    struct sqlite_store *q = ud;
    if (pages < q->grew_at)
        q->grew_at = 0; /* the log restarted */
    if (pages >= WAL_BACKSTOP_PAGES) {
        (void)sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    } else if (pages - q->grew_at >= WAL_SIGNAL_PAGES ||
               pages >= WAL_BACKSTOP_PAGES - WAL_SIGNAL_PAGES) {
        q->grew_at = pages;
        q->log_grew(q->grew_ud);
    }
    return SQLITE_OK;
}

static void sq_tune_writer(struct rk_store *s, size_t cache_mb, void (*log_grew)(void *ud),
                           void *ud)
{
    struct sqlite_store *q = S(s);
    char sql[96];
    snprintf(sql, sizeof sql, "PRAGMA cache_size = %lld",
             cache_mb ? -(long long)(cache_mb > 65536 ? 65536 : cache_mb) * 1024 : -2000LL);
    exec(q, sql); /* hints: a failure leaves the previous setting */
    /* Every upload waits while the writer checkpoints (its backstop, or all of them without a
     * checkpoint thread): that copy should go to the disk at once, not paced (walbuf.c). */
    int off = 0;
    (void)sqlite3_file_control(q->db, "main", RK_WALBUF_FCNTL_WRITEBACK, &off);
    if (!log_grew) {
        sqlite3_wal_autocheckpoint(q->db, WAL_CHECKPOINT_PAGES);
        return;
    }
    q->log_grew = log_grew;
    q->grew_ud = ud;
    q->grew_at = 0;
    sqlite3_wal_hook(q->db, writer_wal_hook, q);
}

static void sq_leave_checkpoints(struct rk_store *s)
{
    sqlite3_wal_autocheckpoint(S(s)->db, WAL_BACKSTOP_PAGES);
}

/* PASSIVE: copies what no reader still needs, waits for nobody; BUSY means another
 * checkpoint (the writer's backstop) holds the log, which is as good. */
static int sq_checkpoint(struct rk_store *s)
{
    struct sqlite_store *q = S(s);
    int rc = sqlite3_wal_checkpoint_v2(q->db, "main", SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    return rc == SQLITE_OK || rc == SQLITE_BUSY ? RK_OK : fail(q, rc);
}

static int sq_savepoint(struct rk_store *s, int op)
{
    static const enum stmt_id id[3] = {ST_SP_SET, ST_SP_RELEASE, ST_SP_ROLLBACK};
    if (op < 0 || op > 2)
        return RK_EINVAL;
    return tx(S(s), id[op]);
}

static int sq_region_put(struct rk_store *s, const struct rk_region *r)
{
    struct sqlite_store *q = S(s);
    char parent[RK_CODE_MAX + 1];
    if (rk_code_level(r->code) != (int)r->level || r->level < RK_LEVEL_PROVINCE)
        return RK_EINVAL;
    if (rk_code_parent(r->code, parent) != RK_OK)
        return RK_EINVAL;
    sqlite3_stmt *st = stmt(q, ST_REGION_PUT);
    if (!st)
        return RK_EDB;
    sqlite3_bind_text(st, 1, r->code, -1, SQLITE_STATIC);
    bind_text(st, 2, parent);
    sqlite3_bind_int(st, 3, (int)r->level);
    sqlite3_bind_text(st, 4, r->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, r->dpt_l);
    sqlite3_bind_int64(st, 6, r->dpt_p);
    return step_done(q, st);
}

static void read_region(sqlite3_stmt *st, struct rk_region *r)
{
    memset(r, 0, sizeof *r);
    copy_col(r->code, sizeof r->code, st, 0);
    copy_col(r->name, sizeof r->name, st, 1);
    r->level = (enum rk_level)sqlite3_column_int(st, 2);
    r->dpt_l = (uint32_t)sqlite3_column_int(st, 3);
    r->dpt_p = (uint32_t)sqlite3_column_int(st, 4);
}

/* Steps a listing's statement to its end, handing each row to row(); stops early with row's
 * non-zero value (a visitor asking to stop, or its error). Always leaves st reset. Every
 * listing goes through here, so stepping, early stop and error mapping live in one place. */
static int each_row(struct sqlite_store *q, sqlite3_stmt *st,
                    int (*row)(sqlite3_stmt *st, void *ctx), void *ctx)
{
    int rc, stop = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if ((stop = row(st, ctx)) != 0)
            break;
    sqlite3_reset(st);
    if (stop)
        return stop;
    return rc == SQLITE_DONE ? RK_OK : fail(q, rc);
}

/* Row adapters: read one row into its struct and call the caller's typed visitor. */
struct visit_region {
    rk_region_visit fn;
    void *ud;
};

static int region_row(sqlite3_stmt *st, void *ctx)
{
    struct visit_region *v = ctx;
    struct rk_region r;
    read_region(st, &r);
    return v->fn(v->ud, &r);
}

static int sq_region_get(struct rk_store *s, const char *code, struct rk_region *out)
{
    struct sqlite_store *q = S(s);
    sqlite3_stmt *st = stmt(q, ST_REGION_GET);
    if (!st)
        return RK_EDB;
    sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        read_region(st, out);
        sqlite3_reset(st);
        return RK_OK;
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? RK_ENOTFOUND : fail(q, rc);
}

static int sq_region_children(struct rk_store *s, const char *code, rk_region_visit fn, void *ud)
{
    struct sqlite_store *q = S(s);
    sqlite3_stmt *st = stmt(q, code[0] ? ST_REGION_CHILDREN : ST_REGION_CHILDREN_ROOT);
    if (!st)
        return RK_EDB;
    if (code[0])
        sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
    struct visit_region v = {fn, ud};
    return each_row(q, st, region_row, &v);
}

static int sq_region_at_level(struct rk_store *s, const char *code, enum rk_level level,
                              rk_region_visit fn, void *ud)
{
    struct sqlite_store *q = S(s);
    sqlite3_stmt *st = stmt(q, ST_REGION_AT_LEVEL);
    if (!st)
        return RK_EDB;
    sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, (int)level);
    struct visit_region v = {fn, ud};
    return each_row(q, st, region_row, &v);
}

static int sq_region_counts(struct rk_store *s, const char *code, int64_t counts[RK_LEVEL_COUNT])
{
    struct sqlite_store *q = S(s);
    memset(counts, 0, sizeof(int64_t) * RK_LEVEL_COUNT);
    sqlite3_stmt *st = stmt(q, ST_REGION_COUNTS);
    if (!st)
        return RK_EDB;
    sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int level = sqlite3_column_int(st, 0);
        if (level > 0 && level < RK_LEVEL_COUNT)
            counts[level] = sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    if (!code[0])
        counts[RK_LEVEL_NATIONAL] = 1;
    return rc == SQLITE_DONE ? RK_OK : fail(q, rc);
}

static int sq_region_voters(struct rk_store *s, const char *code, int64_t *l, int64_t *p)
{
    struct sqlite_store *q = S(s);
    sqlite3_stmt *st = stmt(q, ST_REGION_VOTERS);
    if (!st)
        return RK_EDB;
    sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *l = sqlite3_column_int64(st, 0);
        *p = sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? RK_OK : fail(q, rc);
}

static void bind_id(sqlite3_stmt *st, int i, int64_t id)
{
    if (id)
        sqlite3_bind_int64(st, i, id);
    else
        sqlite3_bind_null(st, i);
}

static int sq_election_put(struct rk_store *s, struct rk_election *e)
{
    struct sqlite_store *q = S(s);
    if (rk_election_slug_check(e->slug) != RK_OK || !e->name[0])
        return RK_EINVAL;
    sqlite3_stmt *st = stmt(q, ST_ELECTION_PUT);
    if (!st)
        return RK_EDB;
    bind_id(st, 1, e->id);
    sqlite3_bind_text(st, 2, e->slug, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, (int)e->kind);
    sqlite3_bind_int(st, 4, e->year);
    sqlite3_bind_text(st, 5, e->name, -1, SQLITE_STATIC);
    int rc = step_done(q, st);
    if (rc == RK_OK)
        e->id = sqlite3_last_insert_rowid(q->db);
    return rc;
}

static void read_election(sqlite3_stmt *st, struct rk_election *e)
{
    memset(e, 0, sizeof *e);
    e->id = sqlite3_column_int64(st, 0);
    copy_col(e->slug, sizeof e->slug, st, 1);
    e->kind = (enum rk_election_kind)sqlite3_column_int(st, 2);
    e->year = sqlite3_column_int(st, 3);
    copy_col(e->name, sizeof e->name, st, 4);
}

static int sq_election_get(struct rk_store *s, int64_t id, const char *slug, struct rk_election *out)
{
    struct sqlite_store *q = S(s);
    sqlite3_stmt *st = stmt(q, slug ? ST_ELECTION_BY_SLUG : ST_ELECTION_GET);
    if (!st)
        return RK_EDB;
    if (slug)
        sqlite3_bind_text(st, 1, slug, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        read_election(st, out);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? RK_OK : rc == SQLITE_DONE ? RK_ENOTFOUND : fail(q, rc);
}

struct visit_election {
    rk_election_visit fn;
    void *ud;
};

static int election_row(sqlite3_stmt *st, void *ctx)
{
    struct visit_election *v = ctx;
    struct rk_election e;
    read_election(st, &e);
    return v->fn(v->ud, &e);
}

static int sq_election_list(struct rk_store *s, rk_election_visit fn, void *ud)
{
    struct sqlite_store *q = S(s);
    sqlite3_stmt *st = stmt(q, ST_ELECTION_LIST);
    if (!st)
        return RK_EDB;
    struct visit_election v = {fn, ud};
    return each_row(q, st, election_row, &v);
}

static int sq_race_put(struct rk_store *s, struct rk_race *r)
{
    struct sqlite_store *q = S(s);
    if ((int)rk_race_kind_level(r->kind) != rk_code_level(r->region_code) || !r->name[0])
        return RK_EINVAL;
    sqlite3_stmt *st = stmt(q, ST_RACE_PUT);
    if (!st)
        return RK_EDB;
    bind_id(st, 1, r->id);
    sqlite3_bind_int64(st, 2, r->election_id);
    sqlite3_bind_int(st, 3, (int)r->kind);
    bind_text(st, 4, r->region_code);
    sqlite3_bind_text(st, 5, r->name, -1, SQLITE_STATIC);
    int rc = step_done(q, st);
    if (rc == RK_OK)
        r->id = sqlite3_last_insert_rowid(q->db);
    return rc;
}

static void read_race(sqlite3_stmt *st, struct rk_race *r)
{
    memset(r, 0, sizeof *r);
    r->id = sqlite3_column_int64(st, 0);
    r->election_id = sqlite3_column_int64(st, 1);
    r->kind = (enum rk_race_kind)sqlite3_column_int(st, 2);
    copy_col(r->region_code, sizeof r->region_code, st, 3);
    copy_col(r->name, sizeof r->name, st, 4);
}

static int sq_race_get(struct rk_store *s, int64_t id, struct rk_race *out)
{
    struct sqlite_store *q = S(s);
    sqlite3_stmt *st = stmt(q, ST_RACE_GET);
    if (!st)
        return RK_EDB;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        read_race(st, out);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? RK_OK : rc == SQLITE_DONE ? RK_ENOTFOUND : fail(q, rc);
}

struct visit_race {
    rk_race_visit fn;
    void *ud;
};

static int race_row(sqlite3_stmt *st, void *ctx)
{
    struct visit_race *v = ctx;
    struct rk_race r;
    read_race(st, &r);
    return v->fn(v->ud, &r);
}

static int sq_race_list(struct rk_store *s, int64_t election_id, const char *code, rk_race_visit fn,
                        void *ud)
{
    struct sqlite_store *q = S(s);
    sqlite3_stmt *st = stmt(q, ST_RACE_LIST);
    if (!st)
        return RK_EDB;
    sqlite3_bind_int64(st, 1, election_id);
    sqlite3_bind_text(st, 2, code, -1, SQLITE_STATIC);
    struct visit_race v = {fn, ud};
    return each_row(q, st, race_row, &v);
}

static int sq_candidate_put(struct rk_store *s, struct rk_candidate *c)
{
    struct sqlite_store *q = S(s);
    if (c->ballot_no < 1 || c->ballot_no > RK_CANDIDATES_MAX || !c->name[0])
        return RK_EINVAL;
    sqlite3_stmt *st = stmt(q, ST_CANDIDATE_PUT);
    if (!st)
        return RK_EDB;
    bind_id(st, 1, c->id);
    sqlite3_bind_int64(st, 2, c->race_id);
    sqlite3_bind_int(st, 3, c->ballot_no);
    sqlite3_bind_text(st, 4, c->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, c->color, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 6, c->kolom_kosong);
    int rc = step_done(q, st);
    if (rc == RK_OK)
        c->id = sqlite3_last_insert_rowid(q->db);
    return rc;
}

static int sq_candidate_list(struct rk_store *s, int64_t race_id, struct rk_candidate *out, int cap,
                             int *n)
{
    struct sqlite_store *q = S(s);
    sqlite3_stmt *st = stmt(q, ST_CANDIDATE_LIST);
    if (!st)
        return RK_EDB;
    sqlite3_bind_int64(st, 1, race_id);
    int rc;
    *n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n < cap) {
            struct rk_candidate *c = &out[*n];
            memset(c, 0, sizeof *c);
            c->id = sqlite3_column_int64(st, 0);
            c->race_id = sqlite3_column_int64(st, 1);
            c->ballot_no = sqlite3_column_int(st, 2);
            copy_col(c->name, sizeof c->name, st, 3);
            copy_col(c->color, sizeof c->color, st, 4);
            c->kolom_kosong = sqlite3_column_int(st, 5) != 0;
        }
        (*n)++;
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? RK_OK : fail(q, rc);
}

/* ---- results ---- */

static int sq_in_transaction(struct rk_store *s)
{
    return S(s)->in_tx;
}

static void bind_tally(sqlite3_stmt *st, int first, const struct rk_tally *t)
{
    for (int i = 0; i < RK_CANDIDATES_MAX; i++)
        sqlite3_bind_int64(st, first + i, t->votes[i]);
    sqlite3_bind_int64(st, first + 6, t->sah);
    sqlite3_bind_int64(st, first + 7, t->tidak_sah);
    sqlite3_bind_int64(st, first + 8, t->total);
    sqlite3_bind_int64(st, first + 9, t->pengguna);
    sqlite3_bind_int64(st, first + 10, t->dpt);
    sqlite3_bind_int64(st, first + 11, t->received);
    sqlite3_bind_int64(st, first + 12, t->flagged);
    sqlite3_bind_int64(st, first + 13, t->approved);
}

static void read_tally(sqlite3_stmt *st, int first, struct rk_tally *t)
{
    for (int i = 0; i < RK_CANDIDATES_MAX; i++)
        t->votes[i] = sqlite3_column_int64(st, first + i);
    t->sah = sqlite3_column_int64(st, first + 6);
    t->tidak_sah = sqlite3_column_int64(st, first + 7);
    t->total = sqlite3_column_int64(st, first + 8);
    t->pengguna = sqlite3_column_int64(st, first + 9);
    t->dpt = sqlite3_column_int64(st, first + 10);
    t->received = sqlite3_column_int64(st, first + 11);
    t->flagged = sqlite3_column_int64(st, first + 12);
    t->approved = sqlite3_column_int64(st, first + 13);
}

static void copy_blob(uint8_t *dst, size_t n, sqlite3_stmt *st, int col)
{
    const void *b = sqlite3_column_blob(st, col);
    memset(dst, 0, n);
    if (b && (size_t)sqlite3_column_bytes(st, col) == n)
        memcpy(dst, b, n);
}

static void read_state(sqlite3_stmt *st, struct rk_tps_state *o)
{
    memset(o, 0, sizeof *o);
    o->race_id = sqlite3_column_int64(st, 0);
    copy_col(o->tps, sizeof o->tps, st, 1);
    o->current_version = sqlite3_column_int(st, 2);
    o->current_id = sqlite3_column_int64(st, 3);
    copy_blob(o->current_hash, 32, st, 4);
    copy_col(o->approved_by, sizeof o->approved_by, st, 5);
    o->approved_ms = sqlite3_column_int64(st, 6);
    read_tally(st, 7, &o->tally);
    o->approved = o->tally.approved != 0;
}

static int sq_tps_state_get(struct rk_store *s, int64_t race_id, const char *tps,
                            struct rk_tps_state *out)
{
    struct sqlite_store *q = S(s);
    sqlite3_stmt *st = stmt(q, ST_TPS_STATE_GET);
    if (!st)
        return RK_EDB;
    sqlite3_bind_int64(st, 1, race_id);
    sqlite3_bind_text(st, 2, tps, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        read_state(st, out);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? RK_OK : rc == SQLITE_DONE ? RK_ENOTFOUND : fail(q, rc);
}

static int sq_tps_state_put(struct rk_store *s, const struct rk_tps_state *o)
{
    struct sqlite_store *q = S(s);
    sqlite3_stmt *st = stmt(q, ST_TPS_STATE_PUT);
    if (!st)
        return RK_EDB;
    sqlite3_bind_int64(st, 1, o->race_id);
    sqlite3_bind_text(st, 2, o->tps, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, o->current_version);
    sqlite3_bind_int64(st, 4, o->current_id);
    sqlite3_bind_blob(st, 5, o->current_hash, 32, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, o->approved_by, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, o->approved_ms);
    bind_tally(st, 8, &o->tally);
    return step_done(q, st);
}

struct visit_state {
    rk_tps_state_visit fn;
    void *ud;
};

static int state_row(sqlite3_stmt *st, void *ctx)
{
    struct visit_state *v = ctx;
    struct rk_tps_state o;
    read_state(st, &o);
    o.objections = sqlite3_column_int(st, sqlite3_column_count(st) - 1); /* after STATE_COLS */
    return v->fn(v->ud, &o);
}

static int sq_tps_states(struct rk_store *s, int64_t race_id, const char *code, bool only_flagged,
                         rk_tps_state_visit fn, void *ud)
{
    struct sqlite_store *q = S(s);
    sqlite3_stmt *st = stmt(q, ST_TPS_STATES);
    if (!st)
        return RK_EDB;
    sqlite3_bind_int64(st, 1, race_id);
    sqlite3_bind_text(st, 2, code, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, only_flagged);
    struct visit_state v = {fn, ud};
    return each_row(q, st, state_row, &v);
}

static int sq_version_insert(struct rk_store *s, struct rk_version *v)
{
    struct sqlite_store *q = S(s);
    char photos[RK_PHOTOS_MAX * 65 + 1];
    rk_store_photos_format(v, photos, sizeof photos);
    sqlite3_stmt *st = stmt(q, ST_VERSION_INSERT);
    if (!st)
        return RK_EDB;
    sqlite3_bind_int64(st, 1, v->race_id);
    sqlite3_bind_text(st, 2, v->tps, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, v->version);
    sqlite3_bind_int(st, 4, (int)v->kind);
    sqlite3_bind_text(st, 5, v->actor, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, v->device, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 7, v->doc_hash, 32, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, photos, -1, SQLITE_TRANSIENT);
    if (v->has_sig)
        sqlite3_bind_blob(st, 9, v->sig, 64, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 9);
    sqlite3_bind_text(st, 10, v->reason, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 11, v->flags, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 12, v->created_ms);
    sqlite3_bind_int64(st, 13, v->log_index);
    sqlite3_bind_text(st, 14, v->doc, -1, SQLITE_STATIC);
    int rc = step_done(q, st);
    if (rc == RK_OK)
        v->id = sqlite3_last_insert_rowid(q->db);
    return rc;
}

static void read_version(sqlite3_stmt *st, struct rk_version *v)
{
    memset(v, 0, sizeof *v);
    v->id = sqlite3_column_int64(st, 0);
    v->race_id = sqlite3_column_int64(st, 1);
    copy_col(v->tps, sizeof v->tps, st, 2);
    v->version = sqlite3_column_int(st, 3);
    v->kind = (enum rk_version_kind)sqlite3_column_int(st, 4);
    copy_col(v->actor, sizeof v->actor, st, 5);
    copy_col(v->device, sizeof v->device, st, 6);
    copy_blob(v->doc_hash, 32, st, 7);
    const unsigned char *photos = sqlite3_column_text(st, 8);
    rk_store_photos_parse(photos ? (const char *)photos : "", v);
    v->has_sig = sqlite3_column_type(st, 9) == SQLITE_BLOB && sqlite3_column_bytes(st, 9) == 64;
    if (v->has_sig)
        copy_blob(v->sig, 64, st, 9);
    copy_col(v->reason, sizeof v->reason, st, 10);
    copy_col(v->flags, sizeof v->flags, st, 11);
    v->created_ms = sqlite3_column_int64(st, 12);
    v->log_index = sqlite3_column_int64(st, 13);
    copy_col(v->doc, sizeof v->doc, st, 14);
}

static int sq_version_get(struct rk_store *s, int64_t race_id, const char *tps, int version,
                          struct rk_version *out)
{
    struct sqlite_store *q = S(s);
    sqlite3_stmt *st = stmt(q, ST_VERSION_GET);
    if (!st)
        return RK_EDB;
    sqlite3_bind_int64(st, 1, race_id);
    sqlite3_bind_text(st, 2, tps, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, version);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        read_version(st, out);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? RK_OK : rc == SQLITE_DONE ? RK_ENOTFOUND : fail(q, rc);
}

struct visit_version {
    rk_version_visit fn;
    void *ud;
    struct rk_version *v; /* heap: ~3 KiB per row */
};

static int version_row(sqlite3_stmt *st, void *ctx)
{
    struct visit_version *vv = ctx;
    read_version(st, vv->v);
    return vv->fn(vv->ud, vv->v);
}

/* The whole-table scan (exports) reads SCAN_PAGE rows per statement into memory, ends the
 * statement, and only then visits them. Outside a transaction a statement is its own read
 * snapshot, and while a reader holds one SQLite can neither checkpoint the write-ahead log past
 * it nor restart the log. One statement over every version (a national export visits ~870,000
 * of them, for a minute or more) held one all that time; pages visited inside their statement
 * still held one nearly all the time, since visiting (writing files, hashing) is most of an
 * export's work. Measured beside a national ingest (docs/benchmarks.md): the log grew to 5.4 GB
 * and 2.1 GB during those two exports. Rows are only ever appended, so paging by id sees every
 * row committed before the scan began, in id order; rows committed during the scan may be
 * visited too (callers bound what they take by log index). */
#define SCAN_PAGE 500

static int scan_pages(struct sqlite_store *q, int64_t after_id, rk_version_visit fn, void *ud)
{
    struct rk_version *page = malloc(SCAN_PAGE * sizeof *page); /* ~1.5 MB */
    if (!page)
        return RK_ENOMEM;
    int rc = RK_OK;
    for (;;) {
        sqlite3_stmt *st = stmt(q, ST_VERSION_SCAN);
        if (!st) {
            rc = RK_EDB;
            break;
        }
        sqlite3_bind_int64(st, 1, after_id);
        sqlite3_bind_int(st, 2, SCAN_PAGE);
        int n = 0, step = SQLITE_DONE;
        while (n < SCAN_PAGE && (step = sqlite3_step(st)) == SQLITE_ROW)
            read_version(st, &page[n++]);
        sqlite3_reset(st); /* the page's snapshot ends here */
        if (step != SQLITE_ROW && step != SQLITE_DONE) {
            rc = fail(q, step);
            break;
        }
        for (int i = 0; i < n && rc == RK_OK; i++)
            rc = fn(ud, &page[i]);
        if (rc != RK_OK || n < SCAN_PAGE)
            break;
        after_id = page[n - 1].id;
    }
    free(page);
    return rc;
}

static int sq_version_list(struct rk_store *s, int64_t race_id, const char *tps, int64_t after_id,
                           rk_version_visit fn, void *ud)
{
    struct sqlite_store *q = S(s);
    if (!tps)
        return scan_pages(q, after_id, fn, ud);
    sqlite3_stmt *st = stmt(q, ST_VERSION_LIST);
    if (!st)
        return RK_EDB;
    sqlite3_bind_int64(st, 1, race_id);
    sqlite3_bind_text(st, 2, tps, -1, SQLITE_STATIC);
    /* The visitor may call back into the store (nested statements are fine in SQLite, but not
     * the same prepared statement), so rows are read one at a time into a heap copy. */
    struct rk_version *v = malloc(sizeof *v);
    if (!v) {
        sqlite3_reset(st);
        return RK_ENOMEM;
    }
    struct visit_version vv = {fn, ud, v};
    int rc = each_row(q, st, version_row, &vv);
    free(v);
    return rc;
}

static int sq_version_set_log(struct rk_store *s, int64_t version_id, int64_t log_index)
{
    struct sqlite_store *q = S(s);
    sqlite3_stmt *st = stmt(q, ST_VERSION_SET_LOG);
    if (!st)
        return RK_EDB;
    sqlite3_bind_int64(st, 1, version_id);
    sqlite3_bind_int64(st, 2, log_index);
    int rc = step_done(q, st);
    if (rc == RK_OK && sqlite3_changes(q->db) != 1)
        return RK_ECONFLICT;
    return rc;
}

/* Which regions keep a stored total. An upload changed one row at each of five levels; the
 * kecamatan and desa rows are two more random pages per upload (of ~5) in every commit, log
 * write and checkpoint, and measured ~25 % of the national ingest rate. A kecamatan has ~60
 * TPS and a desa ~5, whose rows are adjacent in tps_state, so their sums are read as cheaply
 * as a stored row; the few, hot national, province and kab/kota rows stay stored. */
#define STORED_DEEPEST RK_LEVEL_KABKOTA

static bool tally_stored(int level)
{
    return level >= RK_LEVEL_NATIONAL && level <= STORED_DEEPEST;
}

/* The bound just above every code that starts with code: its last digit's successor ':' . */
static void code_upper(const char *code, char out[RK_CODE_MAX + 2])
{
    snprintf(out, RK_CODE_MAX + 2, "%s:", code);
}

static int sq_tally_apply(struct rk_store *s, int64_t race_id, const char *code,
                          const struct rk_tally *d)
{
    struct sqlite_store *q = S(s);
    sqlite3_stmt *st = stmt(q, ST_TALLY_APPLY);
    if (!st)
        return RK_EDB;
    sqlite3_bind_int64(st, 1, race_id);
    sqlite3_bind_text(st, 2, code, -1, SQLITE_STATIC);
    bind_tally(st, 3, d);
    return step_done(q, st);
}

static int sq_tally_get(struct rk_store *s, int64_t race_id, const char *code, struct rk_tally *out)
{
    struct sqlite_store *q = S(s);
    bool stored = tally_stored(rk_code_level(code));
    sqlite3_stmt *st = stmt(q, stored ? ST_TALLY_GET : ST_TALLY_SUM_TPS);
    if (!st)
        return RK_EDB;
    char upper[RK_CODE_MAX + 2];
    sqlite3_bind_int64(st, 1, race_id);
    sqlite3_bind_text(st, 2, code, -1, SQLITE_STATIC);
    if (!stored) {
        code_upper(code, upper);
        sqlite3_bind_text(st, 3, upper, -1, SQLITE_STATIC);
    }
    rk_tally_zero(out);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        read_tally(st, 0, out);
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? RK_OK : fail(q, rc);
}

struct visit_tally {
    rk_tally_visit fn;
    void *ud;
};

static int tally_row(sqlite3_stmt *st, void *ctx)
{
    struct visit_tally *v = ctx;
    struct rk_region r;
    struct rk_tally t;
    read_region(st, &r);
    rk_tally_zero(&t);
    if (sqlite3_column_type(st, 5) != SQLITE_NULL)
        read_tally(st, 5, &t);
    return v->fn(v->ud, &r, &t);
}

static int sq_tally_children(struct rk_store *s, int64_t race_id, const char *code,
                             rk_tally_visit fn, void *ud)
{
    struct sqlite_store *q = S(s);
    int level = rk_code_level(code);
    /* children without a stored total (kecamatan, desa) are summed from their TPS */
    bool summed = !tally_stored(level + 1) && level + 1 < RK_LEVEL_TPS;
    sqlite3_stmt *st = stmt(q, summed    ? ST_TALLY_CHILDREN_TPS
                               : code[0] ? ST_TALLY_CHILDREN
                                         : ST_TALLY_CHILDREN_ROOT);
    if (!st)
        return RK_EDB;
    char upper[RK_CODE_MAX + 2];
    sqlite3_bind_int64(st, 1, race_id);
    if (code[0])
        sqlite3_bind_text(st, 2, code, -1, SQLITE_STATIC);
    if (summed) {
        code_upper(code, upper);
        sqlite3_bind_text(st, 3, upper, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 4, (int)rk_level_digits((enum rk_level)(level + 1)));
    }
    struct visit_tally v = {fn, ud};
    return each_row(q, st, tally_row, &v);
}

static int sq_log_append(struct rk_store *s, const uint8_t *entry, size_t len,
                         const uint8_t leaf[32], int64_t *index)
{
    struct sqlite_store *q = S(s);
    sqlite3_stmt *st = stmt(q, ST_LOG_APPEND);
    if (!st)
        return RK_EDB;
    sqlite3_bind_blob(st, 1, entry, (int)len, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, leaf, 32, SQLITE_STATIC);
    int rc = step_done(q, st);
    if (rc == RK_OK)
        *index = sqlite3_last_insert_rowid(q->db);
    return rc;
}

static int sq_log_size(struct rk_store *s, int64_t *size)
{
    return scalar(S(s), ST_LOG_SIZE, size);
}

static int sq_log_get(struct rk_store *s, int64_t index, uint8_t *buf, size_t cap, size_t *len,
                      uint8_t leaf[32])
{
    struct sqlite_store *q = S(s);
    sqlite3_stmt *st = stmt(q, ST_LOG_GET);
    if (!st)
        return RK_EDB;
    sqlite3_bind_int64(st, 1, index);
    int rc = sqlite3_step(st);
    int status = RK_OK;
    if (rc == SQLITE_ROW) {
        size_t n = (size_t)sqlite3_column_bytes(st, 0);
        *len = n;
        if (n > cap)
            status = RK_ETOOBIG;
        else if (n)
            memcpy(buf, sqlite3_column_blob(st, 0), n);
        if (leaf)
            copy_blob(leaf, 32, st, 1);
    }
    sqlite3_reset(st);
    if (rc == SQLITE_DONE)
        return RK_ENOTFOUND;
    return rc == SQLITE_ROW ? status : fail(q, rc);
}

static int sq_log_leaves(struct rk_store *s, int64_t start, int64_t count, uint8_t (*out)[32])
{
    struct sqlite_store *q = S(s);
    sqlite3_stmt *st = stmt(q, ST_LOG_LEAVES);
    if (!st)
        return RK_EDB;
    sqlite3_bind_int64(st, 1, start);
    sqlite3_bind_int64(st, 2, count);
    int rc;
    int64_t got = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_int64(st, 0) != start + got)
            break; /* a hole: cannot happen with dense appends, refuse rather than misalign */
        copy_blob(out[got], 32, st, 1);
        got++;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return fail(q, rc);
    return got == count ? RK_OK : RK_ERANGE;
}

static int sq_objection_put(struct rk_store *s, const struct rk_objection *o)
{
    struct sqlite_store *q = S(s);
    sqlite3_stmt *st = stmt(q, ST_OBJECTION_PUT);
    if (!st)
        return RK_EDB;
    sqlite3_bind_int64(st, 1, o->race_id);
    sqlite3_bind_text(st, 2, o->tps, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, o->version);
    sqlite3_bind_text(st, 4, o->actor, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, o->reason, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, o->created_ms);
    sqlite3_bind_int64(st, 7, o->log_index);
    return step_done(q, st);
}

static int sq_objection_list(struct rk_store *s, int64_t race_id, const char *tps,
                             struct rk_objection *out, int cap, int *n)
{
    struct sqlite_store *q = S(s);
    sqlite3_stmt *st = stmt(q, ST_OBJECTION_LIST);
    if (!st)
        return RK_EDB;
    sqlite3_bind_int64(st, 1, race_id);
    sqlite3_bind_text(st, 2, tps, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, cap);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct rk_objection *o = &out[(*n)++];
        memset(o, 0, sizeof *o);
        o->race_id = race_id;
        snprintf(o->tps, sizeof o->tps, "%s", tps);
        o->version = sqlite3_column_int(st, 0);
        copy_col(o->actor, sizeof o->actor, st, 1);
        copy_col(o->reason, sizeof o->reason, st, 2);
        o->created_ms = sqlite3_column_int64(st, 3);
        o->log_index = sqlite3_column_int64(st, 4);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? RK_OK : RK_EDB;
}

static int sq_sth_put(struct rk_store *s, const struct rk_sth_row *h)
{
    struct sqlite_store *q = S(s);
    sqlite3_stmt *st = stmt(q, ST_STH_PUT);
    if (!st)
        return RK_EDB;
    sqlite3_bind_int64(st, 1, h->size);
    sqlite3_bind_blob(st, 2, h->root, 32, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, h->timestamp_ms);
    sqlite3_bind_text(st, 4, h->key_id, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 5, h->sig, 64, SQLITE_STATIC);
    return step_done(q, st);
}

static int sq_sth_latest(struct rk_store *s, struct rk_sth_row *h)
{
    struct sqlite_store *q = S(s);
    sqlite3_stmt *st = stmt(q, ST_STH_LATEST);
    if (!st)
        return RK_EDB;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        memset(h, 0, sizeof *h);
        h->size = sqlite3_column_int64(st, 0);
        copy_blob(h->root, 32, st, 1);
        h->timestamp_ms = sqlite3_column_int64(st, 2);
        copy_col(h->key_id, sizeof h->key_id, st, 3);
        copy_blob(h->sig, 64, st, 4);
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? RK_OK : rc == SQLITE_DONE ? RK_ENOTFOUND : fail(q, rc);
}

/* ---- accounts ---- */

static int sq_user_put(struct rk_store *s, struct rk_user *u)
{
    struct sqlite_store *q = S(s);
    sqlite3_stmt *st = stmt(q, ST_USER_PUT);
    if (!st)
        return RK_EDB;
    sqlite3_bind_text(st, 1, u->p.username, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, (int)u->p.role);
    bind_text(st, 3, u->p.scope);
    bind_id(st, 4, u->p.race_id);
    sqlite3_bind_text(st, 5, u->pwhash, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 6, u->p.disabled ? 1 : 0);
    sqlite3_bind_int64(st, 7, u->created_at);
    int rc = step_done(q, st);
    if (rc == RK_OK)
        u->p.user_id = sqlite3_last_insert_rowid(q->db);
    return rc;
}

static void read_user(sqlite3_stmt *st, struct rk_user *u)
{
    memset(u, 0, sizeof *u);
    u->p.user_id = sqlite3_column_int64(st, 0);
    copy_col(u->p.username, sizeof u->p.username, st, 1);
    u->p.role = (enum rk_role)sqlite3_column_int(st, 2);
    copy_col(u->p.scope, sizeof u->p.scope, st, 3);
    u->p.race_id = sqlite3_column_int64(st, 4);
    copy_col(u->pwhash, sizeof u->pwhash, st, 5);
    u->p.disabled = sqlite3_column_int(st, 6) != 0;
    u->created_at = sqlite3_column_int64(st, 7);
}

static int sq_user_get(struct rk_store *s, int64_t id, const char *username, struct rk_user *out)
{
    struct sqlite_store *q = S(s);
    sqlite3_stmt *st = stmt(q, username ? ST_USER_BY_NAME : ST_USER_GET);
    if (!st)
        return RK_EDB;
    if (username)
        sqlite3_bind_text(st, 1, username, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        read_user(st, out);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? RK_OK : rc == SQLITE_DONE ? RK_ENOTFOUND : fail(q, rc);
}

struct visit_user {
    rk_user_visit fn;
    void *ud;
};

static int user_row(sqlite3_stmt *st, void *ctx)
{
    struct visit_user *v = ctx;
    struct rk_user u;
    read_user(st, &u);
    return v->fn(v->ud, &u);
}

static int sq_user_list(struct rk_store *s, const char *code, rk_user_visit fn, void *ud)
{
    struct sqlite_store *q = S(s);
    sqlite3_stmt *st = stmt(q, code[0] ? ST_USER_LIST : ST_USER_LIST_ALL);
    if (!st)
        return RK_EDB;
    if (code[0])
        sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
    struct visit_user v = {fn, ud};
    return each_row(q, st, user_row, &v);
}

/* Steps an UPDATE/DELETE keyed by id; no row touched is RK_ENOTFOUND. */
static int step_changed(struct sqlite_store *q, sqlite3_stmt *st)
{
    int rc = step_done(q, st);
    if (rc == RK_OK && sqlite3_changes(q->db) == 0)
        return RK_ENOTFOUND;
    return rc;
}

static int sq_user_set_disabled(struct rk_store *s, int64_t id, bool disabled)
{
    struct sqlite_store *q = S(s);
    sqlite3_stmt *st = stmt(q, ST_USER_SET_DISABLED);
    if (!st)
        return RK_EDB;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, disabled ? 1 : 0);
    return step_changed(q, st);
}

static int sq_user_set_password(struct rk_store *s, int64_t id, const char *pwhash)
{
    struct sqlite_store *q = S(s);
    sqlite3_stmt *st = stmt(q, ST_USER_SET_PASSWORD);
    if (!st)
        return RK_EDB;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, pwhash, -1, SQLITE_STATIC);
    return step_changed(q, st);
}

static int sq_session_put(struct rk_store *s, const struct rk_session *se)
{
    struct sqlite_store *q = S(s);
    sqlite3_stmt *st = stmt(q, ST_SESSION_PUT);
    if (!st)
        return RK_EDB;
    sqlite3_bind_blob(st, 1, se->token_hash, RK_TOKEN_HASH_BYTES, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, se->user_id);
    sqlite3_bind_int64(st, 3, se->created_at);
    sqlite3_bind_int64(st, 4, se->expires_at);
    return step_done(q, st);
}

static int sq_session_get(struct rk_store *s, const uint8_t *hash, struct rk_session *out)
{
    struct sqlite_store *q = S(s);
    sqlite3_stmt *st = stmt(q, ST_SESSION_GET);
    if (!st)
        return RK_EDB;
    sqlite3_bind_blob(st, 1, hash, RK_TOKEN_HASH_BYTES, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        memset(out, 0, sizeof *out);
        if (sqlite3_column_bytes(st, 0) == RK_TOKEN_HASH_BYTES)
            memcpy(out->token_hash, sqlite3_column_blob(st, 0), RK_TOKEN_HASH_BYTES);
        out->user_id = sqlite3_column_int64(st, 1);
        out->created_at = sqlite3_column_int64(st, 2);
        out->expires_at = sqlite3_column_int64(st, 3);
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? RK_OK : rc == SQLITE_DONE ? RK_ENOTFOUND : fail(q, rc);
}

static int sq_session_delete(struct rk_store *s, const uint8_t *hash)
{
    struct sqlite_store *q = S(s);
    sqlite3_stmt *st = stmt(q, ST_SESSION_DELETE);
    if (!st)
        return RK_EDB;
    sqlite3_bind_blob(st, 1, hash, RK_TOKEN_HASH_BYTES, SQLITE_STATIC);
    return step_changed(q, st);
}

/* Runs a DELETE bound to one integer and reports the rows removed. */
static int delete_counted(struct sqlite_store *q, enum stmt_id id, int64_t arg, int64_t *n)
{
    sqlite3_stmt *st = stmt(q, id);
    if (!st)
        return RK_EDB;
    sqlite3_bind_int64(st, 1, arg);
    int rc = step_done(q, st);
    *n = rc == RK_OK ? sqlite3_changes(q->db) : 0;
    return rc;
}

static int sq_session_delete_user(struct rk_store *s, int64_t user_id, int64_t *n)
{
    return delete_counted(S(s), ST_SESSION_DELETE_USER, user_id, n);
}

static int sq_session_purge(struct rk_store *s, int64_t now, int64_t *n)
{
    return delete_counted(S(s), ST_SESSION_PURGE, now, n);
}

static int sq_device_put(struct rk_store *s, const struct rk_device_key *k)
{
    struct sqlite_store *q = S(s);
    sqlite3_stmt *st = stmt(q, ST_DEVICE_PUT);
    if (!st)
        return RK_EDB;
    sqlite3_bind_text(st, 1, k->key_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, k->user_id);
    sqlite3_bind_blob(st, 3, k->pub, RK_DEVICE_PUB_BYTES, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, k->created_at);
    sqlite3_bind_int64(st, 5, k->log_index);
    return step_done(q, st);
}

static void read_device(sqlite3_stmt *st, struct rk_device_key *out)
{
    memset(out, 0, sizeof *out);
    copy_col(out->key_id, sizeof out->key_id, st, 0);
    out->user_id = sqlite3_column_int64(st, 1);
    if (sqlite3_column_bytes(st, 2) == RK_DEVICE_PUB_BYTES)
        memcpy(out->pub, sqlite3_column_blob(st, 2), RK_DEVICE_PUB_BYTES);
    out->created_at = sqlite3_column_int64(st, 3);
    out->revoked_at = sqlite3_column_int64(st, 4);
    out->log_index = sqlite3_column_int64(st, 5);
}

static int sq_device_get(struct rk_store *s, const char *key_id, struct rk_device_key *out)
{
    struct sqlite_store *q = S(s);
    sqlite3_stmt *st = stmt(q, ST_DEVICE_GET);
    if (!st)
        return RK_EDB;
    sqlite3_bind_text(st, 1, key_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        read_device(st, out);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? RK_OK : rc == SQLITE_DONE ? RK_ENOTFOUND : fail(q, rc);
}

struct visit_page {
    enum rk_registry_kind kind;
    int (*fn)(void *ud, const void *row);
    void *ud;
};

static int page_row(sqlite3_stmt *st, void *ctx)
{
    struct visit_page *v = ctx;
    union {
        struct rk_region r;
        struct rk_user u;
        struct rk_device_key k;
    } row;
    if (v->kind == RK_REGISTRY_TPS)
        read_region(st, &row.r);
    else if (v->kind == RK_REGISTRY_USERS)
        read_user(st, &row.u);
    else
        read_device(st, &row.k);
    return v->fn(v->ud, &row);
}

static int sq_registry_page(struct rk_store *s, enum rk_registry_kind kind, const char *after,
                            int limit, int (*fn)(void *ud, const void *row), void *ud)
{
    struct sqlite_store *q = S(s);
    static const enum stmt_id ids[] = {ST_REGION_PAGE, ST_USER_PAGE, ST_DEVICE_PAGE};
    if ((unsigned)kind > RK_REGISTRY_DEVICES)
        return RK_EINVAL;
    sqlite3_stmt *st = stmt(q, ids[kind]);
    if (!st)
        return RK_EDB;
    int i = 1;
    if (kind == RK_REGISTRY_TPS)
        sqlite3_bind_int(st, i++, RK_LEVEL_TPS);
    if (kind == RK_REGISTRY_USERS)
        sqlite3_bind_int64(st, i++, strtoll(after, NULL, 10));
    else
        sqlite3_bind_text(st, i++, after, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, i, limit);
    struct visit_page v = {kind, fn, ud};
    return each_row(q, st, page_row, &v);
}

static int sq_device_revoke(struct rk_store *s, const char *key_id, int64_t now)
{
    struct sqlite_store *q = S(s);
    sqlite3_stmt *st = stmt(q, ST_DEVICE_REVOKE);
    if (!st)
        return RK_EDB;
    sqlite3_bind_text(st, 1, key_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now);
    int rc = step_changed(q, st);
    if (rc == RK_ENOTFOUND) {
        /* Tell "no such key" from "already revoked": a revocation must not move its date. */
        struct rk_device_key k;
        rc = sq_device_get(s, key_id, &k);
        return rc == RK_OK ? RK_ECONFLICT : rc;
    }
    return rc;
}

static int sq_photo_put(struct rk_store *s, const uint8_t hash[32], const void *data, size_t len,
                        const char *type, const char *uploader, int64_t now_ms)
{
    struct sqlite_store *q = S(s);
    sqlite3_stmt *st = stmt(q, ST_PHOTO_PUT);
    if (!st)
        return RK_EDB;
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, type, -1, SQLITE_STATIC);
    sqlite3_bind_blob64(st, 3, data, len, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, uploader, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, now_ms);
    return step_done(q, st);
}

static int sq_photo_get(struct rk_store *s, const uint8_t hash[32], void **data, size_t *len,
                        char type[32])
{
    struct sqlite_store *q = S(s);
    sqlite3_stmt *st = stmt(q, ST_PHOTO_GET);
    if (!st)
        return RK_EDB;
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
    int rc = sqlite3_step(st), status = RK_OK;
    if (rc == SQLITE_ROW) {
        copy_col(type, 32, st, 0);
        *len = (size_t)sqlite3_column_bytes(st, 1);
        *data = malloc(*len ? *len : 1);
        if (!*data)
            status = RK_ENOMEM;
        else if (*len)
            memcpy(*data, sqlite3_column_blob(st, 1), *len);
    }
    sqlite3_reset(st);
    if (rc == SQLITE_DONE)
        return RK_ENOTFOUND;
    return rc == SQLITE_ROW ? status : fail(q, rc);
}

static int sq_photo_count(struct rk_store *s, const char *uploader, int64_t *n)
{
    struct sqlite_store *q = S(s);
    sqlite3_stmt *st = stmt(q, ST_PHOTO_COUNT);
    if (!st)
        return RK_EDB;
    sqlite3_bind_text(st, 1, uploader, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *n = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? RK_OK : fail(q, rc);
}

static const struct rk_store_ops sqlite_ops = {
    .engine = "sqlite",
    .close = sq_close,
    .schema_version = sq_schema_version,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .savepoint = sq_savepoint,
    .read_begin = sq_read_begin,
    .read_end = sq_read_end,
    .registry_gen = sq_registry_gen,
    .tune_writer = sq_tune_writer,
    .checkpoint = sq_checkpoint,
    .leave_checkpoints = sq_leave_checkpoints,
    .region_put = sq_region_put,
    .region_get = sq_region_get,
    .region_children = sq_region_children,
    .region_at_level = sq_region_at_level,
    .region_counts = sq_region_counts,
    .region_voters = sq_region_voters,
    .election_put = sq_election_put,
    .election_get = sq_election_get,
    .election_list = sq_election_list,
    .race_put = sq_race_put,
    .race_get = sq_race_get,
    .race_list = sq_race_list,
    .candidate_put = sq_candidate_put,
    .candidate_list = sq_candidate_list,
    .in_transaction = sq_in_transaction,
    .tps_state_get = sq_tps_state_get,
    .tps_state_put = sq_tps_state_put,
    .tps_states = sq_tps_states,
    .version_insert = sq_version_insert,
    .version_get = sq_version_get,
    .version_list = sq_version_list,
    .version_set_log = sq_version_set_log,
    .tally_apply = sq_tally_apply,
    .tally_deepest = STORED_DEEPEST, /* tally_stored */
    .tally_get = sq_tally_get,
    .tally_children = sq_tally_children,
    .log_append = sq_log_append,
    .log_size = sq_log_size,
    .log_get = sq_log_get,
    .log_leaves = sq_log_leaves,
    .objection_put = sq_objection_put,
    .objection_list = sq_objection_list,
    .sth_put = sq_sth_put,
    .sth_latest = sq_sth_latest,
    .photo_put = sq_photo_put,
    .photo_get = sq_photo_get,
    .photo_count = sq_photo_count,
    .user_put = sq_user_put,
    .user_get = sq_user_get,
    .user_list = sq_user_list,
    .user_set_disabled = sq_user_set_disabled,
    .user_set_password = sq_user_set_password,
    .session_put = sq_session_put,
    .session_get = sq_session_get,
    .session_delete = sq_session_delete,
    .session_delete_user = sq_session_delete_user,
    .session_purge = sq_session_purge,
    .device_put = sq_device_put,
    .device_get = sq_device_get,
    .registry_page = sq_registry_page,
    .device_revoke = sq_device_revoke,
};

/* Process-wide SQLite settings, before its first use. Memory statistics take a global mutex
 * on every allocation, which dozens of server threads then queue on; rekap never reads them. */
static void configure_once(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int rk_sqlite_open(const char *path, struct rk_store **out)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, configure_once);
    *out = NULL;
    struct sqlite_store *q = calloc(1, sizeof *q);
    if (!q)
        return RK_ENOMEM;
    q->base.ops = &sqlite_ops;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    /* The WAL-gathering VFS relies on synchronous=FULL, set below for every connection. */
    rk_pcache_install(); /* before anything initialises SQLite: store/pcache.c */
    const char *vfs = rk_walbuf_register() == 0 ? RK_WALBUF_VFS : NULL;
    if (sqlite3_open_v2(path, &q->db, flags, vfs) != SQLITE_OK) {
        int status = RK_EDB;
        sq_close(&q->base);
        return status;
    }
    sqlite3_extended_result_codes(q->db, 1);
    /* Writers wait for each other instead of failing: several server threads share the file. */
    sqlite3_busy_timeout(q->db, 10000);
    /* WAL: readers never block the writer. synchronous=FULL: an acknowledged write survives a
     * power cut, which is the promise made to a KPPS officer (and store/walbuf.c's premise:
     * never lower it). */
    int rc = exec(q, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                     "PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;");
    if (rc == RK_OK)
        rc = migrate(q);
    if (rc != RK_OK) {
        /* Keep the message reachable: the caller gets no handle, so print-worthy text would be
         * lost. Callers that need it open again with a fresh path; tests check the status. */
        sq_close(&q->base);
        return rc;
    }
    *out = &q->base;
    return RK_OK;
}
