package ggufc.lift;

import ggufc.gguf.GgufException;
import ggufc.gguf.GgufFile;
import ggufc.gguf.GgufTensorInfo;
import ggufc.ir.Attrs;
import ggufc.ir.DType;
import ggufc.ir.Graph;
import ggufc.ir.GraphBuilder;
import ggufc.ir.Node;
import ggufc.ir.OpKind;
import ggufc.ir.Shape;
import ggufc.ir.TensorType;
import java.util.Arrays;

/**
 * The shared blocks that architecture lifters are composed of, so that each architecture reads like
 * its diagram: {@link #start} (token embedding), {@link #rmsNorm}, {@link #attention} with its
 * {@link Attn options} (fused or separate QKV, biases, per-head q/k norm, RoPE mode, query
 * pre-scaling, sliding window, per-layer RoPE base), the FFN variants {@link #swiGlu}, {@link #fusedSwiGlu},
 * {@link #geGlu} and the mixture of experts {@link #moe}, {@link #residual}, and
 * {@link #finish} (final norm and output head). Each block checks the shapes of the tensors it
 * reads; a missing or misshaped tensor is one {@link GgufException} naming the file and tensor.
 *
 * <p>Node order is part of the contract: llama's graph is, node for node, the one the original
 * single-file lifter produced (its printed IR is unchanged).
 */
public final class Blocks {
    /** Per-head query/key normalization before RoPE (qwen3's q_norm/k_norm, RMS over the head dim). */
    public enum QkNorm { NONE, RMS }

    /**
     * How an architecture's attention reads and rotates Q and K.
     *
     * @param ropeMode {@code normal} (llama: adjacent pairs) or {@code neox} (pairs half a rotation apart)
     * @param qkNorm per-head q/k normalization before RoPE
     * @param preScaleQ scale Q by {@code qScale} before the dot products, attention scale 1 (phi3, gemma), instead
     *                  of scaling the scores
     * @param qScale the query scale; NaN: 1/sqrt(head dim)
     * @param window sliding window in keys (0: plain causal attention)
     * @param ropeBase RoPE frequency base of this layer; NaN: the file's {@code rope.freq_base}
     * @param ropeScale RoPE frequency scale of this layer; NaN: the file's (1 / linear scaling factor)
     * @param softcap attention logit soft-capping: scores become softcap * tanh(scores / softcap) before the mask (0: none; Gemma 2)
     * @param heads this layer's head geometry (null: the file's n_head, n_head_kv, key_length, rope.dimension_count)
     * @param ropeFactors the tensor of per-pair RoPE frequency divisors ({@code rope_freqs.weight}), or null
     * @param gemma4Kv Gemma 4's K/V: V is K's projection when the layer has no {@code attn_v} (V = K before K's
     *                 norm and RoPE), and V gets an RMS norm without weight
     * @param kvFrom the earlier layer whose KV cache this layer reads instead of computing its own (-1: its own)
     */
    public record Attn(String ropeMode, QkNorm qkNorm, boolean preScaleQ, double qScale, int window, double ropeBase, double ropeScale, double softcap,
                       Heads heads, String ropeFactors, boolean gemma4Kv, int kvFrom) {
        public Attn(String ropeMode, QkNorm qkNorm, boolean preScaleQ, double qScale, int window, double ropeBase, double ropeScale, double softcap) {
            this(ropeMode, qkNorm, preScaleQ, qScale, window, ropeBase, ropeScale, softcap, null, null, false, -1);
        }

        public Attn {
            if (softcap < 0) throw new IllegalArgumentException("softcap must be >= 0, got " + softcap);
            if (!ropeMode.equals("normal") && !ropeMode.equals("neox")) throw new IllegalArgumentException("rope mode must be normal or neox, got " + ropeMode);
            if (window < 0) throw new IllegalArgumentException("window must be >= 0, got " + window);
        }

        public static Attn rope(String mode) { return new Attn(mode, QkNorm.NONE, false, Double.NaN, 0, Double.NaN, Double.NaN, 0); }

        public Attn withQkNorm(QkNorm n) { return new Attn(ropeMode, n, preScaleQ, qScale, window, ropeBase, ropeScale, softcap, heads, ropeFactors, gemma4Kv, kvFrom); }

        public Attn withPreScaledQ() { return new Attn(ropeMode, qkNorm, true, qScale, window, ropeBase, ropeScale, softcap, heads, ropeFactors, gemma4Kv, kvFrom); }

        /** Q scaled by {@code scale} before the dot products (attention scale 1; a scale of exactly 1 adds no op). */
        public Attn withPreScaledQ(double scale) { return new Attn(ropeMode, qkNorm, true, scale, window, ropeBase, ropeScale, softcap, heads, ropeFactors, gemma4Kv, kvFrom); }

        /** Sliding-window attention over the last {@code w} keys (0: none). */
        public Attn withWindow(int w) { return new Attn(ropeMode, qkNorm, preScaleQ, qScale, w, ropeBase, ropeScale, softcap, heads, ropeFactors, gemma4Kv, kvFrom); }

        /** Scores soft-capped at {@code c} (cap * tanh(s / cap)) before the mask and softmax (0: none). */
        public Attn withSoftcap(double c) { return new Attn(ropeMode, qkNorm, preScaleQ, qScale, window, ropeBase, ropeScale, c, heads, ropeFactors, gemma4Kv, kvFrom); }

        /** This layer's RoPE frequency base and scale instead of the file's. */
        public Attn withRope(double base, double scale) { return new Attn(ropeMode, qkNorm, preScaleQ, qScale, window, base, scale, softcap, heads, ropeFactors, gemma4Kv, kvFrom); }

        /** This layer's own head geometry. */
        public Attn withHeads(Heads h) { return new Attn(ropeMode, qkNorm, preScaleQ, qScale, window, ropeBase, ropeScale, softcap, h, ropeFactors, gemma4Kv, kvFrom); }

        /** RoPE angles divided per pair by the tensor {@code tensor} ([n_rot/2] f32, llama.cpp's rope_freqs). */
        public Attn withRopeFactors(String tensor) { return new Attn(ropeMode, qkNorm, preScaleQ, qScale, window, ropeBase, ropeScale, softcap, heads, tensor, gemma4Kv, kvFrom); }

        /** Gemma 4's K/V (see {@link Attn}). */
        public Attn withGemma4Kv() { return new Attn(ropeMode, qkNorm, preScaleQ, qScale, window, ropeBase, ropeScale, softcap, heads, ropeFactors, true, kvFrom); }

        /** Reads layer {@code layer}'s KV cache instead of computing K and V (-1: its own). */
        public Attn withKvFrom(int layer) { return new Attn(ropeMode, qkNorm, preScaleQ, qScale, window, ropeBase, ropeScale, softcap, heads, ropeFactors, gemma4Kv, layer); }
    }

