package ggufc.passes.split;

import ggufc.ir.Node;
import ggufc.ir.OpKind;

/**
 * split-row: llama.cpp's old {@code --split-mode row}. Every 2-D matmul weight is cut by rows in
 * {@code --tensor-split} proportions; the activation is sent to every device, each computes its rows, and the
 * slices are gathered on {@code --main-gpu}, which holds the KV cache and runs every other op (one transfer out and
 * one gather per matmul). Expert weights (3-D) stay whole, as llama.cpp's split buffers take 2-D weights only.
 */
public final class SplitRow extends SplitPass {
    public SplitRow(SplitOptions opt) { super(opt); }

    public SplitRow() { this(SplitOptions.even(2)); }

    @Override public String name() { return "split-row"; }

    @Override public String summary() { return "llama.cpp's --split-mode row: matmul weights cut by rows, activations broadcast, results gathered on --main-gpu"; }

    @Override
    Sharder.Policy policy() {
        return new Sharder.Policy() {
            @Override
            public Sharder.Cut cut(Node op, String weight, Layers layers) {
                if (op.op() != OpKind.MATMUL || op.input(1).shape().rank() != 2) return null;
                return new Sharder.Cut(true, opt.segments(Roles.rows(op), 1, 0, false));
            }

            @Override public int home(Node n, Layers layers) { return opt.mainDevice(); }

            @Override public boolean replicatedStates() { return false; }

            @Override public boolean unfuse() { return false; }

            @Override public boolean propagate() { return false; }
        };
    }
}
