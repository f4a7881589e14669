/* Digit CNN inference: model file parsing (untrusted input, every size checked before use),
 * the choice of forward pass (digits_fwd.c), calibrated softmax with the accept/reject
 * decision, and the crop-to-MNIST preprocessing. Activations live in caller-provided scratch
 * so the hot path never allocates. Feature maps are stored HWC (channels innermost) so every
 * inner loop runs over contiguous channels, which the forward pass holds in vector registers. */
#include "digits_impl.h"
#include "rekap/status.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define MAX_C1 RK_DIGITS_CAP_C1
#define MAX_C2 128u
#define MAX_K RK_DIGITS_CAP_K
#define MAX_HIDDEN 1024u
#define T_MIN 0.05f
#define T_MAX 20.0f

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static float rdf32(const uint8_t *p)
{
    uint32_t u = rd32(p);
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}

static void wrf32(uint8_t *p, float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    wr32(p, u);
}

static size_t round16(size_t n)
{
    return (n + 15) & ~(size_t)15;
}

int rk_digits_arch_check(const struct rk_digits_arch *a, size_t *nweights)
{
    if (a->c1 < 1 || a->c1 > MAX_C1 || a->c2 < 1 || a->c2 > MAX_C2 || a->hidden < 1 ||
        a->hidden > MAX_HIDDEN || a->k1 < 1 || a->k1 > MAX_K || a->k2 < 1 || a->k2 > MAX_K ||
        a->k1 % 2 == 0 || a->k2 % 2 == 0)
        return RK_ERANGE;
    uint32_t h1 = RK_DIGITS_SIDE - a->k1 + 1, p1 = h1 / 2;
    if (p1 < a->k2)
        return RK_ERANGE;
    uint32_t h2 = p1 - a->k2 + 1, p2 = h2 / 2;
    if (p2 < 1)
        return RK_ERANGE;
    /* All factors are capped above, so these products cannot overflow size_t. */
    size_t flat = (size_t)p2 * p2 * a->c2;
    size_t n = (size_t)a->k1 * a->k1 * a->c1 + a->c1 + (size_t)a->k2 * a->k2 * a->c1 * a->c2 +
               a->c2 + flat * a->hidden + a->hidden + (size_t)a->hidden * RK_DIGITS_CLASSES +
               RK_DIGITS_CLASSES;
    if (n > RK_DIGITS_MAX_WEIGHTS)
        return RK_ERANGE;
    if (nweights)
        *nweights = n;
    return RK_OK;
}

void rk_digits_bind(struct rk_digits_net *m, float *w)
{
    const struct rk_digits_arch *a = &m->arch;
    m->h1 = RK_DIGITS_SIDE - a->k1 + 1;
    m->p1 = m->h1 / 2;
    m->h2 = m->p1 - a->k2 + 1;
    m->p2 = m->h2 / 2;
    m->flat = m->p2 * m->p2 * a->c2;
    m->w = w;
    float *p = w;
    m->c1w = p, p += a->k1 * a->k1 * a->c1;
    m->c1b = p, p += a->c1;
    m->c2w = p, p += a->k2 * a->k2 * a->c1 * a->c2;
    m->c2b = p, p += a->c2;
    m->f1w = p, p += (size_t)m->flat * a->hidden;
    m->f1b = p, p += a->hidden;
    m->f2w = p, p += a->hidden * RK_DIGITS_CLASSES;
    m->f2b = p;
}

/* Allocates net's weights for architecture a (already checked, n weights), copying src if
 * given, else zero. */
static int net_alloc(struct rk_digits_net *net, const struct rk_digits_arch *a, size_t n,
                     const float *src)
{
    float *w = src ? malloc(n * sizeof *w) : calloc(n, sizeof *w);
    if (!w)
        return RK_ENOMEM;
    if (src)
        memcpy(w, src, n * sizeof *w);
    memset(net, 0, sizeof *net);
    net->arch = *a;
    net->nweights = n;
    rk_digits_bind(net, w);
    return RK_OK;
}

int rk_digits_model_init(struct rk_digits_model *m, const struct rk_digits_arch *a)
{
    size_t n;
    memset(m, 0, sizeof *m);
    int rc = rk_digits_arch_check(a, &n);
    if (rc != RK_OK)
        return rc;
    if ((rc = net_alloc(&m->net[0], a, n, NULL)) != RK_OK)
        return rc;
    m->version = RK_DIGITS_VERSION;
    m->nnets = 1;
    m->temperature = 1.0f;
    m->threshold = 0.5f;
    return RK_OK;
}

