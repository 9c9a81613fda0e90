package ggufc.codegen.tornado.tornadovm;

import com.palantir.javapoet.ArrayTypeName;
import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.FieldSpec;
import com.palantir.javapoet.JavaFile;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.ParameterSpec;
import com.palantir.javapoet.TypeName;
import com.palantir.javapoet.TypeSpec;
import ggufc.codegen.tornado.kir.Buf;
import ggufc.codegen.tornado.kir.Elem;
import ggufc.codegen.tornado.kir.KParam;
import ggufc.codegen.tornado.kir.Kernel;
import ggufc.codegen.tornado.kir.Scalar;
import ggufc.codegen.tornado.kir.Val;
import ggufc.codegen.tornado.lower.Extent;
import ggufc.codegen.tornado.lower.LaunchPlan;
import ggufc.codegen.tornado.lower.LaunchPlan.Arg;
import ggufc.codegen.tornado.lower.LaunchPlan.BufArg;
import ggufc.codegen.tornado.lower.LaunchPlan.BufferKind;
import ggufc.codegen.tornado.lower.LaunchPlan.BufferSpec;
import ggufc.codegen.tornado.lower.LaunchPlan.IntArg;
import ggufc.codegen.tornado.lower.LaunchPlan.Launch;
import ggufc.codegen.tornado.lower.LaunchPlan.When;
import ggufc.codegen.tornado.render.CStyleRenderer;
import ggufc.codegen.tornado.render.JavaKernelSyntax;
import ggufc.ir.DType;
import ggufc.ir.TensorData;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import javax.lang.model.element.Modifier;

/**
 * Writes a Maven-buildable TornadoVM program from a launch plan, with JavaPoet: {@code Kernels}
 * (one static {@code KernelContext} method per kernel of the plan, bodies rendered from the kernel
 * IR by {@link JavaKernelSyntax}), {@code StepGraph} (the plan's buffers as TornadoVM arrays,
 * weights read from the GGUF file at the offsets baked in, and one {@code TaskGraph} whose tasks
 * are the plan's launches in order with their {@code WorkerGrid}s), and {@code Main} (greedy
 * generation from token ids, text from the exported vocabulary). The plan must be lowered for one
 * token per step: prompts run token by token, so every grid is fixed and only scalars that depend on
 * the context length change between steps (they travel as one-element {@code IntArray}s).
 */
public final class TornadoExport {
    private TornadoExport() {}

    public static final String PACKAGE = "ggufc.generated";
    private static final String API = "uk.ac.manchester.tornado.api";
    private static final ClassName KERNEL_CONTEXT = ClassName.get(API, "KernelContext");
    private static final ClassName TASK_GRAPH = ClassName.get(API, "TaskGraph");
    private static final ClassName EXECUTION_PLAN = ClassName.get(API, "TornadoExecutionPlan");
    private static final ClassName GRID_SCHEDULER = ClassName.get(API, "GridScheduler");
    private static final ClassName WORKER_GRID_2D = ClassName.get(API, "WorkerGrid2D");
    private static final ClassName TRANSFER = ClassName.get(API + ".enums", "DataTransferMode");
    private static final ClassName TORNADO_MATH = ClassName.get(API + ".math", "TornadoMath");
    private static final ClassName HALF_FLOAT = ClassName.get(API + ".types", "HalfFloat");
    private static final ClassName FLOAT_ARRAY = ClassName.get(API + ".types.arrays", "FloatArray");
    private static final ClassName HALF_FLOAT_ARRAY = ClassName.get(API + ".types.arrays", "HalfFloatArray");
    private static final ClassName INT_ARRAY = ClassName.get(API + ".types.arrays", "IntArray");
    private static final ClassName BYTE_ARRAY = ClassName.get(API + ".types.arrays", "ByteArray");

    /**
     * Where the exported program finds its data: {@code fileRanges} gives a param's {offset, bytes}
     * in the GGUF file; params missing there (converted at load) come from {@code weights} and are
     * written as resources. {@code pieces}: each token's bytes, for printing text.
     */
    public record Model(String name, Map<String, long[]> fileRanges, Function<String, TensorData> weights, List<byte[]> pieces, int eos) {}