    /** One layer's attention geometry: query heads, KV heads, head size, rotated dims. */
    public record Heads(int nHead, int nHeadKv, int headDim, int nRot) {
        public int qDim() { return nHead * headDim; }

        public int kvDim() { return nHeadKv * headDim; }
    }

    private final GgufFile f;
    private final LlamaHparams hp;
    private final LlamaLifter.Options opt;
    private final GraphBuilder b;
    private final Node tokens, pos;
    private final java.util.Map<Integer, Node[]> caches = new java.util.HashMap<>();
    private Node x;

    private Blocks(GgufFile f, LlamaHparams hp, LlamaLifter.Options opt, String graphName, boolean embed) {
        this.f = f;
        this.hp = hp;
        this.opt = opt;
        this.b = new GraphBuilder(graphName);
        this.tokens = b.input(LlamaLifter.TOKENS, TensorType.of(DType.I32, LlamaLifter.T));
        this.pos = b.input(LlamaLifter.POSITIONS, TensorType.of(DType.I32, LlamaLifter.T));
        this.x = embed ? b.embed(weight("token_embd.weight", hp.vocab(), hp.nEmbd()), tokens) : null;
    }

    /** The inputs ({@code tokens[T]}, {@code pos[T]}) and the token embedding: the residual stream starts here. */
    public static Blocks start(GgufFile f, LlamaHparams hp, LlamaLifter.Options opt) { return new Blocks(f, hp, opt, hp.arch() + "_step", true); }

