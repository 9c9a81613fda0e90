// Golden generator: calls llama.cpp's own quantize_row_*_ref / dequantize_row_* and fp16/bf16
// conversions in libggml-base.so (the reference build, plain SSE2: no FMA) on fixed inputs.
// Build and run through regenerate.sh. Writes into the directory given as argv[1]:
//   edge-input.f32      2048 little-endian floats: edge-case patterns (see make_edge_input)
//   edge-<T>.bin        quantize_row_<t>_ref(edge input) for each block type T
//   random-<T>.bin      random blocks of type T (finite scales), 1024 elements' worth
//   hashes.tsv          FNV-1a 64 of: dequantize_row_<t>(edge-<T>), dequantize_row_<t>(random-<T>),
//                       F16/BF16 conversions of the edge input, exhaustive f16/bf16 -> f32 and
//                       strided f32 -> f16/bf16 over all bit patterns
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*qfn)(const float *, void *, int64_t);
typedef void (*dqfn)(const void *, float *, int64_t);
#define DECL(t) void quantize_row_##t##_ref(const float *, void *, int64_t);
#define DECLD(t) void dequantize_row_##t(const void *, float *, int64_t);
DECL(q4_0) DECL(q4_1) DECL(q5_0) DECL(q5_1) DECL(q8_0) DECL(q8_1) DECL(q2_K) DECL(q3_K) DECL(q4_K) DECL(q5_K) DECL(q6_K) DECL(q8_K)
DECLD(q4_0) DECLD(q4_1) DECLD(q5_0) DECLD(q5_1) DECLD(q8_0) DECLD(q2_K) DECLD(q3_K) DECLD(q4_K) DECLD(q5_K) DECLD(q6_K) DECLD(q8_K)
float ggml_fp16_to_fp32(uint16_t);
uint16_t ggml_fp32_to_fp16(float);
float ggml_bf16_to_fp32(uint16_t);
uint16_t ggml_fp32_to_bf16(float);
void ggml_fp32_to_fp16_row(const float *, uint16_t *, int64_t);
void ggml_fp32_to_bf16_row_ref(const float *, uint16_t *, int64_t);

struct qtype { const char *name; int bs, bb; qfn q; dqfn dq; int half_at[2]; int f32_d; };
static const struct qtype TYPES[] = {
    {"Q4_0", 32, 18, quantize_row_q4_0_ref, dequantize_row_q4_0, {0, -1}, 0},
    {"Q4_1", 32, 20, quantize_row_q4_1_ref, dequantize_row_q4_1, {0, 2}, 0},
    {"Q5_0", 32, 22, quantize_row_q5_0_ref, dequantize_row_q5_0, {0, -1}, 0},
    {"Q5_1", 32, 24, quantize_row_q5_1_ref, dequantize_row_q5_1, {0, 2}, 0},
    {"Q8_0", 32, 34, quantize_row_q8_0_ref, dequantize_row_q8_0, {0, -1}, 0},
    {"Q8_1", 32, 36, quantize_row_q8_1_ref, NULL, {0, 2}, 0},
    {"Q2_K", 256, 84, quantize_row_q2_K_ref, dequantize_row_q2_K, {80, 82}, 0},
    {"Q3_K", 256, 110, quantize_row_q3_K_ref, dequantize_row_q3_K, {108, -1}, 0},
    {"Q4_K", 256, 144, quantize_row_q4_K_ref, dequantize_row_q4_K, {0, 2}, 0},
    {"Q5_K", 256, 176, quantize_row_q5_K_ref, dequantize_row_q5_K, {0, 2}, 0},
    {"Q6_K", 256, 210, quantize_row_q6_K_ref, dequantize_row_q6_K, {208, -1}, 0},
    {"Q8_K", 256, 292, quantize_row_q8_K_ref, dequantize_row_q8_K, {-1, -1}, 1},
};
#define NTYPES (int)(sizeof(TYPES) / sizeof(TYPES[0]))
#define NEDGE 2048
#define NRAND 1024

static uint64_t rng_state;
static uint64_t splitmix64(void) {
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static float uni(void) { return (float)(splitmix64() >> 40) * 0x1.0p-24f; }            // [0, 1)
static float gauss(void) { return (uni() + uni() + uni() + uni() - 2.0f) * 1.7f; }       // ~N(0,1), no libm

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) { h ^= b[i]; h *= 0x100000001b3ull; }
    return h;
}
#define FNV0 0xcbf29ce484222325ull

