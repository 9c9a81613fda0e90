package ggufc.runtime.spec;

/**
 * Speculative decoding settings: the drafter, at most {@code draftMax} drafts per target step, and
 * drafts shorter than {@code draftMin} dropped (a plain step instead). Defaults as llama.cpp's
 * {@code --spec-draft-n-max 3}, {@code --spec-draft-n-min 0}, {@code --spec-draft-p-min 0.0}. {@code trace}
 * (nullable) gets one line per target step as llama.cpp's reference loop prints it
 * ({@code step k: pos=.. id_last=.. draft=[..] target=[..] accepted=n}).
 */
public record Speculation(Drafter drafter, int draftMax, int draftMin, java.util.function.Consumer<String> trace) {
    public static final int DRAFT_MAX = 3, DRAFT_MIN = 0;
    public static final double P_MIN = 0.0;

    public Speculation(Drafter drafter, int draftMax, int draftMin) { this(drafter, draftMax, draftMin, null); }

    public Speculation {
        if (drafter == null) throw new IllegalArgumentException("no drafter");
        if (draftMax < 1) throw new IllegalArgumentException("--draft-max must be >= 1, got " + draftMax);
        if (draftMin < 0 || draftMin > draftMax) throw new IllegalArgumentException("--draft-min must be in 0..--draft-max (" + draftMax + "), got " + draftMin);
    }
}
