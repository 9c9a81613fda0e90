package ggufc.ir.text;

import ggufc.ir.Attrs;
import ggufc.ir.DType;
import ggufc.ir.Dim;
import ggufc.ir.Graph;
import ggufc.ir.GraphBuilder;
import ggufc.ir.GraphModule;
import ggufc.ir.IrException;
import ggufc.ir.Node;
import ggufc.ir.OpKind;
import ggufc.ir.Shape;
import ggufc.ir.TensorType;
import ggufc.ir.TypeRules;
import ggufc.ir.text.antlr.IrLexer;
import ggufc.ir.text.antlr.IrParser.AttrContext;
import ggufc.ir.text.antlr.IrParser.AttrValueContext;
import ggufc.ir.text.antlr.IrParser.BoolValueContext;
import ggufc.ir.text.antlr.IrParser.FileContext;
import ggufc.ir.text.antlr.IrParser.GraphContext;
import ggufc.ir.text.antlr.IrParser.ListValueContext;
import ggufc.ir.text.antlr.IrParser.ModuleContext;
import ggufc.ir.text.antlr.IrParser.NumberContext;
import ggufc.ir.text.antlr.IrParser.NumberValueContext;
import ggufc.ir.text.antlr.IrParser.OutputContext;
import ggufc.ir.text.antlr.IrParser.StatementContext;
import ggufc.ir.text.antlr.IrParser.StringValueContext;
import org.antlr.v4.runtime.BaseErrorListener;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.CommonTokenStream;
import org.antlr.v4.runtime.LexerNoViableAltException;
import org.antlr.v4.runtime.RecognitionException;
import org.antlr.v4.runtime.Recognizer;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.TokenStream;
import org.antlr.v4.runtime.Vocabulary;
import org.antlr.v4.runtime.VocabularyImpl;
import org.antlr.v4.runtime.misc.Interval;
import org.antlr.v4.runtime.tree.TerminalNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Reads the IR's textual form (see {@code Ir.g4} and {@link IrPrinter}) into verified graphs.
 *
 * <p>Graphs are built through {@link GraphBuilder}, so every node is type-checked by
 * {@link TypeRules} and every declared type is compared with the inferred one. All problems are
 * collected (syntax errors first; if there are any, the file is not analysed further) and thrown
 * together as one {@link IrException} whose problems read {@code sourceName:line:col: message},
 * with 1-based lines and columns.
 */
public final class IrParser {
    private IrParser() {}

    /** Stop collecting after this many problems. */
    static final int MAX_PROBLEMS = 100;

    private static final java.util.regex.Pattern SYMBOL = java.util.regex.Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Map<String, OpKind> OPS = new HashMap<>();
    private static final Map<String, DType> DTYPES = new HashMap<>();

    static {
        for (OpKind k : OpKind.values()) OPS.put(k.irName(), k);
        for (DType t : DType.values()) DTYPES.put(t.irName(), t);
    }

    /** The single graph in {@code source}; {@code sourceName} prefixes error messages. */
    public static Graph parse(String source, String sourceName) {
        return read(source, sourceName, true).getFirst();
    }

    /** Every graph in {@code source}, in order, those inside modules included (none is fine). */
    public static List<Graph> parseAll(String source, String sourceName) {
        return read(source, sourceName, false);
    }

