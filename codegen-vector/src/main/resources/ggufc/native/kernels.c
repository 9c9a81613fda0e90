// ggufc's native matmul kernels: integer dot products of quantized weights (GGUF blocks, read in
// place from the mapped file) with activations quantized as llama.cpp's CPU backend quantizes them
// (Q8_0 for Q8_0/Q4_0 weights, Q8_K for Q4_K), with AVX-512 VNNI (vpdpbusd: 32 multiply-adds of
// u8 x s8 per 256-bit instruction). The JDK's Vector API has no integer dot product, which is why
// these exist; `ggufc compile` builds this file with the machine's C compiler into the artifact
// (NativeKernels.java), and the JVM calls it through the FFM API.
//
// Meaning, checked by the jqwik properties against BlockCodecs and the interpreter: out[t, n] =
// sum over blocks of (weight scale * activation scale) * (exact integer sum of the block's
// products), plus the residual. Every (row, token) value is computed by the same instruction
// sequence whatever the number of rows or tokens in the call, so a T-token step gives each token
// exactly a one-token step's value (speculative verify steps rely on it).
//
// Compiled with -ffp-contract=off: every rounding here is written out.

#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

static inline float f16(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

static inline float round_f16(float v) { return _cvtsh_ss(_cvtss_sh(v, _MM_FROUND_TO_NEAREST_INT)); }

// Sum of 8 float lanes in a fixed order.
static inline float hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

// ---- activations -------------------------------------------------------------------------------

// Q8_0 as ActQuant.q8_0: per 32 values d = max|x| / 127, level roundf(x / d) (half away from zero),
// d kept as its half rounding; also, per block (18 ints), minus 128 and minus 8 times the sums of
// each four consecutive levels (eight lanes each: what the weight biases of Q8_0 and Q4_0 times the
// block's levels add to each lane of a block product), then minus 128 and minus 8 times the block's sum.
void ggufc_quant_q8_0(const float *x, int32_t K, int32_t rows, int8_t *q, float *d, int32_t *s) {
    int32_t nb = K / 32;
    for (int64_t b = 0; b < (int64_t) rows * nb; b++) {
        const float *xb = x + 32 * b;
        float amax = 0;
        for (int j = 0; j < 32; j++) {
            float a = fabsf(xb[j]);
            amax = amax > a ? amax : a;
        }
        float scale = amax / 127.0f;
        float id = scale != 0 ? 1.0f / scale : 0.0f;
        int32_t total = 0;
        for (int l = 0; l < 8; l++) {
            int32_t sum = 0;
            for (int j = 4 * l; j < 4 * l + 4; j++) {
                int8_t v = (int8_t) roundf(xb[j] * id);
                q[32 * b + j] = v;
                sum += v;
            }
            s[18 * b + l] = -128 * sum;
            s[18 * b + 8 + l] = -8 * sum;
            total += sum;
        }
        s[18 * b + 16] = -128 * total;
        s[18 * b + 17] = -8 * total;
        d[b] = round_f16(scale);
    }
}

// Q8_K as BlockCodecs' quantize: per 256 values, max = the value of largest magnitude (the first),
// iscale = -127 / max, level = min(127, nearest(iscale x)) (half to even), d = 1 / iscale; the
// level sums of its eight sub-blocks of 32 as int16. An all-zero block has zero levels and d = 0.
static inline int32_t nearest_int(float f) {
    float v = f + 12582912.0f;
    int32_t i;
    memcpy(&i, &v, 4);
    return (i & 0x007fffff) - 0x00400000;
}

void ggufc_quant_q8_k(const float *x, int32_t K, int32_t rows, int8_t *q, float *d, int32_t *s) {
    int32_t nb = K / 256;
    for (int64_t b = 0; b < (int64_t) rows * nb; b++) {
        const float *xb = x + 256 * b;
        int8_t *qb = q + 256 * b;
        float max = 0, amax = 0;
        for (int j = 0; j < 256; j++) {
            float ax = fabsf(xb[j]);
            if (ax > amax) { amax = ax; max = xb[j]; }
        }
        if (amax == 0) {
            memset(qb, 0, 256);
            memset(s + 4 * b, 0, 16);
            d[b] = 0;
            continue;
        }
        float iscale = -127.0f / max;
        for (int j = 0; j < 256; j++) {
            int32_t l = nearest_int(iscale * xb[j]);
            qb[j] = (int8_t) (l < 127 ? l : 127);
        }
        int16_t sums[8];
        for (int j = 0; j < 8; j++) {
            int32_t sum = 0;
            for (int i = 0; i < 32; i++) sum += qb[32 * j + i];
            sums[j] = (int16_t) sum;
        }
        memcpy(s + 4 * b, sums, 16);
        d[b] = 1 / iscale;
    }
}

// ---- one block of products, each kernel's inner step --------------------------------------------

// 8 lanes of exact four-product sums of 32 signed weight levels with 32 activation levels, as
// ggml's AVX2 kernels make them (mul_sum_i8_pairs); here the weights are biased to be unsigned for
// vpdpbusd, and each lane starts from minus the bias times its four activation levels' sum (bias
// 128 at lanes[0..8), 8 at lanes[8..16), made by the quantizer).
static inline __m256i lane_bias(const int32_t *lanes, int which) {
    return _mm256_loadu_si256((const __m256i *) (lanes + 8 * which));
}

static inline __m256i block_dot(__m256i wu8, const int8_t *xq, __m256i bias) {
    return _mm256_dpbusd_epi32(bias, wu8, _mm256_loadu_si256((const __m256i *) xq));
}

// Q8_0 block (half d, 32 s8 levels) as unsigned levels + 128.
static inline __m256i q8_0_levels(const uint8_t *blk) {
    return _mm256_xor_si256(_mm256_loadu_si256((const __m256i *) (blk + 2)), _mm256_set1_epi8((char) 0x80));
}

// Q4_0 block (half d, 16 bytes: levels 0..15 low nibbles, 16..31 high nibbles) as unsigned levels + 8:
// the 16 bytes in both halves, the upper half shifted down a nibble, both masked.
static inline __m256i q4_0_levels(const uint8_t *blk) {
    __m256i v = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *) (blk + 2)));
    return _mm256_and_si256(_mm256_srlv_epi64(v, _mm256_set_epi64x(4, 4, 0, 0)), _mm256_set1_epi8(0x0f));
}

#define Q8_0_BYTES 34
#define Q4_0_BYTES 18
#define Q4_K_BYTES 144

// acc += (dw * dx) * block sums, the block sums as 8 float lanes (ggml: _mm256_fmadd_ps(d, q, acc)).
#define ACCUMULATE(acc, p, dw, dx) acc = _mm256_fmadd_ps(_mm256_set1_ps((dw) * (dx)), _mm256_cvtepi32_ps(p), acc)