void rk_digits_model_free(struct rk_digits_model *m)
{
    for (uint32_t i = 0; i < RK_DIGITS_MAX_NETS; i++)
        free(m->net[i].w), rk_digits_qnet_free(m->net[i].q);
    memset(m, 0, sizeof *m);
}

int rk_digits_model_set_int8(struct rk_digits_model *m, int on)
{
    struct rk_digits_qnet *q[RK_DIGITS_MAX_NETS] = {0};
    uint32_t nn = m->nnets < RK_DIGITS_MAX_NETS ? m->nnets : RK_DIGITS_MAX_NETS;
    if (on && m->version == 1)
        return RK_EINVAL;
    for (uint32_t k = 0; on && k < nn; k++)
        if (rk_digits_quantize(&m->net[k], &q[k]) != RK_OK) {
            for (uint32_t j = 0; j < k; j++)
                rk_digits_qnet_free(q[j]);
            return RK_ENOMEM;
        }
    for (uint32_t k = 0; k < nn; k++) {
        rk_digits_qnet_free(m->net[k].q);
        m->net[k].q = q[k];
    }
    m->flags = on ? m->flags | RK_DIGITS_INT8 : m->flags & ~RK_DIGITS_INT8;
    return RK_OK;
}

int rk_digits_model_merge(struct rk_digits_model *out, const struct rk_digits_model *const *parts,
                          size_t n)
{
    memset(out, 0, sizeof *out);
    if (n == 0)
        return RK_EINVAL;
    size_t nets = 0, weights = 0;
    for (size_t i = 0; i < n; i++) {
        if (parts[i]->split_seed != parts[0]->split_seed ||
            parts[i]->split_count != parts[0]->split_count)
            return RK_EINVAL;
        nets += parts[i]->nnets;
        for (uint32_t k = 0; k < parts[i]->nnets; k++)
            weights += parts[i]->net[k].nweights;
    }
    if (nets > RK_DIGITS_MAX_NETS || weights > RK_DIGITS_MAX_WEIGHTS)
        return RK_ERANGE;
    for (size_t i = 0; i < n; i++)
        for (uint32_t k = 0; k < parts[i]->nnets; k++) {
            const struct rk_digits_net *src = &parts[i]->net[k];
            int rc = net_alloc(&out->net[out->nnets], &src->arch, src->nweights, src->w);
            if (rc != RK_OK) {
                rk_digits_model_free(out);
                return rc;
            }
            out->nnets++;
        }
    out->version = RK_DIGITS_VERSION;
    out->temperature = parts[0]->temperature;
    out->threshold = parts[0]->threshold;
    out->split_seed = parts[0]->split_seed;
    out->split_count = parts[0]->split_count;
    out->calib_lo = parts[0]->calib_lo;
    out->calib_hi = parts[0]->calib_hi;
    return RK_OK;
}

/* Reads n finite weights from p into a fresh allocation for net. */
static int read_weights(struct rk_digits_net *net, const struct rk_digits_arch *a, size_t n,
                        const uint8_t *p)
{
    int rc = net_alloc(net, a, n, NULL);
    if (rc != RK_OK)
        return rc;
    for (size_t i = 0; i < n; i++) {
        net->w[i] = rdf32(p + 4 * i);
        if (!isfinite(net->w[i]))
            return RK_EPARSE;
    }
    return RK_OK;
}

/* Checks the shared calibration fields (NaN fails every comparison and is rejected). */
static int check_calib(float t, float thr, uint32_t split_count)
{
    if (!(t >= T_MIN && t <= T_MAX) || !(thr >= 0.0f && thr <= 1.0f))
        return RK_ERANGE;
    if (split_count > 10000000u)
        return RK_ERANGE;
    return RK_OK;
}

static int crc_ok(const uint8_t *buf, size_t len)
{
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32(crc, buf, (uInt)(len - 4));
    return (uint32_t)crc == rd32(buf + len - 4);
}

