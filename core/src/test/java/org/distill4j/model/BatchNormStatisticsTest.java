package org.distill4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.train.Seeds;
import org.junit.jupiter.api.Test;

/** The batch-norm statistics DeepInversion matches: every layer seen, outputs unchanged, values right. */
class BatchNormStatisticsTest {
    static final long[] SAMPLE = {1, 8, 8};

    @Test
    void theProbedPassIsThePlainPassAndSeesEveryLayer() {
        // cnn: one BN per conv stage; resnet8: stem, 2 per block, the projection shortcuts (parallel blocks)
        List<ModelSpec> specs = List.of(new CnnSpec(List.of(3, 4), 6, true, null), new ResNetSpec(8, 1),
                new CnnSpec(List.of(3), 6, false, null), new MlpSpec(List.of(5), null));
        List<Integer> layers = List.of(2, 9, 0, 0);
        try (NDManager m = NDManager.newBaseManager()) {
            for (int i = 0; i < specs.size(); i++) {
                Seeds.apply(7);
                try (Network n = Network.create(specs.get(i), specs.get(i) instanceof MlpSpec ? new long[] {64} : SAMPLE,
                        3, m)) {
                    NDArray x = m.randomNormal(new Shape(4, 1, 8, 8));
                    if (specs.get(i) instanceof MlpSpec) {
                        x = x.reshape(4, 64);
                    }
                    List<Network.BatchNormStatistics> stats = new ArrayList<>();
                    Outputs probed = n.forward(x, false, stats);
                    Outputs plain = n.forward(x, false);
                    assertEquals(layers.get(i), stats.size(), specs.get(i).describe());
                    assertEquals(layers.get(i), n.batchNormLayers());
                    assertEquals(layers.get(i), Network.batchNormLayers(specs.get(i)));
                    for (String tap : plain.names()) {
                        assertArrayEquals(plain.get(tap).toFloatArray(), probed.get(tap).toFloatArray(),
                                specs.get(i).describe() + " " + tap);
                    }
                }
            }
        }
    }

    /**
     * The statistics are those of the layer's input, checked without the probe: a training-mode
     * pass moves the running mean to {@code 0.9·old + 0.1·batch mean} and the running variance by
     * the unbiased batch variance (n/(n−1) times the biased one the probe reports), so both can
     * be read back from the running statistics.
     */
    @Test
    void theStatisticsAreTheLayersInputMeanAndVariance() {
        try (NDManager m = NDManager.newBaseManager()) {
            Seeds.apply(3);
            try (Network n = Network.create(new CnnSpec(List.of(3), 6, true, null), SAMPLE, 3, m)) {
                NDArray x = m.randomNormal(new Shape(4, 1, 8, 8)).mul(2).add(0.5f);
                List<Network.BatchNormStatistics> stats = new ArrayList<>();
                n.forward(x, false, stats);
                float[] mean = stats.get(0).mean().toFloatArray();
                float[] variance = stats.get(0).variance().toFloatArray();
                float[] mean0 = stats.get(0).runningMean().toFloatArray();
                float[] var0 = stats.get(0).runningVariance().toFloatArray();
                n.forward(x, true); // moves the running statistics
                float[] mean1 = n.runningStatistics().get(0).toFloatArray();
                float[] var1 = n.runningStatistics().get(1).toFloatArray();
                double count = 4 * 8 * 8; // values per channel: batch × height × width
                for (int c = 0; c < 3; c++) {
                    assertEquals((mean1[c] - 0.9 * mean0[c]) / 0.1, mean[c], 1e-4, "mean of channel " + c);
                    assertEquals((var1[c] - 0.9 * var0[c]) / 0.1 * (count - 1) / count, variance[c], 1e-4 * variance[c],
                            "variance of channel " + c);
                }
            }
        }
    }
}