// ---- Q8_0 and Q4_0 weights x Q8_0 activations ----------------------------------------------------

// Four rows (r, r+rs, r+2rs, r+3rs bytes apart) with one token: each row's lanes accumulate exactly as
// the one-row loop below does, so the values are the same.
#define LEGACY_KERNEL(NAME, BYTES, LEVELS, WHICH)                                                                     \
    static inline float NAME##_row(const uint8_t *w, int32_t nb, const int8_t *xq, const float *xd, const int32_t *xs) { \
        __m256 acc = _mm256_setzero_ps();                                                                             \
        for (int32_t b = 0; b < nb; b++) {                                                                            \
            const uint8_t *blk = w + (int64_t) BYTES * b;                                                             \
            __m256i p = block_dot(LEVELS(blk), xq + 32 * b, lane_bias(xs + 18 * b, WHICH));                            \
            ACCUMULATE(acc, p, f16(blk), xd[b]);                                                                      \
        }                                                                                                             \
        return hsum8(acc);                                                                                            \
    }                                                                                                                 \
    static inline void NAME##_rows4(const uint8_t *w, int64_t rs, int32_t nb, const int8_t *xq, const float *xd,      \
                                    const int32_t *xs, float *o0, float *o1, float *o2, float *o3) {                  \
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;                                                   \
        const uint8_t *w1 = w + rs, *w2 = w + 2 * rs, *w3 = w + 3 * rs;                                               \
        for (int32_t b = 0; b < nb; b++) {                                                                            \
            int64_t ob = (int64_t) BYTES * b;                                                                         \
            __m256i bs = lane_bias(xs + 18 * b, WHICH);                                                                \
            float dx = xd[b];                                                                                         \
            const int8_t *x = xq + 32 * b;                                                                            \
            __m256i p0 = block_dot(LEVELS(w + ob), x, bs), p1 = block_dot(LEVELS(w1 + ob), x, bs);                    \
            __m256i p2 = block_dot(LEVELS(w2 + ob), x, bs), p3 = block_dot(LEVELS(w3 + ob), x, bs);                   \
            ACCUMULATE(a0, p0, f16(w + ob), dx);                                                                      \
            ACCUMULATE(a1, p1, f16(w1 + ob), dx);                                                                     \
            ACCUMULATE(a2, p2, f16(w2 + ob), dx);                                                                     \
            ACCUMULATE(a3, p3, f16(w3 + ob), dx);                                                                     \
        }                                                                                                             \
        *o0 = hsum8(a0);                                                                                              \
        *o1 = hsum8(a1);                                                                                              \
        *o2 = hsum8(a2);                                                                                              \
        *o3 = hsum8(a3);                                                                                              \
    }

LEGACY_KERNEL(q8_0, Q8_0_BYTES, q8_0_levels, 0)
LEGACY_KERNEL(q4_0, Q4_0_BYTES, q4_0_levels, 1)

// Four adjacent rows with four tokens (a prompt's register tile): each block's levels and scales are
// made once for the four tokens, and each (row, token) lane accumulates exactly as the one-row loop.
#define LEGACY_TILE(NAME, BYTES, LEVELS, WHICH)                                                                       \
    static inline void NAME##_tile44(const uint8_t *w, int64_t rowBytes, int32_t nb, const int8_t *xq, int32_t K,     \
                                     const float *xd, const int32_t *xs, float *out, int64_t outStride) {             \
        __m256 acc[4][4];                                                                                             \
        for (int r = 0; r < 4; r++)                                                                                   \
            for (int t = 0; t < 4; t++) acc[r][t] = _mm256_setzero_ps();                                             \
        for (int32_t b = 0; b < nb; b++) {                                                                            \
            __m256i lv[4];                                                                                            \
            float dw[4];                                                                                              \
            for (int r = 0; r < 4; r++) {                                                                             \
                const uint8_t *blk = w + r * rowBytes + (int64_t) BYTES * b;                                          \
                lv[r] = LEVELS(blk);                                                                                  \
                dw[r] = f16(blk);                                                                                     \
            }                                                                                                         \
            for (int t = 0; t < 4; t++) {                                                                             \
                const int8_t *x = xq + (int64_t) t * K + 32 * b;                                                      \
                __m256i bs = lane_bias(xs + (int64_t) t * (K / 32) * 18 + 18 * b, WHICH);                                   \
                float dx = xd[(int64_t) t * (K / 32) + b];                                                            \
                for (int r = 0; r < 4; r++) {                                                                         \
                    __m256i p = block_dot(lv[r], x, bs);                                                              \
                    ACCUMULATE(acc[r][t], p, dw[r], dx);                                                              \
                }                                                                                                     \
            }                                                                                                         \
        }                                                                                                             \
        for (int t = 0; t < 4; t++)                                                                                   \
            for (int r = 0; r < 4; r++) out[t * outStride + r] = hsum8(acc[r][t]);                                    \
    }

LEGACY_TILE(q8_0, Q8_0_BYTES, q8_0_levels, 0)
LEGACY_TILE(q4_0, Q4_0_BYTES, q4_0_levels, 1)

// ---- Q4_K weights x Q8_K activations ---------------------------------------------------------------

// Q4_K super-block: half d, half dmin, 12 bytes of 6-bit scales and mins (8 each), 128 bytes of
// nibbles (per 64 values: 32 bytes, low nibbles the first 32, high the next 32). As ggml's AVX2
// ggml_vec_dot_q4_K_q8_K: the scales and mins unpacked with 32-bit masks, u8 x s8 products summed in
// pairs (maddubs), times the sub-block's scale (madd), per super-block d * dx times the 8 lanes of
// exact sums into acc; the mins times the activation's sub-block sums into 4 lanes of accm.
// A super-block's 8 scales (16-bit, in both 128-bit halves) and 8 mins (16-bit).
static inline void q4_k_unpack(const uint8_t *blk, __m256i *scales, __m128i *mins) {
    const uint32_t kmask1 = 0x3f3f3f3f, kmask2 = 0x0f0f0f0f, kmask3 = 0x03030303;
    uint32_t utmp[4];
    memcpy(utmp, blk + 4, 12);
    utmp[3] = ((utmp[2] >> 4) & kmask2) | (((utmp[1] >> 6) & kmask3) << 4);
    const uint32_t uaux = utmp[1] & kmask1;
    utmp[1] = (utmp[2] & kmask2) | (((utmp[0] >> 6) & kmask3) << 4);
    utmp[2] = uaux;
    utmp[0] &= kmask1;
    const __m256i mins_and_scales = _mm256_cvtepu8_epi16(_mm_set_epi32((int) utmp[3], (int) utmp[2], (int) utmp[1], (int) utmp[0]));
    *mins = _mm256_extracti128_si256(mins_and_scales, 1);
    const __m128i sc128 = _mm256_extracti128_si256(mins_and_scales, 0);
    *scales = _mm256_set_m128i(sc128, sc128);
}

