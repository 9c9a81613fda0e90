package ggufc.lift;

import ggufc.gguf.GgufException;
import ggufc.gguf.GgufFile;
import ggufc.ir.Graph;
import ggufc.ir.Node;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The draft step of a nextn-style head fitted at load ({@code --spec-type fitted}) for a llama-family model:
 * projection only, no transformer block. {@code h' = P · concat(rms_norm(embed(token)), hidden)} with {@code P} the
 * fitted [n_embd, 2·n_embd] f32 param {@link #PROJ} (bound by the caller, not in the file), then the model's own final
 * norm ({@code output_norm.weight}) and LM head: logits of {@code output_norm(h')}. {@code hidden} ({@link #HIDDEN_IN})
 * is the target's final-norm output at the row that chose {@code token}, or the previous draft step's
 * {@link #HIDDEN_NEXT}, which is {@code output_norm(h')}: the same kind of row as the target's (what the LM head reads),
 * so a chained step sees what the head was fitted on. No KV cache: the step reads no position.
 */
public final class FittedHeadLifter {
    private FittedHeadLifter() {}

    /** The fitted projection's param name ([n_embd, 2·n_embd], f32). */
    public static final String PROJ = "ggufc.fitted_head.proj";
    public static final String HIDDEN_IN = Gemma4AssistantLifter.HIDDEN_IN;
    public static final String HIDDEN_NEXT = Gemma4AssistantLifter.HIDDEN_NEXT;

    /** The draft step for {@code f} (a llama-family model with an {@code output_norm}); outputs of the last row unless {@code opt.allLogits()}. */
    public static Graph liftDraft(GgufFile f, LlamaLifter.Options opt) {
        LlamaHparams hp = Lifters.hparams(f);
        if (!f.hasTensor("output_norm.weight")) throw new GgufException(f.path(), "has no 'output_norm.weight': --spec-type fitted needs a model whose LM head reads a final RMS norm");
        long n = hp.nEmbd();
        Blocks b = Blocks.startWithoutEmbedding(f, hp, opt, "fitted_head_draft");
        Node e = b.rmsNormUnweighted(b.embedding(f, "token_embd.weight", "token_embd.weight", hp.vocab(), n));
        Node h = b.floatInput(HIDDEN_IN, n);
        Node projected = b.projectUnfiled(b.concat(e, h), PROJ, n, 2 * n);
        Node hidden = b.rmsNorm(b.outputRows(projected), "output_norm.weight");
        Map<String, Node> outputs = new LinkedHashMap<>();
        outputs.put(LlamaLifter.LOGITS, b.project(hidden, hp.tiedOutput() ? "token_embd.weight" : "output.weight", hp.vocab(), n));
        outputs.put(HIDDEN_NEXT, hidden);
        return b.build(outputs);
    }
}