    /**
     * The inputs ({@code tokens[T]}, {@code pos[T]}) of graph {@code graphName} and no residual stream yet: the
     * caller makes it ({@link #startStream}) from what {@link #floatInput}, {@link #embedding}, {@link #concat}
     * and {@link #project} give (a drafter fed by its target).
     */
    public static Blocks startWithoutEmbedding(GgufFile f, LlamaHparams hp, LlamaLifter.Options opt, String graphName) { return new Blocks(f, hp, opt, graphName, false); }

    /** The residual stream is {@code x} from here. */
    public void startStream(Node x) { this.x = x; }

    /** An f32 input {@code [T, width]} named {@code name}. */
    public Node floatInput(String name, long width) { return b.input(name, TensorType.of(DType.F32, LlamaLifter.T, width)); }

    /**
     * The tokens' rows of tensor {@code tensor} ([vocab, width]) of another file {@code other}, bound as param
     * {@code boundAs} (so that it does not meet this file's tensor of the same name).
     */
    public Node embedding(GgufFile other, String tensor, String boundAs, long vocab, long width) {
        GgufTensorInfo t = other.tensor(tensor);
        if (t == null) throw new GgufException(other.path(), "missing tensor '" + tensor + "'");
        if (!Arrays.equals(t.irShape(), new long[] {vocab, width})) {
            throw new GgufException(other.path(), "tensor '" + tensor + "' has shape " + Arrays.toString(t.irShape()) + ", expected " + Arrays.toString(new long[] {vocab, width}));
        }
        DType dt = GgufWeights.irDType(t);
        Node p = b.param(boundAs, new TensorType(Shape.of(t.irShape()), dt));
        return b.embed(dt == DType.F32 ? p : b.dequant(p), tokens);
    }

    /** {@code a} and {@code c} side by side ([T, n] and [T, m] to [T, n + m]). */
    public Node concat(Node a, Node c) { return b.concat(1, a, c); }

    /** {@code v} times the matrix {@code name} ([out, in]). */
    public Node project(Node v, String name, long out, long in) { return b.matmul(v, weight(name, out, in)); }

    /**
     * {@code v} times the f32 matrix param {@code name} ([out, in]) that no file holds: whoever binds the graph's weights
     * gives it (a draft head fitted at load).
     */
    public Node projectUnfiled(Node v, String name, long out, long in) { return b.matmul(v, b.param(name, TensorType.of(DType.F32, out, in))); }

    /** RMS norm of {@code v} ([T, n_embd]) with no weight (a weight of ones). */
    public Node rmsNormUnweighted(Node v) { return b.rmsNorm(v, ones((int) hp.nEmbd()), hp.rmsEps()); }

    /** The rows of {@code v} the graph gives outputs for: all of them with {@code allLogits}, else the last. */
    public Node outputRows(Node v) { return opt.allLogits() ? v : b.lastRow(v); }

    /** {@code v * factor}. */
    public Node scale(Node v, double factor) { return b.scale(v, factor); }

    /**
     * Declares layer {@code layer}'s KV cache ({@code type}) as states that this graph reads and writes back unchanged:
     * another graph's (a target's), bound by name; an attention {@link Attn#withKvFrom reading layer} {@code layer} reads it.
     */
    public void readOnlyCache(int layer, TensorType type) {
        Node k = b.state(LlamaLifter.cacheK(layer), type), v = b.state(LlamaLifter.cacheV(layer), type);
        b.output(LlamaLifter.cacheK(layer), k);
        b.output(LlamaLifter.cacheV(layer), v);
        caches.put(layer, new Node[] {k, v});
    }

    /** Adds output {@code name}; returns the graph. */
    public Graph build(java.util.Map<String, Node> outputs) {
        outputs.forEach(b::output);
        return b.build();
    }

    public LlamaHparams hp() { return hp; }

    /** The residual stream. */
    public Node x() { return x; }

    /** {@code x += y}. */
    public void residual(Node y) { x = b.addOp(x, y); }

    /** RMS norm of {@code v} with the [n_embd] weight {@code name}. */
    public Node rmsNorm(Node v, String name) { return b.rmsNorm(v, weight(name, hp.nEmbd()), hp.rmsEps()); }

    private static String blk(int layer, String tensor) { return "blk." + layer + "." + tensor; }