// Sub-blocks 2j and 2j+1 of 64 values: their levels' products with x, times their scales, as 8 lanes.
static inline __m256i q4_k_pair(__m256i scales, __m256i q4l, __m256i q4h, const int8_t *x, int j) {
    const __m256i scale_l = _mm256_shuffle_epi8(scales, _mm256_set1_epi16((short) ((4 * j) | ((4 * j + 1) << 8))));
    const __m256i scale_h = _mm256_shuffle_epi8(scales, _mm256_set1_epi16((short) ((4 * j + 2) | ((4 * j + 3) << 8))));
    __m256i pl = _mm256_maddubs_epi16(q4l, _mm256_loadu_si256((const __m256i *) (x + 64 * j)));
    __m256i ph = _mm256_maddubs_epi16(q4h, _mm256_loadu_si256((const __m256i *) (x + 64 * j + 32)));
    return _mm256_add_epi32(_mm256_madd_epi16(scale_l, pl), _mm256_madd_epi16(scale_h, ph));
}

static inline void q4_k_block(const uint8_t *blk, const int8_t *x, float dx, const int32_t *xsum, __m256 *acc, __m128 *accm) {
    __m256i scales;
    __m128i mins;
    q4_k_unpack(blk, &scales, &mins);
    const __m128i prod = _mm_madd_epi16(mins, _mm_loadu_si128((const __m128i *) xsum));
    *accm = _mm_fmadd_ps(_mm_set1_ps(-(dx * f16(blk + 2))), _mm_cvtepi32_ps(prod), *accm);
    const __m256i low = _mm256_set1_epi8(0x0f);
    __m256i sumi = _mm256_setzero_si256();
    for (int j = 0; j < 4; j++) {
        const __m256i q4 = _mm256_loadu_si256((const __m256i *) (blk + 16 + 32 * j));
        sumi = _mm256_add_epi32(sumi, q4_k_pair(scales, _mm256_and_si256(q4, low), _mm256_and_si256(_mm256_srli_epi16(q4, 4), low), x, j));
    }
    *acc = _mm256_fmadd_ps(_mm256_set1_ps(dx * f16(blk)), _mm256_cvtepi32_ps(sumi), *acc);
}

// hsum8(acc) + the four lanes of accm summed as ggml sums them.
static inline float q4_k_sum(__m256 acc, __m128 accm) {
    accm = _mm_add_ps(accm, _mm_movehl_ps(accm, accm));
    accm = _mm_add_ss(accm, _mm_movehdup_ps(accm));
    return hsum8(acc) + _mm_cvtss_f32(accm);
}

static inline float q4_k_row(const uint8_t *w, int32_t nb, const int8_t *xq, const float *xd, const int32_t *xs) {
    __m256 acc = _mm256_setzero_ps();
    __m128 accm = _mm_setzero_ps();
    for (int32_t b = 0; b < nb; b++) q4_k_block(w + (int64_t) Q4_K_BYTES * b, xq + 256 * b, xd[b], xs + 4 * b, &acc, &accm);
    return q4_k_sum(acc, accm);
}

static inline void q4_k_rows4(const uint8_t *w, int64_t rs, int32_t nb, const int8_t *xq, const float *xd,
                              const int32_t *xs, float *o0, float *o1, float *o2, float *o3) {
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    __m128 m0 = _mm_setzero_ps(), m1 = m0, m2 = m0, m3 = m0;
    for (int32_t b = 0; b < nb; b++) {
        int64_t ob = (int64_t) Q4_K_BYTES * b;
        const int8_t *x = xq + 256 * b;
        q4_k_block(w + ob, x, xd[b], xs + 4 * b, &a0, &m0);
        q4_k_block(w + rs + ob, x, xd[b], xs + 4 * b, &a1, &m1);
        q4_k_block(w + 2 * rs + ob, x, xd[b], xs + 4 * b, &a2, &m2);
        q4_k_block(w + 3 * rs + ob, x, xd[b], xs + 4 * b, &a3, &m3);
    }
    *o0 = q4_k_sum(a0, m0);
    *o1 = q4_k_sum(a1, m1);
    *o2 = q4_k_sum(a2, m2);
    *o3 = q4_k_sum(a3, m3);
}

// Four adjacent rows with two tokens: each super-block's scales, mins and nibbles unpacked once for
// both tokens; every (row, token) value accumulates exactly as q4_k_block does.
static inline void q4_k_tile42(const uint8_t *w, int64_t rowBytes, int32_t nb, const int8_t *xq, int32_t K,
                               const float *xd, const int32_t *xs, float *out, int64_t outStride) {
    __m256 acc[4][2];
    __m128 accm[4][2];
    for (int r = 0; r < 4; r++)
        for (int t = 0; t < 2; t++) {
            acc[r][t] = _mm256_setzero_ps();
            accm[r][t] = _mm_setzero_ps();
        }
    const __m256i low = _mm256_set1_epi8(0x0f);
    for (int32_t b = 0; b < nb; b++) {
        __m256i sc[4], sumi[4][2];
        float dr[4], dm[4];
        for (int r = 0; r < 4; r++) {
            const uint8_t *blk = w + r * rowBytes + (int64_t) Q4_K_BYTES * b;
            __m128i mins;
            q4_k_unpack(blk, &sc[r], &mins);
            dr[r] = f16(blk);
            dm[r] = f16(blk + 2);
            for (int t = 0; t < 2; t++) {
                float dx = xd[(int64_t) t * (K / 256) + b];
                const __m128i prod = _mm_madd_epi16(mins, _mm_loadu_si128((const __m128i *) (xs + (int64_t) t * (K / 64) + 4 * b)));
                accm[r][t] = _mm_fmadd_ps(_mm_set1_ps(-(dx * dm[r])), _mm_cvtepi32_ps(prod), accm[r][t]);
                sumi[r][t] = _mm256_setzero_si256();
            }
        }
        for (int j = 0; j < 4; j++) {
            for (int r = 0; r < 4; r++) {
                const __m256i q4 = _mm256_loadu_si256((const __m256i *) (w + r * rowBytes + (int64_t) Q4_K_BYTES * b + 16 + 32 * j));
                const __m256i q4l = _mm256_and_si256(q4, low), q4h = _mm256_and_si256(_mm256_srli_epi16(q4, 4), low);
                for (int t = 0; t < 2; t++) {
                    sumi[r][t] = _mm256_add_epi32(sumi[r][t], q4_k_pair(sc[r], q4l, q4h, xq + (int64_t) t * K + 256 * b, j));
                }
            }
        }
        for (int r = 0; r < 4; r++)
            for (int t = 0; t < 2; t++) {
                float dx = xd[(int64_t) t * (K / 256) + b];
                acc[r][t] = _mm256_fmadd_ps(_mm256_set1_ps(dx * dr[r]), _mm256_cvtepi32_ps(sumi[r][t]), acc[r][t]);
            }
    }
    for (int t = 0; t < 2; t++)
        for (int r = 0; r < 4; r++) out[t * outStride + r] = q4_k_sum(acc[r][t], accm[r][t]);
}

