package org.distill4j.knowledge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Lucene knowledge base: neighbours against an exact brute-force search, mixing, checksums, staleness. */
class KnowledgeBaseTest {
    private static final int N = 300;
    private static final int DIM = 8;
    private static final int CLASSES = 3;
    private static final KnowledgeBase.Key KEY = new KnowledgeBase.Key("t", "d", "p", "b");
    private static final KnowledgeBase.Settings SETTINGS = new KnowledgeBase.Settings("embedding", 5, 0.5, 0.25);

    @TempDir
    Path tmp;

    private static float[] random(int n, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    /** Ids 1000 + 3r: not the rows, so an id/row mix-up shows. */
    private static int[] ids() {
        return IntStream.range(0, N).map(r -> 1000 + 3 * r).toArray();
    }

    private static float[] soft() {
        float[] s = new float[N * CLASSES];
        for (int r = 0; r < N; r++) {
            s[r * CLASSES + r % CLASSES] = 0.7f;
            s[r * CLASSES + (r + 1) % CLASSES] = 0.3f;
        }
        return s;
    }

    private Path write(float[] vectors) throws IOException {
        Path dir = tmp.resolve("kb");
        KnowledgeBase.write(dir, KEY, SETTINGS, ids(), vectors, DIM, soft(), CLASSES);
        return dir;
    }

    /** Rows by decreasing exact cosine with {@code q}, ties by row, without {@code excludeRow}. */
    private static int[] bruteForce(float[] vectors, float[] q, int k, int excludeRow) {
        float[] qn = KnowledgeBase.normalised(q, 0, DIM);
        double[] cos = new double[N];
        for (int r = 0; r < N; r++) {
            float[] v = KnowledgeBase.normalised(vectors, r * DIM, DIM);
            for (int i = 0; i < DIM; i++) {
                cos[r] += (double) qn[i] * v[i];
            }
        }
        return IntStream.range(0, N).filter(r -> r != excludeRow).boxed()
                .sorted(Comparator.<Integer>comparingDouble(r -> -cos[r]).thenComparingInt(r -> r)).limit(k)
                .mapToInt(Integer::intValue).toArray();
    }

    @Test
    void neighboursAreTheExactNearestBySearchingTheHnswIndex() throws IOException {
        float[] vectors = random(N * DIM, 1);
        float[] queries = random(40 * DIM, 2);
        try (KnowledgeBase kb = KnowledgeBase.open(write(vectors), KEY)) {
            assertEquals(N, kb.size());
            int[][] got = kb.search(queries, 40, 5, null);
            for (int q = 0; q < 40; q++) {
                assertArrayEquals(bruteForce(vectors, java.util.Arrays.copyOfRange(queries, q * DIM, (q + 1) * DIM), 5,
                        -1), got[q], "query " + q);
            }
        }
    }

    @Test
    void aStoredSampleIsNotItsOwnNeighbour() throws IOException {
        float[] vectors = random(N * DIM, 3);
        try (KnowledgeBase kb = KnowledgeBase.open(write(vectors), KEY)) {
            int[] ids = ids();
            int[][] got = kb.search(kb.vectors(), N, 4, ids);
            for (int r = 0; r < N; r++) {
                int[] want = bruteForce(vectors, java.util.Arrays.copyOfRange(vectors, r * DIM, (r + 1) * DIM), 4, r);
                assertArrayEquals(want, got[r], "row " + r);
                assertEquals(r, kb.rowOf(ids[r]));
            }
            // without the exclusion the sample is its own nearest entry
            assertEquals(7, kb.search(kb.vector(7), 1, 1, null)[0][0]);
        }
    }

    @Test
    void mixIsBetaTimesTheWeightedSoftLabelsPlusTheStudentsProbabilities() throws IOException {
        float[] vectors = random(N * DIM, 4);
        float[] query = random(DIM, 5);
        float[] logits = {0.5f, -1f, 2f};
        try (KnowledgeBase kb = KnowledgeBase.open(write(vectors), KEY)) {
            int[] nb = bruteForce(vectors, query, 5, -1);
            float[] qn = KnowledgeBase.normalised(query, 0, DIM);
            double[] w = new double[5];
            double sum = 0;
            for (int j = 0; j < 5; j++) {
                float[] v = KnowledgeBase.normalised(vectors, nb[j] * DIM, DIM);
                double c = 0;
                for (int i = 0; i < DIM; i++) {
                    c += (double) qn[i] * v[i];
                }
                w[j] = Math.exp(c / 0.5);
                sum += w[j];
            }
            double z = Math.exp(0.5) + Math.exp(-1) + Math.exp(2);
            double[] ps = {Math.exp(0.5) / z, Math.exp(-1) / z, Math.exp(2) / z};
            float[] soft = soft();
            float[] got = kb.mix(logits, query, 1);
            for (int c = 0; c < CLASSES; c++) {
                double retrieved = 0;
                for (int j = 0; j < 5; j++) {
                    retrieved += w[j] / sum * soft[nb[j] * CLASSES + c];
                }
                assertEquals(0.25 * retrieved + 0.75 * ps[c], Math.exp(got[c]), 1e-6, "class " + c);
            }
        }
    }

    @Test
    void aStaleOrDamagedBaseIsRefusedNamingWhy() throws IOException {
        Path dir = write(random(N * DIM, 6));
        KnowledgeBase.Key otherTeacher = new KnowledgeBase.Key("t2", "d", "p", "b");
        IOException stale = assertThrows(IOException.class, () -> KnowledgeBase.open(dir, otherTeacher));
        assertTrue(stale.getMessage().contains("stale") && stale.getMessage().contains("teacher weights"),
                stale.getMessage());
        KnowledgeBase.Key otherData = new KnowledgeBase.Key("t", "d2", "p", "b");
        assertTrue(assertThrows(IOException.class, () -> KnowledgeBase.open(dir, otherData)).getMessage()
                .contains("data"));
        Path cfs = KnowledgeBase.files(dir).stream().filter(f -> f.toString().endsWith(".cfs")).findFirst().orElseThrow();
        byte[] bytes = Files.readAllBytes(cfs);
        bytes[bytes.length / 2] ^= 1;
        Files.write(cfs, bytes);
        IOException damaged = assertThrows(IOException.class, () -> KnowledgeBase.open(dir, KEY));
        assertTrue(damaged.getMessage().contains(cfs.getFileName().toString()), damaged.getMessage());
    }

    @Test
    void settingsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> new KnowledgeBase.Settings("embedding", 0, 0.1, 0.5));
        assertThrows(IllegalArgumentException.class, () -> new KnowledgeBase.Settings("embedding", 3, 0, 0.5));
        assertThrows(IllegalArgumentException.class, () -> new KnowledgeBase.Settings("embedding", 3, 0.1, 1.5));
    }
}
