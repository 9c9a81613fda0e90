package ggufc.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code ggufc}: compile, inspect and run GGUF language models. */
@Command(name = "ggufc", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Ahead-of-time compiler and runtime for GGUF language models.",
        subcommands = {RunCommand.class, CompileCommand.class, DevicesCommand.class, BenchCommand.class, BenchWorkerCommand.class, TokenizeCommand.class, IrCommand.class, SynthCommand.class, PullCommand.class, CommandLine.HelpCommand.class})
public final class Main {

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the CLI; errors become one line on stderr ({@code ggufc: <what went wrong>}) and exit code 1. */
    public static int execute(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            PrintWriter err = cmd.getErr();
            err.println("ggufc: " + describe(ex));
            if (System.getenv("GGUFC_DEBUG") != null) ex.printStackTrace(err);
            err.flush();
            return 1;
        });
        return cl.execute(args);
    }

    static String describe(Throwable ex) {
        String msg = ex.getMessage();
        if (msg == null || msg.isBlank()) msg = ex.getClass().getSimpleName();
        return msg;
    }
}