// ---- the entry points ------------------------------------------------------------------------------

// out[t * outStride + n] = rows n in [0, rows) of w (rowBytes apart) . token t's activation (T
// tokens: levels xq + t K, scales xd + t K/G, sums xs + t (K/G) SPB) + res[t * outStride + n] if res.
// One token: rows four at a time, a quarter of the range apart (four sequential streams through the
// matrix, which the prefetchers follow), the last rows one at a time. Several tokens: four adjacent
// rows with TT tokens at a time in a register tile (the rows' blocks stay in the L1 cache while
// every token passes), the tokens left over one at a time. Every value is the same whichever path.
#define ENTRY(NAME, G, SPB, TILE, TT)                                                                                         \
    void ggufc_mm_##NAME(const uint8_t *w, int64_t rowBytes, int32_t rows, int32_t K, const int8_t *xq, const float *xd,    \
                         const int32_t *xs, int32_t T, float *out, int64_t outStride, const float *res) {                   \
        int32_t nb = K / (G);                                                                                               \
        int32_t done;                                                                                                       \
        if (T == 1) {                                                                                                       \
            int32_t quarter = rows / 4;                                                                                     \
            for (int32_t n = 0; n < quarter; n++) {                                                                         \
                float *o = out + n;                                                                                         \
                NAME##_rows4(w + n * rowBytes, quarter * rowBytes, nb, xq, xd, xs, o, o + quarter, o + 2 * quarter, o + 3 * quarter); \
            }                                                                                                               \
            done = 4 * quarter;                                                                                             \
        } else {                                                                                                            \
            for (int32_t n = 0; n + 4 <= rows; n += 4) {                                                                    \
                int32_t t = 0;                                                                                              \
                for (; t + (TT) <= T; t += (TT)) {                                                                          \
                    TILE(w + n * rowBytes, rowBytes, nb, xq + (int64_t) t * K, K, xd + (int64_t) t * (K / (G)),             \
                         xs + (int64_t) t * (K / (G)) * (SPB), out + t * outStride + n, outStride);                                 \
                }                                                                                                           \
                for (; t < T; t++) {                                                                                        \
                    float *o = out + t * outStride + n;                                                                     \
                    NAME##_rows4(w + n * rowBytes, rowBytes, nb, xq + (int64_t) t * K, xd + (int64_t) t * (K / (G)),        \
                                 xs + (int64_t) t * (K / (G)) * (SPB), o, o + 1, o + 2, o + 3);                                     \
                }                                                                                                           \
            }                                                                                                               \
            done = rows / 4 * 4;                                                                                            \
        }                                                                                                                   \
        for (int32_t n = done; n < rows; n++) {                                                                             \
            for (int32_t t = 0; t < T; t++) {                                                                               \
                out[t * outStride + n] = NAME##_row(w + n * rowBytes, nb, xq + (int64_t) t * K, xd + (int64_t) t * (K / (G)), \
                                                    xs + (int64_t) t * (K / (G)) * (SPB));                                          \
            }                                                                                                               \
        }                                                                                                                   \
        if (res) {                                                                                                          \
            for (int32_t t = 0; t < T; t++) {                                                                               \
                for (int32_t n = 0; n < rows; n++) out[t * outStride + n] += res[t * outStride + n];                       \
            }                                                                                                               \
        }                                                                                                                   \
    }

ENTRY(q8_0, 32, 18, q8_0_tile44, 4)
ENTRY(q4_0, 32, 18, q4_0_tile44, 4)
ENTRY(q4_k, 256, 4, q4_k_tile42, 2)


// ---- prompt GEMM: rows in vector lanes ---------------------------------------------------------------
//
// A prompt step multiplies every row with many tokens, so it pays to rearrange the rows first: a
// group of 16 rows is repacked, 256 columns (a panel) at a time, into [column/4][row] 4-byte units
// (unsigned levels; a whole group transposed in registers, a partial one gathered; the next panel
// prefetched), so one vpdpbusd of a 512-bit packed vector with one token's four activation
// levels broadcast adds 64 products into 16 rows' sums at once. Each (row, token, block) sum is then
// exact before any rounding, and per block acc = fma(sum, d_w * d_x, acc): the numerics of ggml's
// repacked kernels (ggml_gemv/gemm_q4_0_8x8_q8_0), not of its vec_dot (decode's above). Speculative
// verify steps, which must equal one-token steps, take ggufc_mm_* instead.

#define PANEL 256
#define GROUP 16
#define TOKENS 8

typedef struct {
    uint32_t packed[PANEL / 4][GROUP];  // unsigned levels, 4 per unit
    float d[8][GROUP];                  // legacy: each block's weight scale; Q4_K: d and dmin in [0], [1]
    int32_t sc[8][GROUP], m[8][GROUP];  // Q4_K: sub-block scales and mins
} Panel;

// Packing gathers one 4-byte unit from each of the group's 16 rows at once (rows past nr read as zero).
static inline __m512i gather_rows(const uint8_t *base, __m512i offsets, __mmask16 rows) {
    return _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), rows, offsets, base, 1);
}

// The 16 rows' halves at base (the low 16 bits of a unit; high: the next 16) as floats.
static inline __m512 gather_halves(__m512i units, int high) {
    __m512i h = high ? _mm512_srli_epi32(units, 16) : _mm512_and_si512(units, _mm512_set1_epi32(0xffff));
    return _mm512_cvtph_ps(_mm512_cvtepi32_epi16(h));
}