    /**
     * Self-attention of layer {@code l} on the normed input {@code h}: Q, K, V from {@code attn_qkv}
     * (split into its three parts) when the file has it, else from {@code attn_q/k/v}; each plus its
     * bias when the file has one ({@code attn_qkv.bias} or {@code attn_q/k/v.bias}); per-head
     * q/k norm; RoPE; the K/V cache write; causal softmax attention over the cache (GQA); then
     * {@code attn_output}. Returns what is added to the residual stream.
     */
    public Node attention(int l, Node h, Attn a) {
        Heads hd = a.heads() != null ? a.heads() : new Heads(hp.nHead(), hp.nHeadKv(), hp.headDim(), hp.nRot());
        int nq = hd.qDim(), nkv = hd.kvDim();
        Node q, k, v;
        if (a.gemma4Kv()) {
            // Gemma 4: Q always; K and V only on layers with their own cache, V = K's projection when attn_v is absent
            q = b.matmul(h, weight(blk(l, "attn_q.weight"), nq, hp.nEmbd()));
            if (a.kvFrom() >= 0) {
                k = v = null;
            } else {
                k = b.matmul(h, weight(blk(l, "attn_k.weight"), nkv, hp.nEmbd()));
                v = f.hasTensor(blk(l, "attn_v.weight")) ? b.matmul(h, weight(blk(l, "attn_v.weight"), nkv, hp.nEmbd())) : k;
            }
        } else if (f.hasTensor(blk(l, "attn_qkv.weight"))) {
            Node qkv = b.matmul(h, weight(blk(l, "attn_qkv.weight"), nq + 2L * nkv, hp.nEmbd()));
            qkv = bias(qkv, blk(l, "attn_qkv.bias"), nq + 2L * nkv);
            q = split(qkv, 0, nq);
            k = split(qkv, nq, nkv);
            v = split(qkv, nq + nkv, nkv);
            q = bias(q, blk(l, "attn_q.bias"), nq);
            k = bias(k, blk(l, "attn_k.bias"), nkv);
            v = bias(v, blk(l, "attn_v.bias"), nkv);
        } else {
            q = bias(b.matmul(h, weight(blk(l, "attn_q.weight"), nq, hp.nEmbd())), blk(l, "attn_q.bias"), nq);
            k = bias(b.matmul(h, weight(blk(l, "attn_k.weight"), nkv, hp.nEmbd())), blk(l, "attn_k.bias"), nkv);
            v = bias(b.matmul(h, weight(blk(l, "attn_v.weight"), nkv, hp.nEmbd())), blk(l, "attn_v.bias"), nkv);
        }
        q = b.reshape(q, Shape.of(LlamaLifter.T, hd.nHead(), hd.headDim()));
        if (k != null) {
            boolean vIsK = v == k;
            k = b.reshape(k, Shape.of(LlamaLifter.T, hd.nHeadKv(), hd.headDim()));
            v = vIsK ? k : b.reshape(v, Shape.of(LlamaLifter.T, hd.nHeadKv(), hd.headDim()));
        }
        if (a.qkNorm() == QkNorm.RMS) {
            q = b.rmsNorm(q, weight(blk(l, "attn_q_norm.weight"), hd.headDim()), hp.rmsEps());
            if (k != null) k = b.rmsNorm(k, weight(blk(l, "attn_k_norm.weight"), hd.headDim()), hp.rmsEps());
        }
        if (a.gemma4Kv() && v != null) v = b.rmsNorm(v, ones(hd.headDim()), hp.rmsEps());
        double base = Double.isNaN(a.ropeBase()) ? hp.ropeFreqBase() : a.ropeBase();
        double fscale = Double.isNaN(a.ropeScale()) ? hp.ropeFreqScale() : a.ropeScale();
        Node factors = a.ropeFactors() == null ? null : weight(a.ropeFactors(), hd.nRot() / 2);
        q = b.rope(q, pos, a.ropeMode(), hd.nRot(), base, fscale, factors);
        if (k != null) k = b.rope(k, pos, a.ropeMode(), hd.nRot(), base, fscale, factors);
        double scale = 1.0 / Math.sqrt(hd.headDim());
        if (a.preScaleQ()) {
            double qs = Double.isNaN(a.qScale()) ? scale : a.qScale();
            if (qs != 1.0) q = b.scale(q, qs);
            scale = 1.0;
        }
        Node kCache, vCache;
        if (a.kvFrom() >= 0) {
            Node[] shared = caches.get(a.kvFrom());
            if (shared == null) throw new IllegalStateException("layer " + l + " reads layer " + a.kvFrom() + "'s KV cache before it is written");
            kCache = shared[0];
            vCache = shared[1];
            if (!kCache.shape().dim(1).equals(ggufc.ir.Dim.of(hd.nHeadKv())) || !kCache.shape().dim(2).equals(ggufc.ir.Dim.of(hd.headDim()))) {
                throw new GgufException(f.path(), "layer " + l + " shares layer " + a.kvFrom() + "'s KV cache " + kCache.shape() + " but has " + hd.nHeadKv()
                        + " KV heads of " + hd.headDim());
            }
        } else {
            TensorType cacheType = TensorType.of(opt.kvType(), opt.ctx(), hd.nHeadKv(), hd.headDim());
            kCache = b.kvWrite(b.state(LlamaLifter.cacheK(l), cacheType), k, pos);
            vCache = b.kvWrite(b.state(LlamaLifter.cacheV(l), cacheType), v, pos);
            b.output(LlamaLifter.cacheK(l), kCache);
            b.output(LlamaLifter.cacheV(l), vCache);
            caches.put(l, new Node[] {kCache, vCache});
        }
        Node scores = b.attnScores(q, b.kvRead(kCache, LlamaLifter.L), scale);
        if (a.softcap() > 0) scores = b.softcap(scores, a.softcap());
        Node probs = b.softmax(b.causalMask(scores, pos, a.window()));
        Node attn = b.attnValues(probs, b.kvRead(vCache, LlamaLifter.L));
        attn = b.reshape(attn, Shape.of(LlamaLifter.T, nq));
        return b.matmul(attn, weight(blk(l, "attn_output.weight"), hp.nEmbd(), nq));
    }

