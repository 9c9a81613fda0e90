package ggufc.codegen.vector;

import com.palantir.javapoet.ArrayTypeName;
import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.FieldSpec;
import com.palantir.javapoet.JavaFile;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.TypeName;
import com.palantir.javapoet.TypeSpec;
import ggufc.codegen.vector.kernels.DeviceGroup;
import ggufc.codegen.vector.kernels.WorkerPool;
import ggufc.codegen.vector.plan.Emit;
import ggufc.codegen.vector.plan.Phases;
import ggufc.codegen.vector.plan.Plan;
import ggufc.codegen.vector.plan.Step;
import ggufc.ir.DType;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import javax.lang.model.element.Modifier;

/**
 * Renders a {@link Plan} as one Java class (palantir JavaPoet) implementing {@link CompiledModel}:
 * fields bound once to the weights, KV caches and preallocated activation buffers, and two
 * straight-line step methods, one for a decode step ({@code T} is the literal 1, so every size is
 * a constant and every matmul a matrix-vector product) and one for a prompt of {@code T} tokens.
 * Each is cut into methods of at most {@link #STEPS_PER_METHOD} kernel calls so the JIT compiles
 * them (it skips methods over 8000 bytecodes).
 */
public final class JavaEmitter {
    public static final String PACKAGE = "ggufc.generated";
    static final int STEPS_PER_METHOD = 40;

    private JavaEmitter() {}

    /** Java class name for a graph name: {@code llama_step} → {@code LlamaStep}. */
    public static String className(String graphName) {
        StringBuilder sb = new StringBuilder();
        boolean up = true;
        for (char c : graphName.toCharArray()) {
            if (Character.isLetterOrDigit(c)) {
                sb.append(up ? Character.toUpperCase(c) : c);
                up = false;
            } else {
                up = true;
            }
        }
        if (sb.isEmpty() || !Character.isJavaIdentifierStart(sb.charAt(0))) sb.insert(0, "Model");
        return sb.toString();
    }

