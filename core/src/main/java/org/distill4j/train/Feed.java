package org.distill4j.train;

import org.distill4j.data.Augmentation;
import org.distill4j.data.BatchLoader;
import org.distill4j.data.BatchSource;
import org.distill4j.data.Dataset;

/**
 * A named stream of batches in a {@link Phase}: a dataset in a seeded order (or batches made
 * without data, e.g. a generator's latent codes), its augmentation,
 * and the seed of each step. The step seed seeds the engine before the updates that read the
 * feed (dropout is a pure function of the run seed and the step's position, so a resumed run
 * replays exactly without saving generator state) and drives augmentation. With {@code
 * prefetch}, the next batch is gathered on a background thread while a step computes.
 *
 * @param name the feed's name, as updates refer to it
 * @param loader the batches of every epoch (a dataset's, or made without data: {@link
 *     org.distill4j.data.NoiseSource})
 * @param augment what is done to the inputs (none by default)
 * @param seeds the seed of the step at (epoch, batch)
 * @param prefetch gather the next batch ahead
 */
public record Feed(String name, BatchSource loader, Augmentation augment, StepSeeds seeds, boolean prefetch) {
    /** The seed of a step. */
    @FunctionalInterface
    public interface StepSeeds {
        long seed(int epoch, int batch);
    }

    /**
     * A shuffled feed of {@code data} that drops a last partial batch (a batch of one breaks batch
     * norm in training mode), with step seeds {@code derive(seedBase, "step <epoch> <batch>" + suffix)}.
     */
    public static Feed shuffled(String name, Dataset data, int batchSize, long shuffleSeed, Augmentation augment,
            long seedBase, String suffix, boolean prefetch) {
        if (data.size() == 0) {
            throw new IllegalArgumentException(name + ": no training data");
        }
        BatchLoader loader = new BatchLoader(data, batchSize, true, shuffleSeed, data.size() > batchSize);
        return new Feed(name, loader, augment,
                (epoch, batch) -> Seeds.derive(seedBase, "step " + epoch + " " + batch + suffix), prefetch);
    }

    /**
     * A feed of batches made without data ({@code source}: e.g. latent codes), with step seeds
     * {@code derive(seedBase, "step <epoch> <batch>")}; no augmentation, nothing to prefetch.
     */
    public static Feed generated(String name, BatchSource source, long seedBase) {
        return new Feed(name, source, Augmentation.NONE,
                (epoch, batch) -> Seeds.derive(seedBase, "step " + epoch + " " + batch), false);
    }
}
