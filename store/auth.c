/* Account operations: the pure credential checks of lib/auth.c applied to stored accounts,
 * sessions and device keys, one function per thing a server or CLI does. Every change to an
 * account or a device key appends its statement to the transparency log in the same
 * transaction, so no key can sign an upload without the log having shown it first. */
#include "store/auth.h"
#include "rekap/statement.h"
#include "rekap/status.h"
#include "store/pipeline.h"

#include <sodium.h>
#include <string.h>

/* An interactive-cost hash of a random secret nobody knows. Logins for unknown usernames are
 * verified against it so they take as long as logins for human accounts. */
static const char dummy_hash[] = "$argon2id$v=19$m=65536,t=2,p=1$qAdWg+fLiC7gK90bweQqOg$"
                                 "6WiR8q6/SxbSx2VQvlGsOB6rkEU0BHF91OIETUhummc";

int rk_auth_login(struct rk_store *s, const char *username, const char *password, size_t len,
                  int64_t now, char token[RK_TOKEN_LEN + 1], struct rk_principal *who)
{
    struct rk_user u;
    int rc = RK_ENOTFOUND;
    if (username && rk_username_check(username) == RK_OK)
        rc = rk_store_user_by_name(s, username, &u);
    if (rc == RK_ENOTFOUND) {
        (void)rk_auth_password_verify(dummy_hash, password ? password : "", password ? len : 0);
        return RK_EAUTH;
    }
    if (rc != RK_OK)
        return rc;
    rc = rk_auth_password_verify(u.pwhash, password, len);
    int stale = rc == RK_OK && rk_auth_password_needs_rehash(u.pwhash) == 1;
    sodium_memzero(u.pwhash, sizeof u.pwhash);
    if (rc != RK_OK)
        return RK_EAUTH;
    if (u.p.disabled)
        return RK_EFORBIDDEN;
    /* Upgrade an outdated hash now; failure only postpones it to the next login. */
    if (stale) {
        char fresh[RK_PWHASH_MAX + 1];
        if (rk_auth_password_hash(password, len, fresh) == RK_OK)
            (void)rk_store_user_set_password(s, u.p.user_id, fresh);
    }
    struct rk_session se;
    if ((rc = rk_auth_session_new(u.p.user_id, now, RK_SESSION_TTL_DEFAULT, token, &se)) != RK_OK)
        return rc;
    if ((rc = rk_store_session_put(s, &se)) != RK_OK) {
        sodium_memzero(token, RK_TOKEN_LEN + 1);
        return rc;
    }
    if (who)
        *who = u.p;
    return RK_OK;
}

int rk_auth_session_principal(struct rk_store *s, const char *token, size_t len, int64_t now,
                              struct rk_principal *who)
{
    uint8_t h[RK_TOKEN_HASH_BYTES];
    struct rk_session se;
    struct rk_user u;
    if (rk_auth_token_hash(token, len, h) != RK_OK)
        return RK_EAUTH;
    int rc = rk_store_session_get(s, h, &se);
    if (rc != RK_OK)
        return rc == RK_ENOTFOUND ? RK_EAUTH : rc;
    if (rk_auth_session_live(&se, now) != RK_OK) {
        (void)rk_store_session_delete(s, h);
        return RK_EAUTH;
    }
    rc = rk_store_user_get(s, se.user_id, &u);
    if (rc != RK_OK)
        return rc == RK_ENOTFOUND ? RK_EAUTH : rc;
    if (u.p.disabled)
        return RK_EAUTH;
    *who = u.p;
    return RK_OK;
}

int rk_auth_logout(struct rk_store *s, const char *token, size_t len)
{
    uint8_t h[RK_TOKEN_HASH_BYTES];
    if (rk_auth_token_hash(token, len, h) != RK_OK)
        return RK_EAUTH;
    int rc = rk_store_session_delete(s, h);
    return rc == RK_ENOTFOUND ? RK_EAUTH : rc;
}

/* Opens the transaction an account change and its log entry share: the caller's, under a
 * savepoint (bulk provisioning holds one for thousands of accounts), or a new one. */
static int tx_open(struct rk_store *s, bool *own)
{
    *own = !rk_store_in_transaction(s);
    return *own ? rk_store_begin(s) : rk_store_savepoint(s);
}

