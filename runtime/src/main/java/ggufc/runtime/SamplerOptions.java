package ggufc.runtime;

/**
 * Sampling settings. temperature <= 0 is greedy (argmax). Otherwise, as llama.cpp's default
 * chain: top-k, then top-p over the softmax of the logits, then temperature, then a seeded draw.
 */
public record SamplerOptions(double temperature, int topK, double topP, long seed) {
    public SamplerOptions {
        if (topK < 0) throw new IllegalArgumentException("--top-k must be >= 0 (0 = off), got " + topK);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("--top-p must be within (0, 1], got " + topP);
        if (Double.isNaN(temperature)) throw new IllegalArgumentException("--temp must be a number");
    }

    public static SamplerOptions greedy() { return new SamplerOptions(0, 0, 1, 0); }

    public boolean isGreedy() { return temperature <= 0; }
}