// Blocks [b0, b0 + nbp) of rows [0, nr) (of GROUP; the others zero) into the panel.
// A whole group of 16 Q8_0 rows, rowBytes apart: each block's 16 x 8 units transposed in registers
// (rows i and i + 8 in one vector, then ggml-style unpacks and a cross-lane permute), not gathered.
static void pack_q8_0_whole(const uint8_t *w, int64_t rowBytes, int32_t b0, int nbp, Panel *p) {
    const __m512i lo = _mm512_set_epi64(13, 12, 5, 4, 9, 8, 1, 0), hi = _mm512_set_epi64(15, 14, 7, 6, 11, 10, 3, 2);
    const __m512i bias = _mm512_set1_epi32((int) 0x80808080u);
    for (int b = 0; b < nbp; b++) {
        const uint8_t *blk = w + (int64_t) Q8_0_BYTES * (b0 + b);
        __m512i z[8], t[8], u[8];
        for (int i = 0; i < 8; i++) {
            __m256i a = _mm256_loadu_si256((const __m256i *) (blk + i * rowBytes + 2)), c = _mm256_loadu_si256((const __m256i *) (blk + (i + 8) * rowBytes + 2));
            z[i] = _mm512_inserti64x4(_mm512_castsi256_si512(a), c, 1);
        }
        for (int i = 0; i < 8; i += 2) {
            t[i] = _mm512_unpacklo_epi32(z[i], z[i + 1]);
            t[i + 1] = _mm512_unpackhi_epi32(z[i], z[i + 1]);
        }
        for (int g = 0; g < 8; g += 4) {
            u[g] = _mm512_unpacklo_epi64(t[g], t[g + 2]);
            u[g + 1] = _mm512_unpackhi_epi64(t[g], t[g + 2]);
            u[g + 2] = _mm512_unpacklo_epi64(t[g + 1], t[g + 3]);
            u[g + 3] = _mm512_unpackhi_epi64(t[g + 1], t[g + 3]);
        }
        // u[c] (c < 4) holds column c of rows 0-3 and 8-11 in its low 128-bit halves, column c + 4 in its high ones; u[c + 4] rows 4-7, 12-15
        for (int c = 0; c < 4; c++) {
            _mm512_storeu_si512((void *) p->packed[8 * b + c], _mm512_xor_si512(_mm512_permutex2var_epi64(u[c], lo, u[c + 4]), bias));
            _mm512_storeu_si512((void *) p->packed[8 * b + c + 4], _mm512_xor_si512(_mm512_permutex2var_epi64(u[c], hi, u[c + 4]), bias));
        }
        for (int r = 0; r < 16; r++) p->d[b][r] = f16(blk + r * rowBytes);
    }
}

static void pack_q8_0(const uint8_t *w, __m512i offsets, __mmask16 rows, int32_t b0, int nbp, Panel *p) {
    for (int b = 0; b < nbp; b++) {
        const uint8_t *blk = w + (int64_t) Q8_0_BYTES * (b0 + b);
        _mm512_storeu_ps(p->d[b], gather_halves(gather_rows(blk, offsets, rows), 0));
        for (int c = 0; c < 8; c++) {
            __m512i u = _mm512_xor_si512(gather_rows(blk + 2 + 4 * c, offsets, rows), _mm512_set1_epi32((int) 0x80808080u));
            _mm512_storeu_si512((void *) p->packed[8 * b + c], u);
        }
    }
}

// A whole group of 16 Q4_0 rows: rows j, j + 4, j + 8, j + 12 in the four 128-bit lanes of one vector,
// then a 4 x 4 transpose in every lane gives each 4-byte column of the 16 rows in order.
static void pack_q4_0_whole(const uint8_t *w, int64_t rowBytes, int32_t b0, int nbp, Panel *p) {
    const __m512i low = _mm512_set1_epi32(0x0f0f0f0f);
    for (int b = 0; b < nbp; b++) {
        const uint8_t *blk = w + (int64_t) Q4_0_BYTES * (b0 + b) + 2;
        __m512i z[4];
        for (int j = 0; j < 4; j++) {
            __m512i v = _mm512_castsi128_si512(_mm_loadu_si128((const __m128i *) (blk + j * rowBytes)));
            v = _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i *) (blk + (j + 4) * rowBytes)), 1);
            v = _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i *) (blk + (j + 8) * rowBytes)), 2);
            z[j] = _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i *) (blk + (j + 12) * rowBytes)), 3);
        }
        __m512i t0 = _mm512_unpacklo_epi32(z[0], z[1]), t1 = _mm512_unpackhi_epi32(z[0], z[1]);
        __m512i t2 = _mm512_unpacklo_epi32(z[2], z[3]), t3 = _mm512_unpackhi_epi32(z[2], z[3]);
        __m512i col[4] = {_mm512_unpacklo_epi64(t0, t2), _mm512_unpackhi_epi64(t0, t2), _mm512_unpacklo_epi64(t1, t3), _mm512_unpackhi_epi64(t1, t3)};
        for (int c = 0; c < 4; c++) {
            _mm512_storeu_si512((void *) p->packed[8 * b + c], _mm512_and_si512(col[c], low));
            _mm512_storeu_si512((void *) p->packed[8 * b + 4 + c], _mm512_and_si512(_mm512_srli_epi32(col[c], 4), low));
        }
        for (int r = 0; r < 16; r++) p->d[b][r] = f16(blk - 2 + r * rowBytes);
    }
}

static void pack_q4_0(const uint8_t *w, __m512i offsets, __mmask16 rows, int32_t b0, int nbp, Panel *p) {
    const __m512i low = _mm512_set1_epi32(0x0f0f0f0f);
    for (int b = 0; b < nbp; b++) {
        const uint8_t *blk = w + (int64_t) Q4_0_BYTES * (b0 + b);
        _mm512_storeu_ps(p->d[b], gather_halves(gather_rows(blk, offsets, rows), 0));
        for (int c = 0; c < 4; c++) {
            __m512i q = gather_rows(blk + 2 + 4 * c, offsets, rows);
            _mm512_storeu_si512((void *) p->packed[8 * b + c], _mm512_and_si512(q, low));
            _mm512_storeu_si512((void *) p->packed[8 * b + 4 + c], _mm512_and_si512(_mm512_srli_epi32(q, 4), low));
        }
    }
}