/* Commits (or releases) on rc == RK_OK, else undoes everything since tx_open. */
static int tx_close(struct rk_store *s, bool own, int rc)
{
    if (rc == RK_OK && (rc = own ? rk_store_commit(s) : rk_store_release(s)) == RK_OK)
        return RK_OK;
    if (own)
        rk_store_rollback(s);
    else
        rk_store_rollback_to(s);
    return rc;
}

/* Appends the account statement of u for action; the caller holds the transaction. */
static int log_account(struct rk_store *s, const char *actor, const struct rk_principal *p,
                       enum rk_account_action action, int64_t now_ms)
{
    char ref[RK_LOGENTRY_RACE_MAX + 1] = "";
    char st[RK_STATEMENT_BUF];
    size_t len;
    int64_t idx;
    int rc = p->race_id ? rk_race_ref(s, p->race_id, ref) : RK_OK;
    if (rc == RK_OK)
        rc = rk_statement_account(p->username, rk_role_name(p->role), p->scope, ref, action, st,
                                  sizeof st, &len);
    if (rc == RK_OK)
        rc = rk_log_append_statement(s, RK_LOGENTRY_ACCOUNT_CHANGE, actor, p->scope, NULL, st,
                                     len, NULL, NULL, now_ms, &idx);
    return rc;
}

/* Appends the device statement of k (owned by owner) as log entry at, the log's size read
 * in this transaction; the caller holds the transaction. */
static int log_device(struct rk_store *s, const char *actor, const struct rk_principal *owner,
                      const struct rk_device_key *k, enum rk_device_action action,
                      int64_t now_ms, int64_t at)
{
    char st[RK_STATEMENT_BUF];
    size_t len;
    int64_t idx;
    int rc = rk_statement_device(owner->username, k->key_id, k->pub, action, st, sizeof st, &len);
    if (rc == RK_OK)
        rc = rk_log_append_at(s, RK_LOGENTRY_DEVICE_KEY, actor ? actor : owner->username,
                              owner->scope, NULL, st, len, k->key_id, NULL, now_ms, at, &idx);
    return rc;
}

static bool actor_ok(const char *actor)
{
    return actor && actor[0] && strlen(actor) <= RK_LOGENTRY_ACTOR_MAX;
}

int rk_auth_user_create(struct rk_store *s, const char *actor, struct rk_user *u,
                        const char *password, size_t len, int64_t now_ms,
                        char generated[RK_GENPW_LEN + 1])
{
    int rc;
    if (!actor_ok(actor) || now_ms < 0)
        rc = RK_EINVAL;
    else if (password)
        rc = rk_auth_password_hash(password, len, u->pwhash);
    else if (generated)
        rc = rk_auth_password_generate(generated, u->pwhash);
    else
        rc = RK_EINVAL;
    if (rc != RK_OK)
        return rc;
    u->created_at = now_ms / 1000;
    bool own;
    if ((rc = tx_open(s, &own)) == RK_OK) {
        rc = rk_store_user_put(s, u);
        if (rc == RK_OK)
            rc = log_account(s, actor, &u->p, RK_ACCOUNT_CREATE, now_ms);
        rc = tx_close(s, own, rc);
    }
    if (rc != RK_OK) {
        u->p.user_id = 0;
        if (!password)
            sodium_memzero(generated, RK_GENPW_LEN + 1);
    }
    return rc;
}

int rk_auth_user_disable(struct rk_store *s, const char *actor, int64_t user_id, bool disabled,
                         int64_t now_ms)
{
    if (!actor_ok(actor) || now_ms < 0)
        return RK_EINVAL;
    bool own;
    int rc = tx_open(s, &own);
    if (rc != RK_OK)
        return rc;
    struct rk_user u;
    rc = rk_store_user_get(s, user_id, &u);
    sodium_memzero(u.pwhash, sizeof u.pwhash);
    if (rc == RK_OK)
        rc = rk_store_user_set_disabled(s, user_id, disabled);
    if (rc == RK_OK && disabled)
        rc = rk_store_session_delete_user(s, user_id, NULL);
    if (rc == RK_OK)
        rc = log_account(s, actor, &u.p, disabled ? RK_ACCOUNT_DISABLE : RK_ACCOUNT_ENABLE,
                         now_ms);
    return tx_close(s, own, rc);
}