    /** SwiGLU FFN of layer {@code l} with separate gate and up matrices: {@code down(silu(gate(h)) * up(h))}. */
    public Node swiGlu(int l, Node h) {
        Node gate = b.silu(b.matmul(h, weight(blk(l, "ffn_gate.weight"), hp.nFf(), hp.nEmbd())));
        Node up = b.matmul(h, weight(blk(l, "ffn_up.weight"), hp.nFf(), hp.nEmbd()));
        return b.matmul(b.mul(gate, up), weight(blk(l, "ffn_down.weight"), hp.nEmbd(), hp.nFf()));
    }

    /** GeGLU FFN of layer {@code l} (gemma): {@code down(gelu(gate(h)) * up(h))}, GELU in ggml's tanh approximation. */
    public Node geGlu(int l, Node h) { return geGlu(l, h, hp.nFf()); }

    /** {@link #geGlu(int, Node)} with this layer's FFN length {@code nFf}. */
    public Node geGlu(int l, Node h, int nFf) {
        Node gate = b.gelu(b.matmul(h, weight(blk(l, "ffn_gate.weight"), nFf, hp.nEmbd())));
        Node up = b.matmul(h, weight(blk(l, "ffn_up.weight"), nFf, hp.nEmbd()));
        return b.matmul(b.mul(gate, up), weight(blk(l, "ffn_down.weight"), hp.nEmbd(), nFf));
    }

    /**
     * Per-layer inputs of Gemma 4's E-models, [T, L * P] (layer l's are columns l*P .. l*P+P):
     * ({@code per_layer_token_embd}[token] x sqrt(P) + rms_norm({@code per_layer_model_proj}(x) x
     * 1/sqrt(n_embd), {@code per_layer_proj_norm})) x 1/sqrt(2), x the residual stream now (the
     * scaled embeddings), the norm over each layer's P values.
     */
    public Node perLayerInputs(int p) {
        int nl = hp.nLayer();
        long width = (long) p * nl;
        Node tok = b.scale(b.embed(weight("per_layer_token_embd.weight", hp.vocab(), width), tokens), (float) Math.sqrt((float) p));
        Node proj = b.scale(b.matmul(x, weight("per_layer_model_proj.weight", width, hp.nEmbd())), 1.0f / (float) Math.sqrt((float) hp.nEmbd()));
        proj = b.rmsNorm(b.reshape(proj, Shape.of(LlamaLifter.T, nl, p)), weight("per_layer_proj_norm.weight", p), hp.rmsEps());
        Node sum = b.scale(b.addOp(proj, b.reshape(tok, Shape.of(LlamaLifter.T, nl, p))), 1.0f / (float) Math.sqrt(2.0f));
        return b.reshape(sum, Shape.of(LlamaLifter.T, width));
    }

