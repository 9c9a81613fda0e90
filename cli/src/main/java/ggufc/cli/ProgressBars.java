package ggufc.cli;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarConsumer;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Progress bars on stderr, drawn only when stderr is a terminal: redirected to a file or a pipe
 * (CI logs, a script reading the error line) the bar's carriage-return redraws would be noise
 * around the one line an error is.
 */
final class ProgressBars {
    private ProgressBars() {}

    /** A builder for task {@code name} with the project's style, drawing on stderr when it is a terminal. */
    static ProgressBarBuilder builder(String name) { return builder(name, stderrIsTerminal()); }

    /** As above, drawing on stderr when {@code draw} (a user's --progress), else nowhere. */
    static ProgressBarBuilder builder(String name, boolean draw) {
        ProgressBarConsumer c = draw ? new ConsoleProgressBarConsumer(System.err) : new DelegatingProgressBarConsumer(line -> {});
        return new ProgressBarBuilder().setTaskName(name).setStyle(ProgressBarStyle.ASCII).setConsumer(c);
    }

    /** Whether the process has a terminal (JDK 22+: {@code System.console()} exists even when redirected, and says so). */
    static boolean stderrIsTerminal() {
        java.io.Console c = System.console();
        return c != null && c.isTerminal();
    }
}
