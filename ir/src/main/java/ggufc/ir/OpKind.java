package ggufc.ir;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * The closed list of IR ops. Semantics (shapes in IR order, outermost first) are given here once;
 * {@link TypeRules} checks them and {@code ggufc.ir.interp.Interpreter} defines them by execution.
 */
public enum OpKind {
    // ---- leaves: no operands; the result type is declared ----
    /** Runtime input {name}: token ids, positions. */
    INPUT(0),
    /** Weight {name}, usually memory-mapped; any dtype, quantized included. */
    PARAM(0),
    /** Mutable state {name} read at step start (KV cache); an output of the same name writes it back. */
    STATE(0),
    /** Small constant {values: float list} (row-major, static shape). */
    CONSTANT(0),

    // ---- elementwise ----
    /** a + b; b's shape equals a's or a trailing suffix of it (broadcast). */
    ADD(2),
    /** a * b; broadcast as ADD. */
    MUL(2),
    /** x * {factor}. */
    SCALE(1),
    /** x * sigmoid(x). */
    SILU(1),
    /**
     * GELU, tanh approximation, exactly as ggml's CPU backend (its f16 table): for -10 < x < 10,
     * h = f16(x) and the result f16(0.5 h (1 + tanh(sqrt(2/pi) h (1 + 0.044715 h^2)))); 0 for
     * x <= -10; x for x >= 10 (f16: round to nearest even).
     */
    GELU(1),
    /**
     * logit soft-capping: {cap} * tanh(x * (1 / {cap})) in f32, {cap} > 0 (llama.cpp's scale, ggml_tanh,
     * scale for Gemma 2's attention scores and final logits; tanh is tanhf).
     */
    SOFTCAP(1),
    /** softmax over the last dimension. */
    SOFTMAX(1),

    // ---- normalization / linear algebra ----
    /** x / sqrt(mean(x^2 over last dim) + {eps}) * w; w has the last dim of x. */
    RMS_NORM(2),
    /** x[..., K] times w[N, K] transposed: [..., N] f32. w may be any dtype (as ggml_mul_mat). */
    MATMUL(2),
    /** rows of table[V, D] picked by ids[T] (i32): [T, D] f32. */
    EMBED(2),

    // ---- positions and attention ----
    /**
     * rotary embedding of x[T, H, Dh] at pos[T]; {mode: normal|neox, n_rot, freq_base, freq_scale}; pair i
     * turns by pos * freq_scale * freq_base^(-2i/n_rot). With the optional third operand freq_factors[n_rot/2]
     * (f32; llama.cpp's rope_freqs), pair i turns by freq_scale * (pos * freq_base^(-2i/n_rot) / freq_factors[i]):
     * Llama 3's long-context scaling and Gemma 4's partial rotation (factor 1e30: the pair stays put).
     */
    ROPE(-2),
    /** cache[C, Hkv, Dh] with rows pos[t] replaced by x[t]: the updated cache. */
    KV_WRITE(3),
    /** the first L rows of cache[C, Hkv, Dh] as f32 (L is the result's first dimension). */
    KV_READ(1),
    /** q[T, H, Dh] . k[L, Hkv, Dh] per head times {scale}: [H, T, L]; query head h reads kv head h / (H / Hkv). */
    ATTN_SCORES(2),
    /**
     * scores[H, T, L] with -inf where key j > pos[t]; with the optional {window: w >= 1} (sliding-window
     * attention) also where pos[t] - j >= w, so query t sees the w keys pos[t] - w + 1 .. pos[t]
     * (llama.cpp's LLAMA_SWA_TYPE_STANDARD).
     */
    CAUSAL_MASK(2),
    /** probs[H, T, L] times v[L, Hkv, Dh]: [T, H, Dh]. */
    ATTN_VALUES(2),
    /**
     * fused ATTN_VALUES(SOFTMAX(CAUSAL_MASK(ATTN_SCORES(q, k) * scale, pos){window}), v): q, k, v, pos; {scale, optional window,
     * optional softcap}; with {softcap: c > 0} the scores are SOFTCAP{cap: c}(ATTN_SCORES) before the mask (Gemma 2).
     */
    ATTENTION(4),

    // ---- mixture of experts (llama.cpp's build_moe_ffn: router, top-k, expert matmuls, weighted sum) ----
    /**
     * x[..., N] f32: the indices [..., {k}] (i32) of the {k} largest values of each row, largest first;
     * among equal values the lower index first. 1 <= {k} <= N.
     */
    TOPK(1),
    /** x[..., N] f32, idx[..., k] i32: x[..., idx[..., j]] for each j (numpy take_along_axis, last axis): [..., k] f32. */
    TAKE_ALONG(2),
    /** x[..., k] f32: x / max(sum over the last axis, {min}) (the sum in double, rounded to f32 once). */
    SUM_NORMALIZE(1),
    /**
     * x[T, n] or x[T, K, n], w[E, m, n], ids[T, K] i32, optional scale[E] f32: [T, K, m] with
     * out[t, k, :] = w[ids[t, k]] . x[t, k or (rank 2) the token's one row, :], times scale[ids[t, k]] when given
     * (llama.cpp's ggml_mul_mat_id; w may be any dtype, as MATMUL's; an id outside [0, E) is an error).
     */
    MATMUL_ID(-3),
    /** y[T, K, n] f32, w[T, K] f32: [T, n] with out[t] = sum over k = 0 .. K-1 (in that order, in f32) of w[t, k] * y[t, k, :]. */
    WEIGHTED_SUM(2),

