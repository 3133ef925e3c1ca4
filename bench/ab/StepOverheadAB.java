import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import java.util.Arrays;
import java.util.List;
import org.distill4j.data.Augmentation;
import org.distill4j.data.Batch;
import org.distill4j.data.BatchLoader;
import org.distill4j.data.Dataset;
import org.distill4j.data.FashionMnist;
import org.distill4j.knowledge.KnowledgeStore;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.LossValue;
import org.distill4j.loss.WeightedSum;
import org.distill4j.loss.response.KdLoss;
import org.distill4j.model.CnnSpec;
import org.distill4j.model.MlpSpec;
import org.distill4j.model.ModelSpec;
import org.distill4j.model.Network;
import org.distill4j.train.Optimizer;
import org.distill4j.train.OptimizerSpec;

/**
 * Same-process A/B of two step-overhead fixes (issue #4), for the quickstart student and the MLP,
 * KD from the knowledge store: (1) reading the step's report (loss, terms, gradient norm, correct
 * count) in one transfer vs one JNI round trip per value, as before 41715c3; (2) the next batch
 * gathered on a background thread vs on the training thread, as before 9ec0ddc. Variants run in
 * interleaved blocks; each prints the median over rounds of its step time ÷ the baseline's.
 * Run: java -cp "cli/target/distill4j-cli-0.1.0-SNAPSHOT.jar:cli/target/lib/*" bench/ab/StepOverheadAB.java
 */
public class StepOverheadAB {
    public static void main(String[] args) throws Exception {
        int rounds = 9;
        int steps = 30;
        Dataset data = FashionMnist.load(FashionMnist.DEBIAN_DIR).train().head(12800);
        try (NDManager root = NDManager.newBaseManager()) {
            Network teacher = Network.create(new CnnSpec(List.of(32, 64, 128), 256, null, 0.3), data.sampleShape(), 10, root);
            teacher.freeze();
            KnowledgeStore store = KnowledgeStore.openOrBuild(java.nio.file.Files.createTempDirectory("ab").resolve("k.safetensors"),
                    teacher, data, List.of("logits"), "ab", root, s -> {});
            for (ModelSpec spec : List.of(new CnnSpec(List.of(8, 16), 64, null, null), new MlpSpec(List.of(1200, 1200), null))) {
                Network student = Network.create(spec, data.sampleShape(), 10, root);
                Optimizer opt = new OptimizerSpec.Sgd(0.01, 0.9, 5e-4).create(student.trainableParameters(), student.manager());
                BatchLoader loader = new BatchLoader(data, 128, true, 1, true);
                int[][] plan = loader.plan(0);
                DistillationLoss loss = new WeightedSum(1 - 0.9, new KdLoss(4, 0.9));
                String[] variants = {"new (one transfer, prefetch)", "old report (a round trip per value)", "no prefetch"};
                double[][] t = new double[variants.length][rounds];
                int b = 0;
                for (int r = -1; r < rounds; r++) { // round -1 warms up
                    for (int v = 0; v < variants.length; v++) {
                        long t0 = System.nanoTime();
                        for (int i = 0; i < steps; i++, b++) {
                            if (v != 2) {
                                loader.prefetch(plan[(b + 1) % plan.length], Augmentation.NONE, b + 1);
                            }
                            step(root, student, opt, loss, store, loader, plan[b % plan.length], b, v == 1);
                        }
                        if (r >= 0) {
                            t[v][r] = (System.nanoTime() - t0) / 1e6 / steps;
                        }
                    }
                }
                System.out.println(spec.describe() + ": new step " + String.format("%.3f", median(t[0])) + " ms");
                for (int v = 1; v < variants.length; v++) {
                    double[] ratio = new double[rounds];
                    for (int r = 0; r < rounds; r++) {
                        ratio[r] = t[v][r] / t[0][r];
                    }
                    System.out.printf("  %-38s %.3f ms, %.3f × the new step's time (median of %d paired rounds)%n",
                            variants[v], median(t[v]), median(ratio), rounds);
                }
            }
        }
    }

    static void step(NDManager root, Network student, Optimizer opt, DistillationLoss loss, KnowledgeStore store, BatchLoader loader,
            int[] positions, long seed, boolean oldReport) {
        try (NDManager scope = root.newSubManager()) {
            Batch batch = loader.load(scope, positions, Augmentation.NONE, seed);
            var knowledge = store.lookup(batch);
            LossValue value;
            NDArray logits;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                var out = student.forward(batch.input(), true);
                value = loss.compute(out, knowledge, batch);
                logits = out.logits();
                gc.backward(value.total());
            }
            if (oldReport) { // what StepRunner did before 41715c3
                value.total().getFloat();
                value.terms().values().forEach(NDArray::getFloat);
                opt.gradientNorm();
                logits.argMax(1).toLongArray();
            } else {
                NDList report = new NDList();
                report.add(value.total().reshape(1));
                value.terms().values().forEach(x -> report.add(x.reshape(1)));
                report.add(opt.gradientNormSquared(scope).reshape(1));
                report.add(logits.argMax(1).eq(batch.labels().toType(DataType.INT64, false)).sum()
                        .toType(DataType.FLOAT32, false).reshape(1));
                NDArrays.concat(report).toFloatArray();
            }
            opt.step(0.01);
        }
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
