package ggufc.cli;

import ggufc.gguf.GgufFile;
import ggufc.ir.DType;
import ggufc.ir.Graph;
import ggufc.ir.analysis.GraphStats;
import ggufc.ir.text.IrPrinter;
import ggufc.lift.LlamaLifter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "ir", mixinStandardHelpOptions = true,
        description = {"Print the IR lifted from a model (the textual form that `ggufc` parses back), or its statistics."})
final class IrCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, required = true, paramLabel = "GGUF", description = "Model file.")
    String model;

    @Option(names = "--stats", description = "Print statistics instead of the IR: tensors, parameters, bytes per dtype, FLOPs per token.")
    boolean stats;

    @Option(names = {"-c", "--ctx"}, defaultValue = "0", description = "KV cache size in tokens; 0 = the model's training context (default).")
    int ctx;

    @Option(names = "--all-logits", description = "Lift with logits for every position instead of the last one.")
    boolean allLogits;

    @Override
    public Integer call() {
        try (GgufFile f = GgufFile.open(ModelLocator.resolve(model))) {
            LlamaLifter.requireSupported(f);
            int n = ctx > 0 ? ctx : ggufc.lift.LlamaHparams.read(f).ctxTrain();
            Graph g = LlamaLifter.lift(f, new LlamaLifter.Options(n, allLogits, DType.F32));
            System.out.print(stats ? GraphStats.of(g).render() : IrPrinter.print(g));
            System.out.flush();
        }
        return 0;
    }
}