    // ---- shapes ----
    /** same elements, new declared shape. */
    RESHAPE(1),
    /** x[T, D] to its last row [1, D]. */
    LAST_ROW(1),

    // ---- quantization ----
    /** quantized or half tensor to f32, same shape. */
    DEQUANT(1),
    /** f32 tensor to dtype {to}, same shape (rows must be whole blocks). */
    QUANTIZE(1),

    // ---- fused ops (made by passes; each equals the composition given) ----
    // Matmul-family ops (MATMUL and the fused ones below) with {act_quant = true} round each f32
    // activation row to TypeRules.activationTypeFor(weight dtype) before the dot product with that
    // weight, as llama.cpp's CPU backend does (vec_dot_type); without it activations stay f32.
    /** x[..., K], nw[K], w1[N1, K] ... wn[Nn, K]: concat_i(MATMUL(RMS_NORM(x, nw){eps}, wi)) along the last dim: [..., sum Ni]. */
    NORM_MATMUL(-3),
    /** x[..., N]: x[..., offset : offset + size] ({offset, size}). */
    SPLIT(1),
    /** x, wg[F, K], wu[F, K]: act(MATMUL(x, wg)) * MATMUL(x, wu), {act: silu|gelu}: [..., F]. */
    GLU_MATMUL(3),
    /** x, nw, wg, wu: GLU_MATMUL(RMS_NORM(x, nw){eps}, wg, wu){act}. */
    NORM_GLU_MATMUL(4),
    /** x, w, r: MATMUL(x, w) + r (residual epilogue). */
    MATMUL_ADD(3),
    /** cache, x, pos[, freq_factors]: KV_WRITE(cache, ROPE(x, pos[, freq_factors]){rope attrs}, pos). */
    ROPE_KV_WRITE(-3),
    /** the concatenation of its operands along {axis} (static there, equal elsewhere): a Gemma 4 assistant's [embedding, hidden state]. */
    CONCAT(-2),

    // ---- placement and collectives (made by the split passes) ----
    // A placed graph gives every node {device: d} (0-based, an index into the run's device list); an op reads only
    // values on its own device, except these three, which read values of other devices. {split} records a value's
    // split state: absent = whole (replicated where it is computed on several devices), "partial" = one device's
    // share of a sum, "shard(a, o:e of n)" = elements o..e of axis a of a value n long there.
    /**
     * the sum of its operands (same type, f32, one partial sum per device, in device order) on {device}:
     * {reduce: f32|bf16|f16|q8_0} is the type they travel in: each operand is rounded to it first, and with bf16/f16
     * each running sum is rounded to it again (the sum of a reduction in that type), q8_0 sums in f32. One node per
     * receiving device; the nodes over the same operands are one collective (every device gets the same value).
     */
    ALL_REDUCE(-1),
    /** the concatenation of its operands (one shard per device, in device order) along {axis}, on {device}. */
    ALL_GATHER(-1),
    /** a copy of x, which lives on another device, on {device}. */
    TRANSFER(1);

    private final int arity;

    /** @param arity operand count; negative -n means variadic with at least n operands */
    OpKind(int arity) { this.arity = arity; }

    /** Operand count, or -n for variadic ops taking at least n. */
    public int arity() { return arity; }

    public boolean isVariadic() { return arity < 0; }

    /** Whether {@code n} operands are allowed. */
    public boolean acceptsOperands(int n) { return arity >= 0 ? n == arity : n >= -arity; }

    public boolean isLeaf() { return arity == 0; }

    /** Name in the textual IR, e.g. {@code rms_norm}. */
    public String irName() { return name().toLowerCase(Locale.ROOT); }

    public static OpKind fromIrName(String s) {
        for (OpKind k : values()) if (k.irName().equals(s)) return k;
        return null;
    }

    /** Ops computed element by element (fusable into one loop). */
    public static final Set<OpKind> ELEMENTWISE = EnumSet.of(ADD, MUL, SCALE, SILU, GELU);
    public static final Set<OpKind> COMMUTATIVE = EnumSet.of(ADD, MUL);
    public static final Set<OpKind> LEAVES = EnumSet.of(INPUT, PARAM, STATE, CONSTANT);
    /** Ops whose result type is declared, not inferred. */
    /** Ops made by fusion passes (a target declares which it implements). */
    public static final Set<OpKind> FUSED = EnumSet.of(NORM_MATMUL, GLU_MATMUL, NORM_GLU_MATMUL, MATMUL_ADD, ROPE_KV_WRITE, ATTENTION);
    /** Ops that read a weight matrix as their operand 1 (or more): matmul family. */
    public static final Set<OpKind> MATMUL_FAMILY = EnumSet.of(MATMUL, NORM_MATMUL, GLU_MATMUL, NORM_GLU_MATMUL, MATMUL_ADD);
    /** Ops that read values of other devices (a placed graph's communication). */
    public static final Set<OpKind> COLLECTIVES = EnumSet.of(ALL_REDUCE, ALL_GATHER, TRANSFER);
    public static final Set<OpKind> DECLARED_TYPE = EnumSet.of(INPUT, PARAM, STATE, CONSTANT, RESHAPE, KV_READ);
}
