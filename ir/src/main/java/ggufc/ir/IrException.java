package ggufc.ir;

import java.util.List;

/** An invalid graph: every problem found, each naming the node. */
public final class IrException extends RuntimeException {
    private final List<String> problems;

    public IrException(List<String> problems) {
        super(String.join("\n", problems));
        this.problems = List.copyOf(problems);
    }

    public IrException(String problem) { this(List.of(problem)); }

    public List<String> problems() { return problems; }
}