    /** The generated source file; {@code header} is a comment line (e.g. the ggufc version and source model). */
    public static JavaFile emit(Plan plan, String className, String header) {
        ClassName self = ClassName.get(PACKAGE, className);
        TypeSpec.Builder type = TypeSpec.classBuilder(self)
                .addModifiers(Modifier.PUBLIC, Modifier.FINAL)
                .addSuperinterface(CompiledModel.class)
                .addJavadoc("$L\n\n<p>Graph @$L: $L kernel calls, $L weights ($L packed), $L KV caches, $L activation buffers, up to $L tokens per step.\n",
                        header, plan.graphName(), plan.steps().size(), plan.weights().size(), plan.packed().size(), plan.caches().size(), plan.slots().size(), plan.maxTokens());
        type.addField(FieldSpec.builder(int.class, "MAX_TOKENS", Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL).initializer("$L", plan.maxTokens()).build());
        type.addField(ModelBinding.class, "binding", Modifier.PRIVATE, Modifier.FINAL);
        type.addField(WorkerPool.class, "pool", Modifier.PRIVATE, Modifier.FINAL);
        type.addField(int.class, "capacity", Modifier.PRIVATE, Modifier.FINAL);

        MethodSpec.Builder ctor = MethodSpec.constructorBuilder().addModifiers(Modifier.PUBLIC).addParameter(ModelBinding.class, "b")
                .addStatement("this.binding = b").addStatement("this.pool = b.pool()").addStatement("this.capacity = b.capacity()");
        for (int i = 0; i < plan.weights().size(); i++) {
            Plan.Weight w = plan.weights().get(i);
            type.addField(FieldSpec.builder(MemorySegment.class, "w" + i, Modifier.PRIVATE, Modifier.FINAL).addJavadoc("$L\n", w).build());
            CodeBlock.Builder dims = CodeBlock.builder();
            for (long d : w.shape()) dims.add(", $LL", d);
            if (w.constant() != null) {
                CodeBlock.Builder vals = CodeBlock.builder();
                for (int j = 0; j < w.constant().length; j++) vals.add(j == 0 ? "$Lf" : ", $Lf", Float.toString(w.constant()[j]));
                ctor.addStatement("w$L = $T.ofArray(new float[] {$L})", i, MemorySegment.class, vals.build());
            } else {
                ctor.addStatement("w$L = b.$L($S, $T.$L$L)", i, w.decodedF32() ? "weightF32" : "weight", w.name(), DType.class, w.dtype().name(), dims.build());
            }
        }
        for (int i = 0; i < plan.packed().size(); i++) {
            Plan.PackedWeight p = plan.packed().get(i);
            type.addField(FieldSpec.builder(float[].class, "p" + i, Modifier.PRIVATE, Modifier.FINAL).addJavadoc("$L\n", p).build());
            ctor.addStatement("p$L = b.packed($S, $T.$L, $L, $L)", i, p.name(), DType.class, p.dtype().name(), p.N(), p.K());
        }
        for (int i = 0; i < plan.caches().size(); i++) {
            Plan.Cache c = plan.caches().get(i);
            type.addField(FieldSpec.builder(MemorySegment.class, "c" + i, Modifier.PRIVATE, Modifier.FINAL).addJavadoc("KV cache $L ($L x $L)\n", c.name(), c.dtype(), c.rowLen()).build());
            ctor.addStatement("c$L = b.cache($S, $T.$L, $L)", i, c.name(), DType.class, c.dtype().name(), c.rowLen());
        }
        TypeName floats = ArrayTypeName.of(float.class);
        for (int i = 0; i < plan.slots().size(); i++) {
            Plan.Slot s = plan.slots().get(i);
            type.addField(floats, "s" + i, Modifier.PRIVATE, Modifier.FINAL);
            if (s.constant() != null) {
                CodeBlock.Builder vals = CodeBlock.builder();
                for (int j = 0; j < s.constant().length; j++) vals.add(j == 0 ? "$Lf" : ", $Lf", Float.toString(s.constant()[j]));
                ctor.addStatement("s$L = new float[] {$L}", i, vals.build());
            } else {
                ctor.addStatement("s$L = new float[$L]", i, s.fixed() == 0 ? CodeBlock.of("$L * MAX_TOKENS", s.perToken())
                        : s.perToken() == 0 ? CodeBlock.of("$L", s.fixed()) : CodeBlock.of("$L + $L * MAX_TOKENS", s.fixed(), s.perToken()));
            }
        }
        if (devices(plan) > 1) {
            type.addField(ArrayTypeName.of(WorkerPool.class), "pools", Modifier.PRIVATE, Modifier.FINAL);
            type.addField(DeviceGroup.class, "group", Modifier.PRIVATE, Modifier.FINAL);
            ctor.addStatement("this.pools = b.devicePools($L)", devices(plan)).addStatement("this.group = new $T($L)", DeviceGroup.class, devices(plan));
        }
        type.addMethod(ctor.build());

        List<String> inputParams = new ArrayList<>();
        for (int i = 0; i < plan.inputs().size(); i++) inputParams.add("in" + i);
        String args = String.join(", ", inputParams);
        MethodSpec.Builder step = MethodSpec.methodBuilder("step").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
                .addParameter(int.class, "T").addParameter(int.class, "L").addParameter(ArrayTypeName.of(ArrayTypeName.of(int.class)), "in");
        step.beginControlFlow("if (T < 1 || T > MAX_TOKENS)")
                .addStatement("throw new $T($S + MAX_TOKENS + $S + T)", IllegalArgumentException.class, "a step takes 1..", " tokens, got ").endControlFlow();
        for (int i = 0; i < inputParams.size(); i++) step.addStatement("int[] in$L = in[$L]", i, i);
        int devices = devices(plan);
        if (devices > 1) {
            // a split plan: each CPU sub-device runs its steps of a phase on its own thread and pool; collectives between
            step.beginControlFlow("if (T == 1)");
            splitSteps(plan, devices, "decode", true, inputParams, type, step);
            step.nextControlFlow("else");
            splitSteps(plan, devices, "prompt", false, inputParams, type, step);
            step.endControlFlow();
            type.addMethod(step.build());
            type.addMethod(MethodSpec.methodBuilder("close").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC).addStatement("group.close()").build());
        } else {
            List<MethodSpec> decode = parts(plan.steps(), "decode", true, inputParams, "pool");
            List<MethodSpec> prompt = parts(plan.steps(), "prompt", false, inputParams, "pool");
            step.beginControlFlow("if (T == 1)");
            for (MethodSpec m : decode) step.addStatement("$N(L$L)", m, args.isEmpty() ? "" : ", " + args);
            step.nextControlFlow("else");
            for (MethodSpec m : prompt) step.addStatement("$N(T, L$L)", m, args.isEmpty() ? "" : ", " + args);
            step.endControlFlow();
            type.addMethod(step.build());
            decode.forEach(type::addMethod);
            prompt.forEach(type::addMethod);
        }

