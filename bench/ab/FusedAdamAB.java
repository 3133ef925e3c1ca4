import ai.djl.ndarray.*;
import ai.djl.ndarray.types.*;
import ai.djl.pytorch.engine.*;
import ai.djl.pytorch.jni.*;
import ai.djl.repository.zoo.*;
import ai.djl.inference.*;
import java.nio.file.*;

/**
 * Same-process A/B of one Adam update of a 1200x1200 weight (the MLP of bench/vs-pytorch): PyTorch's
 * fused kernel through fused-adamw.pt (what train/FusedAdamW calls) against the in-place operations
 * of Optimizer.AdamOptimizer's fallback, 200 updates each, alternating, 3 rounds
 * (bench/results/perf-fixes.md, change 4). From the repository's root, after ./distill has built:
 *
 *   CP="cli/target/distill4j-cli-0.1.0-SNAPSHOT.jar:cli/target/lib/*"
 *   OPT_OUT_TRACKING=true java -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1 -cp "$CP" bench/ab/FusedAdamAB.java
 */
public class FusedAdamAB {
    static void inPlace(NDManager nm, NDArray w, NDArray g, NDArray m, NDArray v) {
        JniUtils.setGradMode(false);
        try (NDArray b1 = nm.create(0.9f); NDArray b2 = nm.create(0.999f); NDArray eps = nm.create(1e-8f); NDArray size = nm.create(1e-3f)) {
            m.subi(g).muli(b1).addi(g);
            try (NDArray g2 = g.square()) { v.subi(g2).muli(b2).addi(g2); }
            try (NDArray d = v.sqrt(); NDArray u = m.div(d.addi(eps))) { w.subi(u.muli(size)); }
        }
    }
    public static void main(String[] a) throws Exception {
        try (NDManager nm = NDManager.newBaseManager()) {
            ai.djl.Model model = ai.djl.Model.newInstance("fused", "PyTorch");
            model.load(Paths.get("core/src/main/resources/org/distill4j/train/fused-adamw.pt"));
            PtSymbolBlock block = (PtSymbolBlock) model.getBlock();
            PtNDManager m = (PtNDManager) nm;
            NDArray w = nm.randomNormal(new Shape(1200, 1200));
            NDArray g = nm.randomNormal(new Shape(1200, 1200));
            NDArray mm = nm.zeros(new Shape(1200, 1200));
            NDArray vv = nm.zeros(new Shape(1200, 1200));
            NDArray st = nm.create(1f);
            float w0 = w.getFloat(0, 0), g0 = g.getFloat(0, 0);
            IValue r = IValueUtils.runMethod(block, "adamw",
                IValue.listFrom((PtNDArray) w), IValue.listFrom((PtNDArray) g), IValue.listFrom((PtNDArray) mm),
                IValue.listFrom((PtNDArray) vv), IValue.listFrom((PtNDArray) st),
                IValue.from(1e-3), IValue.from(0.9), IValue.from(0.999), IValue.from(0.0), IValue.from(1e-8));
            System.out.println("w0 " + w0 + " -> " + w.getFloat(0, 0) + " g0 " + g0 + " m " + mm.getFloat(0, 0) + " v " + vv.getFloat(0,0));
            int n = 200;
            for (int k = 0; k < 3; k++) {
                long t = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    IValueUtils.runMethod(block, "adamw",
                        IValue.listFrom((PtNDArray) w), IValue.listFrom((PtNDArray) g), IValue.listFrom((PtNDArray) mm),
                        IValue.listFrom((PtNDArray) vv), IValue.listFrom((PtNDArray) st),
                        IValue.from(1e-3), IValue.from(0.9), IValue.from(0.999), IValue.from(0.0), IValue.from(1e-8)).close();
                }
                System.out.println("fused ms/step " + (System.nanoTime() - t) / 1e6 / n);
                t = System.nanoTime();
                for (int i = 0; i < n; i++) inPlace(nm, w, g, mm, vv);
                System.out.println("inplace ms/step " + (System.nanoTime() - t) / 1e6 / n);
            }
        }
    }
}
