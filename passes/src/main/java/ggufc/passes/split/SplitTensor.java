package ggufc.passes.split;


/**
 * split-tensor: llama.cpp's {@code --split-mode tensor} (its meta backend, PR #19378) as a pass. Q/K/V and FFN
 * gate/up are cut by output rows, attn_output and ffn_down by input columns, KV caches by heads, output.weight by
 * vocabulary; everything else is whole on every device; each partial sum is all-reduced (2 per layer). Cuts follow
 * llama.cpp's {@code llama_meta_device_get_split_state}: attention in steps of lcm(n_gqa·head_dim, block) (block
 * doubled up to 128 while every device still gets a step), FFN in steps of lcm(block, 128), each cut rounded down and
 * the last device taking the rest, the device order rotated per layer (counting layers of the same kind); a tensor
 * smaller than a step lands whole on one device. A tied output head (token_embd) stays whole, as there.
 */
public final class SplitTensor extends SplitPass {
    public SplitTensor(SplitOptions opt) { super(opt); }

    public SplitTensor() { this(SplitOptions.even(2)); }

    @Override public String name() { return "split-tensor"; }

    @Override public String summary() { return "llama.cpp's --split-mode tensor: weights cut by heads / FFN rows over the devices, 2 all-reduces per layer (options: -sm tensor -ts -mg --reduce-type)"; }

    @Override public boolean exact() { return false; }

    @Override Sharder.Policy policy() { return new Policy(opt); }

    static final class Policy extends HeadCuts {
        Policy(SplitOptions opt) { super(opt); }

        @Override long queryGranularity(Layers.Attention a, int block) {
            long perf = block, q = a.gqa() * a.headDim();
            while (perf < 128 && perf * opt.devices() < q) perf *= 2;
            return lcm(q, perf);
        }

        @Override long ffnGranularity(int block) { return lcm(block, 128); }

        @Override int rotation(int layer, Layers layers) { return layers.sameKindBefore(layer) % opt.devices(); }

        @Override boolean nearest() { return false; }

        @Override boolean cutTiedOutput() { return false; }
    }
}