static int parse_v1(struct rk_digits_model *m, const uint8_t *buf, size_t len)
{
    if (len < RK_DIGITS_V1_HEADER_SIZE + 4)
        return RK_EPARSE;
    if (rd32(buf + 12) != RK_DIGITS_SIDE || rd32(buf + 16) != RK_DIGITS_SIDE ||
        rd32(buf + 40) != RK_DIGITS_CLASSES)
        return RK_ERANGE;
    struct rk_digits_arch a = {.c1 = rd32(buf + 20), .k1 = rd32(buf + 24), .c2 = rd32(buf + 28),
                               .k2 = rd32(buf + 32), .hidden = rd32(buf + 36)};
    size_t n;
    int rc = rk_digits_arch_check(&a, &n);
    if (rc != RK_OK)
        return rc;
    float t = rdf32(buf + 44), thr = rdf32(buf + 48);
    uint32_t split_count = rd32(buf + 60);
    if ((rc = check_calib(t, thr, split_count)) != RK_OK)
        return rc;
    if (rd32(buf + 64) != n)
        return RK_EPARSE;
    /* n <= 4M so this cannot overflow. */
    if (len != RK_DIGITS_V1_HEADER_SIZE + 4 * n + 4 || !crc_ok(buf, len))
        return RK_EPARSE;
    m->nnets = 1;
    if ((rc = read_weights(&m->net[0], &a, n, buf + RK_DIGITS_V1_HEADER_SIZE)) != RK_OK)
        return rc;
    m->version = 1;
    m->temperature = t;
    m->threshold = thr;
    m->split_seed = (uint64_t)rd32(buf + 52) | (uint64_t)rd32(buf + 56) << 32;
    m->split_count = split_count;
    m->calib_lo = 0;
    m->calib_hi = split_count;
    return RK_OK;
}

static int parse_v2(struct rk_digits_model *m, const uint8_t *buf, size_t len)
{
    if (len < RK_DIGITS_HEADER_SIZE + 4)
        return RK_EPARSE;
    if (rd32(buf + 12) != RK_DIGITS_SIDE || rd32(buf + 16) != RK_DIGITS_SIDE ||
        rd32(buf + 20) != RK_DIGITS_CLASSES)
        return RK_ERANGE;
    uint32_t nnets = rd32(buf + 24);
    float t = rdf32(buf + 28), thr = rdf32(buf + 32);
    uint32_t split_count = rd32(buf + 44), lo = rd32(buf + 48), hi = rd32(buf + 52);
    uint32_t flags = rd32(buf + 56);
    int rc = check_calib(t, thr, split_count);
    if (rc != RK_OK)
        return rc;
    if (nnets < 1 || nnets > RK_DIGITS_MAX_NETS || lo > hi || hi > split_count ||
        (flags & ~(RK_DIGITS_UNANIMOUS | RK_DIGITS_INT8)) != 0)
        return RK_ERANGE;
    /* First pass: every record's dims and count, against the caps and the length, before any
     * allocation; offsets stay below len + 24, far from overflowing size_t. */
    size_t off = RK_DIGITS_HEADER_SIZE, total = 0, n[RK_DIGITS_MAX_NETS];
    struct rk_digits_arch a[RK_DIGITS_MAX_NETS];
    for (uint32_t k = 0; k < nnets; k++) {
        if (len - 4 < off || len - 4 - off < RK_DIGITS_NET_HEADER_SIZE)
            return RK_EPARSE;
        const uint8_t *p = buf + off;
        a[k] = (struct rk_digits_arch){.c1 = rd32(p), .k1 = rd32(p + 4), .c2 = rd32(p + 8),
                                       .k2 = rd32(p + 12), .hidden = rd32(p + 16)};
        if ((rc = rk_digits_arch_check(&a[k], &n[k])) != RK_OK)
            return rc;
        if (rd32(p + 20) != n[k])
            return RK_EPARSE;
        total += n[k];
        if (total > RK_DIGITS_MAX_WEIGHTS)
            return RK_ERANGE;
        off += RK_DIGITS_NET_HEADER_SIZE;
        if ((len - 4 - off) / 4 < n[k])
            return RK_EPARSE;
        off += 4 * n[k];
    }
    if (off != len - 4 || !crc_ok(buf, len))
        return RK_EPARSE;
    off = RK_DIGITS_HEADER_SIZE;
    m->nnets = nnets;
    for (uint32_t k = 0; k < nnets; k++) {
        off += RK_DIGITS_NET_HEADER_SIZE;
        if ((rc = read_weights(&m->net[k], &a[k], n[k], buf + off)) != RK_OK)
            return rc;
        off += 4 * n[k];
    }
    m->version = 2;
    m->temperature = t;
    m->threshold = thr;
    m->flags = flags & ~RK_DIGITS_INT8;
    if ((flags & RK_DIGITS_INT8) && (rc = rk_digits_model_set_int8(m, 1)) != RK_OK)
        return rc;
    m->split_seed = (uint64_t)rd32(buf + 36) | (uint64_t)rd32(buf + 40) << 32;
    m->split_count = split_count;
    m->calib_lo = lo;
    m->calib_hi = hi;
    return RK_OK;
}