        MethodSpec.Builder output = MethodSpec.methodBuilder("output").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC).returns(floats)
                .addParameter(int.class, "i").beginControlFlow("switch (i)");
        for (int i = 0; i < plan.outputs().size(); i++) {
            Plan.Output o = plan.outputs().get(i);
            if (o.slot() >= 0) output.addStatement("case $L: return s$L", i, o.slot());
        }
        output.addStatement("default: throw new $T($S + i)", IllegalArgumentException.class, "no buffer for output ").endControlFlow();
        type.addMethod(output.build());
        type.addMethod(MethodSpec.methodBuilder("maxTokens").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC).returns(int.class).addStatement("return MAX_TOKENS").build());
        type.addMethod(MethodSpec.methodBuilder("reset").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC).addStatement("binding.resetCaches()").build());
        return JavaFile.builder(PACKAGE, type.build()).skipJavaLangImports(true).indent("    ").build();
    }

    /** Devices of a split plan (1 for a plan without {@link Step.OnDevice} steps). */
    static int devices(Plan plan) {
        int n = 0;
        for (Step st : plan.steps()) if (st instanceof Step.OnDevice od) n = Math.max(n, od.device() + 1);
        return Math.max(1, n);
    }

    /**
     * The phases of a split plan (runs of steps between collectives): per phase and device a method chain, run at once
     * through the {@link DeviceGroup}, then the phase's collectives on the calling thread.
     */
    private static void splitSteps(Plan plan, int devices, String prefix, boolean decode, List<String> inputs, TypeSpec.Builder type, MethodSpec.Builder step) {
        String args = String.join(", ", inputs);
        String call = (decode ? "L" : "T, L") + (args.isEmpty() ? "" : ", " + args);
        Phases cut = Phases.of(plan.steps(), devices);
        List<List<List<Step>>> phases = cut.steps();
        for (int p = 0; p < phases.size(); p++) {
            CodeBlock.Builder work = CodeBlock.builder().add("group.run(");
            int active = 0;
            for (int d = 0; d < devices; d++) {
                List<Step> ss = phases.get(p).get(d);
                if (d > 0) work.add(", ");
                if (ss.isEmpty()) {
                    work.add("null");
                    continue;
                }
                active++;
                List<MethodSpec> ms = parts(ss, prefix + "_p" + p + "_d" + d + "_", decode, inputs, "pools[" + d + "]");
                ms.forEach(type::addMethod);
                CodeBlock.Builder body = CodeBlock.builder().add("() -> {");
                for (MethodSpec m : ms) body.add(" $N($L);", m, call);
                work.add(body.add(" }").build());
            }
            if (active > 0) step.addStatement(work.add(")").build());
            List<Step> collectives = cut.collectives().get(p).stream().map(Step.OnDevice::step).toList();
            if (!collectives.isEmpty()) {
                for (MethodSpec m : parts(collectives, prefix + "_c" + p + "_", decode, inputs, "pool")) {
                    type.addMethod(m);
                    step.addStatement("$N($L)", m, call);
                }
            }
        }
    }

    private static List<MethodSpec> parts(List<Step> steps, String prefix, boolean decode, List<String> inputs, String poolExpr) {
        Emit e = new Emit() {
            public CodeBlock slot(int s) { return CodeBlock.of("s$L", s); }
            public CodeBlock weight(int w) { return CodeBlock.of("w$L", w); }
            public CodeBlock packed(int p) { return CodeBlock.of("p$L", p); }
            public CodeBlock cache(int c) { return CodeBlock.of("c$L", c); }
            public CodeBlock input(int i) { return CodeBlock.of("in$L", i); }
            public CodeBlock tokens() { return decode ? CodeBlock.of("1") : CodeBlock.of("T"); }
            public CodeBlock length() { return CodeBlock.of("L"); }
            public CodeBlock capacity() { return CodeBlock.of("capacity"); }
            public CodeBlock pool() { return CodeBlock.of("$L", poolExpr); }
        };
        List<MethodSpec> methods = new ArrayList<>();
        for (int start = 0, part = 0; start < steps.size() || part == 0; start += STEPS_PER_METHOD, part++) {
            MethodSpec.Builder m = MethodSpec.methodBuilder(prefix + part).addModifiers(Modifier.PRIVATE);
            if (!decode) m.addParameter(int.class, "T");
            m.addParameter(int.class, "L");
            for (String in : inputs) m.addParameter(int[].class, in);
            for (int i = start; i < Math.min(steps.size(), start + STEPS_PER_METHOD); i++) {
                m.addComment("$L", steps.get(i).describe());
                m.addStatement(steps.get(i).emit(e));
            }
            methods.add(m.build());
            if (steps.isEmpty()) break;
        }
        return methods;
    }
}
