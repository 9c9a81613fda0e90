package ggufc.passes.split;


/**
 * split-graph: ik_llama.cpp's {@code --split-mode graph}, derived for any lifted graph instead of one builder per
 * architecture. Each device keeps whole KV-head groups (their Q/K/V rows, their KV cache, their attention), a share
 * of the FFN hidden size (and of every expert's), and a share of the vocabulary, tied heads included; the two
 * partial sums per layer (attention output, FFN output) are all-reduced. Cuts are in steps of whole heads and quant
 * blocks only, rounded to the nearest step, so uneven {@code --tensor-split} shares come out as asked. Norms applied
 * to a layer's whole output (Gemma's post-norms) and values derived from K (Gemma 4's V = K) need no further sync:
 * the propagation sees that they are whole or per-head.
 */
public final class SplitGraph extends SplitPass {
    public SplitGraph(SplitOptions opt) { super(opt); }

    public SplitGraph() { this(SplitOptions.even(2)); }

    @Override public String name() { return "split-graph"; }

    @Override public String summary() { return "ik_llama.cpp's --split-mode graph for any architecture: heads and their KV local, FFN/experts and vocabulary split, 2 all-reduces per layer"; }

    @Override public boolean exact() { return false; }

    @Override Sharder.Policy policy() { return new Policy(opt); }

    static final class Policy extends HeadCuts {
        Policy(SplitOptions opt) { super(opt); }

        @Override long queryGranularity(Layers.Attention a, int block) { return lcm(a.gqa() * a.headDim(), block); }

        @Override long ffnGranularity(int block) { return block; }

        @Override int rotation(int layer, Layers layers) { return 0; }

        @Override boolean nearest() { return true; }

        @Override boolean cutTiedOutput() { return true; }
    }
}