int rk_digits_model_parse(struct rk_digits_model *m, const uint8_t *buf, size_t len)
{
    memset(m, 0, sizeof *m);
    if (len < 12 || memcmp(buf, RK_DIGITS_MAGIC, 8) != 0)
        return RK_EPARSE;
    uint32_t v = rd32(buf + 8);
    int rc = v == 1 ? parse_v1(m, buf, len) : v == 2 ? parse_v2(m, buf, len) : RK_EUNSUPPORTED;
    if (rc != RK_OK)
        rk_digits_model_free(m);
    return rc;
}

int rk_digits_model_serialize(const struct rk_digits_model *m, uint8_t **out, size_t *len)
{
    if (m->nnets < 1 || m->nnets > RK_DIGITS_MAX_NETS || (m->version != 1 && m->version != 2) ||
        (m->version == 1 && (m->nnets != 1 || m->flags != 0)))
        return RK_EINVAL;
    size_t n = (m->version == 1 ? RK_DIGITS_V1_HEADER_SIZE : RK_DIGITS_HEADER_SIZE) + 4;
    for (uint32_t k = 0; k < m->nnets; k++)
        n += (m->version == 1 ? 0 : RK_DIGITS_NET_HEADER_SIZE) + 4 * m->net[k].nweights;
    uint8_t *b = malloc(n);
    if (!b)
        return RK_ENOMEM;
    memcpy(b, RK_DIGITS_MAGIC, 8);
    wr32(b + 8, m->version);
    wr32(b + 12, RK_DIGITS_SIDE);
    wr32(b + 16, RK_DIGITS_SIDE);
    size_t off;
    if (m->version == 1) {
        const struct rk_digits_net *net = &m->net[0];
        wr32(b + 20, net->arch.c1);
        wr32(b + 24, net->arch.k1);
        wr32(b + 28, net->arch.c2);
        wr32(b + 32, net->arch.k2);
        wr32(b + 36, net->arch.hidden);
        wr32(b + 40, RK_DIGITS_CLASSES);
        wrf32(b + 44, m->temperature);
        wrf32(b + 48, m->threshold);
        wr32(b + 52, (uint32_t)m->split_seed);
        wr32(b + 56, (uint32_t)(m->split_seed >> 32));
        wr32(b + 60, m->split_count);
        wr32(b + 64, (uint32_t)net->nweights);
        off = RK_DIGITS_V1_HEADER_SIZE;
        for (size_t i = 0; i < net->nweights; i++, off += 4)
            wrf32(b + off, net->w[i]);
    } else {
        wr32(b + 20, RK_DIGITS_CLASSES);
        wr32(b + 24, m->nnets);
        wrf32(b + 28, m->temperature);
        wrf32(b + 32, m->threshold);
        wr32(b + 36, (uint32_t)m->split_seed);
        wr32(b + 40, (uint32_t)(m->split_seed >> 32));
        wr32(b + 44, m->split_count);
        wr32(b + 48, m->calib_lo);
        wr32(b + 52, m->calib_hi);
        wr32(b + 56, m->flags);
        off = RK_DIGITS_HEADER_SIZE;
        for (uint32_t k = 0; k < m->nnets; k++) {
            const struct rk_digits_net *net = &m->net[k];
            const uint32_t dims[6] = {net->arch.c1, net->arch.k1,     net->arch.c2,
                                      net->arch.k2, net->arch.hidden, (uint32_t)net->nweights};
            for (int i = 0; i < 6; i++, off += 4)
                wr32(b + off, dims[i]);
            for (size_t i = 0; i < net->nweights; i++, off += 4)
                wrf32(b + off, net->w[i]);
        }
    }
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32(crc, b, (uInt)(n - 4));
    wr32(b + n - 4, (uint32_t)crc);
    *out = b;
    *len = n;
    return RK_OK;
}

