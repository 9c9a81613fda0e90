package ggufc.passes.split;

import ggufc.ir.Node;

/**
 * The cut both head-parallel modes share (tensor and graph): attention weights by whole KV-head groups, FFN weights
 * by their hidden size, the output head by vocabulary; they differ in granularity, rounding and rotation.
 */
abstract class HeadCuts implements Sharder.Policy {
    final SplitOptions opt;

    HeadCuts(SplitOptions opt) { this.opt = opt; }

    /** Granularity of a layer's query rows (a multiple of one KV head's group of query heads). */
    abstract long queryGranularity(Layers.Attention a, int block);

    abstract long ffnGranularity(int block);

    abstract int rotation(int layer, Layers layers);

    abstract boolean nearest();

    /** Whether a tied output head (token_embd read by the logits matmul) is cut. */
    abstract boolean cutTiedOutput();

    @Override
    public Sharder.Cut cut(Node op, String weight, Layers layers) {
        Roles role = Roles.of(op, weight);
        String base = Roles.base(weight);
        int layer = Layers.layerOfName(base);
        String prefix = "blk." + layer + ".";
        return switch (role) {
            case ATTN_IN, ATTN_OUT -> {
                Layers.Attention a = layers.attention().get(layer);
                if (a == null) yield null;
                long gq = queryGranularity(a, layers.block(prefix + "attn_output.weight"));
                long size = role == Roles.ATTN_IN ? Roles.rows(op) : Roles.cols(op);
                long g;
                if (size == a.heads() * a.headDim()) g = gq;
                else if (size == a.kvHeads() * a.headDim() && gq % a.gqa() == 0) g = gq / a.gqa();
                else yield null;
                // a KV-head cut: segments of K/V rows decide the query segments, and both must come out of one cut
                long kvTotal = a.kvHeads() * a.headDim(), kvG = gq / a.gqa();
                long[] kv = opt.segments(kvTotal, kvG, rotation(layer, layers), nearest());
                long[] segs = new long[kv.length];
                for (int d = 0; d < kv.length; d++) segs[d] = kv[d] * (size / kvTotal);
                yield new Sharder.Cut(role == Roles.ATTN_IN, segs);
            }
            case FFN_IN, FFN_OUT -> {
                long g = ffnGranularity(layers.block(prefix + "ffn_down.weight", prefix + "ffn_down_exps.weight"));
                long size = role == Roles.FFN_IN ? Roles.rows(op) : Roles.cols(op);
                yield new Sharder.Cut(role == Roles.FFN_IN, opt.segments(size, g, rotation(layer, layers), nearest()));
            }
            case OUTPUT -> {
                if (!cutTiedOutput() && Roles.base(weight).equals("token_embd.weight")) yield null;
                yield new Sharder.Cut(true, opt.segments(Roles.rows(op), 1, layers.count() % opt.devices(), nearest()));
            }
            case OTHER -> null;
        };
    }

    @Override
    public int home(Node n, Layers layers) { return -1; }

    static long lcm(long a, long b) { return a / gcd(a, b) * b; }

    static long gcd(long a, long b) { return b == 0 ? a : gcd(b, a % b); }
}
