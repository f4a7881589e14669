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

/* Creates the account described by u (username, role, scope, race set; id 0) at now. With a
 * password (len bytes) it must meet rk_auth_password_policy and is hashed at the interactive
 * cost; with password NULL a random one is generated, hashed at the generated cost and written
 * to generated (which may then not be NULL). u->p.user_id and u->pwhash are filled on success.
 * Returns RK_OK, the policy's RK_ERANGE/RK_EINVAL, or rk_store_user_put's errors. */
int rk_auth_user_create(struct rk_store *s, struct rk_user *u, const char *password, size_t len,
                        int64_t now, char generated[RK_GENPW_LEN + 1]);

/* Disables (or re-enables) an account; disabling also ends all its sessions. Returns RK_OK,
 * RK_ENOTFOUND or a store error. */
int rk_auth_user_disable(struct rk_store *s, int64_t user_id, bool disabled);

/* Sets a human-chosen password (policy enforced, interactive cost) and ends all sessions of
 * the account. Returns RK_OK, RK_ERANGE, RK_EINVAL, RK_ENOTFOUND or a store error. */
int rk_auth_password_set(struct rk_store *s, int64_t user_id, const char *password, size_t len);

/* Registers an Ed25519 public key for user_id at now; out (may be NULL) gets the record with
 * its key id. Returns RK_OK, RK_EINVAL (unusable key), RK_EORPHAN (no such user), RK_EEXIST
 * (key already registered) or a store error. */
int rk_auth_device_register(struct rk_store *s, int64_t user_id,
                            const uint8_t pub[RK_DEVICE_PUB_BYTES], int64_t now,
                            struct rk_device_key *out);

/* Verifies that msg[0..len) was signed by the live device key key_id and gives the principal
 * of the account it belongs to. Returns RK_OK, RK_ESIGNATURE (unknown or revoked key, bad
 * signature), RK_EFORBIDDEN (the account is disabled) or a store error. */
int rk_auth_device_verify(struct rk_store *s, const char *key_id, const void *msg, size_t len,
                          const uint8_t sig[RK_DEVICE_SIG_BYTES], struct rk_principal *who);

#endif
