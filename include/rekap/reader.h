/* Reading a photographed C.Hasil-KWK page: decode the photo, find its corner marks, decode its
 * QR code (which election, race, TPS, page and layout it is), map every digit box and bubble
 * column of the template through the page's homography, and read each digit twice — the
 * handwritten digit with the CNN (rekap/digits.h) and the blackened bubble by its fill — then
 * use the form's own sums to settle doubtful digits and to flag the rest for a person.
 *
 * The reader's promise is about errors, not about reading everything: a value it cannot vouch
 * for is returned with needs_review set and a reason, so that a person types it. SIREKAP
 * published misreads unchecked; this reader prefers to ask.
 *
 * Work is bounded for hostile input: images are capped by rk_image_decode, the mark search runs
 * on a ~1 MP copy, the QR is decoded from a small rectified square, and every digit box is
 * warped at a fixed resolution into buffers allocated once per reader (no allocation per digit). */
#ifndef REKAP_READER_H
#define REKAP_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "rekap/digits.h"
#include "rekap/form.h"
#include "rekap/geom.h"
#include "rekap/image.h"
#include "rekap/marks.h"

#define RK_READER_MIN_SIDE 400     /* shorter photo side below this: too small */
#define RK_READER_MIN_PX_PER_MM 2.5 /* page resolution below this: too far / too small */
#define RK_READER_PX_PER_MM 8      /* resolution boxes and bubbles are resampled at */
#define RK_READER_VIOLATIONS_MAX 16
#define RK_READER_REASON_MAX 160

/* Why a photo was refused (rk_reader_read returns RK_EUNREADABLE, RK_ECONFLICT, ...). */
enum rk_reader_error {
    RK_READ_OK = 0,
    RK_READ_BAD_IMAGE,      /* not a JPEG/PNG, corrupt, over the caps */
    RK_READ_TOO_SMALL,      /* photo or page too small to read digits */
    RK_READ_NO_MARKS,       /* four corner marks not found */
    RK_READ_NO_QR,          /* marks found but the QR code does not decode */
    RK_READ_BAD_QR,         /* QR decodes but is not a rekap form payload */
    RK_READ_TEMPLATE,       /* the form's layout is not the template given */
    RK_READ_BLURRED,        /* digit boxes' borders not visible: too blurred or too dark */
    RK_READ_WRONG_ELECTION, /* identity differs from what the caller expected */
    RK_READ_WRONG_RACE,
    RK_READ_WRONG_TPS,
    RK_READ_WRONG_PAGE,
};

/* What a digit box holds. */
enum rk_reader_ink {
    RK_INK_BLANK = 0, /* no ink */
    RK_INK_DIGIT,     /* a digit (the CNN's top class is 0-9) */
    RK_INK_CROSSED,   /* crossed out, scribbled or inked over (class 10 or too much ink) */
};

/* Field flags; any of RK_RF_REVIEW_MASK sets needs_review. */
#define RK_RF_LOW_CONFIDENCE 0x001u /* a digit below the model's accept threshold */
#define RK_RF_DISAGREE 0x002u       /* handwritten digit and bubble say different things */
#define RK_RF_CROSSED 0x004u        /* a box crossed out or scribbled over */
#define RK_RF_BLANK 0x008u          /* whole number blank, or a blank box after a digit */
#define RK_RF_BUBBLE_UNCLEAR 0x010u /* two bubbles filled, or a faint fill */
#define RK_RF_ARITHMETIC 0x020u     /* in a sum of the form that does not add up */
#define RK_RF_BOX_NOT_FOUND 0x040u  /* printed box border not found where expected */
#define RK_RF_FAINT 0x080u          /* a box's ink is pale (a crease or shadow edge can look the
                                       same): read, but a person must look */
#define RK_RF_ARITH_PICK 0x100u     /* a doubtful digit settled by the form's sums (info) */
#define RK_RF_REVIEW_MASK 0x0ffu

struct rk_reader_digit {
    int value;            /* 0..9 as read, -1 when blank or unreadable */
    enum rk_reader_ink ink;
    float ink_frac;       /* share of the box interior that is ink */
    bool faint;           /* read, though its ink is pale: the number needs a person
                             (RK_RF_FAINT); false for a blank box */
    int top[3];           /* CNN's three likeliest digits (-1 when not classified) */
    float top_p[3];       /* their calibrated probabilities */
    float p_not_digit;    /* CNN's class 10 probability */
    int bubble;           /* filled bubble 0..9; -1 none; -2 unclear; -3 no bubbles printed */
    float bubble_conf;    /* 0..1: how clearly that one bubble is the filled one */
    float confidence;     /* 0..1 for value */
    struct rk_point quad[4]; /* box corners in photo pixels: TL, TR, BR, BL of the page */
};

