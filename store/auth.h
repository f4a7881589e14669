/* Account operations over a store: login, session lookup and logout, account creation, device
 * registration and signed-upload verification. These join the pure checks of rekap/auth.h to
 * the rows of store/store.h so the HTTP server and the CLI call one function per operation and
 * cannot forget a step (disabled flag, expiry, rehash, revocation).
 *
 * Errors that reach a client are deliberately coarse: unknown user, wrong password and
 * malformed token are all RK_EAUTH, so responses do not tell which usernames exist. */
#ifndef REKAP_STORE_AUTH_H
#define REKAP_STORE_AUTH_H

#include "rekap/auth.h"
#include "store/store.h"

/* Checks username/password at now; on success starts a session of RK_SESSION_TTL_DEFAULT,
 * writes its token to token and the account's principal to who (may be NULL). A hash whose
 * parameters are out of date is recomputed while the password is at hand. Unknown users cost
 * the same Argon2id work as known ones. Returns RK_OK, RK_EAUTH (bad credentials),
 * RK_EFORBIDDEN (right password, disabled account) or a store error. */
int rk_auth_login(struct rk_store *s, const char *username, const char *password, size_t len,
                  int64_t now, char token[RK_TOKEN_LEN + 1], struct rk_principal *who);

/* Resolves a client's token of len bytes to the principal of its live session at now. An
 * expired session is deleted. Returns RK_OK, RK_EAUTH (malformed, unknown, expired, or the
 * account was disabled) or a store error. */
int rk_auth_session_principal(struct rk_store *s, const char *token, size_t len, int64_t now,
                              struct rk_principal *who);

/* Ends the session of token. Returns RK_OK, RK_EAUTH (malformed or unknown token) or a store
 * error. */
int rk_auth_logout(struct rk_store *s, const char *token, size_t len);

/* Account and device-key changes below each append one transparency-log entry (kind
 * account_change or device_key, the statement of rekap/statement.h, timestamp now_ms) in the
 * same transaction as the change: the caller's, under a savepoint, when one is open (bulk
 * provisioning), else one of their own. A change that fails writes nothing, entry included.
 * actor is who made the change as the log shows it ([A-Za-z0-9._@+-], at most
 * RK_LOGENTRY_ACTOR_MAX bytes): a logged-in username, or "cli@<unix user>" for the operator's
 * shell; where said, NULL means the account itself. */

/* Creates the account described by u (username, role, scope, race set; id 0) at now_ms (Unix
 * ms: the log's clock; created_at gets seconds). With a
 * password (len bytes) it must meet rk_auth_password_policy and is hashed at the interactive
 * cost; with password NULL a random one is generated, hashed at the generated cost and written
 * to generated (which may then not be NULL). u->p.user_id and u->pwhash are filled on success.
 * actor may not be NULL. Returns RK_OK, the policy's RK_ERANGE/RK_EINVAL, RK_EINVAL (bad
 * actor), rk_store_user_put's errors, or the log's. */
int rk_auth_user_create(struct rk_store *s, const char *actor, struct rk_user *u,
                        const char *password, size_t len, int64_t now_ms,
                        char generated[RK_GENPW_LEN + 1]);

/* Disables (or re-enables) an account at now_ms; disabling also ends all its sessions. actor may
 * not be NULL. Returns RK_OK, RK_EINVAL, RK_ENOTFOUND or a store error. */
int rk_auth_user_disable(struct rk_store *s, const char *actor, int64_t user_id, bool disabled,
                         int64_t now_ms);

/* Sets a human-chosen password (policy enforced, interactive cost) and ends all sessions of
 * the account. The log records that the password changed, never the password or its hash.
 * actor NULL: the account itself. Returns RK_OK, RK_ERANGE, RK_EINVAL, RK_ENOTFOUND or a store
 * error. (A login's silent rehash of the same password is not an account change: not logged.) */
int rk_auth_password_set(struct rk_store *s, const char *actor, int64_t user_id,
                         const char *password, size_t len, int64_t now_ms);

/* Registers an Ed25519 public key for user_id at now_ms (Unix ms; created_at gets seconds);
 * out (may be NULL) gets the record with its key id. actor NULL: the account itself (a device
 * registering its own key). Returns RK_OK, RK_EINVAL (unusable key or actor), RK_EORPHAN (no
 * such user), RK_EEXIST (key already registered) or a store error. */
int rk_auth_device_register(struct rk_store *s, const char *actor, int64_t user_id,
                            const uint8_t pub[RK_DEVICE_PUB_BYTES], int64_t now_ms,
                            struct rk_device_key *out);

/* Revokes device key key_id (hex) at now_ms (revoked_at gets seconds): it signs nothing from
 * then on. actor NULL: the key's account itself. Returns RK_OK, RK_EINVAL, RK_ENOTFOUND,
 * RK_ECONFLICT (already revoked) or a store error. */
int rk_auth_device_revoke(struct rk_store *s, const char *actor, const char *key_id,
                          int64_t now_ms);

/* Verifies that msg[0..len) was signed by the live device key key_id and gives the principal
 * of the account it belongs to. Returns RK_OK, RK_ESIGNATURE (unknown or revoked key, bad
 * signature), RK_EFORBIDDEN (the account is disabled) or a store error. */
int rk_auth_device_verify(struct rk_store *s, const char *key_id, const void *msg, size_t len,
                          const uint8_t sig[RK_DEVICE_SIG_BYTES], struct rk_principal *who);

#endif
