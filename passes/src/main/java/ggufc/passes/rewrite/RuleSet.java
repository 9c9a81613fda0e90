package ggufc.passes.rewrite;

import java.util.List;

/** A named list of rules applied together (first matching rule wins at each node). */
public record RuleSet(String name, List<Rule> rules) {
    public RuleSet {
        rules = List.copyOf(rules);
    }

    public static RuleSet of(String name, Rule... rules) { return new RuleSet(name, List.of(rules)); }
}
