package ggufc.codegen.vector.plan;

import com.palantir.javapoet.CodeBlock;

/** An element or row count: {@code n}, or {@code n * T} when it scales with the tokens of the step. */
public record Size(long n, boolean perToken) {
    public static Size fixed(long n) { return new Size(n, false); }

    public static Size tokens(long n) { return new Size(n, true); }

    public int eval(int T) { return (int) (perToken ? n * T : n); }

    /** Capacity needed for up to {@code maxTokens} tokens. */
    public long capacity(int maxTokens) { return perToken ? n * maxTokens : n; }

    /** Java expression for the count, {@code t} being the token count expression. */
    public CodeBlock code(CodeBlock t) {
        if (!perToken || t.toString().equals("1")) return CodeBlock.of("$L", n);
        return n == 1 ? t : CodeBlock.of("$L * $L", n, t);
    }

    @Override
    public String toString() { return perToken ? (n == 1 ? "T" : n + "*T") : Long.toString(n); }
}