static void make_edge_input(float *x) {
    rng_state = 20240607;
    for (int sb = 0; sb < NEDGE / 256; sb++) {
        float *s = x + sb * 256;
        for (int k = 0; k < 256; k++) {
            int blk = k / 32, g16 = k / 16;
            float g = gauss(), v;
            switch (sb) {
            case 0: v = g; break;                                              // plain N(0,1)
            case 1:                                                            // one pattern per 32-block
                switch (blk) {
                case 0: v = 0.0f; break;                                       // all zero
                case 1: v = g * 1e-6f; break;                                  // tiny: f16 scales underflow
                case 2: v = g * 1e-40f; break;                                 // subnormal floats
                case 3: v = g * 3e3f; break;                                   // huge
                case 4: v = (k % 32 == 7) ? 100.0f : g * 0.01f; break;         // one outlier
                case 5: v = 0.75f; break;                                      // constant positive
                case 6: v = -2.5f; break;                                      // constant negative
                default: v = (k & 1) ? 1.0f : -1.0f; break;                    // alternating
                }
                break;
            case 2: v = 0.0f; break;                                           // all-zero super-block
            case 3: v = g * 1e-5f; break;                                      // tiny super-block
            case 4: v = (k == 77) ? -5e4f : g * 1e3f; break;                   // huge with one outlier
            case 5: v = 0.5f + uni(); break;                                   // all positive (min > 0)
            case 6: v = -0.5f - uni() * 3.0f; break;                           // all negative
            default:                                                           // group-level mix, ties
                switch (g16 % 4) {
                case 0: v = (float)((int)(g * 8.0f)) * 0.25f; break;          // values on a grid: rounding ties
                case 1: v = (k % 16 == 3) ? 1.0f : 0.0f; break;                // a single non-zero
                case 2: v = g * 1e-16f; break;                                 // below GROUP_MAX_EPS
                default: v = g * (float)(1 + g16); break;                      // growing scale
                }
            }
            s[k] = v;
        }
    }
}

static void random_blocks(const struct qtype *t, unsigned char *buf, int nbytes) {
    for (int i = 0; i < nbytes; i++) buf[i] = (unsigned char)splitmix64();
    for (int b = 0; b < nbytes / t->bb; b++) {
        unsigned char *blk = buf + b * t->bb;
        for (int h = 0; h < 2; h++) {
            if (t->half_at[h] < 0) continue;
            uint16_t v = (uint16_t)(blk[t->half_at[h]] | blk[t->half_at[h] + 1] << 8);
            if ((v & 0x7C00) == 0x7C00) v &= (uint16_t)~0x4000;             // finite scales only
            blk[t->half_at[h]] = (unsigned char)v; blk[t->half_at[h] + 1] = (unsigned char)(v >> 8);
        }
        if (t->f32_d) {
            float d = gauss() * 0.01f;
            memcpy(blk, &d, 4);
        }
    }
}

static void write_file(const char *dir, const char *name, const void *p, size_t n) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n || fclose(f)) { perror(path); exit(1); }
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: refquant OUTDIR\n"); return 2; }
    const char *dir = argv[1];
    char path[4096];
    snprintf(path, sizeof path, "%s/hashes.tsv", dir);
    FILE *h = fopen(path, "w");
    if (!h) { perror(path); return 1; }

    static float x[NEDGE], y[NEDGE];
    static unsigned char q[NEDGE * 2];
    make_edge_input(x);
    write_file(dir, "edge-input.f32", x, sizeof x);

    for (int i = 0; i < NTYPES; i++) {
        const struct qtype *t = &TYPES[i];
        int nb = NEDGE / t->bs * t->bb;
        memset(q, 0, sizeof q);
        t->q(x, q, NEDGE);
        snprintf(path, sizeof path, "edge-%s.bin", t->name);
        write_file(dir, path, q, nb);
        if (t->dq) {
            t->dq(q, y, NEDGE);
            fprintf(h, "edge-deq-%s\t%016llx\n", t->name, (unsigned long long)fnv(FNV0, y, sizeof y));
        }
    }
    rng_state = 77;
    for (int i = 0; i < NTYPES; i++) {
        const struct qtype *t = &TYPES[i];
        int nb = NRAND / t->bs * t->bb;
        random_blocks(t, q, nb);
        snprintf(path, sizeof path, "random-%s.bin", t->name);
        write_file(dir, path, q, nb);
        if (t->dq) {
            t->dq(q, y, NRAND);
            fprintf(h, "random-deq-%s\t%016llx\n", t->name, (unsigned long long)fnv(FNV0, y, NRAND * sizeof(float)));
        }
    }
    static uint16_t hx[NEDGE];
    ggml_fp32_to_fp16_row(x, hx, NEDGE);
    fprintf(h, "edge-F16\t%016llx\n", (unsigned long long)fnv(FNV0, hx, sizeof hx));
    ggml_fp32_to_bf16_row_ref(x, hx, NEDGE);
    fprintf(h, "edge-BF16\t%016llx\n", (unsigned long long)fnv(FNV0, hx, sizeof hx));

    uint64_t a = FNV0, b = FNV0;
    for (uint32_t v = 0; v < 65536; v++) {
        float f = ggml_fp16_to_fp32((uint16_t)v), g = ggml_bf16_to_fp32((uint16_t)v);
        a = fnv(a, &f, 4); b = fnv(b, &g, 4);
    }
    fprintf(h, "f16-to-f32-all\t%016llx\nbf16-to-f32-all\t%016llx\n", (unsigned long long)a, (unsigned long long)b);
    // every 251st bit pattern (a prime stride hits every low-bit residue), NaNs included
    a = FNV0; b = FNV0;
    for (uint64_t u = 0; u < 0x100000000ull; u += 251) {
        uint32_t bits = (uint32_t)u; float f; memcpy(&f, &bits, 4);
        uint16_t r = ggml_fp32_to_fp16(f), s = ggml_fp32_to_bf16(f);
        a = fnv(a, &r, 2); b = fnv(b, &s, 2);
    }
    fprintf(h, "f32-to-f16-stride251\t%016llx\nf32-to-bf16-stride251\t%016llx\n", (unsigned long long)a, (unsigned long long)b);
    fclose(h);
    return 0;
}