/* Entries of the forward pass's input-offset table: one per input of a conv window. */
static size_t off_len(const struct rk_digits_arch *a)
{
    size_t n1 = (size_t)a->k1 * a->k1, n2 = (size_t)a->k2 * a->k2 * a->c1;
    return n1 > n2 ? n1 : n2;
}

size_t rk_digits_acts_floats(const struct rk_digits_net *m)
{
    const struct rk_digits_arch *a = &m->arch;
    return round16(RK_DIGITS_PIXELS) + round16((size_t)m->h1 * m->h1 * a->c1) +
           round16((size_t)m->p1 * m->p1 * a->c1) + round16((size_t)m->h2 * m->h2 * a->c2) +
           round16(m->flat) + round16(a->hidden) + round16(RK_DIGITS_CLASSES) +
           round16(off_len(a));
}

void rk_digits_acts_layout(const struct rk_digits_net *m, float *base, struct rk_digits_acts *a)
{
    const struct rk_digits_arch *r = &m->arch;
    float *p = base;
    a->x = p, p += round16(RK_DIGITS_PIXELS);
    a->a1 = p, p += round16((size_t)m->h1 * m->h1 * r->c1);
    a->p1 = p, p += round16((size_t)m->p1 * m->p1 * r->c1);
    a->a2 = p, p += round16((size_t)m->h2 * m->h2 * r->c2);
    a->p2 = p, p += round16(m->flat);
    a->h = p, p += round16(r->hidden);
    a->logits = p, p += round16(RK_DIGITS_CLASSES);
    a->off = (uint32_t *)(void *)p; /* same size as float, and never read as float */
}

/* The forward pass lives in digits_fwd.c, built for AVX2 / baseline and again for AVX-512:
 * the widest the machine runs. Both compute the same bits (tests/lib/test_digits.c). */
void rk_digits_forward(const struct rk_digits_net *m, const struct rk_digits_acts *a)
{
#ifdef RK_HAVE_AVX512
    if (__builtin_cpu_supports("avx512f")) {
        rk_digits_forward_v16(m, a);
        return;
    }
#endif
    rk_digits_forward_v8(m, a);
}

size_t rk_digits_scratch_size(const struct rk_digits_model *m)
{
    size_t mx = 0;
    for (uint32_t k = 0; k < m->nnets && k < RK_DIGITS_MAX_NETS; k++) {
        size_t f = rk_digits_acts_floats(&m->net[k]) * sizeof(float);
        if (m->flags & RK_DIGITS_INT8) {
            size_t qf = rk_digits_qscratch_size(&m->net[k]);
            f = qf > f ? qf : f;
        }
        mx = f > mx ? f : mx;
    }
    return mx + 64;
}

/* Network net's logits for img, with its activations in p (scratch, 64-byte aligned, checked
 * by the caller): the 8-bit pass where the model has RK_DIGITS_INT8, else the float one. */
static int net_logits(const struct rk_digits_model *m, uint32_t net, const uint8_t *img, void *p,
                      float *logits)
{
    const struct rk_digits_net *n = &m->net[net];
    if (m->flags & RK_DIGITS_INT8) {
        if (!n->q)
            return RK_EINVAL; /* flag set by hand, not by rk_digits_model_set_int8 */
        rk_digits_forward_q(n, n->q, rk_digits_q_kernel(), img, p, logits);
        return RK_OK;
    }
    struct rk_digits_acts a;
    rk_digits_acts_layout(n, p, &a);
    for (int i = 0; i < RK_DIGITS_PIXELS; i++)
        a.x[i] = (float)img[i] * (1.0f / 255.0f);
    rk_digits_forward(n, &a);
    memcpy(logits, a.logits, RK_DIGITS_CLASSES * sizeof *logits);
    return RK_OK;
}

/* The aligned part of scratch, or NULL when it is missing or shorter than m needs. */
static void *aligned_scratch(const struct rk_digits_model *m, void *scratch, size_t scratch_len)
{
    if (!scratch || scratch_len < rk_digits_scratch_size(m))
        return NULL;
    return (void *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63);
}

