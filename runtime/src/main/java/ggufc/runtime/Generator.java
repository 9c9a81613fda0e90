package ggufc.runtime;

import ggufc.tokenizer.StreamDecoder;
import ggufc.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import ggufc.runtime.spec.Speculation;

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
    public record Result(int[] promptTokens, int[] generated, String text, String stopReason, long promptNanos, long decodeNanos, int decodeSteps,
                         long drafted, long accepted, int targetSteps) {
        public Result(int[] promptTokens, int[] generated, String text, String stopReason, long promptNanos, long decodeNanos, int decodeSteps) {
            this(promptTokens, generated, text, stopReason, promptNanos, decodeNanos, decodeSteps, 0, 0, decodeSteps);
        }

        /** Accepted drafts over drafted ones (0 without drafts). */
        public double acceptance() { return drafted == 0 ? 0 : (double) accepted / drafted; }

        /** Tokens produced by the decode phase per target step (1 for plain decoding). */
        public double tokensPerTargetStep() { return targetSteps == 0 ? 0 : (double) decodeSteps / targetSteps; }

        public double promptTokensPerSecond() { return promptTokens.length / Math.max(1e-9, promptNanos / 1e9); }

        public double decodeTokensPerSecond() { return decodeSteps / Math.max(1e-9, decodeNanos / 1e9); }
    }

    public Result generate(String prompt, int maxTokens, SamplerOptions sampling, boolean ignoreEos, Consumer<String> onText) {
        int[] prompt_ = tokenizer.encode(prompt, true, false);
        return generate(prompt_, maxTokens, sampling, ignoreEos, onText);
    }

    public Result generate(int[] promptTokens, int maxTokens, SamplerOptions sampling, boolean ignoreEos, Consumer<String> onText) {
        return generate(promptTokens, maxTokens, sampling, ignoreEos, onText, null);
    }

    /** {@link #generate(String, int, SamplerOptions, boolean, Consumer)} with speculative decoding ({@code spec} null: plain). */
    public Result generate(String prompt, int maxTokens, SamplerOptions sampling, boolean ignoreEos, Consumer<String> onText, Speculation spec) {
        return generate(tokenizer.encode(prompt, true, false), maxTokens, sampling, ignoreEos, onText, spec);
    }

    public Result generate(int[] promptTokens, int maxTokens, SamplerOptions sampling, boolean ignoreEos, Consumer<String> onText, Speculation spec) {
        if (promptTokens.length == 0) throw new IllegalArgumentException("the prompt is empty and the model adds no BOS token: nothing to condition on");
        int ctx = executor.contextSize();
        if (promptTokens.length >= ctx) {
            throw new IllegalArgumentException("the prompt has " + promptTokens.length + " tokens but the context holds " + ctx + " (raise --ctx)");
        }
        executor.reset();
        if (spec != null) return speculative(promptTokens, maxTokens, sampling, ignoreEos, onText, spec);
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

    /**
     * Greedy speculative decoding: each round drafts up to {@code draftMax} tokens after the last
     * confirmed token {@code next} (at {@code pos}, not yet in the cache), runs {@code [next, drafts]}
     * as one target step with every row's logits, keeps the drafts up to the first one that differs
     * from the target's greedy token, and the target's own token after them. The KV caches are
     * written by position and attention reads only positions below the step's end, so rejected
     * drafts' rows (at positions past the new {@code pos}) are overwritten before anything reads
     * them: rolling back is setting {@code pos}. The tokens are exactly plain greedy decoding's.
     *
     * <p>With sampling, speculative sampling for a deterministic drafter (its distribution q is one-hot
     * on the draft): draft d is accepted with probability min(1, p(d)/q(d)) = p(d), p the target's
     * sampling distribution at that row (top-k, top-p, temperature); on rejection the token is drawn
     * from norm(max(0, p - q)), p without d; after all drafts are accepted, from the last row. Each
     * token then has exactly the target's distribution (not plain sampling's draws for the seed).
     */
    private Result speculative(int[] promptTokens, int maxTokens, SamplerOptions sampling, boolean ignoreEos, Consumer<String> onText, Speculation spec) {
        boolean greedy = sampling.isGreedy();
        Sampler sampler = new Sampler(sampling);
        int ctx = executor.contextSize();
        StreamDecoder decoder = tokenizer.streamDecoder();
        StringBuilder text = new StringBuilder();
        int[] history = java.util.Arrays.copyOf(promptTokens, promptTokens.length + Math.max(maxTokens, 0) + 1);
        int len = promptTokens.length;
        int produced = 0;
        long t0 = System.nanoTime();
        // as llama.cpp's speculative loop: the prompt but its last token, which the first verify step runs with the first drafts
        if (promptTokens.length > 1) {
            int[] prefix = java.util.Arrays.copyOf(promptTokens, promptTokens.length - 1);
            executor.step(prefix, 0);
            spec.drafter().targetStepped(prefix, 0, -1);
        }
        long promptNanos = System.nanoTime() - t0;
        int pos = promptTokens.length - 1;
        String stop = "length";
        long decodeStart = System.nanoTime();
        long drafted = 0, accepted = 0;
        int targetSteps = 0;
        int[] confirmed = {};
        int nConfirmed = 0;
        int next;
        outer:
        while (true) {
            for (int i = 0; i < nConfirmed; i++) {
                if (produced >= maxTokens) break outer;
                int t = confirmed[i];
                if (!ignoreEos && tokenizer.isEog(t)) {
                    stop = "eos";
                    break outer;
                }
                produced++;
                history[len++] = t;
                String piece = decoder.push(t);
                if (!piece.isEmpty()) {
                    text.append(piece);
                    onText.accept(piece);
                }
            }
            if (produced >= maxTokens) break;
            if (pos >= ctx) {
                stop = "context";
                break;
            }
            next = history[len - 1];
            // the verify step holds positions pos .. pos + n, all below ctx; more than the tokens still wanted is waste, except
            // in the step that makes the last one: there llama.cpp's loop asks for a draft of at most 0 tokens, which its
            // common_speculative_draft takes as no limit, and verifies the drafter's full draft (kept so --spec-trace is its)
            int wanted = maxTokens - produced - 1;
            int room = Math.min(Math.min(spec.draftMax(), ctx - 1 - pos), wanted > 0 ? wanted : spec.draftMax());
            int[] drafts = room > 0 ? spec.drafter().draft(java.util.Arrays.copyOf(history, len), pos, room) : new int[0];
            if (drafts.length > room) drafts = java.util.Arrays.copyOf(drafts, room);
            if (drafts.length < Math.max(1, spec.draftMin())) {
                confirmed = new int[] {greedy ? executor.stepArgmax(new int[] {next}, pos) : sampler.sample(executor.step(new int[] {next}, pos))};
                nConfirmed = 1;
                if (spec.trace() != null) spec.trace().accept(traceLine(targetSteps, pos, next, new int[0], confirmed, 0));
                spec.drafter().targetStepped(new int[] {next}, pos, 0);
                pos++;
                targetSteps++;
                continue;
            }
            int[] batch = new int[drafts.length + 1];
            batch[0] = next;
            System.arraycopy(drafts, 0, batch, 1, drafts.length);
            float[][] rows = executor.stepAll(batch, pos);
            targetSteps++;
            drafted += drafts.length;
            int a = 0, own;
            if (greedy) {
                while (a < drafts.length && Sampler.argmax(rows[a]) == drafts[a]) a++;
                own = Sampler.argmax(rows[a]);
            } else {
                own = -1;
                for (; a < drafts.length; a++) {
                    double[] p = sampler.distribution(rows[a]);
                    if (!sampler.accept(p[drafts[a]])) {
                        own = sampler.drawExcluding(p, drafts[a]);
                        break;
                    }
                }
                if (own < 0) own = sampler.sample(rows[a]);
            }
            accepted += a;
            confirmed = java.util.Arrays.copyOf(drafts, a + 1);
            confirmed[a] = own;
            if (spec.trace() != null) spec.trace().accept(traceLine(targetSteps - 1, pos, next, drafts, confirmed, a));
            spec.drafter().targetStepped(batch, pos, a);
            nConfirmed = a + 1;
            pos += a + 1;
        }
        long decodeNanos = System.nanoTime() - decodeStart;
        String rest = decoder.flush();
        if (!rest.isEmpty()) {
            text.append(rest);
            onText.accept(rest);
        }
        int[] gen = java.util.Arrays.copyOfRange(history, promptTokens.length, len);
        return new Result(promptTokens, gen, text.toString(), stop, promptNanos, decodeNanos, gen.length, drafted, accepted, targetSteps);
    }

    /** One verify step as llama.cpp's reference loop prints it ({@code --spec-trace}). */
    static String traceLine(int step, int pos, int idLast, int[] drafts, int[] target, int accepted) {
        return "step " + step + ": pos=" + pos + " id_last=" + idLast + " draft=" + list(drafts) + " target=" + list(target) + " accepted=" + accepted;
    }

    private static String list(int[] a) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < a.length; i++) b.append(i > 0 ? "," : "").append(a[i]);
        return b.append(']').toString();
    }
}