static void pack_q4_k(const uint8_t *w, __m512i offsets, __mmask16 rows, int32_t b0, Panel *p) {
    const uint8_t *blk = w + (int64_t) Q4_K_BYTES * b0;
    __m512i dd = gather_rows(blk, offsets, rows);
    _mm512_storeu_ps(p->d[0], gather_halves(dd, 0));
    _mm512_storeu_ps(p->d[1], gather_halves(dd, 1));
    // the 6-bit scales and mins of 16 rows at once, as ggml's 32-bit unpacking does it for one
    const __m512i k1 = _mm512_set1_epi32(0x3f3f3f3f), k2 = _mm512_set1_epi32(0x0f0f0f0f), k3 = _mm512_set1_epi32(0x03030303);
    __m512i u0 = gather_rows(blk + 4, offsets, rows), u1 = gather_rows(blk + 8, offsets, rows), u2 = gather_rows(blk + 12, offsets, rows);
    __m512i sc03 = _mm512_and_si512(u0, k1), m03 = _mm512_and_si512(u1, k1);
    __m512i sc47 = _mm512_or_si512(_mm512_and_si512(u2, k2), _mm512_slli_epi32(_mm512_and_si512(_mm512_srli_epi32(u0, 6), k3), 4));
    __m512i m47 = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi32(u2, 4), k2), _mm512_slli_epi32(_mm512_and_si512(_mm512_srli_epi32(u1, 6), k3), 4));
    const __m512i byte = _mm512_set1_epi32(0xff);
    for (int j = 0; j < 4; j++) {
        _mm512_storeu_si512((void *) p->sc[j], _mm512_and_si512(_mm512_srli_epi32(sc03, 8 * j), byte));
        _mm512_storeu_si512((void *) p->m[j], _mm512_and_si512(_mm512_srli_epi32(m03, 8 * j), byte));
        _mm512_storeu_si512((void *) p->sc[4 + j], _mm512_and_si512(_mm512_srli_epi32(sc47, 8 * j), byte));
        _mm512_storeu_si512((void *) p->m[4 + j], _mm512_and_si512(_mm512_srli_epi32(m47, 8 * j), byte));
    }
    const __m512i low = _mm512_set1_epi32(0x0f0f0f0f);
    for (int g = 0; g < 4; g++) {
        for (int c = 0; c < 8; c++) {
            __m512i q = gather_rows(blk + 16 + 32 * g + 4 * c, offsets, rows);
            _mm512_storeu_si512((void *) p->packed[16 * g + c], _mm512_and_si512(q, low));
            _mm512_storeu_si512((void *) p->packed[16 * g + 8 + c], _mm512_and_si512(_mm512_srli_epi32(q, 4), low));
        }
    }
}

static inline __m512i bcast4(const int8_t *x) {
    int32_t v;
    memcpy(&v, x, 4);
    return _mm512_set1_epi32(v);
}

// Tokens [0, NT) of the panel's nbp legacy blocks (b0 the first): acc[t] (16 rows) += per block
// fma(exact sum, d_w * d_x, .). which: 0 Q8_0 (bias 128), 1 Q4_0 (bias 8).
#define LEGACY_PANEL(NT)                                                                                                   \
    static inline void legacy_panel_##NT(const Panel *p, int nbp, int32_t b0, int which, const int8_t *xq, int32_t K,     \
                                         const float *xd, const int32_t *xs, __m512 *acc) {                              \
        __m512 a[NT];                                                                                                      \
        for (int t = 0; t < NT; t++) a[t] = _mm512_loadu_ps((const float *) (acc + t));                                 \
        for (int b = 0; b < nbp; b++) {                                                                                    \
            int32_t blk = b0 + b;                                                                                          \
            __m512i s[NT];                                                                                                 \
            for (int t = 0; t < NT; t++) s[t] = _mm512_set1_epi32(xs[(int64_t) t * (K / 32) * 18 + 18 * blk + 16 + which]); \
            for (int c = 0; c < 8; c++) {                                                                                  \
                __m512i wv = _mm512_loadu_si512((const void *) p->packed[8 * b + c]);                                      \
                for (int t = 0; t < NT; t++) s[t] = _mm512_dpbusd_epi32(s[t], wv, bcast4(xq + (int64_t) t * K + 32 * blk + 4 * c)); \
            }                                                                                                              \
            __m512 dw = _mm512_loadu_ps(p->d[b]);                                                                          \
            for (int t = 0; t < NT; t++) {                                                                                 \
                __m512 dd = _mm512_mul_ps(dw, _mm512_set1_ps(xd[(int64_t) t * (K / 32) + blk]));                           \
                a[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s[t]), dd, a[t]);                                                \
            }                                                                                                              \
        }                                                                                                                  \
        for (int t = 0; t < NT; t++) _mm512_storeu_ps((float *) (acc + t), a[t]);                                         \
    }

LEGACY_PANEL(8)
LEGACY_PANEL(1)

// Tokens [0, NT) of a Q4_K super-block panel (b the super-block): per sub-block exact sums times the
// sub-block scale, summed exactly; acc[t] = fma(sum, d * dx, acc) then fma(mins . sub-block sums, -dmin * dx, acc).
#define Q4K_PANEL(NT)                                                                                                      \
    static inline void q4k_panel_##NT(const Panel *p, int32_t b, const int8_t *xq, int32_t K, const float *xd,            \
                                      const int32_t *xs, __m512 *acc) {                                                   \
        __m512i tot[NT], mins[NT];                                                                                         \
        for (int t = 0; t < NT; t++) tot[t] = mins[t] = _mm512_setzero_si512();                                           \
        for (int j = 0; j < 8; j++) {                                                                                      \
            __m512i s[NT];                                                                                                 \
            for (int t = 0; t < NT; t++) s[t] = _mm512_setzero_si512();                                                   \
            for (int c = 0; c < 8; c++) {                                                                                  \
                __m512i wv = _mm512_loadu_si512((const void *) p->packed[8 * j + c]);                                      \
                for (int t = 0; t < NT; t++) s[t] = _mm512_dpbusd_epi32(s[t], wv, bcast4(xq + (int64_t) t * K + 256 * b + 32 * j + 4 * c)); \
            }                                                                                                              \
            __m512i scj = _mm512_loadu_si512((const void *) p->sc[j]), mj = _mm512_loadu_si512((const void *) p->m[j]);    \
            for (int t = 0; t < NT; t++) {                                                                                 \
                int16_t bs[8];                                                                                             \
                memcpy(bs, xs + (int64_t) t * (K / 256) * 4 + 4 * b, 16);                                                  \
                tot[t] = _mm512_add_epi32(tot[t], _mm512_mullo_epi32(s[t], scj));                                          \
                mins[t] = _mm512_add_epi32(mins[t], _mm512_mullo_epi32(mj, _mm512_set1_epi32(bs[j])));                     \
            }                                                                                                              \
        }                                                                                                                  \
        __m512 d = _mm512_loadu_ps(p->d[0]), dm = _mm512_loadu_ps(p->d[1]);                                                \
        for (int t = 0; t < NT; t++) {                                                                                     \
            float dx = xd[(int64_t) t * (K / 256) + b];                                                                    \
            __m512 a = _mm512_loadu_ps((const float *) (acc + t));                                                        \
            a = _mm512_fmadd_ps(_mm512_cvtepi32_ps(tot[t]), _mm512_mul_ps(d, _mm512_set1_ps(dx)), a);                      \
            a = _mm512_fmadd_ps(_mm512_cvtepi32_ps(mins[t]), _mm512_mul_ps(dm, _mm512_set1_ps(-dx)), a);                   \
            _mm512_storeu_ps((float *) (acc + t), a);                                                                      \
        }                                                                                                                  \
    }