int rk_digits_logits(const struct rk_digits_model *m, uint32_t net, const uint8_t *img,
                     void *scratch, size_t scratch_len, float *logits)
{
    void *p = aligned_scratch(m, scratch, scratch_len);
    if (net >= m->nnets || net >= RK_DIGITS_MAX_NETS || !m->net[net].w || !img || !p)
        return RK_EINVAL;
    return net_logits(m, net, img, p, logits);
}

static int argmax(const float *v)
{
    int c = 0;
    for (int j = 1; j < RK_DIGITS_CLASSES; j++)
        if (v[j] > v[c])
            c = j;
    return c;
}

void rk_digits_decide(const struct rk_digits_model *m, const float *logits, float t, float thr,
                      struct rk_digits_result *out)
{
    float p[RK_DIGITS_CLASSES];
    int own[RK_DIGITS_MAX_NETS];
    uint32_t nn = m->nnets < RK_DIGITS_MAX_NETS ? m->nnets : RK_DIGITS_MAX_NETS;
    memset(out->probs, 0, sizeof out->probs);
    for (uint32_t k = 0; k < nn; k++) {
        const float *l = logits + (size_t)k * RK_DIGITS_CLASSES;
        float mx = -INFINITY, sum = 0.0f;
        for (int j = 0; j < RK_DIGITS_CLASSES; j++) {
            p[j] = l[j] / t;
            mx = p[j] > mx ? p[j] : mx;
        }
        for (int j = 0; j < RK_DIGITS_CLASSES; j++)
            sum += p[j] = expf(p[j] - mx);
        for (int j = 0; j < RK_DIGITS_CLASSES; j++)
            out->probs[j] += p[j] / sum;
        own[k] = argmax(l);
    }
    for (int j = 0; j < RK_DIGITS_CLASSES; j++)
        out->probs[j] /= (float)nn;
    out->cls = argmax(out->probs);
    out->prob = out->probs[out->cls];
    out->agree = 0;
    for (uint32_t k = 0; k < nn; k++)
        out->agree += own[k] == out->cls;
    out->accept = out->cls != RK_DIGITS_NOT_DIGIT && out->prob >= thr &&
                  (!(m->flags & RK_DIGITS_UNANIMOUS) || out->agree == (int)nn);
}

int rk_digits_classify(const struct rk_digits_model *m, const uint8_t *img, void *scratch,
                       size_t scratch_len, struct rk_digits_result *out)
{
    float logits[RK_DIGITS_MAX_NETS * RK_DIGITS_CLASSES];
    /* checked once here, not once per network */
    void *p = aligned_scratch(m, scratch, scratch_len);
    if (m->nnets < 1 || m->nnets > RK_DIGITS_MAX_NETS || !img || !p)
        return RK_EINVAL;
    for (uint32_t k = 0; k < m->nnets; k++) {
        if (!m->net[k].w)
            return RK_EINVAL;
        int rc = net_logits(m, k, img, p, logits + k * RK_DIGITS_CLASSES);
        if (rc != RK_OK)
            return rc;
    }
    rk_digits_decide(m, logits, m->temperature, m->threshold, out);
    return RK_OK;
}

/* ---- preprocessing ---- */

struct crop {
    const uint8_t *g;
    size_t stride;
    int dark;
    float lo, scale; /* ink value = clamp((v - lo) * scale, 0, 1) */
};

static float ink_at(const struct crop *c, int x, int y)
{
    int v = c->g[(size_t)y * c->stride + (size_t)x];
    if (c->dark)
        v = 255 - v;
    float f = ((float)v - c->lo) * c->scale;
    return f < 0.0f ? 0.0f : f > 1.0f ? 1.0f : f;
}

/* fmin and fmax for the finite, non-negative coordinates here, without the libm calls (they
 * were most of the preprocessing time). */
static double min_d(double a, double b)
{
    return a < b ? a : b;
}

static double max_d(double a, double b)
{
    return a > b ? a : b;
}

/* Otsu's threshold: the split of the histogram maximising between-class variance. */
static int otsu(const uint32_t *hist, uint64_t total)
{
    double sum = 0.0, sumb = 0.0, wb = 0.0, best = -1.0;
    int t = 0;
    for (int i = 0; i < 256; i++)
        sum += (double)i * hist[i];
    for (int i = 0; i < 256; i++) {
        wb += hist[i];
        if (wb == 0.0)
            continue;
        double wf = (double)total - wb;
        if (wf == 0.0)
            break;
        sumb += (double)i * hist[i];
        double mb = sumb / wb, mf = (sum - sumb) / wf;
        double between = wb * wf * (mb - mf) * (mb - mf);
        if (between > best)
            best = between, t = i;
    }
    return t;
}