    /**
     * Layer {@code l}'s per-layer embedding (Gemma 4 E-models), added to the stream by the caller:
     * {@code post_norm(proj(gelu(inp_gate(x)) * inputs[:, l*P : l*P+P]))}.
     */
    public Node perLayerEmbedding(int l, int p, Node inputs) {
        Node gate = b.gelu(b.matmul(x, weight(blk(l, "inp_gate.weight"), p, hp.nEmbd())));
        Node mixed = b.mul(gate, split(inputs, (long) l * p, p));
        Node out = b.matmul(mixed, weight(blk(l, "proj.weight"), hp.nEmbd(), p));
        return rmsNorm(out, blk(l, "post_norm.weight"));
    }

    /**
     * The mixture-of-experts hyperparameters of a file ({@code {arch}.expert_count},
     * {@code expert_used_count}, {@code expert_feed_forward_length} (default: feed_forward_length /
     * expert_used_count, as llama.cpp), {@code expert_weights_scale} (0 when absent: none)).
     */
    public record Experts(int count, int used, int nFf, double weightsScale) {
        /** Reads and checks the keys: at least one expert, 1 .. count of them per token; one {@link GgufException} naming the key otherwise. */
        public static Experts read(GgufFile f, LlamaHparams hp) {
            String a = hp.arch();
            String countKey = a + ".expert_count", usedKey = a + ".expert_used_count", ffKey = a + ".expert_feed_forward_length";
            long count = LlamaHparams.wholeKey(f, countKey), used = LlamaHparams.wholeKey(f, usedKey);
            if (count < 1 || count > 1 << 16) throw new GgufException(f.path(), "'" + countKey + "' is " + count + ": " + a + " needs 1 .. 65536 experts");
            if (used < 1 || used > count) throw new GgufException(f.path(), "'" + usedKey + "' is " + used + ", must be in 1 .. " + count + " (the expert count)");
            long ff = f.has(ffKey) ? LlamaHparams.wholeKey(f, ffKey) : hp.nFf() / used;
            if (ff < 1 || ff > Integer.MAX_VALUE) throw new GgufException(f.path(), "'" + ffKey + "' is " + ff + ", must be a positive whole number below 2^31");
            String scaleKey = a + ".expert_weights_scale";
            double scale = f.getDouble(scaleKey, 0.0);
            if (!Double.isFinite(scale)) throw new GgufException(f.path(), "'" + scaleKey + "' is " + scale + ", must be a finite number");
            return new Experts((int) count, (int) used, (int) ff, scale);
        }
    }

    /**
     * How a mixture-of-experts FFN computes (llama.cpp's {@code build_moe_ffn} with softmax gating).
     *
     * @param act the gated activation of the experts: {@code silu} (SwiGLU) or {@code gelu} (GeGLU)
     * @param normW renormalize the selected experts' weights to sum 1 (sum clamped below at 2^-14, as llama.cpp)
     * @param weightsScale multiply the weights by this (0 or 1: no scaling)
     */
    public record Moe(String act, boolean normW, double weightsScale) {
        public Moe {
            if (!act.equals("silu") && !act.equals("gelu")) throw new IllegalArgumentException("act must be silu or gelu, got " + act);
        }
    }

    /** llama.cpp's clamp of the selected weights' sum: the smallest normal f16. */
    public static final double MOE_MIN_WEIGHT_SUM = 6.103515625e-5;

