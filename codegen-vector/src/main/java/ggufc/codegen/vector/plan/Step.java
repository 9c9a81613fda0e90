package ggufc.codegen.vector.plan;

import com.palantir.javapoet.CodeBlock;
import ggufc.codegen.vector.kernels.MatMul;
import ggufc.codegen.vector.kernels.Moe;
import ggufc.codegen.vector.kernels.Ops;
import ggufc.codegen.vector.kernels.Packed;
import ggufc.ir.DType;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * One kernel call of a lowered step graph: the closed list of what the vector target executes.
 * Operands are numbered slots (f32 activation buffers), weights, KV caches and i32 inputs of a
 * {@link Plan}. Each step both runs itself ({@link #exec}, used by {@link PlanExecutor}) and
 * renders itself as a Java statement with its shapes as literals ({@link #emit}, used by the code
 * generator), so the two backends cannot drift apart.
 */
public sealed interface Step {
    void exec(Frame f);

    CodeBlock emit(Emit e);

    /** Slots read (for liveness). */
    List<Integer> reads();

    /** Human-readable one-liner for plan dumps. */
    String describe();

    private static CodeBlock dt(DType t) { return CodeBlock.of("$T.$L", DType.class, t.name()); }

    private static CodeBlock slotOrNull(Emit e, int s) { return s < 0 ? CodeBlock.of("null") : e.slot(s); }

    /** Rows {@code ids} of an embedding table {@code [V, D]}. */
    record Embed(int weight, DType dtype, int V, int D, int ids, int out) implements Step {
        public void exec(Frame f) { Ops.embed(dtype, f.weights[weight], V, D, f.inputs[ids], f.T, f.slots[out], 0); }
        public CodeBlock emit(Emit e) {
            return CodeBlock.of("$T.embed($L, $L, $L, $L, $L, $L, $L, 0)", Ops.class, dt(dtype), e.weight(weight), V, D, e.input(ids), e.tokens(), e.slot(out));
        }
        public List<Integer> reads() { return List.of(); }
        public String describe() { return "s" + out + " = embed(w" + weight + " " + dtype + " [" + V + "x" + D + "], in" + ids + ")"; }
    }

    record RmsNorm(int x, int weight, int D, float eps, Size rows, int out) implements Step {
        public void exec(Frame f) { Ops.rmsNorm(f.slots[x], 0, f.weights[weight], D, eps, rows.eval(f.T), f.slots[out], 0); }
        public CodeBlock emit(Emit e) {
            return CodeBlock.of("$T.rmsNorm($L, 0, $L, $L, $Lf, $L, $L, 0)", Ops.class, e.slot(x), e.weight(weight), D, Float.toString(eps), rows.code(e.tokens()), e.slot(out));
        }
        public List<Integer> reads() { return List.of(x); }
        public String describe() { return "s" + out + " = rms_norm(s" + x + ", w" + weight + ") rows " + rows; }
    }

    /** {@code out[:, col : col + N] (row stride outStride) = x . w^T (+ res)}. */
    record MatMulStep(int x, DType act, int weight, DType dtype, int K, int N, Size tokens, int out, int outCol, int outStride, int res) implements Step {
        public void exec(Frame f) {
            MatMul.matmul(f.pool, dtype, act, f.weights[weight], K, N, f.slots[x], 0, tokens.eval(f.T), f.slots[out], outCol, outStride,
                    res < 0 ? null : f.slots[res], outCol);
        }
        public CodeBlock emit(Emit e) {
            return CodeBlock.of("$T.matmul($L, $L, $L, $L, $L, $L, $L, 0, $L, $L, $L, $L, $L, $L)", MatMul.class, e.pool(), dt(dtype), dt(act), e.weight(weight), K, N,
                    e.slot(x), tokens.code(e.tokens()), e.slot(out), outCol, outStride, slotOrNull(e, res), outCol);
        }
        public List<Integer> reads() { return res < 0 ? List.of(x) : List.of(x, res); }
        public String describe() {
            return "s" + out + (outCol != 0 || outStride != N ? "[:, " + outCol + ":" + (outCol + N) + "]" : "") + " = matmul(" + (act == DType.F32 ? "" : act.irName() + " ") + "s" + x + ", w" + weight + " " + dtype + " [" + N + "x" + K + "])"
                    + (res < 0 ? "" : " + s" + res) + " tokens " + tokens;
        }
    }

    /** {@code out = act(x . wg^T) * (x . wu^T)}. */
    record Glu(int x, DType act, int gate, DType gateType, int up, DType upType, int K, int N, Size tokens, boolean gelu, int out) implements Step {
        public void exec(Frame f) {
            MatMul.glu(f.pool, gateType, f.weights[gate], upType, f.weights[up], act, K, N, f.slots[x], 0, tokens.eval(f.T), f.slots[out], 0, gelu);
        }
        public CodeBlock emit(Emit e) {
            return CodeBlock.of("$T.glu($L, $L, $L, $L, $L, $L, $L, $L, $L, 0, $L, $L, 0, $L)", MatMul.class, e.pool(), dt(gateType), e.weight(gate), dt(upType), e.weight(up), dt(act),
                    K, N, e.slot(x), tokens.code(e.tokens()), e.slot(out), gelu);
        }
        public List<Integer> reads() { return List.of(x); }
        public String describe() { return "s" + out + " = " + (gelu ? "gelu" : "silu") + "(s" + x + " . w" + gate + ") * (s" + x + " . w" + up + ") [" + N + "x" + K + "] tokens " + tokens; }
    }

    /** {@link MatMulStep} on a packed f32 weight ({@link ggufc.codegen.vector.kernels.Packed}). */
    record PackedMatMul(int x, DType act, int weight, int K, int N, Size tokens, int out, int outCol, int outStride, int res) implements Step {
        public void exec(Frame f) {
            Packed.matmul(f.pool, f.packed[weight], act, K, N, f.slots[x], 0, tokens.eval(f.T), f.slots[out], outCol, outStride, res < 0 ? null : f.slots[res], outCol);
        }
        public CodeBlock emit(Emit e) {
            return CodeBlock.of("$T.matmul($L, $L, $L, $L, $L, $L, 0, $L, $L, $L, $L, $L, $L)", Packed.class, e.pool(), e.packed(weight), dt(act), K, N, e.slot(x),
                    tokens.code(e.tokens()), e.slot(out), outCol, outStride, slotOrNull(e, res), outCol);
        }
        public List<Integer> reads() { return res < 0 ? List.of(x) : List.of(x, res); }
        public String describe() {
            return "s" + out + (outCol != 0 || outStride != N ? "[:, " + outCol + ":" + (outCol + N) + "]" : "") + " = matmul(" + (act == DType.F32 ? "" : act.irName() + " ") + "s" + x + ", p" + weight + " [" + N + "x" + K + "])"
                    + (res < 0 ? "" : " + s" + res) + " tokens " + tokens;
        }
    }

    /** {@link Glu} on packed f32 weights. */
    record PackedGlu(int x, DType act, int gate, int up, int K, int N, Size tokens, boolean gelu, int out) implements Step {
        public void exec(Frame f) { Packed.glu(f.pool, f.packed[gate], f.packed[up], act, K, N, f.slots[x], 0, tokens.eval(f.T), f.slots[out], 0, gelu); }
        public CodeBlock emit(Emit e) {
            return CodeBlock.of("$T.glu($L, $L, $L, $L, $L, $L, $L, 0, $L, $L, 0, $L)", Packed.class, e.pool(), e.packed(gate), e.packed(up), dt(act), K, N, e.slot(x),
                    tokens.code(e.tokens()), e.slot(out), gelu);
        }
        public List<Integer> reads() { return List.of(x); }
        public String describe() {
            return "s" + out + " = " + (gelu ? "gelu" : "silu") + "(" + (act == DType.F32 ? "" : act.irName() + " ") + "s" + x + " . p" + gate + ") * (s" + x + " . p" + up + ") [" + N + "x" + K + "] tokens " + tokens;
        }
    }

    /** {@code factors}: the f32 weight of per-pair frequency divisors, or -1. */
    record Rope(int x, int pos, Size tokens, int H, int Dh, int nRot, boolean neox, float base, float scale, int factors, int out) implements Step {
        public void exec(Frame f) {
            Ops.rope(f.slots[x], 0, f.inputs[pos], tokens.eval(f.T), H, Dh, nRot, neox, base, scale, factors < 0 ? null : f.weights[factors], f.slots[out], 0);
        }
        public CodeBlock emit(Emit e) {
            return CodeBlock.of("$T.rope($L, 0, $L, $L, $L, $L, $L, $L, $Lf, $Lf, $L, $L, 0)", Ops.class, e.slot(x), e.input(pos), tokens.code(e.tokens()), H, Dh, nRot, neox,
                    Float.toString(base), Float.toString(scale), factors < 0 ? CodeBlock.of("null") : e.weight(factors), e.slot(out));
        }
        public List<Integer> reads() { return List.of(x); }
        public String describe() { return "s" + out + " = rope(s" + x + ", in" + pos + (factors < 0 ? "" : ", w" + factors) + ") " + (neox ? "neox" : "normal") + " " + H + "x" + Dh; }
    }

    record KvWrite(int cache, boolean half, int rowLen, int x, int pos, Size tokens) implements Step {
        public void exec(Frame f) { Ops.kvWrite(f.caches[cache], half, f.capacity, rowLen, f.slots[x], 0, f.inputs[pos], tokens.eval(f.T)); }
        public CodeBlock emit(Emit e) {
            return CodeBlock.of("$T.kvWrite($L, $L, $L, $L, $L, 0, $L, $L)", Ops.class, e.cache(cache), half, e.capacity(), rowLen, e.slot(x), e.input(pos), tokens.code(e.tokens()));
        }
        public List<Integer> reads() { return List.of(x); }
        public String describe() { return "c" + cache + "[in" + pos + "] = s" + x; }
    }

    /** {@code window}: sliding window in keys, 0 for plain causal attention. */
    record Attention(int q, int k, int v, boolean half, int pos, Size tokens, int H, int Hkv, int Dh, float scale, int window, float softcap, int out) implements Step {
        public void exec(Frame f) {
            Ops.attention(f.pool, f.slots[q], 0, f.caches[k], f.caches[v], half, f.inputs[pos], tokens.eval(f.T), f.L, H, Hkv, Dh, scale, window, softcap, f.slots[out], 0);
        }
        public CodeBlock emit(Emit e) {
            if (softcap > 0) {
                return CodeBlock.of("$T.attention($L, $L, 0, $L, $L, $L, $L, $L, $L, $L, $L, $L, $Lf, $L, $Lf, $L, 0)", Ops.class, e.pool(), e.slot(q), e.cache(k), e.cache(v), half, e.input(pos),
                        tokens.code(e.tokens()), e.length(), H, Hkv, Dh, Float.toString(scale), window, Float.toString(softcap), e.slot(out));
            }
            return CodeBlock.of("$T.attention($L, $L, 0, $L, $L, $L, $L, $L, $L, $L, $L, $L, $Lf, $L, $L, 0)", Ops.class, e.pool(), e.slot(q), e.cache(k), e.cache(v), half, e.input(pos),
                    tokens.code(e.tokens()), e.length(), H, Hkv, Dh, Float.toString(scale), window, e.slot(out));
        }
        public List<Integer> reads() { return List.of(q); }
        public String describe() {
            return "s" + out + " = attention(s" + q + ", c" + k + ", c" + v + ") " + H + "/" + Hkv + " heads x " + Dh + (window > 0 ? " window " + window : "")
                    + (softcap > 0 ? " softcap " + softcap : "");
        }
    }

    /** {@code out[i] = a[i] op b[i % m]}. */
    record Binary(boolean add, int a, int b, Size m, Size n, int out) implements Step {
        public void exec(Frame f) {
            if (add) Ops.add(f.slots[a], 0, f.slots[b], 0, m.eval(f.T), n.eval(f.T), f.slots[out], 0);
            else Ops.mul(f.slots[a], 0, f.slots[b], 0, m.eval(f.T), n.eval(f.T), f.slots[out], 0);
        }
        public CodeBlock emit(Emit e) {
            return CodeBlock.of("$T.$L($L, 0, $L, 0, $L, $L, $L, 0)", Ops.class, add ? "add" : "mul", e.slot(a), e.slot(b), m.code(e.tokens()), n.code(e.tokens()), e.slot(out));
        }
        public List<Integer> reads() { return List.of(a, b); }
        public String describe() { return "s" + out + " = s" + a + (add ? " + " : " * ") + "s" + b + " (" + n + ")"; }
    }

    /** {@code out = a + w} or {@code a * w}, the f32 weight {@code w} of {@code m} values broadcast over {@code n} elements (a bias). */
    record BinaryWeight(boolean add, int a, int weight, int m, Size n, int out) implements Step {
        public void exec(Frame f) { Ops.binaryWeight(!add, f.slots[a], 0, f.weights[weight], m, n.eval(f.T), f.slots[out], 0); }
        public CodeBlock emit(Emit e) {
            return CodeBlock.of("$T.binaryWeight($L, $L, 0, $L, $L, $L, $L, 0)", Ops.class, !add, e.slot(a), e.weight(weight), m, n.code(e.tokens()), e.slot(out));
        }
        public List<Integer> reads() { return List.of(a); }
        public String describe() { return "s" + out + " = s" + a + (add ? " + w" : " * w") + weight + " (" + n + ")"; }
    }

    enum UnaryOp { SCALE, SILU, GELU, SOFTCAP }

    record Unary(UnaryOp op, int x, float factor, Size n, int out) implements Step {
        public void exec(Frame f) {
            switch (op) {
                case SCALE -> Ops.scale(f.slots[x], 0, factor, n.eval(f.T), f.slots[out], 0);
                case SILU -> Ops.silu(f.slots[x], 0, n.eval(f.T), f.slots[out], 0);
                case GELU -> Ops.gelu(f.slots[x], 0, n.eval(f.T), f.slots[out], 0);
                case SOFTCAP -> Ops.softcap(f.slots[x], 0, factor, n.eval(f.T), f.slots[out], 0);
            }
        }
        public CodeBlock emit(Emit e) {
            return switch (op) {
                case SCALE -> CodeBlock.of("$T.scale($L, 0, $Lf, $L, $L, 0)", Ops.class, e.slot(x), Float.toString(factor), n.code(e.tokens()), e.slot(out));
                case SOFTCAP -> CodeBlock.of("$T.softcap($L, 0, $Lf, $L, $L, 0)", Ops.class, e.slot(x), Float.toString(factor), n.code(e.tokens()), e.slot(out));
                case SILU, GELU -> CodeBlock.of("$T.$L($L, 0, $L, $L, 0)", Ops.class, op == UnaryOp.SILU ? "silu" : "gelu", e.slot(x), n.code(e.tokens()), e.slot(out));
            };
        }
        public List<Integer> reads() { return List.of(x); }
        public String describe() { return "s" + out + " = " + op.name().toLowerCase() + "(s" + x + ")"; }
    }

    record Softmax(int x, int D, Size rows, int out) implements Step {
        public void exec(Frame f) { Ops.softmax(f.slots[x], 0, D, rows.eval(f.T), f.slots[out], 0); }
        public CodeBlock emit(Emit e) { return CodeBlock.of("$T.softmax($L, 0, $L, $L, $L, 0)", Ops.class, e.slot(x), D, rows.code(e.tokens()), e.slot(out)); }
        public List<Integer> reads() { return List.of(x); }
        public String describe() { return "s" + out + " = softmax(s" + x + ")"; }
    }

    /** The last of {@code rows} rows of {@code D}. */
    record LastRow(int x, int D, Size rows, int out) implements Step {
        public void exec(Frame f) { Ops.copy(f.slots[x], (rows.eval(f.T) - 1) * D, f.slots[out], 0, D); }
        public CodeBlock emit(Emit e) {
            return CodeBlock.of("$T.copy($L, ($L - 1) * $L, $L, 0, $L)", Ops.class, e.slot(x), rows.code(e.tokens()), D, e.slot(out), D);
        }
        public List<Integer> reads() { return List.of(x); }
        public String describe() { return "s" + out + " = last_row(s" + x + ")"; }
    }

    /** Columns {@code [col, col + width)} of rows of {@code stride}. */
    record Slice(int x, int stride, int col, int width, Size rows, int out) implements Step {
        public void exec(Frame f) { Ops.sliceColumns(f.slots[x], 0, stride, col, width, rows.eval(f.T), f.slots[out], 0); }
        public CodeBlock emit(Emit e) {
            return CodeBlock.of("$T.sliceColumns($L, 0, $L, $L, $L, $L, $L, 0)", Ops.class, e.slot(x), stride, col, width, rows.code(e.tokens()), e.slot(out));
        }
        public List<Integer> reads() { return List.of(x); }
        public String describe() { return "s" + out + " = s" + x + "[:, " + col + ":" + (col + width) + "]"; }
    }

    /**
     * {@code out = dequant(quantize(x, to))}: what a matmul with a quantized activation computes
     * (the activation's rounding), so such graphs run exactly; see {@link ggufc.codegen.vector.kernels.ActQuant#roundTrip}.
     */
    record QuantRoundTrip(int x, DType to, Size n, int out) implements Step {
        public void exec(Frame f) { roundTrip(f.slots[x], to, n.eval(f.T), f.slots[out]); }
        public CodeBlock emit(Emit e) {
            return CodeBlock.of("$T.roundTrip($L, $L, $L, $L)", Step.class, e.slot(x), dt(to), n.code(e.tokens()), e.slot(out));
        }
        public List<Integer> reads() { return List.of(x); }
        public String describe() { return "s" + out + " = dequant(quantize(s" + x + ", " + to + "))"; }
    }

    /** Indices (as floats) of the {@code k} largest of each row of {@code n}: {@code topk}. */
    record TopK(int x, int n, int k, Size rows, int out) implements Step {
        public void exec(Frame f) { Moe.topk(f.slots[x], 0, n, k, rows.eval(f.T), f.slots[out], 0); }
        public CodeBlock emit(Emit e) { return CodeBlock.of("$T.topk($L, 0, $L, $L, $L, $L, 0)", Moe.class, e.slot(x), n, k, rows.code(e.tokens()), e.slot(out)); }
        public List<Integer> reads() { return List.of(x); }
        public String describe() { return "s" + out + " = topk(s" + x + ", " + k + " of " + n + ")"; }
    }

    /** {@code out[r, j] = x[r, idx[r, j]]}: {@code take_along}. */
    record TakeAlong(int x, int n, int idx, int k, Size rows, int out) implements Step {
        public void exec(Frame f) { Moe.takeAlong(f.slots[x], 0, n, f.slots[idx], 0, k, rows.eval(f.T), f.slots[out], 0); }
        public CodeBlock emit(Emit e) {
            return CodeBlock.of("$T.takeAlong($L, 0, $L, $L, 0, $L, $L, $L, 0)", Moe.class, e.slot(x), n, e.slot(idx), k, rows.code(e.tokens()), e.slot(out));
        }
        public List<Integer> reads() { return List.of(x, idx); }
        public String describe() { return "s" + out + " = take_along(s" + x + ", s" + idx + ")"; }
    }

    /** {@code x / max(sum(x), min)} per row of {@code k}: {@code sum_normalize}. */
    record SumNormalize(int x, int k, float min, Size rows, int out) implements Step {
        public void exec(Frame f) { Moe.sumNormalize(f.slots[x], 0, k, min, rows.eval(f.T), f.slots[out], 0); }
        public CodeBlock emit(Emit e) {
            return CodeBlock.of("$T.sumNormalize($L, 0, $L, $Lf, $L, $L, 0)", Moe.class, e.slot(x), k, Float.toString(min), rows.code(e.tokens()), e.slot(out));
        }
        public List<Integer> reads() { return List.of(x); }
        public String describe() { return "s" + out + " = sum_normalize(s" + x + ", min " + min + ")"; }
    }

    /** {@code matmul_id}: each token's {@code K} selected experts of weight {@code [E, M, N]}; {@code scale}: an f32 weight [E] or -1. */
    record MatMulId(int x, DType act, boolean perSlot, int weight, DType dtype, int E, int M, int N, int ids, int K, Size tokens, int scale, int out) implements Step {
        public void exec(Frame f) {
            Moe.matmulId(f.pool, dtype, act, f.weights[weight], E, M, N, f.slots[x], 0, perSlot, f.slots[ids], 0, K, tokens.eval(f.T), scale < 0 ? null : f.weights[scale], f.slots[out], 0);
        }
        public CodeBlock emit(Emit e) {
            return CodeBlock.of("$T.matmulId($L, $L, $L, $L, $L, $L, $L, $L, 0, $L, $L, 0, $L, $L, $L, $L, 0)", Moe.class, e.pool(), dt(dtype), dt(act), e.weight(weight), E, M, N,
                    e.slot(x), perSlot, e.slot(ids), K, tokens.code(e.tokens()), scale < 0 ? CodeBlock.of("null") : e.weight(scale), e.slot(out));
        }
        public List<Integer> reads() { return List.of(x, ids); }
        public String describe() {
            return "s" + out + " = matmul_id(" + (act == DType.F32 ? "" : act.irName() + " ") + "s" + x + ", w" + weight + " " + dtype + " [" + E + "x" + M + "x" + N + "], s" + ids + " top " + K + ")"
                    + (scale < 0 ? "" : " * w" + scale);
        }
    }

    /** {@code out[t] = sum_s w[t, s] y[t, s]}: {@code weighted_sum}. */
    record WeightedSum(int y, int w, int K, int n, Size tokens, int out) implements Step {
        public void exec(Frame f) { Moe.weightedSum(f.slots[y], 0, f.slots[w], 0, K, n, tokens.eval(f.T), f.slots[out], 0); }
        public CodeBlock emit(Emit e) {
            return CodeBlock.of("$T.weightedSum($L, 0, $L, 0, $L, $L, $L, $L, 0)", Moe.class, e.slot(y), e.slot(w), K, n, tokens.code(e.tokens()), e.slot(out));
        }
        public List<Integer> reads() { return List.of(y, w); }
        public String describe() { return "s" + out + " = weighted_sum(s" + y + ", s" + w + ")"; }
    }

    /**
     * One step of a placed plan and the device it runs on ({@link MultiDevice} runs each device's steps on its own
     * threads; a plain executor just runs them).
     */
    record OnDevice(int device, Step step) implements Step {
        public void exec(Frame f) { step.exec(f); }
        public CodeBlock emit(Emit e) { return step.emit(e); }
        public List<Integer> reads() { return step.reads(); }
        public String describe() { return "[d" + device + "] " + step.describe(); }

        /** Whether the step reads values of other devices (a phase boundary of the multi-device executor). */
        public boolean collective() { return step instanceof AllReduce || step instanceof AllGather || step instanceof Copy; }
    }

    /** {@code out = sum of parts} in their order, as {@code reduce} rounds it ({@link ggufc.ir.interp.Collectives}). */
    record AllReduce(int[] parts, String reduce, Size n, int row, int out) implements Step {
        public void exec(Frame f) {
            float[][] xs = new float[parts.length][];
            for (int i = 0; i < xs.length; i++) xs[i] = f.slots[parts[i]];
            ggufc.ir.interp.Collectives.allReduce(xs, n.eval(f.T), row, reduce, f.slots[out]);
        }
        public CodeBlock emit(Emit e) {
            CodeBlock.Builder arr = CodeBlock.builder().add("new float[][] {");
            for (int i = 0; i < parts.length; i++) arr.add(i == 0 ? "$L" : ", $L", e.slot(parts[i]));
            arr.add("}");
            return CodeBlock.of("$T.allReduce($L, $L, $L, $S, $L)", ggufc.ir.interp.Collectives.class, arr.build(), n.code(e.tokens()), row, reduce, e.slot(out));
        }
        public List<Integer> reads() { return java.util.Arrays.stream(parts).boxed().toList(); }
        public String describe() { return "s" + out + " = all_reduce(" + java.util.Arrays.toString(parts) + ", " + reduce + ")"; }
    }

    /** {@code out = concat of parts} along an axis: {@code outer} rows, part i contributing {@code widths[i]} floats per row. */
    record AllGather(int[] parts, int[] widths, Size outer, int out) implements Step {
        public void exec(Frame f) {
            float[][] xs = new float[parts.length][];
            for (int i = 0; i < xs.length; i++) xs[i] = f.slots[parts[i]];
            ggufc.ir.interp.Collectives.allGather(xs, widths, outer.eval(f.T), f.slots[out]);
        }
        public CodeBlock emit(Emit e) {
            CodeBlock.Builder arr = CodeBlock.builder().add("new float[][] {");
            for (int i = 0; i < parts.length; i++) arr.add(i == 0 ? "$L" : ", $L", e.slot(parts[i]));
            arr.add("}");
            CodeBlock.Builder w = CodeBlock.builder().add("new int[] {");
            for (int i = 0; i < widths.length; i++) w.add(i == 0 ? "$L" : ", $L", widths[i]);
            w.add("}");
            return CodeBlock.of("$T.allGather($L, $L, $L, $L)", ggufc.ir.interp.Collectives.class, arr.build(), w.build(), outer.code(e.tokens()), e.slot(out));
        }
        public List<Integer> reads() { return java.util.Arrays.stream(parts).boxed().toList(); }
        public String describe() { return "s" + out + " = all_gather(" + java.util.Arrays.toString(parts) + ")"; }
    }

    /** {@code out = } the f32 values whose bits input {@code input} carries ({@link Float#floatToRawIntBits}, so every value comes back exactly). */
    record FloatInput(int input, Size n, int out) implements Step {
        public void exec(Frame f) { Ops.floatsFromBits(f.inputs[input], n.eval(f.T), f.slots[out]); }
        public CodeBlock emit(Emit e) { return CodeBlock.of("$T.floatsFromBits($L, $L, $L)", Ops.class, e.input(input), n.code(e.tokens()), e.slot(out)); }
        public List<Integer> reads() { return List.of(); }
        public String describe() { return "s" + out + " = f32(in" + input + ")"; }
    }

    /** {@code out = x}: a transfer between devices (a copy on the CPU). */
    record Copy(int x, Size n, int out) implements Step {
        public void exec(Frame f) { System.arraycopy(f.slots[x], 0, f.slots[out], 0, n.eval(f.T)); }
        public CodeBlock emit(Emit e) { return CodeBlock.of("$T.arraycopy($L, 0, $L, 0, $L)", System.class, e.slot(x), e.slot(out), n.code(e.tokens())); }
        public List<Integer> reads() { return List.of(x); }
        public String describe() { return "s" + out + " = transfer(s" + x + ")"; }
    }

    /** Quantizes {@code n} floats to {@code to} and back (the exact rounding of a quantized activation). */
    static void roundTrip(float[] x, DType to, int n, float[] out) {
        ggufc.codegen.vector.kernels.ActQuant.roundTrip(to, x, 0, n, 1, out);
    }
}
