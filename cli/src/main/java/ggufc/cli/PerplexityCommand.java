package ggufc.cli;

import ggufc.runtime.BaseLogitsFile;
import ggufc.runtime.LoadedModel;
import ggufc.runtime.Perplexity;
import ggufc.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.IntConsumer;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "perplexity", mixinStandardHelpOptions = true,
        description = {"Perplexity of a model on a text file, computed as llama.cpp's llama-perplexity does: the text is tokenized once "
                + "(BOS as the vocabulary says), cut into chunks of --ctx-size tokens, each run from an empty cache with BOS first, "
                + "and the second half of each chunk scored. Prints [1]x.xxxx,[2]... (running PPL per chunk) and "
                + "'Final estimate: PPL = x +/- y' on stdout; a progress bar on stderr on long runs.",
                "--save-all-logits FILE writes llama-perplexity's base-logits file; --kl-divergence-base FILE --kl-divergence "
                + "reads one (from ggufc or llama-perplexity) and prints the KL-divergence table and statistics."})
final class PerplexityCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, required = true, paramLabel = "GGUF", description = "Model file (a path, or a file name looked up as `run` does).")
    String model;

    @Option(names = {"-f", "--file"}, paramLabel = "TEXT", description = "Text to score (UTF-8; one trailing newline is dropped, as llama.cpp's -f does). Not needed with --kl-divergence (the base file has the tokens).")
    Path file;

    @Option(names = {"-c", "--ctx-size", "--ctx"}, defaultValue = "512", paramLabel = "N", description = "Tokens per chunk (llama-perplexity's -c; default: ${DEFAULT-VALUE}). With --kl-divergence the base file's is used.")
    int ctx;

    @Option(names = "--chunks", defaultValue = "-1", paramLabel = "K", description = "Score at most K chunks; -1 = all the text holds (default: ${DEFAULT-VALUE}).")
    int chunks;

    @Option(names = {"-b", "--batch-size", "--batch"}, defaultValue = "2048", paramLabel = "B", description = "Tokens per model step within a chunk (capped at the chunk; default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = {"-t", "--threads"}, description = "Worker threads of the vector backend (default: available cores).")
    Integer threads;

    @Option(names = "--backend", defaultValue = "vector", description = "vector (the generated kernels' plan) or interpreter (the reference; llama.cpp's activation rounding on quantized weights) (default: ${DEFAULT-VALUE}).")
    String backend;

    @Option(names = "--kv-type", defaultValue = "f32", description = "KV cache element type: f32 or f16 (default: ${DEFAULT-VALUE}; llama-perplexity with -ctk f32 -ctv f32 -fa off matches f32).")
    String kvType;

    @Option(names = {"-ctk", "--cache-type-k"}, paramLabel = "TYPE", description = "llama.cpp's spelling: the K cache type (f32 or f16; with -ctv, both the same).")
    String cacheTypeK;

    @Option(names = {"-ctv", "--cache-type-v"}, paramLabel = "TYPE", description = "llama.cpp's spelling: the V cache type (f32 or f16; with -ctk, both the same).")
    String cacheTypeV;

    @Option(names = {"-fa", "--flash-attn"}, paramLabel = "on|off|auto", description = "Accepted for llama.cpp command lines; ggufc's attention is always plain f32 attention (llama.cpp's -fa off).")
    String flashAttn;

    @Option(names = "--save-all-logits", paramLabel = "FILE", description = "Write each scored position's log-probabilities in llama-perplexity's base-logits format.")
    Path saveAllLogits;

    @Option(names = "--kl-divergence-base", paramLabel = "FILE", description = "The base-logits file --kl-divergence reads (written by --save-all-logits here or by llama-perplexity).")
    Path klBase;

    @Option(names = "--kl-divergence", description = "Compare against --kl-divergence-base: per-chunk table, then PPL, KL-divergence and token-probability statistics.")
    boolean klDivergence;

    @Option(names = "--progress", negatable = true, description = "Progress bar on stderr; default: when stderr is a terminal and the second chunk's time says the rest takes over 3 s.")
    Boolean progress;

    @Option(names = {"-dev", "--device"}, defaultValue = "cpu", paramLabel = "LIST", description = "CPU sub-devices to split the model over, e.g. cpu:0,cpu:1 (with --split-mode; default: ${DEFAULT-VALUE}).")
    String device;

    @picocli.CommandLine.Mixin
    SplitOptionsMixin split;

    private ggufc.runtime.SplitConfig splitConfig() {
        ggufc.runtime.SplitConfig c = split.config(ggufc.runtime.SplitConfig.parseDevices(device));
        if (c.active() && !c.cpuOnly()) throw new IllegalArgumentException("perplexity splits over CPU sub-devices (cpu:0,cpu:1,...) only, got " + device);
        return c;
    }

    @Override
    public Integer call() throws IOException {
        if (chunks == 0 || chunks < -1) throw new IllegalArgumentException("--chunks must be -1 (all) or >= 1, got " + chunks);
        if (batch < 1) throw new IllegalArgumentException("--batch-size must be >= 1, got " + batch);
        int t = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        if (t < 1) throw new IllegalArgumentException("--threads must be >= 1, got " + t);
        LoadedModel.Backend be = switch (backend) {
            case "vector" -> LoadedModel.Backend.VECTOR;
            case "interpreter" -> LoadedModel.Backend.INTERPRETER;
            default -> throw new IllegalArgumentException("--backend must be vector or interpreter, got '" + backend + "'");
        };
        var kv = RunCommand.kvType(kvCacheType());
        if (flashAttn != null && !flashAttn.equals("off")) {
            if (!flashAttn.equals("on") && !flashAttn.equals("auto")) throw new IllegalArgumentException("-fa must be on, off or auto, got '" + flashAttn + "'");
            System.err.println("ggufc: note: -fa " + flashAttn + " ignored: ggufc runs plain attention (as llama.cpp's -fa off)");
        }
        PrintStream out = System.out;
        if (klDivergence) {
            Path base = klBase != null ? klBase : saveAllLogits;
            if (base == null) throw new IllegalArgumentException("--kl-divergence needs --kl-divergence-base FILE (the base model's saved logits)");
            if (klBase != null && saveAllLogits != null) throw new IllegalArgumentException("give --kl-divergence-base or --save-all-logits, not both");
            try (BaseLogitsFile.Reader r = new BaseLogitsFile.Reader(base);
                 LoadedModel m = LoadedModel.open(ggufc.gguf.GgufFile.open(ModelLocator.resolve(model)), r.nCtx(), kv, true, be, t, "default", splitConfig())) {
                System.err.printf(Locale.ROOT, "ggufc: kl_divergence: computing over %d chunks, n_ctx=%d, against %s%n", r.nChunk(), r.nCtx(), base);
                try (Progress p = new Progress(r.nChunk())) {
                    Perplexity.klDivergence(Perplexity.evaluator(m.executor()), r, bosFor(m.tokenizer()), batch, out, p);
                }
            }
            return 0;
        }
        if (klBase != null) {
            throw new IllegalArgumentException("--kl-divergence-base is read by --kl-divergence (add it); to write a base file use --save-all-logits");
        }
        if (file == null) throw new IllegalArgumentException("give the text to score with -f FILE");
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(file + ": no such file");
        }
        if (text.endsWith("\n")) text = text.substring(0, text.length() - 1);  // llama.cpp's -f drops one trailing newline
        Perplexity.Options o = new Perplexity.Options(ctx, chunks, batch);
        try (LoadedModel m = LoadedModel.open(ggufc.gguf.GgufFile.open(ModelLocator.resolve(model)), ctx, kv, true, be, t, "default", splitConfig())) {
            int[] tokens = m.tokenizer().encode(text, true, false);
            int nChunk = Perplexity.chunks(tokens.length, o, file.toString());
            System.err.printf(Locale.ROOT, "ggufc: perplexity: %d tokens, calculating perplexity over %d chunks, n_ctx=%d, batch_size=%d%n",
                    tokens.length, nChunk, ctx, Math.min(batch, ctx));
            BaseLogitsFile.Writer w = saveAllLogits == null ? null
                    : new BaseLogitsFile.Writer(saveAllLogits, ctx, m.executor().vocabSize(), nChunk, tokens);
            Perplexity.Result r;
            try (Progress p = new Progress(nChunk)) {
                r = Perplexity.perplexity(Perplexity.evaluator(m.executor()), tokens, bosFor(m.tokenizer()), o, file.toString(), w, out, p);
            } finally {
                if (w != null) w.close();
            }
            out.println(Perplexity.finalLine(r));
            out.flush();
            if (w != null) System.err.println("ggufc: saved all logits to " + saveAllLogits);
        }
        return 0;
    }

    /** --kv-type, or llama.cpp's -ctk/-ctv when given (ggufc has one type for both caches). */
    String kvCacheType() {
        if (cacheTypeK == null && cacheTypeV == null) return kvType;
        String k = cacheTypeK != null ? cacheTypeK : cacheTypeV, v = cacheTypeV != null ? cacheTypeV : cacheTypeK;
        if (!k.equals(v)) throw new IllegalArgumentException("-ctk " + k + " and -ctv " + v + " differ: ggufc keeps K and V in one type (f32 or f16)");
        return k;
    }

    /** The token each chunk starts with: BOS when the vocabulary adds it (llama_vocab_get_add_bos), else none (-1). */
    static int bosFor(Tokenizer tok) {
        int[] empty = tok.encode("", true, false);
        return empty.length > 0 && empty[0] == tok.bos() && tok.bos() >= 0 ? tok.bos() : -1;
    }

    /**
     * The progress bar on stderr (from the second chunk: the first includes JIT warm-up), shown when the
     * rest is estimated at over 3 s (or always/never with --progress/--no-progress), and
     * llama-perplexity's ETA line after the first chunk.
     */
    private final class Progress implements IntConsumer, AutoCloseable {
        private final int total;
        private final long t0 = System.nanoTime();
        private ProgressBar bar;

        Progress(int total) { this.total = total; }

        private long last = t0;

        @Override
        public void accept(int done) {
            long now = System.nanoTime();
            double s = (now - last) / 1e9;
            last = now;
            if (done == 1) {
                System.err.printf(Locale.ROOT, "ggufc: perplexity: %.2f seconds per pass - ETA %.2f minutes%n", s, s * total / 60.0);
            }
            // decided on the second chunk: the first one pays for JIT compilation
            if (done == 2 && bar == null) {
                boolean show = progress != null ? progress : ProgressBars.stderrIsTerminal() && s * (total - 2) > 3.0;
                if (show) bar = ProgressBars.builder("perplexity", true).setInitialMax(total).setUnit(" chunks", 1).build();
            }
            if (bar != null) bar.stepTo(done);
        }

        @Override
        public void close() {
            if (bar != null) bar.close();
        }
    }
}
