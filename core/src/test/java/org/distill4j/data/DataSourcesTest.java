package org.distill4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataSourcesTest {

    @TempDir
    Path tmp;

    private static float[] features(Dataset d) {
        float[] x = new float[d.size() * d.featureSize()];
        for (int i = 0; i < d.size(); i++) {
            d.copyFeatures(i, x, i * d.featureSize());
        }
        return x;
    }

    @Test
    void csvStatisticsComeFromTrainingOnly() throws IOException {
        // feature 0: train 1, 3 -> mean 2, std 1; feature 1 is constant -> std floored to 1
        Files.writeString(tmp.resolve("train.csv"), "1,10,0\n3,10,1\n");
        Files.writeString(tmp.resolve("test.csv"), "100,12,0\n");
        DataSources.Loaded d = DataSources.load(SourceSpec.csv("train.csv", "test.csv", null), tmp);
        Normalisation n = d.normalisation();
        assertEquals(List.of(2.0, 10.0), n.mean());
        assertEquals(List.of(1.0, 1.0), n.std());
        assertArrayEquals(new float[] {-1, 0, 1, 0}, features(d.train()), 1e-6f);
        assertArrayEquals(new float[] {98, 2}, features(d.test()), 1e-6f);
        assertArrayEquals(new float[] {98, 2}, n.apply(new float[] {100, 12}), 1e-6f);
        assertEquals(List.of(2L), n.sampleShape());
    }

    @Test
    void imageStatisticsArePerChannelFromTrainingOnly() throws IOException {
        // grey 51 and 153 (0.2 and 0.6): mean 0.4, std 0.2; the white test image is not counted
        Path train = tmp.resolve("train");
        ImageFolderSourceTest.save(ImageFolderSourceTest.grey(2, 2, 51), train.resolve("dark/1.png"));
        ImageFolderSourceTest.save(ImageFolderSourceTest.grey(2, 2, 51), train.resolve("dark/2.png"));
        ImageFolderSourceTest.save(ImageFolderSourceTest.grey(2, 2, 153), train.resolve("light/1.png"));
        ImageFolderSourceTest.save(ImageFolderSourceTest.grey(2, 2, 153), train.resolve("light/2.png"));
        ImageFolderSourceTest.save(ImageFolderSourceTest.grey(2, 2, 255), tmp.resolve("test/light/1.png"));
        DataSources.Loaded d = DataSources.load(SourceSpec.images("train", "test", 2, 2, 3), tmp);
        Normalisation n = d.normalisation();
        for (int c = 0; c < 3; c++) {
            assertEquals(0.4, n.mean().get(c), 1e-6);
            assertEquals(0.2, n.std().get(c), 1e-6);
        }
        float[] test = features(d.test());
        for (float v : test) {
            assertEquals(3f, v, 1e-5f); // (1 - 0.4) / 0.2
        }
        assertEquals(-1f, features(d.train())[0], 1e-5f);
    }

    /** 40 rows: 30 of class "a", 10 of class "b"; feature = row number, so ids can be checked. */
    private Path fortyRows() throws IOException {
        StringBuilder csv = new StringBuilder("x,y,class\n");
        for (int i = 0; i < 40; i++) {
            csv.append(i).append(',').append(i * i).append(',').append(i % 4 == 3 ? "b" : "a").append('\n');
        }
        return Files.writeString(tmp.resolve("forty.csv"), csv);
    }

    private DataSources.Loaded carve(double fraction, long seed, boolean stratified) {
        return DataSources.load(SourceSpec.csv("forty.csv", null, "class").withCarvedTest(fraction, seed, stratified), tmp);
    }

    @Test
    void carvedSplitIsReproducibleDisjointAndStratified() throws IOException {
        fortyRows();
        DataSources.Loaded a = carve(0.25, 42, true);
        DataSources.Loaded again = carve(0.25, 42, true);
        DataSources.Loaded other = carve(0.25, 43, true);
        assertArrayEquals(a.test().ids(), again.test().ids());
        assertEquals(a.train().digest(), again.train().digest());
        assertEquals(a.test().digest(), again.test().digest());
        assertFalse(Arrays.equals(a.test().ids(), other.test().ids()));

        int[] train = a.train().ids();
        int[] test = a.test().ids();
        assertEquals(40, train.length + test.length);
        int[] all = IntStream.concat(Arrays.stream(train), Arrays.stream(test)).sorted().toArray();
        assertArrayEquals(IntStream.range(0, 40).toArray(), all); // disjoint and complete
        // stratified: round(30 * 0.25) = 8 of "a" and round(10 * 0.25) = 3 of "b"
        assertEquals(8, Arrays.stream(a.test().labels()).filter(l -> l == 0).count());
        assertEquals(3, Arrays.stream(a.test().labels()).filter(l -> l == 1).count());
        // ids are data rows and features follow them
        Normalisation n = a.normalisation();
        float[] x = features(a.test());
        for (int i = 0; i < test.length; i++) {
            assertEquals(test[i], x[2 * i] * n.std().get(0) + n.mean().get(0), 1e-4);
            assertEquals(test[i] % 4 == 3 ? 1 : 0, a.test().label(i));
        }
        // statistics are those of the 29 training rows only
        double mean = Arrays.stream(train).average().orElseThrow();
        assertEquals(mean, n.mean().get(0), 1e-9);
        double var = Arrays.stream(train).mapToDouble(v -> (v - mean) * (v - mean)).sum() / train.length;
        assertEquals(Math.sqrt(var), n.std().get(0), 1e-9);

        DataSources.Loaded plain = carve(0.25, 42, false);
        assertEquals(10, plain.test().size()); // round(40 * 0.25)
        assertArrayEquals(plain.test().ids(), carve(0.25, 42, false).test().ids());
        assertNotEquals(0, plain.train().size());
    }

    @Test
    void tooFewSamplesToCarve() throws IOException {
        Path f = Files.writeString(tmp.resolve("one.csv"), "1,a\n2,b\n");
        DataSourceException e = assertThrows(DataSourceException.class,
                () -> DataSources.load(SourceSpec.csv("one.csv", null, null), tmp));
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
    }

    @Test
    void everySourceBatchesThroughBatchLoader() throws IOException {
        fortyRows();
        DataSources.Loaded csv = carve(0.25, 1, true);
        ImageFolderSourceTest.save(ImageFolderSourceTest.rgb(9, 7, 10, 20, 30), tmp.resolve("img/a/1.png"));
        ImageFolderSourceTest.save(ImageFolderSourceTest.rgb(5, 5, 10, 20, 30), tmp.resolve("img/a/2.jpg"));
        ImageFolderSourceTest.save(ImageFolderSourceTest.grey(6, 6, 9), tmp.resolve("img/b/1.png"));
        ImageFolderSourceTest.save(ImageFolderSourceTest.grey(6, 6, 9), tmp.resolve("img/b/2.png"));
        DataSources.Loaded images = DataSources.load(
                SourceSpec.images("img", null, 6, 8, 3).withCarvedTest(0.5, 1, true), tmp);
        IdxSourceTest.images(tmp.resolve("idx"), 4, 6, IdxSourceTest.pixels(10 * 24, 0), true);
        IdxSourceTest.labels(tmp.resolve("idx-l"), new byte[] {0, 1, 2, 1, 0, 0, 1, 2, 1, 0}, false);
        DataSources.Loaded idx = DataSources.load(SourceSpec.idx("idx", "idx-l", null, null), tmp);

        check(csv.train(), 4, new long[] {4, 2});
        check(csv.test(), 16, new long[] {11, 2});
        check(images.train(), 2, new long[] {2, 3, 6, 8});
        check(images.test(), 2, new long[] {2, 3, 6, 8});
        check(idx.train(), 3, new long[] {3, 1, 4, 6});
        check(idx.test(), 8, new long[] {2, 1, 4, 6});
        // augmentation only accepts image samples, as with Fashion-MNIST
        Augmentation shift = new Augmentation(1, true);
        try (NDManager m = NDManager.newBaseManager()) {
            Batch b = new BatchLoader(images.train(), 2, true, 3, false).load(m, new int[] {0, 1}, shift, 5);
            assertEquals(new Shape(2, 3, 6, 8), b.input().getShape());
        }
    }

    private static void check(Dataset d, int batchSize, long[] firstBatchShape) {
        BatchLoader loader = new BatchLoader(d, batchSize, true, 7, false);
        try (NDManager m = NDManager.newBaseManager()) {
            int[][] plan = loader.plan(0);
            Batch b = loader.load(m, plan[0]);
            assertEquals(new Shape(firstBatchShape), b.input().getShape());
            assertEquals(DataType.FLOAT32, b.input().getDataType());
            assertEquals(new Shape(firstBatchShape[0]), b.labels().getShape());
            assertEquals(DataType.INT32, b.labels().getDataType());
            int seen = 0;
            for (int[] positions : plan) {
                seen += loader.load(m, positions).size();
            }
            assertEquals(d.size(), seen);
        }
    }

    @Test
    void normalisationTravelsAsJson() throws IOException {
        fortyRows();
        Normalisation n = carve(0.25, 2, true).normalisation();
        ObjectMapper json = new ObjectMapper();
        String text = json.writeValueAsString(n);
        assertTrue(text.contains("\"classNames\":[\"a\",\"b\"]"), text);
        assertEquals(n, json.readValue(text, Normalisation.class));
        assertEquals(2, n.numClasses());
    }

    @Test
    void specRejectsMisplacedOrMissingFields() {
        assertThrows(IllegalArgumentException.class, () -> new SourceSpec("parquet", null, "x", null, null,
                null, null, null, null, null, null, null, null));
        IllegalArgumentException size = assertThrows(IllegalArgumentException.class, () -> new SourceSpec("csv",
                null, "x", null, null, null, null, null, List.of(2, 2), null, null, null, null));
        assertTrue(size.getMessage().startsWith("size:"), size.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new SourceSpec("images", null, "x", null, null,
                null, null, null, null, null, null, null, null)); // no size
        assertThrows(IllegalArgumentException.class, () -> SourceSpec.images("x", null, 4, 4, 2));
        assertThrows(IllegalArgumentException.class, () -> new SourceSpec("idx", null, "x", "y", "t",
                null, null, null, null, null, null, null, null)); // test without testLabels
        assertThrows(IllegalArgumentException.class, () -> new SourceSpec("csv", null, "x", null, "t",
                null, null, null, null, null, 0.3, null, null)); // testFraction with a test file
        assertThrows(IllegalArgumentException.class, () -> SourceSpec.csv("x", null, null).withCarvedTest(1.0, 0, true));
    }
}