    /**
     * The single module in {@code source} (and nothing outside it), verified as one unit
     * ({@link ggufc.ir.Verifier#check(GraphModule)}: shared states of one type, inputs fed by another graph's output
     * typed like it); problems are reported at the module's name.
     */
    public static GraphModule parseModule(String source, String sourceName) {
        Diagnostics diag = new Diagnostics(sourceName);
        FileContext file = syntaxOrThrow(source, sourceName, diag);
        GraphModule module = null;
        try {
            if (file.module().size() != 1) {
                if (file.module().isEmpty()) diag.error(1, 1, "expected a module, found none");
                else diag.error(file.module(1).MODULE().getSymbol(), "expected one module, found " + file.module().size());
            }
            for (GraphContext gc : file.graph()) diag.error(gc.GRAPH().getSymbol(), "a graph outside the module");
            if (!file.module().isEmpty()) {
                ModuleContext mc = file.module(0);
                Token nameToken = mc.AT_NAME().getSymbol();
                List<Graph> graphs = new ArrayList<>();
                for (GraphContext gc : mc.graph()) {
                    Graph g = new GraphReader(diag).read(gc);
                    if (g != null) graphs.add(g);
                }
                if (diag.count() == 0) {
                    module = new GraphModule(new GraphReader(diag).graphName(nameToken), graphs);
                    for (String p : ggufc.ir.Verifier.check(module)) diag.error(nameToken, p);
                }
            }
        } catch (TooManyProblems e) {
            // fall through: report what we have
        }
        diag.throwIfAny();
        return module;
    }

    /** Every graph in a UTF-8 file; messages name the file as given. */
    public static List<Graph> parseAll(Path file) throws IOException {
        return parseAll(Files.readString(file, StandardCharsets.UTF_8), file.toString());
    }

    /** The parse tree of {@code source}, or its syntax errors thrown as one exception. */
    private static FileContext syntaxOrThrow(String source, String sourceName, Diagnostics diag) {
        FileContext file;
        try {
            file = syntax(source, sourceName, diag);
        } catch (TooManyProblems e) {
            throw diag.exception();
        }
        diag.throwIfAny();
        return file;
    }

    private static List<Graph> read(String source, String sourceName, boolean single) {
        Diagnostics diag = new Diagnostics(sourceName);
        FileContext file = syntaxOrThrow(source, sourceName, diag);
        List<Graph> graphs = new ArrayList<>();
        try {
            if (single && file.graph().size() != 1) {
                if (file.graph().isEmpty()) diag.error(1, 1, "expected a graph, found none");
                else diag.error(file.graph(1).GRAPH().getSymbol(), "expected one graph, found " + file.graph().size());
            }
            if (single && !file.module().isEmpty()) diag.error(file.module(0).MODULE().getSymbol(), "expected one graph, found a module (read it with parseModule)");
            // in file order: top-level graphs and the graphs of each module
            List<GraphContext> all = new ArrayList<>();
            for (org.antlr.v4.runtime.tree.ParseTree child : file.children) {
                if (child instanceof GraphContext gc) all.add(gc);
                else if (child instanceof ModuleContext mc) all.addAll(mc.graph());
            }
            for (GraphContext gc : all) {
                Graph g = new GraphReader(diag).read(gc);
                if (g != null) graphs.add(g);
            }
        } catch (TooManyProblems e) {
            // fall through: report what we have
        }
        diag.throwIfAny();
        return graphs;
    }

    // ------------------------------------------------------------------ syntax

    private static final Vocabulary PRETTY_VOCABULARY = prettyVocabulary();

    private static Vocabulary prettyVocabulary() {
        Vocabulary v = ggufc.ir.text.antlr.IrParser.VOCABULARY;
        int n = v.getMaxTokenType() + 1;
        String[] literal = new String[n], symbolic = new String[n], display = new String[n];
        Map<String, String> pretty = Map.of("VALUE", "%value", "TENSOR_TYPE", "tensor type", "AT_NAME", "@name",
                "FLOAT", "real", "INT", "integer", "STRING", "string", "IDENT", "identifier");
        for (int i = 0; i < n; i++) {
            literal[i] = v.getLiteralName(i);
            symbolic[i] = v.getSymbolicName(i);
            display[i] = literal[i] != null ? literal[i] : symbolic[i] != null ? pretty.getOrDefault(symbolic[i], symbolic[i]) : v.getDisplayName(i);
        }
        return new VocabularyImpl(literal, symbolic, display);
    }

