package ggufc.cli;

import ggufc.runtime.artifact.Artifact;
import ggufc.runtime.fuzz.FuzzCampaign;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "fuzz", mixinStandardHelpOptions = true,
        description = {"Fuzz campaign: mutated GGUF files (header fields, counts, lengths, dtypes, dims, offsets, truncation, splices) and tampered artifacts, "
                + "in one JVM, through parse, tokenizer, lift, passes, lowering and a decode step. Prints the counts of runs, clean refusals, "
                + "unclear refusals, crashes and hangs, and the largest allocation. Exit 1 when any case crashed, hung or was refused without naming its file."})
final class FuzzCommand implements Callable<Integer> {
    @Option(names = "--cases", defaultValue = "100000", description = "Mutated GGUF cases (default: ${DEFAULT-VALUE}).")
    int cases;

    @Option(names = "--artifact-cases", defaultValue = "1000", description = "Tampered-artifact cases (default: ${DEFAULT-VALUE}).")
    int artifactCases;

    @Option(names = "--seed", defaultValue = "1", description = "Random seed; the same seed and seed files give the same cases (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--timeout-ms", defaultValue = "2000", description = "A case still running after this is a hang (default: ${DEFAULT-VALUE}).")
    long timeoutMs;

    @Option(names = {"-c", "--ctx"}, defaultValue = "32", description = "KV cache of each case's model (default: ${DEFAULT-VALUE}).")
    int ctx;

    @Option(names = "--seed-file", paramLabel = "GGUF", description = "A valid GGUF to mutate (repeatable; default: the stories260K F32 v3, F32 v1 and Q8_0 v2 files and the gpt-2 vocabulary, looked up like `run --model`).")
    List<String> seedFiles;

    @Option(names = "--save", paramLabel = "DIR", description = "Write the inputs of crashes, hangs and unclear refusals here.")
    Path save;

    @Override
    public Integer call() throws java.io.IOException {
        List<Path> seeds = new ArrayList<>();
        for (String s : seedFiles != null ? seedFiles : List.of("stories260K.gguf", "tinyllamas-stories-260k-f32.gguf", "tinyllamas-stories-260k-q8_0.gguf", "vocab/ggml-vocab-gpt-2.gguf")) {
            seeds.add(ModelLocator.resolve(s));
        }
        Path artifact = null;
        if (artifactCases > 0) {
            artifact = Files.createTempDirectory("ggufc-fuzz-source");
            Artifact.compile(seeds.get(0), artifact, new Artifact.Options(ctx, ggufc.ir.DType.F32, 16, 1), Artifact.Pipeline.defaults(), (i, n) -> {});
        }
        FuzzCampaign.Options opt = new FuzzCampaign.Options(cases, artifactCases, seed, timeoutMs, ctx, seeds, artifact, save);
        long t0 = System.nanoTime();
        FuzzCampaign.Report r = new FuzzCampaign(opt).run(done -> System.err.printf("ggufc fuzz: %,d cases in %.0f s%n", done, (System.nanoTime() - t0) / 1e9));
        System.out.print(FuzzCampaign.format(opt, r));
        return r.count(FuzzCampaign.Outcome.CRASH) + r.count(FuzzCampaign.Outcome.HANG) + r.count(FuzzCampaign.Outcome.UNCLEAR) == 0 ? 0 : 1;
    }
}
