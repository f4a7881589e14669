/* rekap status codes: every fallible function returns RK_OK (0) or a negative enum rk_status.
 * Each status maps to one HTTP code so parsers deep in lib/ decide the response a client sees. */
#ifndef REKAP_STATUS_H
#define REKAP_STATUS_H

enum rk_status {
    RK_OK = 0,
    RK_EINVAL = -1,     /* malformed input (bad syntax, bad code, bad number) -> 400 */
    RK_ENOMEM = -2,     /* allocation failed -> 503 */
    RK_ERANGE = -3,     /* a number or length outside its cap -> 400 */
    RK_ENOTFOUND = -4,  /* referenced entity does not exist -> 404 */
    RK_EEXIST = -5,     /* duplicate of an existing entity -> 409 */
    RK_EPARSE = -6,     /* unparseable document (JSON, CSV, image) -> 400 */
    RK_ETOOBIG = -7,    /* body, file or field over its size limit -> 413 */
    RK_EIO = -8,        /* file or socket error -> 500 */
    RK_EDB = -9,        /* storage engine error -> 503 */
    RK_EAUTH = -10,     /* missing or bad credentials -> 401 */
    RK_EFORBIDDEN = -11,/* authenticated but outside scope -> 403 */
    RK_ECONFLICT = -12, /* state conflict (already approved, stale version) -> 409 */
    RK_ESIGNATURE = -13,/* signature does not verify -> 401 */
    RK_EVALIDATION = -14,/* document breaks a hard arithmetic rule -> 422 */
    RK_EORPHAN = -15,   /* parent entity missing (region without its parent) -> 422 */
    RK_EUNSUPPORTED = -16,/* feature or format not supported -> 415 */
    RK_ERATELIMIT = -17,/* too many requests -> 429 */
    RK_EINTERNAL = -18, /* bug or unexpected state -> 500 */
    RK_EPROOF = -19,    /* Merkle inclusion/consistency proof does not verify -> 422 */
    RK_EUNREADABLE = -20,/* photo of a form cannot be read (no marks/QR, too small/blurred) -> 422 */
};

/* Returns a static English description of status (never NULL, also for unknown values). */
const char *rk_strerror(int status);

/* Returns a static Bahasa Indonesia description of status (never NULL). */
const char *rk_strerror_id(int status);

/* Returns a short stable machine name ("not_found") for status, for JSON error bodies. */
const char *rk_status_name(int status);

/* Returns the HTTP status code a request failing with status should be answered with. */
int rk_status_http(int status);

#endif