Q4K_PANEL(8)
Q4K_PANEL(1)

static __thread __m512 *gemm_acc;
static __thread int64_t gemm_acc_n;

// out[t * outStride + n] (+ res) for rows [0, rows) and T tokens, the activations as for ggufc_mm_*.
static void gemm(int kind, const uint8_t *w, int64_t rowBytes, int32_t rows, int32_t K, const int8_t *xq, const float *xd,
                 const int32_t *xs, int32_t T, float *out, int64_t outStride, const float *res) {
    if (gemm_acc_n < T) {
        _mm_free(gemm_acc);
        gemm_acc = (__m512 *) _mm_malloc(sizeof(__m512) * (size_t) T, 64);
        gemm_acc_n = T;
    }
    Panel p __attribute__((aligned(64)));
    int32_t G = kind == 2 ? 256 : 32, nb = K / G, per = kind == 2 ? 1 : PANEL / 32;
    int64_t blockBytes = kind == 0 ? Q8_0_BYTES : kind == 1 ? Q4_0_BYTES : Q4_K_BYTES;
    const __m512i offsets = _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0), _mm512_set1_epi32((int32_t) rowBytes));
    for (int32_t n = 0; n < rows; n += GROUP) {
        int nr = rows - n < GROUP ? rows - n : GROUP;
        __mmask16 valid = (__mmask16) ((1u << nr) - 1);
        const uint8_t *wr = w + n * rowBytes;
        for (int32_t t = 0; t < T; t++) gemm_acc[t] = _mm512_setzero_ps();
        for (int32_t b0 = 0; b0 < nb; b0 += per) {
            int nbp = nb - b0 < per ? nb - b0 : per;
            if (b0 + per < nb) {
                // the next panel's bytes of the 16 rows, requested now: the gathers would otherwise wait on 16 streams from memory
                int64_t at = (int64_t) (b0 + per) * blockBytes, len = (int64_t) per * blockBytes;
                for (int r = 0; r < nr; r++) {
                    for (int64_t o = 0; o < len; o += 64) _mm_prefetch((const char *) (wr + r * rowBytes + at + o), _MM_HINT_T0);
                }
            }
            if (kind == 0 && nr == GROUP) pack_q8_0_whole(wr, rowBytes, b0, nbp, &p);
            else if (kind == 0) pack_q8_0(wr, offsets, valid, b0, nbp, &p);
            else if (kind == 1 && nr == GROUP) pack_q4_0_whole(wr, rowBytes, b0, nbp, &p);
            else if (kind == 1) pack_q4_0(wr, offsets, valid, b0, nbp, &p);
            else pack_q4_k(wr, offsets, valid, b0, &p);
            int32_t t = 0;
            for (; t + TOKENS <= T; t += TOKENS) {
                if (kind == 2) q4k_panel_8(&p, b0, xq + (int64_t) t * K, K, xd + (int64_t) t * nb, xs + (int64_t) t * nb * 4, gemm_acc + t);
                else legacy_panel_8(&p, nbp, b0, kind, xq + (int64_t) t * K, K, xd + (int64_t) t * nb, xs + (int64_t) t * nb * 18, gemm_acc + t);
            }
            for (; t < T; t++) {
                if (kind == 2) q4k_panel_1(&p, b0, xq + (int64_t) t * K, K, xd + (int64_t) t * nb, xs + (int64_t) t * nb * 4, gemm_acc + t);
                else legacy_panel_1(&p, nbp, b0, kind, xq + (int64_t) t * K, K, xd + (int64_t) t * nb, xs + (int64_t) t * nb * 18, gemm_acc + t);
            }
        }
        for (int32_t t = 0; t < T; t++) {
            __m512 v = gemm_acc[t];
            if (res) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(valid, res + t * outStride + n));
            _mm512_mask_storeu_ps(out + t * outStride + n, valid, v);
        }
    }
}

void ggufc_gemm_q8_0(const uint8_t *w, int64_t rowBytes, int32_t rows, int32_t K, const int8_t *xq, const float *xd,
                     const int32_t *xs, int32_t T, float *out, int64_t outStride, const float *res) {
    gemm(0, w, rowBytes, rows, K, xq, xd, xs, T, out, outStride, res);
}

void ggufc_gemm_q4_0(const uint8_t *w, int64_t rowBytes, int32_t rows, int32_t K, const int8_t *xq, const float *xd,
                     const int32_t *xs, int32_t T, float *out, int64_t outStride, const float *res) {
    gemm(1, w, rowBytes, rows, K, xq, xd, xs, T, out, outStride, res);
}

void ggufc_gemm_q4_k(const uint8_t *w, int64_t rowBytes, int32_t rows, int32_t K, const int8_t *xq, const float *xd,
                     const int32_t *xs, int32_t T, float *out, int64_t outStride, const float *res) {
    gemm(2, w, rowBytes, rows, K, xq, xd, xs, T, out, outStride, res);
}


// ---- attention over the f32 KV cache ------------------------------------------------------------------
//
// Attention.java's cache layout (positions in blocks of 16, each block element-major: element e of
// position j at ((j / 16) * rowLen + e) * 16 + j % 16) and Attention.headF32's arithmetic, step for
// step: scores as 16-key vectors of FMAs over the head's dimensions (two blocks per pass), scaled and
// masked to keys [lo, n), the maximum subtracted, exp, the sum halved lane by lane (Vec.sum), then
// the probability-weighted values two dimensions per pass. exp is the C library's expf (the Vector
// API's is its own; the two may differ in the last bit).

static inline float vsum16(__m512 v) {
    return hsum8(_mm256_add_ps(_mm512_castps512_ps256(v), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1))));
}

static inline __m512 scores16(__m512 s, int j, int lo, int n, float *p) {
    __mmask16 keep = 0xffff;
    if (j + 16 > n) keep &= (__mmask16) (n - j <= 0 ? 0 : (1u << (n - j)) - 1);
    if (j < lo) keep &= (__mmask16) ~((1u << (lo - j < 16 ? lo - j : 16)) - 1);
    s = _mm512_mask_blend_ps(keep, _mm512_set1_ps(-INFINITY), s);
    _mm512_storeu_ps(p + j, s);
    return s;
}