    private static FileContext syntax(String source, String sourceName, Diagnostics diag) {
        BaseErrorListener listener = new BaseErrorListener() {
            @Override
            public void syntaxError(Recognizer<?, ?> recognizer, Object offendingSymbol, int line, int charPositionInLine,
                                    String msg, RecognitionException e) {
                diag.error(line, charPositionInLine + 1, msg);
            }
        };
        IrLexer lexer = new IrLexer(CharStreams.fromString(source, sourceName)) {
            @Override
            public void notifyListeners(LexerNoViableAltException e) {
                String text = _input.getText(Interval.of(_tokenStartCharIndex, _input.index()));
                String msg = text.startsWith("\"") ? "unterminated string"
                        : "unexpected character '" + getErrorDisplay(text.substring(0, Math.min(text.length(), Character.charCount(text.codePointAt(0))))) + "'";
                getErrorListenerDispatch().syntaxError(this, null, _tokenStartLine, _tokenStartCharPositionInLine, msg, e);
            }
        };
        lexer.removeErrorListeners();
        lexer.addErrorListener(listener);
        TokenStream tokens = new CommonTokenStream(lexer);
        ggufc.ir.text.antlr.IrParser parser = new ggufc.ir.text.antlr.IrParser(tokens) {
            @Override
            public Vocabulary getVocabulary() { return PRETTY_VOCABULARY; }
        };
        parser.removeErrorListeners();
        parser.addErrorListener(listener);
        return parser.file();
    }

    // ------------------------------------------------------------------ diagnostics

    private static final class TooManyProblems extends RuntimeException {
        TooManyProblems() { super(null, null, false, false); }
    }

    private record Problem(int line, int col, String message) {}

    private static final class Diagnostics {
        final String sourceName;
        final List<Problem> problems = new ArrayList<>();

        Diagnostics(String sourceName) { this.sourceName = sourceName; }

        void error(int line, int col, String message) {
            problems.add(new Problem(line, col, message));
            if (problems.size() >= MAX_PROBLEMS) throw new TooManyProblems();
        }

        void error(Token t, String message) { error(t, 0, message); }

        /** At {@code offset} characters into token {@code t} (single-line tokens). */
        void error(Token t, int offset, String message) { error(t.getLine(), t.getCharPositionInLine() + 1 + offset, message); }

        int count() { return problems.size(); }

        IrException exception() {
            List<Problem> sorted = new ArrayList<>(problems);
            sorted.sort(Comparator.comparingInt(Problem::line).thenComparingInt(Problem::col));
            List<String> lines = new ArrayList<>();
            for (Problem p : sorted) lines.add(sourceName + ":" + p.line + ":" + p.col + ": " + p.message);
            if (problems.size() >= MAX_PROBLEMS) lines.add(sourceName + ": too many problems, stopped after " + MAX_PROBLEMS);
            return new IrException(lines);
        }

        void throwIfAny() {
            if (!problems.isEmpty()) throw exception();
        }
    }

    // ------------------------------------------------------------------ semantics

    /** What a value name stands for: a node, or nothing when its statement was in error (no cascades). */
    private record Binding(Node node, Token definedAt) {}

    private static final class GraphReader {
        final Diagnostics diag;
        final Map<String, Binding> values = new HashMap<>();
        /** First definition of every value name in the graph, to tell "defined later" from "undefined". */
        final Map<String, Token> definitions = new HashMap<>();
        /** "param:name" -> where declared. */
        final Map<String, Token> leaves = new HashMap<>();
        final Map<String, Node> states = new HashMap<>();
        GraphBuilder builder;

        GraphReader(Diagnostics diag) { this.diag = diag; }

        Graph read(GraphContext gc) {
            int before = diag.count();
            Token nameToken = gc.AT_NAME().getSymbol();
            String name = graphName(nameToken);
            builder = new GraphBuilder(name == null ? "" : name);
            for (StatementContext s : gc.statement()) definitions.putIfAbsent(s.VALUE().getText(), s.VALUE().getSymbol());
            for (StatementContext s : gc.statement()) statement(s);
            outputs(gc, name);
            if (diag.count() > before) return null;
            try {
                return builder.build();
            } catch (IrException e) {
                // the checks above should have caught everything the verifier finds; report it anyway
                for (String p : e.problems()) diag.error(nameToken, p);
                return null;
            }
        }

