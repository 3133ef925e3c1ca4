package org.distill4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import com.sun.source.tree.CompilationUnitTree;
import com.sun.source.tree.MethodInvocationTree;
import com.sun.source.util.JavacTask;
import com.sun.source.util.TreePathScanner;
import com.sun.source.util.Trees;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;
import javax.lang.model.element.Element;
import javax.lang.model.element.ExecutableElement;
import javax.lang.model.element.TypeElement;
import javax.lang.model.element.VariableElement;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;

/**
 * {@link Scalars}: the values and gradients of its operations, gradients that survive the garbage
 * collector running between the forward and the backward pass, and no call anywhere in the sources
 * to the DJL overloads that take a Java number where the backward pass needs that number.
 */
class ScalarsTest {
    /** The DJL {@code NDArray}/{@code NDArrays} methods whose {@code Number} operand autograd saves. */
    static final Set<String> UNSAFE = Set.of("mul", "div", "pow", "maximum", "minimum", "muli", "divi", "powi");

    /** Where distill4j's own code lives, relative to the core module (the tests' working directory). */
    static final List<Path> SOURCES = List.of(Path.of("src/main/java"), Path.of("../cli/src/main/java"),
            Path.of("../examples/java/src/main/java"));

    @Test
    void noSourceCallsANumberOverloadWhoseGradientReadsTheNumber() throws IOException {
        List<Path> files = new ArrayList<>();
        for (Path root : SOURCES) {
            if (Files.isDirectory(root)) {
                try (Stream<Path> s = Files.walk(root)) {
                    s.filter(p -> p.toString().endsWith(".java")).forEach(files::add);
                }
            }
        }
        assertTrue(files.size() > 50, "found the sources: " + files.size());
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        List<String> found = new ArrayList<>();
        try (StandardJavaFileManager fm = javac.getStandardFileManager(null, null, null)) {
            Iterable<? extends JavaFileObject> units = fm.getJavaFileObjectsFromPaths(files);
            JavacTask task = (JavacTask) javac.getTask(null, fm, d -> { }, List.of("-proc:none", "-implicit:none",
                    "-classpath", System.getProperty("java.class.path")), null, units);
            Iterable<? extends CompilationUnitTree> trees = task.parse();
            task.analyze();
            Trees util = Trees.instance(task);
            for (CompilationUnitTree unit : trees) {
                if (unit.getSourceFile().getName().endsWith("Scalars.java")) {
                    continue;
                }
                new TreePathScanner<Void, Void>() {
                    @Override
                    public Void visitMethodInvocation(MethodInvocationTree node, Void unused) {
                        Element e = util.getElement(getCurrentPath());
                        if (e instanceof ExecutableElement m && UNSAFE.contains(m.getSimpleName().toString())
                                && m.getEnclosingElement() instanceof TypeElement owner
                                && owner.getQualifiedName().toString().startsWith("ai.djl.")
                                && m.getParameters().stream().map(VariableElement::asType)
                                        .anyMatch(t -> t.toString().equals("java.lang.Number"))) {
                            long line = unit.getLineMap().getLineNumber(util.getSourcePositions()
                                    .getStartPosition(unit, node));
                            found.add(Path.of(unit.getSourceFile().toUri()).getFileName() + ":" + line + " " + node);
                        }
                        return super.visitMethodInvocation(node, unused);
                    }
                }.scan(unit, null);
            }
        }
        assertEquals(List.of(), found, "use org.distill4j.model.Scalars instead (see its Javadoc for why)");
    }

    @Test
    void valuesAndGradientsOfEachOperation() {
        float[] x = {0.5f, -2f, 3f};
        check(a -> Scalars.mul(a, 3), x, new float[] {1.5f, -6f, 9f}, new float[] {3, 3, 3});
        check(a -> Scalars.div(a, 4), x, new float[] {0.125f, -0.5f, 0.75f}, new float[] {0.25f, 0.25f, 0.25f});
        check(a -> Scalars.rdiv(3, a), x, new float[] {6f, -1.5f, 1f}, new float[] {-12f, -0.75f, -1f / 3});
        check(a -> Scalars.pow(a, 2), x, new float[] {0.25f, 4f, 9f}, new float[] {1f, -4f, 6f});
        check(a -> Scalars.maximum(a, 1), x, new float[] {1f, 1f, 3f}, new float[] {0, 0, 1});
        check(a -> Scalars.minimum(a, 1), x, new float[] {0.5f, -2f, 1f}, new float[] {1, 1, 0});
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.create(x);
            Scalars.scaleInPlace(a, -2);
            assertArrayEquals(new float[] {-1f, 4f, -6f}, a.toFloatArray());
            NDArray ints = m.create(new int[] {1, 2});
            assertEquals(DataType.INT32, Scalars.mul(ints, 3).getDataType());
            assertArrayEquals(new float[] {0.5f, 1f}, Scalars.mul(ints, 0.5).toFloatArray());
        }
    }

    /**
     * The failure {@link Scalars} exists for, provoked: between the forward and the backward pass the
     * collector runs and the freed small native blocks are refilled with NaN. With DJL's
     * {@code mul(Number)} the backward pass then reads a NaN or another stale number as the factor
     * (it did in 20 of 20 passes when this was written); with {@link Scalars#mul} it reads 3 every time.
     */
    @Test
    void theGradientSurvivesTheCollectorBetweenForwardAndBackward() throws InterruptedException {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.ones(new ai.djl.ndarray.types.Shape(4));
            x.setRequiresGradient(true);
            for (int round = 0; round < 5; round++) {
                try (NDManager scope = m.newSubManager();
                        GradientCollector c = Engine.getInstance().newGradientCollector()) {
                    NDArray y = Scalars.mul(x, 3).sum();
                    y.attach(scope);
                    System.gc();
                    Thread.sleep(20);
                    List<ByteBuffer> poison = new ArrayList<>();
                    for (int i = 0; i < 2000; i++) {
                        poison.add(ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder()).putFloat(0, Float.NaN));
                    }
                    c.backward(y);
                    assertArrayEquals(new float[] {3, 3, 3, 3}, x.getGradient().toFloatArray(), "round " + round);
                    poison.clear();
                }
                Scalars.scaleInPlace(x.getGradient(), 0);
            }
        }
    }

    private static void check(Function<NDArray, NDArray> op, float[] x, float[] value, float[] gradient) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.create(x);
            a.setRequiresGradient(true);
            try (GradientCollector c = Engine.getInstance().newGradientCollector()) {
                NDArray y = op.apply(a);
                assertArrayEquals(value, y.toFloatArray(), 1e-6f);
                c.backward(y.sum());
            }
            assertArrayEquals(gradient, a.getGradient().toFloatArray(), 1e-6f);
        }
    }
}