int rk_auth_password_set(struct rk_store *s, const char *actor, int64_t user_id,
                         const char *password, size_t len, int64_t now_ms)
{
    if ((actor && !actor_ok(actor)) || now_ms < 0)
        return RK_EINVAL;
    char h[RK_PWHASH_MAX + 1];
    int rc = rk_auth_password_hash(password, len, h); /* slow: before the write lock */
    if (rc != RK_OK)
        return rc;
    bool own;
    if ((rc = tx_open(s, &own)) != RK_OK) {
        sodium_memzero(h, sizeof h);
        return rc;
    }
    struct rk_user u;
    rc = rk_store_user_get(s, user_id, &u);
    sodium_memzero(u.pwhash, sizeof u.pwhash);
    if (rc == RK_OK)
        rc = rk_store_user_set_password(s, user_id, h);
    sodium_memzero(h, sizeof h);
    if (rc == RK_OK)
        rc = rk_store_session_delete_user(s, user_id, NULL);
    if (rc == RK_OK)
        rc = log_account(s, actor ? actor : u.p.username, &u.p, RK_ACCOUNT_PASSWORD, now_ms);
    return tx_close(s, own, rc);
}

int rk_auth_device_register(struct rk_store *s, const char *actor, int64_t user_id,
                            const uint8_t pub[RK_DEVICE_PUB_BYTES], int64_t now_ms,
                            struct rk_device_key *out)
{
    if ((actor && !actor_ok(actor)) || now_ms < 0)
        return RK_EINVAL;
    struct rk_device_key k;
    int rc = rk_auth_device_key_init(&k, user_id, pub, now_ms / 1000);
    if (rc != RK_OK)
        return rc;
    bool own;
    if ((rc = tx_open(s, &own)) != RK_OK)
        return rc;
    struct rk_user u;
    /* The registration's entry is the next one in the log: the key is stored with its index
     * (for witnesses, GET /api/devices/{id}) in the same insert, so no later update of the
     * row invalidates the registry cache; rk_log_append_at refuses any other index. */
    rc = rk_store_log_size(s, &k.log_index);
    if (rc == RK_OK)
        rc = rk_store_device_put(s, &k);
    if (rc == RK_OK) {
        rc = rk_store_user_get(s, user_id, &u);
        sodium_memzero(u.pwhash, sizeof u.pwhash);
    }
    if (rc == RK_OK)
        rc = log_device(s, actor, &u.p, &k, RK_DEVICE_REGISTER, now_ms, k.log_index);
    if ((rc = tx_close(s, own, rc)) == RK_OK && out)
        *out = k;
    return rc;
}

int rk_auth_device_revoke(struct rk_store *s, const char *actor, const char *key_id,
                          int64_t now_ms)
{
    if ((actor && !actor_ok(actor)) || !key_id || now_ms < 0)
        return RK_EINVAL;
    bool own;
    int rc = tx_open(s, &own);
    if (rc != RK_OK)
        return rc;
    struct rk_device_key k;
    struct rk_user u;
    int64_t at;
    rc = rk_store_device_get(s, key_id, &k);
    if (rc == RK_OK) {
        rc = rk_store_user_get(s, k.user_id, &u);
        sodium_memzero(u.pwhash, sizeof u.pwhash);
    }
    if (rc == RK_OK)
        rc = rk_store_device_revoke(s, key_id, now_ms / 1000);
    if (rc == RK_OK)
        rc = rk_store_log_size(s, &at);
    if (rc == RK_OK)
        rc = log_device(s, actor, &u.p, &k, RK_DEVICE_REVOKE, now_ms, at);
    return tx_close(s, own, rc);
}

int rk_auth_device_verify(struct rk_store *s, const char *key_id, const void *msg, size_t len,
                          const uint8_t sig[RK_DEVICE_SIG_BYTES], struct rk_principal *who)
{
    struct rk_device_key k;
    struct rk_user u;
    int rc = rk_store_device_get(s, key_id, &k);
    if (rc == RK_ENOTFOUND || rc == RK_EINVAL)
        return RK_ESIGNATURE;
    if (rc != RK_OK)
        return rc;
    if (k.revoked_at != 0 || rk_auth_verify_device_sig(k.pub, msg, len, sig) != RK_OK)
        return RK_ESIGNATURE;
    if ((rc = rk_store_user_get(s, k.user_id, &u)) != RK_OK)
        return rc == RK_ENOTFOUND ? RK_ESIGNATURE : rc;
    if (u.p.disabled)
        return RK_EFORBIDDEN;
    if (who)
        *who = u.p;
    return RK_OK;
}