        String graphName(Token t) {
            String text = t.getText();
            return text.startsWith("@\"") ? unquote(t, text.substring(1), 1) : text.substring(1);
        }

        void statement(StatementContext s) {
            Token def = s.VALUE().getSymbol();
            String valueName = def.getText();
            boolean ok = true;
            Binding previous = values.get(valueName);
            if (previous != null) {
                diag.error(def, "value " + valueName + " is already defined at line " + previous.definedAt().getLine());
                ok = false;
            }

            Token opToken = s.op.getStart();
            OpKind op = OPS.get(s.op.getText());
            if (op == null) {
                diag.error(opToken, "unknown op '" + s.op.getText() + "'");
                ok = false;
            }

            Token typeToken = s.TENSOR_TYPE().getSymbol();
            TensorType declared = type(typeToken);
            if (declared == null) ok = false;

            TreeMap<String, Object> attrs = new TreeMap<>();
            if (s.leafName != null) {
                String leafName = unquote(s.leafName, s.leafName.getText(), 0);
                if (leafName == null) ok = false;
                else attrs.put("name", leafName);
            }
            if (s.attrDict() != null) {
                for (AttrContext a : s.attrDict().attr()) {
                    Token keyToken = a.key.getStart();
                    String key = a.key.STRING() != null ? unquote(keyToken, keyToken.getText(), 0) : keyToken.getText();
                    Object value = attrValue(a.attrValue());
                    if (key == null || value == null) {
                        ok = false;
                    } else if (attrs.containsKey(key)) {
                        diag.error(keyToken, key.equals("name") && s.leafName != null
                                ? "attribute 'name' is given twice (the quoted string after the op is the name)"
                                : "attribute '" + key + "' is given twice");
                        ok = false;
                    } else {
                        attrs.put(key, value);
                    }
                }
            }

            List<Node> operands = new ArrayList<>();
            boolean poisoned = false;
            if (s.operands() != null) {
                for (TerminalNode v : s.operands().VALUE()) {
                    Binding b = use(v.getSymbol());
                    if (b == null) ok = false;
                    else if (b.node() == null) poisoned = true;
                    else operands.add(b.node());
                }
            }

            Node node = null;
            if (ok && !poisoned) node = build(op, opToken, s, operands, new Attrs(attrs), declared, typeToken);
            if (previous == null) values.put(valueName, new Binding(node, def));
        }

        /** Type-checks and adds the node; null (and reported) when it is wrong. */
        Node build(OpKind op, Token opToken, StatementContext s, List<Node> operands, Attrs attrs, TensorType declared, Token typeToken) {
            String opName = op.irName();
            if (!op.acceptsOperands(operands.size())) {
                int n = Math.abs(op.arity());
                diag.error(opToken, opName + " expects " + (op.isVariadic() ? "at least " : "") + n + " operand" + (n == 1 ? "" : "s") + ", got " + operands.size());
                return null;
            }
            Set<String> missing = new TreeSet<>(TypeRules.requiredAttrs(op));
            missing.removeAll(attrs.map().keySet());
            if (!missing.isEmpty()) {
                diag.error(opToken, opName + " needs attribute" + (missing.size() == 1 ? " '" : "s '") + String.join("', '", missing) + "'");
                return null;
            }
            if (op == OpKind.INPUT || op == OpKind.PARAM || op == OpKind.STATE) {
                if (attrs.get("name") instanceof String leafName) {
                    Token where = s.leafName != null ? s.leafName : opToken;
                    // a placed graph declares a weight or input once per device (a state once)
                    String device = op == OpKind.STATE || !(attrs.get(ggufc.ir.Placement.DEVICE) instanceof Long d) ? "" : "@" + d;
                    Token first = leaves.putIfAbsent(opName + ":" + leafName + device, where);
                    if (first != null) {
                        diag.error(where, opName + " " + IrPrinter.quote(leafName) + " is already declared at line " + first.getLine());
                        return null;
                    }
                }
            }
            TensorType inferred;
            try {
                inferred = TypeRules.infer(op, operands.stream().map(Node::type).toList(), attrs, declared);
            } catch (TypeRules.TypeError | IllegalArgumentException e) {
                diag.error(opToken, opName + ": " + e.getMessage());
                return null;
            } catch (RuntimeException e) {
                diag.error(opToken, opName + ": internal error in its type rule: " + e);
                return null;
            }
            if (!inferred.equals(declared)) {
                diag.error(typeToken, opName + ": declared type " + IrPrinter.type(declared) + " but the operands give " + IrPrinter.type(inferred));
                return null;
            }
            try {
                Node n = builder.add(op, operands, attrs, declared);
                if (op == OpKind.STATE) states.putIfAbsent(n.name(), n);
                // GraphBuilder places a pass's new op on its first operand's device; a text says where each node runs
                if (!attrs.has(ggufc.ir.Placement.DEVICE) && n.attrs().has(ggufc.ir.Placement.DEVICE)) {
                    diag.error(opToken, s.VALUE().getText() + " = " + opName + ": has no device (in a placed graph every node has one)");
                }
                return n;
            } catch (IrException e) {
                for (String p : e.problems()) diag.error(opToken, p);
                return null;
            }
        }