    /**
     * The mixture-of-experts FFN of layer {@code l}: router logits {@code ffn_gate_inp · router}
     * ([T, n_expert]; the caller picks the router's input, usually {@code h}), softmax, the
     * {@code used} most probable experts (top-k), their probabilities as weights (renormalized and
     * scaled as {@code m} says), then each selected expert's gated FFN on {@code h}:
     * {@code down_e(act(gate_e(h)) * up_e(h))}, with gate and up from {@code ffn_gate_up_exps}
     * ([E, 2 n_ff_exp, n_embd], gate first) when the file has it, else {@code ffn_gate_exps} and
     * {@code ffn_up_exps}; each expert's products times its {@code ffn_gate_exps.scale[e]},
     * {@code ffn_up_exps.scale[e]} (the merged gate/up product: the up scale) and
     * {@code ffn_down_exps.scale[e]} when the file has them (llama.cpp loads these optional scales for
     * every architecture); and the weighted sum over the selected experts (in selection order).
     */
    public Node moe(int l, Node h, Node router, Experts e, Moe m) {
        long n = hp.nEmbd(), ff = e.nFf(), ne = e.count();
        Node logits = b.matmul(router, expertWeight(e, blk(l, "ffn_gate_inp.weight"), ne, n));
        Node probs = b.softmax(logits);
        Node ids = b.topk(probs, e.used());
        Node w = b.takeAlong(probs, ids);
        if (m.normW()) w = b.sumNormalize(w, MOE_MIN_WEIGHT_SUM);
        if (m.weightsScale() != 0 && m.weightsScale() != 1) w = b.scale(w, m.weightsScale());
        Node gate, up;
        if (f.hasTensor(blk(l, "ffn_gate_up_exps.weight"))) {
            // llama.cpp scales the merged product by the up scale
            Node gu = expertMatmul(l, h, expertWeight(e, blk(l, "ffn_gate_up_exps.weight"), ne, 2 * ff, n), ids, "ffn_up_exps.scale", ne);
            gate = split(gu, 0, ff);
            up = split(gu, ff, ff);
        } else {
            gate = expertMatmul(l, h, expertWeight(e, blk(l, "ffn_gate_exps.weight"), ne, ff, n), ids, "ffn_gate_exps.scale", ne);
            up = expertMatmul(l, h, expertWeight(e, blk(l, "ffn_up_exps.weight"), ne, ff, n), ids, "ffn_up_exps.scale", ne);
        }
        Node act = m.act().equals("silu") ? b.silu(gate) : b.gelu(gate);
        Node y = expertMatmul(l, b.mul(act, up), expertWeight(e, blk(l, "ffn_down_exps.weight"), ne, n, ff), ids, "ffn_down_exps.scale", ne);
        return b.weightedSum(y, w);
    }

    /**
     * Gemma 4's router input for layer {@code l}: {@code rms_norm(x)} without a weight, times
     * 1/sqrt(n_embd), times {@code ffn_gate_inp.scale} ([n_embd]), as llama.cpp's gemma4.cpp.
     */
    public Node scaledRouterInput(int l, Node x) {
        Node r = b.scale(b.rmsNorm(x, ones(hp.nEmbd()), hp.rmsEps()), 1.0f / (float) Math.sqrt((float) hp.nEmbd()));
        return b.mul(r, weight(blk(l, "ffn_gate_inp.scale"), hp.nEmbd()));
    }

    /** {@code a + c} (two branches that join before a norm, as Gemma 4's dense and expert FFNs). */
    public Node add(Node a, Node c) { return b.addOp(a, c); }

    /** {@code matmul_id(x, w, ids)}, times the per-expert scale {@code blk.l.scaleTensor} ([n_expert]) when the file has it (llama.cpp's build_lora_mm_id). */
    private Node expertMatmul(int l, Node x, Node w, Node ids, String scaleTensor, long nExpert) {
        String s = blk(l, scaleTensor);
        return f.hasTensor(s) ? b.matmulId(x, w, ids, weight(s, nExpert)) : b.matmulId(x, w, ids);
    }

    /** {@link #weight}, with a missing tensor reported against the file's declared experts. */
    private Node expertWeight(Experts e, String name, long... shape) {
        if (b.graphParam(name) == null && !f.hasTensor(name)) {
            throw new GgufException(f.path(), "missing tensor '" + name + "' ('" + hp.arch() + ".expert_count' declares " + e.count() + " experts)");
        }
        return weight(name, shape);
    }

