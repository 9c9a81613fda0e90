package ggufc.codegen.vector;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

/**
 * Compiles generated sources in-process with the JDK's compiler ({@code javax.tools}) against the
 * running class path, and loads compiled model classes back.
 */
public final class SourceCompiler {
    private SourceCompiler() {}

    /** Compiles {@code sources} (paths of .java files) into {@code classesDir}; a compile error throws with the compiler's messages. */
    public static void compile(List<Path> sources, Path classesDir) {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac == null) throw new IllegalStateException("no Java compiler in this runtime (ggufc compile needs a JDK, not a JRE)");
        try {
            Files.createDirectories(classesDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try (StandardJavaFileManager fm = javac.getStandardFileManager(diagnostics, Locale.ROOT, java.nio.charset.StandardCharsets.UTF_8)) {
            List<String> options = new ArrayList<>(List.of("--release", Integer.toString(Runtime.version().feature()), "--add-modules", "jdk.incubator.vector",
                    "-proc:none", "-nowarn", "-Xlint:none", "-classpath", System.getProperty("java.class.path"), "-d", classesDir.toString()));
            Iterable<? extends JavaFileObject> units = fm.getJavaFileObjectsFromPaths(sources);
            boolean ok = javac.getTask(null, fm, diagnostics, options, null, units).call();
            if (!ok) {
                StringBuilder msg = new StringBuilder("generated code does not compile:");
                for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
                    if (d.getKind() == Diagnostic.Kind.ERROR) msg.append("\n  ").append(d.getSource() == null ? "" : d.getSource().getName() + ":" + d.getLineNumber() + ": ").append(d.getMessage(Locale.ROOT));
                }
                throw new IllegalStateException(msg.toString());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Loads class {@code name} from {@code classesDir} (its dependencies from ggufc's own class loader). */
    public static Class<? extends CompiledModel> load(Path classesDir, String name) {
        try {
            URLClassLoader loader = new URLClassLoader(new URL[] {classesDir.toUri().toURL()}, CompiledModel.class.getClassLoader());
            return loader.loadClass(name).asSubclass(CompiledModel.class);
        } catch (MalformedURLException | ClassNotFoundException e) {
            throw new IllegalStateException("cannot load generated class " + name + " from " + classesDir + ": " + e.getMessage(), e);
        } catch (ClassCastException e) {
            // a class that loads but is not a compiled model (a manifest naming another class)
            throw new IllegalStateException("class " + name + " (from " + classesDir + ") is not a compiled model (" + CompiledModel.class.getSimpleName() + ")");
        } catch (LinkageError e) {
            // a damaged class file (ClassFormatError, VerifyError, ...): name the file
            Path file = classesDir.resolve(name.replace('.', '/') + ".class");
            throw new IllegalStateException(file + ": not a loadable class file (" + e.getClass().getSimpleName() + ": " + firstLine(e.getMessage()) + ")", e);
        }
    }

    private static String firstLine(String s) { return s == null ? "" : s.lines().findFirst().orElse(""); }

    /** A new instance of a compiled model class bound to {@code binding}. */
    public static CompiledModel instantiate(Class<? extends CompiledModel> c, ModelBinding binding) {
        try {
            return c.getConstructor(ModelBinding.class).newInstance(binding);
        } catch (java.lang.reflect.InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new IllegalStateException("generated class " + c.getName() + " failed to initialize (" + e.getCause() + ")", e.getCause());
        } catch (LinkageError e) {
            // a VerifyError's message goes on with the bytecode: its first line says what is wrong
            throw new IllegalStateException("generated class " + c.getName() + " cannot be linked (" + e.getClass().getSimpleName() + ": " + firstLine(e.getMessage()) + ")", e);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("generated class " + c.getName() + " has no (ModelBinding) constructor", e);
        }
    }
}
