/* The witness copy (salinan digital) of an accepted upload: a one-line receipt the KPPS device
 * shows as a QR code after the server accepted its C.Hasil, so witnesses (saksi), observers and
 * voters can photograph it and later check, without trusting the server, that exactly that
 * document was logged and whether it was replaced since:
 *
 *   RKW1|<tps>|<race ref>|<version>|<doc sha256>|<device key id>|<signature>|<log index>
 *
 *   tps        13-digit TPS code, no dots
 *   race ref   the race's stable name in the log, e.g. pilkada2024.pkwkp.61 ([a-z0-9._:/-]{1,48})
 *   version    the version number the server gave it, 1..1000000, decimal without leading zeros
 *   doc        SHA-256 of the canonical C.Hasil JSON, 64 lowercase hex digits
 *   device     key id of the KPPS device key, 16 lowercase hex digits
 *   signature  the device's Ed25519 signature over the upload statement (rekap/statement.h),
 *              base64url without padding (86 characters)
 *   log index  the transparency-log entry of the upload, decimal without leading zeros
 *
 * Every field has exactly one spelling, so parsing then formatting gives back the input, and a
 * receipt is at most RK_WITNESS_MAX bytes (fits a version 10 QR code at level M). The parser
 * takes text scanned from a stranger's phone: it is strict, capped and fuzzed
 * (fuzz/fuzz_receipt.c). Format in docs/audit-log.md §7. */
#ifndef REKAP_WITNESS_H
#define REKAP_WITNESS_H

#include <stddef.h>
#include <stdint.h>

#include "rekap/logentry.h"
#include "rekap/region.h"
#include "rekap/sth.h"

#define RK_WITNESS_TAG "RKW1"
#define RK_WITNESS_MAX 280           /* longest valid receipt, bytes (no NUL) */
#define RK_WITNESS_VERSION_MAX 1000000
#define RK_WITNESS_SIG_B64_LEN 86    /* base64url of 64 bytes, unpadded */

struct rk_witness {
    char tps[RK_CODE_MAX + 1];
    char race[RK_LOGENTRY_RACE_MAX + 1];
    int version;
    uint8_t doc_hash[32];
    uint8_t device[RK_KEY_ID_LEN];
    uint8_t sig[RK_ED25519_SIG_LEN];
    uint64_t log_index; /* <= RK_LOGENTRY_NUM_MAX */
};

/* Parses exactly len bytes of s (no trailing newline or spaces). Returns RK_OK, or with w
 * zeroed: RK_ETOOBIG (len > RK_WITNESS_MAX), RK_EPARSE (wrong tag or number of fields),
 * RK_EINVAL (a field badly spelled: characters, case, length, leading zeros, dotted code,
 * non-canonical base64) or RK_ERANGE (version or log index over its cap). */
int rk_witness_parse(const char *s, size_t len, struct rk_witness *w);

/* Writes the receipt of w and a NUL into out. Returns its length (<= RK_WITNESS_MAX),
 * RK_EINVAL / RK_ERANGE when a field breaks the rules above, or RK_ETOOBIG when cap is too
 * small. */
int rk_witness_format(const struct rk_witness *w, char *out, size_t cap);

#endif