int rk_digits_preprocess(const uint8_t *gray, int w, int h, size_t stride, int dark_ink,
                         uint8_t *out)
{
    if (w < 1 || h < 1 || w > RK_DIGITS_MAX_CROP || h > RK_DIGITS_MAX_CROP || stride < (size_t)w)
        return RK_ERANGE;
    memset(out, 0, RK_DIGITS_PIXELS);
    uint32_t hist[256] = {0};
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int v = gray[(size_t)y * stride + (size_t)x];
            hist[dark_ink ? 255 - v : v]++;
        }
    uint64_t total = (uint64_t)w * (uint64_t)h;
    int t = otsu(hist, total);
    double nb = 0, sb = 0, nf = 0, sf = 0;
    for (int i = 0; i < 256; i++) {
        if (i <= t)
            nb += hist[i], sb += (double)i * hist[i];
        else
            nf += hist[i], sf += (double)i * hist[i];
    }
    if (nf == 0)
        return RK_ENOTFOUND;
    double bg = nb > 0 ? sb / nb : 0.0, fg = sf / nf;
    if (fg - bg < 40.0) /* paper texture or sensor noise, not ink */
        return RK_ENOTFOUND;
    /* Pixels halfway between paper and threshold count as background; the ramp up to the mean
     * ink level keeps the anti-aliased edges MNIST digits have. */
    struct crop c = {.g = gray, .stride = stride, .dark = dark_ink};
    c.lo = (float)((bg + t) / 2.0);
    c.scale = 1.0f / (float)(fg - c.lo > 1.0 ? fg - c.lo : 1.0);
    int x0 = w, y0 = h, x1 = -1, y1 = -1;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int v = gray[(size_t)y * stride + (size_t)x];
            if ((dark_ink ? 255 - v : v) > t) {
                x0 = x < x0 ? x : x0, x1 = x > x1 ? x : x1;
                y0 = y < y0 ? y : y0, y1 = y > y1 ? y : y1;
            }
        }
    int bw = x1 - x0 + 1, bh = y1 - y0 + 1;
    double step = (double)(bw > bh ? bw : bh) / 20.0; /* source pixels per output pixel */
    int ow = (int)lround(bw / step), oh = (int)lround(bh / step);
    ow = ow < 1 ? 1 : ow > 20 ? 20 : ow;
    oh = oh < 1 ? 1 : oh > 20 ? 20 : oh;
    float box[20 * 20];
    double mass = 0, mx = 0, my = 0;
    for (int oy = 0; oy < oh; oy++) {
        double sy0 = y0 + oy * step, sy1 = sy0 + step;
        for (int ox = 0; ox < ow; ox++) {
            double sx0 = x0 + ox * step, sx1 = sx0 + step, acc = 0;
            int iy1 = (int)ceil(sy1), ix1 = (int)ceil(sx1);
            for (int iy = (int)sy0; iy < iy1 && iy < h; iy++) {
                double wy = min_d(iy + 1, sy1) - max_d(iy, sy0);
                for (int ix = (int)sx0; ix < ix1 && ix < w; ix++) {
                    double wx = min_d(ix + 1, sx1) - max_d(ix, sx0);
                    acc += wy * wx * ink_at(&c, ix, iy);
                }
            }
            float v = (float)(acc / (step * step));
            box[oy * 20 + ox] = v;
            mass += v, mx += v * (ox + 0.5), my += v * (oy + 0.5);
        }
    }
    if (mass <= 0)
        return RK_ENOTFOUND;
    int dx = (int)lround(14.0 - mx / mass), dy = (int)lround(14.0 - my / mass);
    dx = dx < 0 ? 0 : dx > 28 - ow ? 28 - ow : dx;
    dy = dy < 0 ? 0 : dy > 28 - oh ? 28 - oh : dy;
    for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++)
            out[(oy + dy) * 28 + ox + dx] = (uint8_t)lroundf(box[oy * 20 + ox] * 255.0f);
    return RK_OK;
}
