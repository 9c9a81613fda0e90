package ggufc.codegen.vector.plan;

import com.palantir.javapoet.CodeBlock;

/** How a {@link Step} names its operands in generated Java. */
public interface Emit {
    CodeBlock slot(int s);

    CodeBlock weight(int w);

    CodeBlock cache(int c);

    CodeBlock input(int i);

    /** Tokens in this step: the literal 1 in the decode method, the variable {@code T} in the prompt one. */
    CodeBlock tokens();

    /** Context length after the step ({@code L}). */
    CodeBlock length();

    /** KV cache capacity in rows. */
    CodeBlock capacity();

    CodeBlock pool();
}