        /** The binding of a used value; null (and reported) when it is not defined before this use. */
        Binding use(Token v) {
            Binding b = values.get(v.getText());
            if (b != null) return b;
            Token def = definitions.get(v.getText());
            if (def != null) diag.error(v, v.getText() + " is used before its definition at line " + def.getLine());
            else diag.error(v, "undefined value " + v.getText());
            return null;
        }

        void outputs(GraphContext gc, String graphName) {
            Set<String> names = new HashSet<>();
            for (OutputContext o : gc.ret().output()) {
                Token nameToken = o.STRING().getSymbol();
                String name = unquote(nameToken, nameToken.getText(), 0);
                Binding b = use(o.VALUE().getSymbol());
                if (name == null) continue;
                if (!names.add(name)) {
                    diag.error(nameToken, "output " + IrPrinter.quote(name) + " is declared twice");
                    continue;
                }
                if (b == null || b.node() == null) continue;
                Node state = states.get(name);
                if (state != null && !state.type().equals(b.node().type())) {
                    diag.error(o.VALUE().getSymbol(), "output " + IrPrinter.quote(name) + " writes back state " + IrPrinter.quote(name)
                            + " of type " + IrPrinter.type(state.type()) + " with " + o.VALUE().getText() + " of type " + IrPrinter.type(b.node().type()));
                    continue;
                }
                builder.output(name, b.node());
            }
            if (gc.ret().output().isEmpty()) {
                diag.error(gc.ret().RETURN().getSymbol(), "graph " + IrPrinter.graphName(graphName == null ? "" : graphName) + " has no outputs");
            }
        }

        // ---- literals

        Object attrValue(AttrValueContext v) {
            return switch (v) {
                case NumberValueContext n -> number(n.number());
                case StringValueContext s -> unquote(s.STRING().getSymbol(), s.STRING().getText(), 0);
                case BoolValueContext b -> b.TRUE() != null;
                case ListValueContext l -> {
                    List<Object> items = new ArrayList<>();
                    boolean ok = true;
                    for (AttrValueContext item : l.attrValue()) {
                        if (!(item instanceof NumberValueContext n)) {
                            diag.error(item.getStart(), "attribute lists hold numbers only");
                            ok = false;
                            continue;
                        }
                        Object x = number(n.number());
                        if (x == null) ok = false;
                        else items.add(x);
                    }
                    yield ok ? items : null;
                }
                default -> throw new IllegalStateException("unexpected attribute value " + v.getText());
            };
        }

        Object number(NumberContext n) {
            Token t = n.getStart();
            return switch (t.getType()) {
                case IrLexer.INT -> {
                    try {
                        yield Long.parseLong(t.getText());
                    } catch (NumberFormatException e) {
                        diag.error(t, "integer " + t.getText() + " is out of the 64-bit range");
                        yield null;
                    }
                }
                case IrLexer.FLOAT -> Double.parseDouble(t.getText());
                case IrLexer.INF -> Double.POSITIVE_INFINITY;
                case IrLexer.MINUS_INF -> Double.NEGATIVE_INFINITY;
                case IrLexer.NAN -> Double.NaN;
                default -> throw new IllegalStateException("unexpected number token " + t.getText());
            };
        }