struct rk_reader_field {
    int field;            /* contract index (rk_form_field_name) */
    int value;            /* 0..999, -1 when not readable */
    float confidence;     /* 0..1 */
    unsigned flags;       /* RK_RF_* */
    bool needs_review;    /* a person must check (flags & RK_RF_REVIEW_MASK) */
    char reason[RK_READER_REASON_MAX]; /* comma-separated flag names, "" when none */
    struct rk_reader_digit digit[RK_FORM_DIGITS];
    struct rk_point quad[4]; /* the three boxes' outline in photo pixels */
};

/* What the caller expects the photo to be (optional: empty strings / 0 are not checked). */
struct rk_reader_expect {
    const char *election;       /* slug */
    enum rk_race_kind kind;     /* 0: any */
    const char *race_region;    /* race region code */
    const char *tps;            /* 13-digit code */
    int page;                   /* 1-based */
    int ncand;                  /* candidate columns (2..6); 0: detect from the printed cells */
};

struct rk_reader_result {
    enum rk_reader_error error;       /* RK_READ_OK on success */
    char msg_id[RK_READER_REASON_MAX], msg_en[RK_READER_REASON_MAX]; /* when error != OK */
    int width, height;                /* photo size after EXIF orientation */
    struct rk_form_qr qr;             /* valid from RK_READ_TEMPLATE on */
    bool qr_read;
    int rotation;                     /* page turned by rotation * 90 degrees in the photo */
    struct rk_marks marks;
    double px_per_mm;                 /* page resolution in the photo */
    struct rk_homography page_to_photo; /* page mm (scale 1) -> photo pixels */
    int ncand;
    int n;                            /* fields read (those on this page) */
    struct rk_reader_field f[RK_FORM_FIELDS];
    int n_review;                     /* fields with needs_review */
    int n_violations;                 /* sums of the page that still do not add up */
    const char *violations[RK_READER_VIOLATIONS_MAX]; /* their rule codes ("R1_DPT_LP") */
    double ms_total;                  /* time spent, for benchmarks */
};

/* Optional view of every digit-box interior the reader classifies (benchmarks, debugging):
 * w x h gray pixels, rows stride bytes apart, valid only during the call. */
typedef void (*rk_reader_crop_fn)(void *ud, int field, int digit, const uint8_t *px, int w,
                                  int h, size_t stride);

/* A reader: the template, the model and every buffer the per-digit path needs. One per thread. */
struct rk_reader {
    const struct rk_form_template *t;
    const struct rk_digits_model *m;
    rk_reader_crop_fn on_crop;
    void *crop_ud;
    void *scratch;         /* CNN activations */
    size_t scratch_len;
    uint8_t *buf;          /* warped number / bubble column */
    size_t buf_len;
    uint8_t *norm;         /* contrast-normalised box interior */
    size_t norm_len;
    void *work;            /* box refinement */
    size_t work_len;
    void *zbar;            /* zbar_image_scanner_t */
};

/* Prepares r for template t and model m (both must outlive r and stay unchanged). Returns
 * RK_OK, RK_EINVAL (NULL, template without pages) or RK_ENOMEM. Free with rk_reader_free. */
int rk_reader_init(struct rk_reader *r, const struct rk_form_template *t,
                   const struct rk_digits_model *m);

/* Releases r's buffers; NULL-safe and idempotent. */
void rk_reader_free(struct rk_reader *r);

/* Reads a JPEG or PNG photo of len bytes (untrusted). exp may be NULL. Fills res entirely.
 * Returns RK_OK (res->f holds every field of the page, each with value, confidence, digits and
 * flags); RK_EUNREADABLE with res->error and a bilingual res->msg_* (bad or tiny image, no
 * marks, no QR, too blurred); RK_EUNSUPPORTED (QR of another layout or version); RK_ECONFLICT
 * (the photo is of another election, race, TPS or page than exp says); RK_ETOOBIG (over the
 * image caps); RK_ENOMEM. */
int rk_reader_read(struct rk_reader *r, const uint8_t *photo, size_t len,
                   const struct rk_reader_expect *exp, struct rk_reader_result *res);

/* As rk_reader_read on an already decoded (upright) image. */
int rk_reader_read_image(struct rk_reader *r, const struct rk_image *img,
                         const struct rk_reader_expect *exp, struct rk_reader_result *res);

/* Stable machine name of an error ("no_marks") and of a flag bit ("low_confidence"). */
const char *rk_reader_error_name(enum rk_reader_error e);
const char *rk_reader_flag_name(unsigned flag);

/* The static message of an error, in Bahasa Indonesia (indonesian) or English; "" for OK. */
const char *rk_reader_error_message(enum rk_reader_error e, bool indonesian);

/* The result as JSON for clients that overlay it on the photo (docs/api.md, POST /api/read):
 * {"form":{...},"photo":{...},"ncand":n,"fields":[{"name","value","confidence","needs_review",
 * "flags":[...],"box":[[x,y]x4],"digits":[...]}],"needs_review":k,"violations":[...],"ms":t}.
 * Returns a new reference, or NULL when out of memory. */
json_t *rk_reader_result_json(const struct rk_reader_result *res);

#endif