    /** Writes the project into {@code dir}; returns the files written. */
    public static List<Path> write(LaunchPlan plan, Model model, Path dir) {
        if (plan.maxBatch() != 1) throw new IllegalArgumentException("the TornadoVM export needs a plan lowered for one token per step, got " + plan.maxBatch());
        try {
            List<Path> out = new ArrayList<>();
            Path src = dir.resolve("src/main/java"), res = dir.resolve("src/main/resources");
            Files.createDirectories(src);
            Files.createDirectories(res);
            List<Launch> launches = new ArrayList<>();
            for (Launch l : plan.launches()) if (l.when() != When.PROMPT) launches.add(l);
            if (plan.argmax() == null) throw new IllegalArgumentException("the plan has no argmax of the logits");
            launches.add(plan.argmax());
            Map<String, Set<Integer>> dynamic = dynamicScalars(launches, plan);
            JavaFile kernels = JavaFile.builder(PACKAGE, kernelsClass(plan, launches, dynamic)).indent("    ").build();
            JavaFile step = JavaFile.builder(PACKAGE, stepClass(plan, model, launches, dynamic, res, out)).indent("    ").build();
            JavaFile main = JavaFile.builder(PACKAGE, mainClass(plan, model)).indent("    ").build();
            for (JavaFile f : List.of(kernels, step, main)) out.add(f.writeToPath(src));
            StringBuilder vocab = new StringBuilder();
            for (byte[] p : model.pieces()) vocab.append(HexFormat.of().formatHex(p)).append('\n');
            out.add(Files.writeString(res.resolve("vocab.hex"), vocab));
            out.add(Files.writeString(dir.resolve("pom.xml"), pom(model.name())));
            out.add(Files.writeString(dir.resolve("README.md"), readme(model.name(), plan)));
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": " + e.getMessage(), e);
        }
    }

    /** Per kernel, the scalar parameters some launch passes a value that changes between steps (depends on L). */
    private static Map<String, Set<Integer>> dynamicScalars(List<Launch> launches, LaunchPlan plan) {
        Map<String, Set<Integer>> r = new LinkedHashMap<>();
        for (Launch l : launches) {
            Set<Integer> s = r.computeIfAbsent(l.kernel(), k -> new LinkedHashSet<>());
            for (int i = 0; i < l.args().size(); i++) {
                if (l.args().get(i) instanceof IntArg a && (a.value().l() != 0 || a.value().tl() != 0)) s.add(i);
            }
        }
        return r;
    }

    private static TypeName arrayType(Elem e) {
        return switch (e) {
            case F32 -> FLOAT_ARRAY;
            case F16 -> HALF_FLOAT_ARRAY;
            case I32 -> INT_ARRAY;
            case I8, U8 -> BYTE_ARRAY;
        };
    }

    // ---- Kernels.java ----

    private static TypeSpec kernelsClass(LaunchPlan plan, List<Launch> launches, Map<String, Set<Integer>> dynamic) {
        TypeSpec.Builder t = TypeSpec.classBuilder("Kernels").addModifiers(Modifier.PUBLIC, Modifier.FINAL)
                .addJavadoc("Kernels of @$L as TornadoVM KernelContext methods, rendered by ggufc from its kernel IR.\n", plan.graph())
                .addMethod(MethodSpec.constructorBuilder().addModifiers(Modifier.PRIVATE).build());
        t.addMethod(MethodSpec.methodBuilder("halfAt").addModifiers(Modifier.STATIC).returns(float.class)
                .addJavadoc("The IEEE half at half-index {@code i} of raw block bytes, decoded with integer arithmetic only (exact, subnormals included).\n")
                .addParameter(BYTE_ARRAY, "b").addParameter(int.class, "i")
                .addStatement("final int bits = (b.get(2 * i) & 0xFF) | ((b.get(2 * i + 1) & 0xFF) << 8)")
                .addStatement("final int e = (bits >> 10) & 31")
                .addStatement("final int m = bits & 1023")
                .addStatement("float mag")
                .beginControlFlow("if (e == 31)")
                .addStatement("mag = m == 0 ? Float.POSITIVE_INFINITY : Float.NaN")
                .nextControlFlow("else")
                .addComment("value = (e == 0 ? m : 1024 + m) * 2^(max(e, 1) - 25); powers of two are exact in float")
                .addStatement("mag = e == 0 ? m : 1024 + m")
                .addStatement("int k = (e == 0 ? 1 : e) - 25")
                .beginControlFlow("for (; k > 0; k--)").addStatement("mag *= 2.0f").endControlFlow()
                .beginControlFlow("for (; k < 0; k++)").addStatement("mag *= 0.5f").endControlFlow()
                .endControlFlow()
                .addStatement("return (bits & 0x8000) != 0 ? -mag : mag")
                .build());
        t.addMethod(MethodSpec.methodBuilder("setHalfAt").addModifiers(Modifier.STATIC)
                .addJavadoc("Stores {@code v} rounded to an IEEE half at half-index {@code i} of raw block bytes (little endian).\n")
                .addParameter(BYTE_ARRAY, "b").addParameter(int.class, "i").addParameter(float.class, "v")
                .addStatement("final int bits = new $T(v).getHalfFloatValue() & 0xFFFF", HALF_FLOAT)
                .addStatement("b.set(2 * i, (byte) bits)")
                .addStatement("b.set(2 * i + 1, (byte) (bits >> 8))")
                .build());
        CStyleRenderer r = new CStyleRenderer(JavaKernelSyntax.INSTANCE);
        Set<String> done = new LinkedHashSet<>();
        for (Launch l : launches) {
            if (!done.add(l.kernel())) continue;
            Kernel k = plan.kernel(l.kernel());
            MethodSpec.Builder m = MethodSpec.methodBuilder(k.name()).addModifiers(Modifier.PUBLIC, Modifier.STATIC)
                    .addJavadoc("$L\n", k.doc().replace("$", "$$")).addParameter(KERNEL_CONTEXT, "context");
            Set<Integer> dyn = dynamic.getOrDefault(k.name(), Set.of());
            CodeBlock.Builder prologue = CodeBlock.builder();
            for (int i = 0; i < k.params().size(); i++) {
                KParam p = k.params().get(i);
                if (p instanceof Buf b) {
                    m.addParameter(arrayType(b.elem()), b.name());
                } else if (p instanceof Val v) {
                    if (dyn.contains(i)) {
                        m.addParameter(INT_ARRAY, v.name() + "_arg");
                        prologue.addStatement("final int $L = $L_arg.get(0)", v.name(), v.name());
                    } else {
                        m.addParameter(v.type() == Scalar.F32 ? TypeName.FLOAT : TypeName.INT, v.name());
                    }
                }
            }
            m.addCode(prologue.build());
            m.addCode(withTypes(r.renderBody(k, 0)));
            t.addMethod(m.build());
        }
        return t.build();
    }

    /** A rendered body as a CodeBlock whose TornadoMath and HalfFloat references are types, so JavaPoet imports them. */
    private static CodeBlock withTypes(String body) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\b(TornadoMath|HalfFloat)\\b").matcher(body);
        StringBuilder fmt = new StringBuilder();
        List<Object> args = new ArrayList<>();
        int last = 0;
        while (m.find()) {
            fmt.append(body, last, m.start()).append("$T");
            args.add(m.group(1).equals("TornadoMath") ? TORNADO_MATH : HALF_FLOAT);
            last = m.end();
        }
        fmt.append(body.substring(last));
        return CodeBlock.of(fmt.toString(), args.toArray());
    }

    // ---- StepGraph.java ----

    private static TypeSpec stepClass(LaunchPlan plan, Model model, List<Launch> launches, Map<String, Set<Integer>> dynamic, Path res, List<Path> out) throws IOException {
        TypeSpec.Builder t = TypeSpec.classBuilder("StepGraph").addModifiers(Modifier.PUBLIC, Modifier.FINAL)
                .addJavadoc("One decode step of @$L as a TornadoVM TaskGraph: $L tasks, weights and KV cache on the device,\nonly the next token id copied back.\n",
                        plan.graph(), launches.size());
        ClassName memorySegment = ClassName.get("java.lang.foreign", "MemorySegment");
        MethodSpec.Builder ctor = MethodSpec.constructorBuilder().addModifiers(Modifier.PUBLIC).addParameter(ClassName.get(Path.class), "gguf")
                .addException(IOException.class);
        ctor.addStatement("$T file = map(gguf)", memorySegment);
        List<String> once = new ArrayList<>(), every = new ArrayList<>();
        Map<Integer, String> names = new LinkedHashMap<>();
        Map<Integer, TypeName> types = new LinkedHashMap<>();
        for (BufferSpec b : plan.buffers()) {
            String n = "b" + b.id();
            names.put(b.id(), n);
            TypeName ty;
            switch (b.kind()) {
                case PARAM -> {
                    ty = b.dtype() == DType.F32 ? FLOAT_ARRAY : b.dtype() == DType.F16 ? HALF_FLOAT_ARRAY : BYTE_ARRAY;
                    long[] range = model.fileRanges().get(b.source());
                    String loader = b.dtype() == DType.F32 ? "floats" : b.dtype() == DType.F16 ? "halves" : "bytes";
                    long count = b.dtype() == DType.F32 ? b.bytes() / 4 : b.dtype() == DType.F16 ? b.bytes() / 2 : b.bytes();
                    if (range != null && range[1] == b.bytes()) {
                        ctor.addComment("$L", b.source()).addStatement("$L = $L(file, $LL, $L)", n, loader, range[0], count);
                    } else {
                        String resName = "weights/" + b.source() + ".bin";
                        Path p = res.resolve(resName);
                        Files.createDirectories(p.getParent());
                        TensorData d = model.weights().apply(b.source());
                        Files.write(p, d.bytes().asSlice(0, b.bytes()).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
                        out.add(p);
                        ctor.addComment("$L, converted when exported", b.source()).addStatement("$L = $L(resource($S), 0L, $L)", n, loader, resName, count);
                    }
                    once.add(n);
                }
                case STATE -> {
                    ty = b.dtype() == DType.F16 ? HALF_FLOAT_ARRAY : FLOAT_ARRAY;
                    ctor.addComment("KV cache $L", b.source()).addStatement("$L = new $T($L)", n, ty, b.bytes() / (b.dtype() == DType.F16 ? 2 : 4));
                    once.add(n);
                }
                case INPUT -> {
                    ty = INT_ARRAY;
                    ctor.addComment("input $L", b.source()).addStatement("$L = new $T($L)", n, ty, Math.max(1, b.bytes() / 4));
                    every.add(n);
                }
                case CONSTANT -> {
                    ty = b.dtype() == DType.I32 ? INT_ARRAY : FLOAT_ARRAY;
                    StringBuilder vals = new StringBuilder();
                    for (double v : b.constant()) vals.append(vals.isEmpty() ? "" : ", ").append(b.dtype() == DType.I32 ? Integer.toString((int) v) : (float) v + "f");
                    ctor.addStatement("$L = $T.fromArray(new $L[] {$L})", n, ty, b.dtype() == DType.I32 ? "int" : "float", vals);
                    once.add(n);
                }
                default -> {
                    ty = FLOAT_ARRAY;
                    ctor.addStatement("$L = new $T($L)", n, ty, b.bytes() / 4);
                    once.add(n);
                }
            }
            types.put(b.id(), ty);
            t.addField(ty, n, Modifier.PRIVATE, Modifier.FINAL);
        }
        t.addField(INT_ARRAY, "next", Modifier.PRIVATE, Modifier.FINAL);
        ctor.addStatement("next = new $T(1)", INT_ARRAY);
        int tokens = plan.inputs().get("tokens"), pos = plan.inputs().get("pos");
        // dynamic scalars: one IntArray per (launch, parameter)
        MethodSpec.Builder stepM = MethodSpec.methodBuilder("step").addModifiers(Modifier.PUBLIC).returns(int.class).addParameter(int.class, "token").addParameter(int.class, "position")
                .addJavadoc("Runs one token at {@code position} and returns the greedy next token.\n")
                .addStatement("$L.set(0, token)", names.get(tokens)).addStatement("$L.set(0, position)", names.get(pos))
                .addStatement("final int T = 1").addStatement("final int L = position + 1");
        ctor.addStatement("$T context = new $T()", KERNEL_CONTEXT, KERNEL_CONTEXT);
        ctor.addStatement("$T grid = new $T()", GRID_SCHEDULER, GRID_SCHEDULER);
        CodeBlock.Builder graph = CodeBlock.builder().add("$T graph = new $T($S)\n", TASK_GRAPH, TASK_GRAPH, "step").indent().indent();
        graph.add(".transferToDevice($T.FIRST_EXECUTION, $L)\n", TRANSFER, String.join(", ", once));
        List<String> dynArrays = new ArrayList<>();
        List<CodeBlock> tasks = new ArrayList<>();
        for (int li = 0; li < launches.size(); li++) {
            Launch l = launches.get(li);
            Kernel k = plan.kernel(l.kernel());
            Set<Integer> dyn = dynamic.getOrDefault(k.name(), Set.of());
            List<String> args = new ArrayList<>(List.of("context"));
            boolean isArgmax = l == plan.argmax();
            for (int a = 0; a < l.args().size(); a++) {
                Arg arg = l.args().get(a);
                if (arg instanceof BufArg b) {
                    args.add(isArgmax && a == 1 ? "next" : names.get(b.buffer()));
                } else if (arg instanceof IntArg v) {
                    if (dyn.contains(a)) {
                        String s = "s" + li + "_" + a;
                        t.addField(INT_ARRAY, s, Modifier.PRIVATE, Modifier.FINAL);
                        ctor.addStatement("$L = new $T(1)", s, INT_ARRAY);
                        dynArrays.add(s);
                        stepM.addStatement("$L.set(0, $L)", s, javaExpr(v.value()));
                        args.add(s);
                    } else {
                        args.add(Long.toString(v.value().eval(1, 1)));
                    }
                }
            }
            String taskId = "t" + li;
            tasks.add(CodeBlock.of(".task($S, $T::$L, $L)  // $L\n", taskId, ClassName.get(PACKAGE, "Kernels"), k.name(), String.join(", ", args), l.node()));
            long g0 = l.groups0().eval(1, 1), g1 = l.groups1().eval(1, 1);
            if (!l.groups0().isConstant() && (l.groups0().l() != 0 || l.groups0().tl() != 0)) throw new IllegalArgumentException(k.name() + ": grid depends on L");
            ctor.addStatement("$T w$L = new $T($L, $L)", WORKER_GRID_2D, li, WORKER_GRID_2D, g0 * k.localSize(), g1);
            ctor.addStatement("w$L.setLocalWork($L, 1, 1)", li, k.localSize());
            ctor.addStatement("grid.addWorkerGrid($S, w$L)", "step." + taskId, li);
        }
        List<String> everyAll = new ArrayList<>(every);
        everyAll.addAll(dynArrays);
        graph.add(".transferToDevice($T.EVERY_EXECUTION, $L)\n", TRANSFER, String.join(", ", everyAll));
        for (CodeBlock c : tasks) graph.add(c);
        graph.add(".transferToHost($T.EVERY_EXECUTION, next);\n", TRANSFER).unindent().unindent();
        ctor.addCode(graph.build());
        ctor.addStatement("plan = new $T(graph.snapshot()).withGridScheduler(grid)", EXECUTION_PLAN);
        t.addField(EXECUTION_PLAN, "plan", Modifier.PRIVATE, Modifier.FINAL);
        stepM.addStatement("plan.execute()").addStatement("return next.get(0)");
        t.addMethod(ctor.build()).addMethod(stepM.build());
        t.addMethod(MethodSpec.methodBuilder("close").addModifiers(Modifier.PUBLIC).addJavadoc("Frees the device memory.\n").addStatement("plan.freeDeviceMemory()").build());
        // loaders
        ClassName vl = ClassName.get("java.lang.foreign", "ValueLayout"), bo = ClassName.get("java.nio", "ByteOrder");
        t.addMethod(MethodSpec.methodBuilder("map").addModifiers(Modifier.STATIC).returns(memorySegment).addParameter(ClassName.get(Path.class), "p").addException(IOException.class)
                .beginControlFlow("try (var ch = $T.open(p))", ClassName.get("java.nio.channels", "FileChannel"))
                .addStatement("return ch.map($T.MapMode.READ_ONLY, 0, ch.size(), $T.ofAuto())", ClassName.get("java.nio.channels", "FileChannel"), ClassName.get("java.lang.foreign", "Arena"))
                .endControlFlow().build());
        t.addMethod(MethodSpec.methodBuilder("resource").addModifiers(Modifier.STATIC).returns(memorySegment).addParameter(String.class, "name").addException(IOException.class)
                .beginControlFlow("try (var in = StepGraph.class.getResourceAsStream(\"/\" + name))")
                .addStatement("return $T.ofArray(in.readAllBytes())", memorySegment).endControlFlow().build());
        t.addMethod(MethodSpec.methodBuilder("floats").addModifiers(Modifier.STATIC).returns(FLOAT_ARRAY).addParameter(memorySegment, "m").addParameter(long.class, "off").addParameter(int.class, "n")
                .addStatement("$T a = new $T(n)", FLOAT_ARRAY, FLOAT_ARRAY)
                .addStatement("for (int i = 0; i < n; i++) a.set(i, m.get($T.JAVA_FLOAT_UNALIGNED.withOrder($T.LITTLE_ENDIAN), off + 4L * i))", vl, bo)
                .addStatement("return a").build());
        t.addMethod(MethodSpec.methodBuilder("halves").addModifiers(Modifier.STATIC).returns(HALF_FLOAT_ARRAY).addParameter(memorySegment, "m").addParameter(long.class, "off").addParameter(int.class, "n")
                .addStatement("$T a = new $T(n)", HALF_FLOAT_ARRAY, HALF_FLOAT_ARRAY)
                .addStatement("for (int i = 0; i < n; i++) a.set(i, new $T(Float.float16ToFloat(m.get($T.JAVA_SHORT_UNALIGNED.withOrder($T.LITTLE_ENDIAN), off + 2L * i))))", HALF_FLOAT, vl, bo)
                .addStatement("return a").build());
        t.addMethod(MethodSpec.methodBuilder("bytes").addModifiers(Modifier.STATIC).returns(BYTE_ARRAY).addParameter(memorySegment, "m").addParameter(long.class, "off").addParameter(int.class, "n")
                .addStatement("$T a = new $T(n)", BYTE_ARRAY, BYTE_ARRAY)
                .addStatement("for (int i = 0; i < n; i++) a.set(i, m.get($T.JAVA_BYTE, off + i))", vl)
                .addStatement("return a").build());
        return t.build();
    }

    private static String javaExpr(Extent e) {
        String s = e.toString();
        if (e.div() == 1) return s;
        String num = s.substring("ceil((".length(), s.lastIndexOf(") / "));
        return "(" + num + " + " + (e.div() - 1) + ") / " + e.div();
    }

    // ---- Main.java ----

    private static TypeSpec mainClass(LaunchPlan plan, Model model) {
        ClassName list = ClassName.get(List.class);
        MethodSpec main = MethodSpec.methodBuilder("main").addModifiers(Modifier.PUBLIC, Modifier.STATIC).addParameter(ArrayTypeName.of(String.class), "args").addException(Exception.class)
                .addStatement("String model = null, ids = null")
                .addStatement("int n = 32")
                .beginControlFlow("for (int i = 0; i + 1 < args.length; i += 2)")
                .beginControlFlow("switch (args[i])")
                .addStatement("case \"--model\" -> model = args[i + 1]")
                .addStatement("case \"--ids\" -> ids = args[i + 1]")
                .addStatement("case \"-n\" -> n = Integer.parseInt(args[i + 1])")
                .addStatement("default -> throw new IllegalArgumentException(\"unknown option \" + args[i])")
                .endControlFlow()
                .endControlFlow()
                .beginControlFlow("if (model == null || ids == null)")
                .addStatement("System.err.println(\"usage: Main --model MODEL.gguf --ids 1,403,407 [-n 32]   (ids from `ggufc tokenize`)\")")
                .addStatement("System.exit(2)")
                .endControlFlow()
                .addStatement("$T<byte[]> pieces = vocab()", list)
                .addStatement("StepGraph g = new StepGraph($T.of(model))", Path.class)
                .addStatement("int pos = 0, next = -1")
                .addStatement("for (String id : ids.split(\",\")) next = g.step(Integer.parseInt(id.strip()), pos++)")
                .addStatement("$T text = new $T()", java.io.ByteArrayOutputStream.class, java.io.ByteArrayOutputStream.class)
                .beginControlFlow("for (int i = 0; i < n && next != EOS; i++)")
                .addStatement("text.writeBytes(pieces.get(next))")
                .addStatement("if (i + 1 == n || pos >= CTX) break")
                .addStatement("next = g.step(next, pos++)")
                .endControlFlow()
                .addStatement("System.out.println(text.toString($T.UTF_8))", StandardCharsets.class)
                .addStatement("g.close()")
                .build();
        MethodSpec vocab = MethodSpec.methodBuilder("vocab").addModifiers(Modifier.STATIC).returns(com.palantir.javapoet.ParameterizedTypeName.get(list, TypeName.get(byte[].class)))
                .addException(IOException.class)
                .beginControlFlow("try (var in = Main.class.getResourceAsStream(\"/vocab.hex\"))")
                .addStatement("return new String(in.readAllBytes(), $T.UTF_8).lines().map($T.of()::parseHex).toList()", StandardCharsets.class, HexFormat.class)
                .endControlFlow().build();
        return TypeSpec.classBuilder("Main").addModifiers(Modifier.PUBLIC, Modifier.FINAL)
                .addJavadoc("Greedy generation with the TornadoVM step graph: prompt token ids in, text out.\n")
                .addField(FieldSpec.builder(int.class, "EOS", Modifier.STATIC, Modifier.FINAL).initializer("$L", model.eos()).build())
                .addField(FieldSpec.builder(int.class, "CTX", Modifier.STATIC, Modifier.FINAL).initializer("$L", plan.ctx()).build())
                .addMethod(main).addMethod(vocab).build();
    }

    private static String pom(String name) {
        return """
                <?xml version="1.0" encoding="UTF-8"?>
                <!-- Generated by ggufc compile --target tornado. Build with a TornadoVM SDK installed (see README.md). -->
                <project xmlns="http://maven.apache.org/POM/4.0.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
                         xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 https://maven.apache.org/xsd/maven-4.0.0.xsd">
                  <modelVersion>4.0.0</modelVersion>
                  <groupId>ggufc.generated</groupId>
                  <artifactId>%s-tornado</artifactId>
                  <version>1.0</version>
                  <properties>
                    <maven.compiler.release>21</maven.compiler.release>
                    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
                    <!-- the tornado-api version of your SDK: mvn package -Dtornado.version=... -->
                    <tornado.version>1.1.1</tornado.version>
                  </properties>
                  <dependencies>
                    <dependency>
                      <groupId>io.github.beehive-lab</groupId>
                      <artifactId>tornado-api</artifactId>
                      <version>${tornado.version}</version>
                      <scope>provided</scope>
                    </dependency>
                  </dependencies>
                </project>
                """.formatted(name.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9.-]", "-"));
    }

    private static String readme(String name, LaunchPlan plan) {
        return """
                # %s on TornadoVM (generated by ggufc)

                `ggufc compile --target tornado` wrote this from the same kernel IR as the OpenCL C, PTX and SPIR-V
                targets: `Kernels.java` holds the %d kernels as `KernelContext` methods, `StepGraph.java` one
                `TaskGraph` of %d tasks per decode step (weights and KV cache stay on the device, only the next
                token id comes back), `Main.java` greedy generation from prompt token ids.

                Build and run with a TornadoVM SDK (`$TORNADO_SDK` set, `tornado` on the PATH):

                    mvn -q package -Dtornado.version=<your SDK's tornado-api version>
                    tornado -cp target/classes ggufc.generated.Main --model /path/to/%s.gguf --ids 1,403,407,261,378 -n 32

                Token ids come from `ggufc tokenize --model %s.gguf "Once upon a time"`. Prompts run one token
                per step (every grid is fixed; the context length L travels as a one-element IntArray).
                """.formatted(name, plan.kernels().size(), plan.launches().size() + 1, name, name);
    }
}
