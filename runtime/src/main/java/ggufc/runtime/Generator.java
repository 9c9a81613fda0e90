package ggufc.runtime;

import ggufc.tokenizer.StreamDecoder;
import ggufc.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The generation loop: prompt processing as one batched step, then one decode step per token,
 * streaming detokenized text. Stops at an end-of-generation token (unless told to ignore it), after
 * {@code maxTokens}, or when the KV cache is full.
 */
public final class Generator {
    private final StepExecutor executor;
    private final Tokenizer tokenizer;

    public Generator(StepExecutor executor, Tokenizer tokenizer) {
        this.executor = executor;
        this.tokenizer = tokenizer;
    }

    /** What a generation did, with timings measured inside the process. */
    public record Result(int[] promptTokens, int[] generated, String text, String stopReason, long promptNanos, long decodeNanos, int decodeSteps) {
        public double promptTokensPerSecond() { return promptTokens.length / Math.max(1e-9, promptNanos / 1e9); }

        public double decodeTokensPerSecond() { return decodeSteps / Math.max(1e-9, decodeNanos / 1e9); }
    }

    public Result generate(String prompt, int maxTokens, SamplerOptions sampling, boolean ignoreEos, Consumer<String> onText) {
        int[] prompt_ = tokenizer.encode(prompt, true, false);
        return generate(prompt_, maxTokens, sampling, ignoreEos, onText);
    }

    public Result generate(int[] promptTokens, int maxTokens, SamplerOptions sampling, boolean ignoreEos, Consumer<String> onText) {
        if (promptTokens.length == 0) throw new IllegalArgumentException("the prompt is empty and the model adds no BOS token: nothing to condition on");
        int ctx = executor.contextSize();
        if (promptTokens.length >= ctx) {
            throw new IllegalArgumentException("the prompt has " + promptTokens.length + " tokens but the context holds " + ctx + " (raise --ctx)");
        }
        executor.reset();
        Sampler sampler = new Sampler(sampling);
        StreamDecoder decoder = tokenizer.streamDecoder();
        StringBuilder text = new StringBuilder();
        List<Integer> out = new ArrayList<>();
        long t0 = System.nanoTime();
        // greedy decoding asks the executor for the token itself, so a device returns 4 bytes, not the logits
        boolean greedy = sampling.isGreedy();
        float[] logits = null;
        int greedyNext = -1;
        if (greedy) greedyNext = executor.stepArgmax(promptTokens, 0);
        else logits = executor.step(promptTokens, 0);
        long promptNanos = System.nanoTime() - t0;
        int pos = promptTokens.length;
        String stop = "length";
        long decodeStart = System.nanoTime();
        int steps = 0;
        while (out.size() < maxTokens) {
            int next = greedy ? greedyNext : sampler.sample(logits);
            if (!ignoreEos && tokenizer.isEog(next)) {
                stop = "eos";
                break;
            }
            out.add(next);
            String piece = decoder.push(next);
            if (!piece.isEmpty()) {
                text.append(piece);
                onText.accept(piece);
            }
            if (out.size() == maxTokens) break;
            if (pos >= ctx) {
                stop = "context";
                break;
            }
            if (greedy) greedyNext = executor.stepArgmax(new int[] {next}, pos++);
            else logits = executor.step(new int[] {next}, pos++);
            steps++;
        }
        long decodeNanos = System.nanoTime() - decodeStart;
        // bytes of an unfinished UTF-8 character (byte tokens) are released at the end, as U+FFFD, not lost
        String rest = decoder.flush();
        if (!rest.isEmpty()) {
            text.append(rest);
            onText.accept(rest);
        }
        int[] gen = out.stream().mapToInt(Integer::intValue).toArray();
        return new Result(promptTokens, gen, text.toString(), stop, promptNanos, decodeNanos, Math.max(steps, 0));
    }
}
