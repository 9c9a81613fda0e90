package ggufc.lift;

import ggufc.gguf.GgufException;
import ggufc.gguf.GgufFile;
import ggufc.ir.Graph;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The architectures ggufc lifts, by {@code general.architecture}: each is one short file composed
 * of {@link Blocks}. Everything that opens a model (runtime, CLI, artifacts) goes through here.
 */
public final class Lifters {
    /** Lifts one architecture. */
    @FunctionalInterface
    interface ArchLifter {
        Graph lift(GgufFile f, LlamaHparams hp, LlamaLifter.Options opt);
    }

    private static final Map<String, ArchLifter> LIFTERS = new LinkedHashMap<>();

    static {
        LIFTERS.put("llama", LlamaLifter::llama);
        LIFTERS.put("qwen2", Qwen2Lifter::lift);
        LIFTERS.put("qwen3", Qwen3Lifter::lift);
        LIFTERS.put("qwen3moe", Qwen3MoeLifter::lift);
        LIFTERS.put("phi3", Phi3Lifter::lift);
        LIFTERS.put("gemma2", Gemma2Lifter::lift);
        LIFTERS.put("gemma3", Gemma3Lifter::lift);
        LIFTERS.put("gemma4", Gemma4Lifter::lift);
        LIFTERS.put(HyV3Lifter.ARCH, HyV3Lifter::lift);
    }

    private Lifters() {}

    /** The supported architecture names, in registration order. */
    public static java.util.Set<String> architectures() { return java.util.Collections.unmodifiableSet(LIFTERS.keySet()); }

    /** Fails with a clear message unless the file's architecture can be lifted. */
    public static void requireSupported(GgufFile f) {
        if (!f.has("general.architecture")) throw new GgufException(f.path(), "missing metadata key 'general.architecture'");
        String arch = f.getString("general.architecture");
        if (arch.equals(Gemma4AssistantLifter.ARCH)) {
            throw new GgufException(f.path(), "is a gemma4-assistant drafter, not a model of its own: run it beside its gemma4 target (--model TARGET -md " + f.path().getFileName() + " --spec-type draft-mtp)");
        }
        if (!LIFTERS.containsKey(arch)) {
            throw new GgufException(f.path(), "unknown or unsupported architecture '" + arch + "' (supported: " + String.join(", ", LIFTERS.keySet()) + ")");
        }
    }

    /** The file's hyperparameters (after {@link #requireSupported}). */
    public static LlamaHparams hparams(GgufFile f) {
        requireSupported(f);
        LlamaHparams hp = LlamaHparams.read(f);
        // hy_v3's block_count counts its MTP blocks too; the model is its trunk
        if (hp.arch().equals(HyV3Lifter.ARCH)) hp = HyV3Lifter.trunk(f, hp);
        String vKey = hp.arch() + ".attention.value_length";
        if (f.has(vKey) && f.getInt(vKey) != hp.headDim()) {
            throw new GgufException(f.path(), "value head length " + f.getInt(vKey) + " differs from the key head length " + hp.headDim() + " (not supported)");
        }
        return hp;
    }

    /**
     * The step graph of the file's architecture. Hyperparameters and tensors are checked first,
     * each problem one {@link GgufException} naming the file and the key or tensor; anything the
     * IR's type rules still refuse is reported against the file too, never as a bare IR node.
     */
    public static Graph lift(GgufFile f, LlamaLifter.Options opt) {
        LlamaHparams hp = hparams(f);
        try {
            return LIFTERS.get(hp.arch()).lift(f, hp, opt);
        } catch (ggufc.ir.IrException e) {
            int more = e.problems().size() - 1;
            throw new GgufException(f.path(), "cannot lift the model: " + e.problems().get(0) + (more > 0 ? " (and " + more + " more)" : ""), e);
        }
    }

    /** llama.cpp asserts that these architectures rotate the whole head; a file that does not is refused here instead. */
    static void requireFullRotation(GgufFile f, LlamaHparams hp) {
        if (hp.nRot() != hp.headDim()) {
            throw new GgufException(f.path(), hp.arch() + " needs rope.dimension_count (" + hp.nRot() + ") equal to the head dimension (" + hp.headDim() + ")");
        }
    }
}
