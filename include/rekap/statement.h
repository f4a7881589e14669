/* The statements whose SHA-256 the transparency log records for each kind of result change.
 *
 * A statement is short, line-oriented ASCII: a versioned first line, then key=value lines, each
 * ending in "\n". It names exactly what the change commits to (TPS, document hash, the version
 * it replaces, ...), so anyone holding the published versions can rebuild it byte for byte and
 * check it against a log entry (docs/audit-log.md §1.3). Upload statements are what the KPPS
 * device signs (see rekap/submission.h); corrections, approvals, account changes and device-key
 * registrations are signed only through the log. One implementation here, used by the pipeline
 * and store/auth.c that write them and the auditor that checks them, so they cannot drift
 * apart. */
#ifndef REKAP_STATEMENT_H
#define REKAP_STATEMENT_H

#include <stddef.h>
#include <stdint.h>

#include "rekap/election.h"

#define RK_STATEMENT_PHOTOS_MAX 8
#define RK_STATEMENT_BUF 768 /* enough for every statement below, NUL included */

/* "rekap-submission-v1\ntps=..\ndoc=..\nprev=<hex or ->\nphotos=<hex,hex or ->\n". prev may
 * be NULL (first version). Returns RK_OK, RK_ERANGE (n_photos outside 0..8) or RK_ETOOBIG
 * (cap too small); *len gets the length without the NUL. */
int rk_statement_upload(const char *tps, const uint8_t doc[32], const uint8_t *prev,
                        const uint8_t (*photos)[32], int n_photos, char *buf, size_t cap,
                        size_t *len);

/* "rekap-correction-v1\ntps=..\ndoc=..\nprev=..\nreason=<SHA-256 of the reason text>\n". The
 * reason is bound by hash so its length never limits the statement. */
int rk_statement_correction(const char *tps, const uint8_t doc[32], const uint8_t prev[32],
                            const char *reason, char *buf, size_t cap, size_t *len);

/* "rekap-approval-v1\ntps=..\nversion=<n>\ndoc=..\n". */
int rk_statement_approval(const char *tps, int version, const uint8_t doc[32], char *buf,
                          size_t cap, size_t *len);

/* "rekap-objection-v1\ntps=..\nversion=<n>\ndoc=<that version's document hash>\nreason=<SHA-256
 * of the reason, UTF-8>\n": a saksi or Bawaslu objects to version n of a TPS result. */
int rk_statement_objection(const char *tps, int version, const uint8_t doc[32],
                           const char *reason, char *buf, size_t cap, size_t *len);

/* What happened to an account (the action= line of an account statement). */
enum rk_account_action {
    RK_ACCOUNT_CREATE = 0,
    RK_ACCOUNT_DISABLE,
    RK_ACCOUNT_ENABLE,
    RK_ACCOUNT_PASSWORD, /* the password was set; the statement never holds it or its hash */
};

/* What happened to a device key. */
enum rk_device_action {
    RK_DEVICE_REGISTER = 0,
    RK_DEVICE_REVOKE,
};

/* "rekap-account-v1\nuser=..\nrole=..\nscope=<code or ->\nrace=<race ref or ->\naction=
 * create|disable|enable|password\n". scope "" (national) and race NULL or "" are written "-".
 * The race is its stable log name (see rk_race_ref), not an installation's number. No secret
 * goes in: an account change is public, its password is not. Returns RK_OK, RK_EINVAL (a field
 * empty or holding a line break, '=' or a space; unknown action) or RK_ETOOBIG. */
int rk_statement_account(const char *user, const char *role, const char *scope,
                         const char *race_ref, enum rk_account_action action, char *buf,
                         size_t cap, size_t *len);

/* "rekap-device-v1\nuser=..\nkey=<key id hex>\npublic_key=<64 hex>\naction=register|revoke\n".
 * user is the account the key belongs to. Returns RK_OK, RK_EINVAL or RK_ETOOBIG. */
int rk_statement_device(const char *user, const char *key_id, const uint8_t public_key[32],
                        enum rk_device_action action, char *buf, size_t cap, size_t *len);

/* "rekap-race-v1\nrace=<race ref>\nregion=<code or ->\nkind=<pkwkp|pkwkk|ppwp>\n
 * name=<SHA-256 of the race's name>\ncandidates=<n>\n" then one line per column in ballot
 * order "candidate=<ballot no>,<kk: 1 for kolom kosong, else 0>,<SHA-256 of the name>\n".
 * What a race is and who stands in it, so a published result's columns mean what they meant
 * on election day. Names are hashed (they hold spaces); an auditor hashes the published ones.
 * c is sorted here by ballot number (the caller's array is not changed). Returns RK_OK,
 * RK_EINVAL (bad ref or kind, n outside 1..RK_CANDIDATES_MAX, a ballot number twice) or
 * RK_ETOOBIG. */
int rk_statement_race(const char *race_ref, const char *region, enum rk_race_kind kind,
                      const char *name, const struct rk_candidate *c, int n, char *buf,
                      size_t cap, size_t *len);

#endif