        /** The contents of quoted {@code text} found {@code offset} chars into token t; null (and reported) on a bad escape. */
        String unquote(Token t, String text, int offset) {
            StringBuilder sb = new StringBuilder(text.length());
            boolean ok = true;
            for (int i = 1; i < text.length() - 1; i++) {
                char c = text.charAt(i);
                if (c != '\\') {
                    sb.append(c);
                    continue;
                }
                char e = text.charAt(++i);
                switch (e) {
                    case '"' -> sb.append('"');
                    case '\\' -> sb.append('\\');
                    case 'n' -> sb.append('\n');
                    case 'r' -> sb.append('\r');
                    case 't' -> sb.append('\t');
                    case 'u' -> {
                        String hex = text.substring(i + 1, Math.min(i + 5, text.length() - 1));
                        if (hex.length() == 4 && hex.chars().allMatch(h -> Character.digit(h, 16) >= 0)) {
                            sb.append((char) Integer.parseInt(hex, 16));
                            i += 4;
                        } else {
                            diag.error(t, offset + i - 1, "bad escape \\u" + hex + " (want four hex digits)");
                            ok = false;
                        }
                    }
                    default -> {
                        diag.error(t, offset + i - 1, "bad escape \\" + e + " (known: \\\" \\\\ \\n \\r \\t \\uXXXX)");
                        ok = false;
                    }
                }
            }
            return ok ? sb.toString() : null;
        }

        /** Decodes a TENSOR_TYPE token; null (and reported, at the exact column) when malformed. */
        TensorType type(Token t) {
            String text = t.getText();
            int start = "tensor<".length(), end = text.length() - 1;
            List<Dim> dims = new ArrayList<>();
            int i = start;
            while (true) {
                int segStart = i;
                String seg;
                boolean parenthesized = false;
                if (i < end && text.charAt(i) == '(') {
                    int close = text.indexOf(')', i);
                    if (close < 0 || close > end) {
                        diag.error(t, i, "unclosed '(' in dimension");
                        return null;
                    }
                    seg = text.substring(i + 1, close);
                    parenthesized = true;
                    i = close + 1;
                    if (i < end && text.charAt(i) != 'x') {
                        diag.error(t, i, "expected 'x' after dimension (" + seg + ")");
                        return null;
                    }
                } else {
                    while (i < end && text.charAt(i) != 'x') i++;
                    seg = text.substring(segStart, i);
                }
                if (i < end) {
                    // a dimension, followed by 'x'
                    Dim d = dim(t, segStart, seg, parenthesized);
                    if (d == null) return null;
                    dims.add(d);
                    i++;
                    continue;
                }
                // the last segment: the dtype
                if (parenthesized || seg.isEmpty()) {
                    diag.error(t, segStart, "expected a dtype at the end of the type");
                    return null;
                }
                DType dtype = DTYPES.get(seg);
                if (dtype == null) {
                    diag.error(t, segStart, "unknown dtype '" + seg + "'");
                    return null;
                }
                return new TensorType(new Shape(dims), dtype);
            }
        }

        Dim dim(Token t, int offset, String seg, boolean parenthesized) {
            if (seg.isEmpty()) {
                diag.error(t, offset, "empty dimension");
                return null;
            }
            if (!parenthesized && seg.chars().allMatch(c -> c >= '0' && c <= '9')) {
                try {
                    return Dim.of(Long.parseLong(seg));
                } catch (NumberFormatException e) {
                    diag.error(t, offset, "dimension " + seg + " is too large");
                    return null;
                }
            }
            if (!SYMBOL.matcher(seg).matches()) {
                diag.error(t, offset, "bad dimension '" + seg + "' (an integer or a symbol [A-Za-z_][A-Za-z0-9_]*)");
                return null;
            }
            return Dim.sym(seg);
        }
    }
}