static void head_f32(const float *q, const float *k, const float *v, int lo, int n, int rowLen, int e0, int Dh, float scale, float *p, float *out) {
    if (n <= lo) {
        for (int d = 0; d < Dh; d++) out[d] = 0;
        return;
    }
    int nb = (n + 15) / 16, b0 = lo / 16;
    int64_t blockFloats = (int64_t) rowLen * 16, head = (int64_t) e0 * 16;
    __m512 maxv = _mm512_set1_ps(-INFINITY), sc = _mm512_set1_ps(scale);
    int b = b0;
    for (; b + 2 <= nb; b += 2) {
        const float *k0 = k + b * blockFloats + head, *k1 = k0 + blockFloats;
        __m512 a0 = _mm512_setzero_ps(), a1 = a0;
        for (int d = 0; d < Dh; d++) {
            __m512 qd = _mm512_set1_ps(q[d]);
            a0 = _mm512_fmadd_ps(_mm512_loadu_ps(k0 + 16 * d), qd, a0);
            a1 = _mm512_fmadd_ps(_mm512_loadu_ps(k1 + 16 * d), qd, a1);
        }
        maxv = _mm512_max_ps(maxv, scores16(_mm512_mul_ps(a0, sc), b * 16, lo, n, p));
        maxv = _mm512_max_ps(maxv, scores16(_mm512_mul_ps(a1, sc), (b + 1) * 16, lo, n, p));
    }
    if (b < nb) {
        const float *k0 = k + b * blockFloats + head;
        __m512 a0 = _mm512_setzero_ps();
        for (int d = 0; d < Dh; d++) a0 = _mm512_fmadd_ps(_mm512_loadu_ps(k0 + 16 * d), _mm512_set1_ps(q[d]), a0);
        maxv = _mm512_max_ps(maxv, scores16(_mm512_mul_ps(a0, sc), b * 16, lo, n, p));
    }
    __m512 mv = _mm512_set1_ps(_mm512_reduce_max_ps(maxv)), sumv = _mm512_setzero_ps();
    for (int j = b0 * 16; j < nb * 16; j += 16) {
        float e[16] __attribute__((aligned(64)));
        _mm512_store_ps(e, _mm512_sub_ps(_mm512_loadu_ps(p + j), mv));
        for (int l = 0; l < 16; l++) e[l] = expf(e[l]);
        __m512 ev = _mm512_load_ps(e);
        _mm512_storeu_ps(p + j, ev);
        sumv = _mm512_add_ps(sumv, ev);
    }
    float inv = 1.0f / vsum16(sumv);
    int d = 0;
    for (; d + 2 <= Dh; d += 2) {
        __m512 a0 = _mm512_setzero_ps(), a1 = a0;
        for (int c = b0; c < nb; c++) {
            __m512 pc = _mm512_loadu_ps(p + c * 16);
            const float *o = v + c * blockFloats + (int64_t) (e0 + d) * 16;
            a0 = _mm512_fmadd_ps(_mm512_loadu_ps(o), pc, a0);
            a1 = _mm512_fmadd_ps(_mm512_loadu_ps(o + 16), pc, a1);
        }
        out[d] = vsum16(a0) * inv;
        out[d + 1] = vsum16(a1) * inv;
    }
    if (d < Dh) {
        __m512 a0 = _mm512_setzero_ps();
        for (int c = b0; c < nb; c++) a0 = _mm512_fmadd_ps(_mm512_loadu_ps(v + c * blockFloats + (int64_t) (e0 + d) * 16), _mm512_loadu_ps(p + c * 16), a0);
        out[d] = vsum16(a0) * inv;
    }
}

static __thread float *attn_p;
static __thread int64_t attn_p_n;

// Units [u0, u1) of (token, kv head) pairs of Attention.attention: q[T, H, Dh] over the caches (Hkv heads of
// Dh), token s seeing keys [max(0, pos[s] - window + 1) (window > 0), min(L, pos[s] + 1)); out[T, H, Dh].
void ggufc_attention_f32(const float *q, const float *k, const float *v, const int32_t *pos, int32_t L, int32_t H, int32_t Hkv, int32_t Dh,
                         float scale, int32_t window, int32_t u0, int32_t u1, float *out) {
    int64_t need = ((int64_t) (L > 0 ? L : 1) + 15) / 16 * 16;
    if (attn_p_n < need) {
        _mm_free(attn_p);
        attn_p = (float *) _mm_malloc(sizeof(float) * (size_t) need, 64);
        attn_p_n = need;
    }
    int group = H / Hkv;
    for (int32_t u = u0; u < u1; u++) {
        int s = u / Hkv, kh = u % Hkv;
        int n = pos[s] + 1 < L ? pos[s] + 1 : L;
        int first = window > 0 ? (pos[s] - window + 1 > 0 ? pos[s] - window + 1 : 0) : 0;
        for (int g = 0; g < group; g++) {
            int h = kh * group + g;
            head_f32(q + ((int64_t) s * H + h) * Dh, k, v, first, n, Hkv * Dh, kh * Dh, Dh, scale, attn_p, out + ((int64_t) s * H + h) * Dh);
        }
    }
}


// ---- norms and activations ---------------------------------------------------------------------------

// Ops.rmsNorm's vector arithmetic, bit for bit: out[r] = (x[r] * scale) * w, scale = 1 / sqrt(mean(x^2) + eps)
// with the sum of squares as 16 lanes of FMAs (then a scalar tail) halved lane by lane, the root in double.
void ggufc_rms_norm(const float *x, const float *w, int32_t D, float eps, int32_t rows, float *out) {
    for (int32_t r = 0; r < rows; r++) {
        const float *xr = x + (int64_t) r * D;
        float *o = out + (int64_t) r * D;
        __m512 acc = _mm512_setzero_ps();
        int i = 0;
        for (; i + 16 <= D; i += 16) {
            __m512 v = _mm512_loadu_ps(xr + i);
            acc = _mm512_fmadd_ps(v, v, acc);
        }
        float sum = vsum16(acc);
        for (; i < D; i++) sum += xr[i] * xr[i];
        float scale = (float) (1.0 / sqrt((double) (sum / (float) D + eps)));
        __m512 sv = _mm512_set1_ps(scale);
        i = 0;
        for (; i + 16 <= D; i += 16) _mm512_storeu_ps(o + i, _mm512_mul_ps(_mm512_mul_ps(_mm512_loadu_ps(xr + i), sv), _mm512_loadu_ps(w + i)));
        for (; i < D; i++) o[i] = (xr[i] * scale) * w[i];
    }
}

// out[i] = silu(g[i]) * u[i], silu(v) = v / (1 + expf(-v)) (Ops.silu with the C library's expf).
void ggufc_silu_gate(const float *g, const float *u, int64_t n, float *out) {
    for (int64_t i = 0; i < n; i++) {
        float v = g[i];
        out[i] = v / (1.0f + expf(-v)) * u[i];
    }
}