    /** {@code x *= factor} (gemma's embedding scale by sqrt(n_embd)). */
    public void scaleStream(double factor) { x = b.scale(x, factor); }

    /**
     * SwiGLU FFN of layer {@code l} whose {@code ffn_up} holds gate and up stacked ([2 n_ff, n_embd],
     * gate first, as ggml_swiglu splits it): {@code down(silu(u[:F]) * u[F:])} with {@code u = up(h)}.
     */
    public Node fusedSwiGlu(int l, Node h) {
        int ff = hp.nFf();
        Node u = b.matmul(h, weight(blk(l, "ffn_up.weight"), 2L * ff, hp.nEmbd()));
        Node gate = b.silu(split(u, 0, ff));
        Node up = split(u, ff, ff);
        return b.matmul(b.mul(gate, up), weight(blk(l, "ffn_down.weight"), hp.nEmbd(), ff));
    }

    /**
     * Final RMS norm and output head ({@code output.weight}, or the tied embedding), plus
     * {@code output.bias} when {@code outputBias} and the file has one; outputs {@code logits} (every
     * position or the last) and {@code hidden}, and returns the graph.
     */
    public Graph finish(boolean outputBias) { return finish(outputBias, 0); }

    /** {@link #finish(boolean)} with the logits soft-capped at {@code softcap} (cap * tanh(logits / cap); 0: none; Gemma 2). */
    public Graph finish(boolean outputBias, double softcap) {
        if (!opt.allLogits()) x = b.lastRow(x);
        Node hidden = rmsNorm(x, "output_norm.weight");
        String out = hp.tiedOutput() ? "token_embd.weight" : "output.weight";
        Node logits = b.matmul(hidden, weight(out, hp.vocab(), hp.nEmbd()));
        if (outputBias) logits = bias(logits, "output.bias", hp.vocab());
        if (softcap > 0) logits = b.softcap(logits, softcap);
        b.output(LlamaLifter.LOGITS, logits);
        b.output(LlamaLifter.HIDDEN, hidden);
        return b.build();
    }

    /** Fails with one line naming the file if the file has {@code tensor} (a feature this lifter refuses). */
    public void refuseTensor(String tensor, String why) {
        if (f.hasTensor(tensor)) throw new GgufException(f.path(), "tensor '" + tensor + "': " + why);
    }

    /** A constant [n] of ones: the weight of an RMS norm that has none. */
    private Node ones(int n) {
        return b.constant(TensorType.of(DType.F32, (long) n), java.util.Collections.nCopies(n, 1.0));
    }

    private Node split(Node v, long offset, long size) { return b.add(OpKind.SPLIT, Attrs.of("offset", offset, "size", size), v); }

    /** {@code v + name} (broadcast over rows) if the file has the bias {@code name} ([n]), else {@code v}. */
    private Node bias(Node v, String name, long n) {
        return f.hasTensor(name) ? b.addOp(v, weight(name, n)) : v;
    }

    /**
     * Declares param {@code name} with its file dtype after checking its shape (IR order), and
     * returns it as f32: quantized and half weights go through an explicit DEQUANT, which the
     * fold-quant-dequant pass later folds into the consuming op.
     */
    private Node weight(String name, long... shape) {
        Node existing = b.graphParam(name);
        if (existing != null) return existing.dtype() == DType.F32 ? existing : b.dequantOf(existing);
        GgufTensorInfo t = f.tensor(name);
        if (t == null) throw new GgufException(f.path(), "missing tensor '" + name + "'");
        long[] s = t.irShape();
        if (!Arrays.equals(s, shape)) {
            throw new GgufException(f.path(), "tensor '" + name + "' has shape " + Arrays.toString(s) + ", expected " + Arrays.toString(shape));
        }
        DType dt = GgufWeights.irDType(t);
        if (!dt.isFloat() && !dt.isQuantized()) {
            throw new GgufException(f.path(), "tensor '" + name + "' is " + t.ggmlType() + ", an integer type, which cannot hold weights (expected F32, F16, BF16 or a quantized type)");
        }
        Node p = b.param(name, new TensorType(Shape.of(s), dt));
        return dt == DType.F32 ? p : b.dequant(p);
    }
}
