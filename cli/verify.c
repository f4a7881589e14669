/* rekap verify RECEIPT (--url URL | --db FILE): checks a witness copy (salinan digital, the
 * RKW1|... text of the QR code a KPPS device shows after an accepted upload) against the
 * transparency log, and says whether a later version replaced it. Exit 0 only when the copy is
 * valid. The checks are store/audit.c's, over HTTP or straight on a database file. */
#include "cli/cli.h"
#include "cli/httpsrc.h"
#include "cli/logkey.h"
#include "rekap/status.h"
#include "rekap/submission.h"
#include "store/audit.h"

#include <ctype.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: rekap verify RECEIPT (--url URL | --db FILE) [--log-key HEX] [--key FILE]\n"
               "                    [--log-id NAME] [--json] [--timeout SECONDS]\n"
               "  RECEIPT: teks QR salinan digital / the witness copy's QR text, RKW1|...\n"
               "  --log-key: kunci publik log yang disematkan / pinned log public key (hex)\n"
               "  --key: berkas kunci log (untuk --db) / the log's key file (with --db; default "
               "<db>.key)\n"
               "  --timeout: batas per permintaan HTTP / limit per HTTP request (default 120 s)\n");
}

static void mark(bool ok, bool reached, const char *id, const char *en)
{
    printf("  [%s] %s / %s\n", ok ? " ok " : reached ? "GAGAL" : "  - ", id, en);
}

static void print_verdict(const struct rk_witness *w, const struct rk_witness_verdict *v)
{
    char doc[65];
    rk_hex(w->doc_hash, 32, doc);
    if (v->valid)
        printf("SAH / VALID: salinan digital cocok dengan log / the witness copy matches the log\n");
    else
        printf("TIDAK SAH / INVALID: %s / %s\n", v->problem_id, v->problem_en);
    printf("  TPS %s, pemilihan/race %s, versi/version %d, dokumen/document %s\n", w->tps,
           w->race, w->version, doc);
    mark(v->version_matches, true, "versi yang dipublikasikan cocok dengan salinan",
         "the published version matches the copy");
    mark(v->signature_ok, v->version_matches, "tanda tangan perangkat sah",
         "the device signature is valid");
    if (v->device_found)
        printf("        perangkat/device %s, pemilik/owner %s, cakupan/scope %s%s\n",
               v->device.key_id, v->device.owner, v->device.scope[0] ? v->device.scope : "-",
               v->device.revoked_at ? ", DICABUT/REVOKED" : "");
    mark(v->entry_ok, v->signature_ok, "entri log mencatat unggahan ini",
         "the log entry records this upload");
    printf("        entri log/log entry #%llu\n", (unsigned long long)w->log_index);
    mark(v->sth_ok, v->entry_ok, "kepala pohon bertanda tangan sah", "the signed tree head is valid");
    if (v->sth_ok) {
        char root[65], kid[17];
        rk_hex(v->sth.root, 32, root);
        rk_hex(v->sth.key_id, RK_KEY_ID_LEN, kid);
        printf("        log %s, ukuran/size %llu, akar/root %s, kunci/key %s%s\n", v->sth.log_id,
               (unsigned long long)v->sth.tree_size, root, kid,
               v->key_pinned ? "" : " (TIDAK DISEMATKAN / NOT PINNED: bandingkan id kunci ini "
                                    "dengan yang diumumkan KPU / compare this key id with the "
                                    "published one)");
    }
    mark(v->included, v->sth_ok, "bukti inklusi sah", "the inclusion proof is valid");
    if (v->device_found && v->device.log_index < 0)
        printf("  [  - ] pendaftaran kunci perangkat tidak dicatat posisinya (basis data lama): "
               "periksa dengan `rekap audit` / the device key's registration index was not "
               "recorded (older store): `rekap audit` checks it\n");
    else
        mark(v->device_registered, v->included,
             "kunci perangkat terdaftar di log sebelum unggahan ini",
             "the device key was registered in the log before this upload");
    if (v->device_registered)
        printf("        pendaftaran/registration: entri log/log entry #%lld\n",
               (long long)v->device.log_index);
    if (v->n_later > 0) {
        printf("PERHATIAN / NOTE: ada %d versi lebih baru; versi terkini %d / %d later version(s); "
               "current version %d\n",
               v->n_later, v->current_version, v->n_later, v->current_version);
        for (int i = 0; i < v->n_later && i < RK_WITNESS_LATER_MAX; i++) {
            const struct rk_witness_later *l = &v->later[i];
            char h[65];
            rk_hex(l->doc_hash, 32, h);
            printf("  versi/version %d: %s oleh/by %s, dokumen/document %s, log #%lld%s%s%s\n",
                   l->version, l->kind == RK_VERSION_UPLOAD ? "unggahan/upload" : "koreksi/correction",
                   l->actor, h, (long long)l->log_index, l->reason[0] ? ", alasan/reason \"" : "",
                   l->reason, l->reason[0] ? "\"" : "");
        }
    } else if (v->current_version == w->version) {
        printf("  versi ini masih terkini / this version is still the current one\n");
    }
}

