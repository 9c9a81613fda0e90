package ggufc.cli;

import java.io.PrintWriter;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code ggufc}: compile, inspect and run GGUF language models. */
@Command(name = "ggufc", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Ahead-of-time compiler and runtime for GGUF language models.")
public final class Main {
    /**
     * The subcommands by name, in the order {@code --help} lists them. picocli reads every
     * registered command's annotations and fields by reflection when the command line is built (a
     * fifth of a second per start for all of them), so {@link #commandLine} registers only the one
     * named on the command line, and all of them when none is (help, version, errors).
     */
    static final Map<String, Class<?>> COMMANDS = commands();

    private static Map<String, Class<?>> commands() {
        Map<String, Class<?>> m = new LinkedHashMap<>();
        m.put("run", RunCommand.class);
        m.put("compile", CompileCommand.class);
        m.put("devices", DevicesCommand.class);
        m.put("bench", BenchCommand.class);
        m.put("bench-worker", BenchWorkerCommand.class);
        m.put("tokenize", TokenizeCommand.class);
        m.put("perplexity", PerplexityCommand.class);
        m.put("ir", IrCommand.class);
        m.put("synth", SynthCommand.class);
        m.put("simulate", SimulateCommand.class);
        m.put("pull", PullCommand.class);
        m.put("fuzz", FuzzCommand.class);
        m.put("help", CommandLine.HelpCommand.class);
        return Collections.unmodifiableMap(m);
    }

    /** The command line for {@code args}: only the subcommand {@code args[0]} names, or all of them. */
    static CommandLine commandLine(String... args) {
        CommandLine cl = new CommandLine(new Main());
        Class<?> named = args.length > 0 && !args[0].equals("help") ? COMMANDS.get(args[0]) : null;
        if (named != null) {
            cl.addSubcommand(args[0], named);
        } else {
            COMMANDS.forEach(cl::addSubcommand);
        }
        return cl;
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the CLI; errors become one line on stderr ({@code ggufc: <what went wrong>}) and exit code 1. */
    public static int execute(String... args) {
        CommandLine cl = commandLine(args);
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> fail(cmd.getErr(), ex));
        try {
            return cl.execute(args);
        } catch (Throwable t) {
            // picocli's handler sees Exceptions only: an Error (out of memory, a damaged class file,
            // a stack overflow) thrown by a command reaches here, and is one line too
            return fail(cl.getErr(), t);
        }
    }

    private static int fail(PrintWriter err, Throwable ex) {
        err.println("ggufc: " + describe(ex));
        if (System.getenv("GGUFC_DEBUG") != null) ex.printStackTrace(err);
        err.flush();
        return 1;
    }

    static String describe(Throwable ex) {
        if (ex instanceof OutOfMemoryError) {
            return "out of memory (" + (ex.getMessage() == null ? "no detail" : ex.getMessage()) + "; this JVM may use "
                    + Runtime.getRuntime().maxMemory() / (1 << 20) + " MiB of heap): try a smaller --ctx, --batch, input or model";
        }
        String msg = ex.getMessage();
        if (msg == null || msg.isBlank()) msg = ex.getClass().getSimpleName();
        // an Error's message alone (a class name, a number) does not say what went wrong
        if (ex instanceof Error) msg = ex.getClass().getSimpleName() + ": " + msg;
        return msg;
    }
}