int rk_cmd_verify(int argc, char **argv)
{
    const char *url = NULL, *db = NULL, *key_hex = NULL, *key_file = NULL, *log_id = NULL;
    int json = 0, deadline = 0;
    static const struct option opts[] = {{"url", required_argument, 0, 'u'},
                                         {"timeout", required_argument, 0, 't'},
                                         {"db", required_argument, 0, 'd'},
                                         {"log-key", required_argument, 0, 'K'},
                                         {"key", required_argument, 0, 'k'},
                                         {"log-id", required_argument, 0, 'L'},
                                         {"json", no_argument, 0, 'j'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "u:d:K:k:L:t:jh", opts, NULL)) != -1) {
        switch (c) {
        case 'u': url = optarg; break;
        case 't':
            if (rk_http_deadline_parse("rekap verify", optarg, &deadline) != RK_OK)
                return 2;
            break;
        case 'd': db = optarg; break;
        case 'K': key_hex = optarg; break;
        case 'k': key_file = optarg; break;
        case 'L': log_id = optarg; break;
        case 'j': json = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind + 1 != argc || (!url) == (!db)) {
        usage(stderr);
        return 2;
    }
    /* Scanners often add a newline or spaces around the text: trim those only. */
    const char *r = argv[optind];
    while (isspace((unsigned char)*r))
        r++;
    size_t len = strlen(r);
    while (len && isspace((unsigned char)r[len - 1]))
        len--;
    /* The KPPS app's receipt QR is a portal link carrying the copy as its r= parameter
     * (percent-encoded): accept that as well as the bare RKW1 text. */
    char decoded[RK_WITNESS_MAX + 1];
    if (strncmp(r, "RKW1|", 5) != 0 && len < 4096) {
        const char *p = strstr(r, "r=RKW1");
        if (p && p < r + len) {
            p += 2;
            size_t n = 0;
            while (p < r + len && *p != '&' && n < sizeof decoded - 1) {
                unsigned hi, lo;
                if (*p == '%' && p + 2 < r + len && sscanf(p + 1, "%1x%1x", &hi, &lo) == 2) {
                    decoded[n++] = (char)(hi << 4 | lo);
                    p += 3;
                } else {
                    decoded[n++] = *p++;
                }
            }
            decoded[n] = '\0';
            r = decoded;
            len = n;
        }
    }
    struct rk_witness w;
    int rc = len > RK_WITNESS_MAX ? RK_ETOOBIG : rk_witness_parse(r, len, &w);
    if (rc != RK_OK) {
        fprintf(stderr, "rekap verify: bukan salinan digital yang sah (RKW1|tps|pemilihan|versi|"
                        "dokumen|perangkat|tanda tangan|indeks) / not a valid witness copy: %s\n",
                rk_strerror(rc));
        return 2;
    }
    uint8_t pub[RK_ED25519_PUBKEY_LEN];
    bool have = false;
    if (rk_cli_log_key(key_hex, key_file, db, pub, &have) != RK_OK)
        return 2;
    struct rk_audit_src src;
    struct rk_http_src hs;
    struct rk_audit_store_ctx sc;
    struct rk_store *s = NULL;
    memset(&sc, 0, sizeof sc);
    if (url) {
        if ((rc = rk_http_src_init(&hs, url, &src)) != RK_OK) {
            fprintf(stderr, "rekap verify: URL harus http://HOST:PORT / URL must be "
                            "http://HOST:PORT: %s\n", url);
            return 2;
        }
        hs.url.deadline_s = deadline;
    } else {
        if (!have) {
            fprintf(stderr, "rekap verify: kunci log tidak diketahui; beri --log-key atau --key / "
                            "the log key is unknown; give --log-key or --key\n");
            return 2;
        }
        if (rk_cli_store_exists(db) != RK_OK)
            return 1;
        if ((rc = rk_store_open(db, &s)) != RK_OK) {
            rk_cli_error(db, rc);
            return 1;
        }
        sc.s = s;
        snprintf(sc.log_id, sizeof sc.log_id, "%s", log_id ? log_id : "rekap");
        memcpy(sc.pub, pub, sizeof pub);
        rk_audit_src_store(&src, &sc);
    }
    struct rk_witness_verdict *v = malloc(sizeof *v);
    rc = v ? rk_witness_verify(&src, &w, have ? pub : NULL, log_id, v) : RK_ENOMEM;
    int exit_code = 1;
    if (rc != RK_OK) {
        rk_cli_error("verify", rc);
    } else {
        if (json) {
            json_t *j = rk_witness_verdict_json(&w, v);
            char *out = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
            if (out)
                printf("%s\n", out);
            free(out);
            json_decref(j);
        } else {
            print_verdict(&w, v);
        }
        exit_code = v->valid ? 0 : 1;
    }
    free(v);
    if (url)
        rk_http_src_free(&hs);
    rk_audit_store_ctx_free(&sc);
    rk_store_close(s);
    return exit_code;
}
