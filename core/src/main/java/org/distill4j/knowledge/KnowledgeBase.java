package org.distill4j.knowledge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReader;
import org.apache.lucene.index.SerialMergeScheduler;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.BytesRef;
import org.distill4j.io.AtomicFile;
import org.distill4j.io.DamagedFileException;
import org.distill4j.io.Provenance;

/**
 * ReAugKD's knowledge base (Zhang et al., ACL 2023, "ReAugKD: Retrieval-Augmented Knowledge
 * Distillation for Pre-trained Language Models"): one entry per training sample holding the
 * teacher's embedding, projected to the student's embedding size and L2-normalised, and the
 * teacher's soft labels (its probabilities at T = 1), in a Lucene HNSW vector index
 * ({@link KnnFloatVectorField}, dot product of unit vectors = cosine). A folder: Lucene's files,
 * merged into one segment, and {@value #MANIFEST}, written last, with what the entries were
 * computed from ({@link Key}), the retrieval settings and the SHA-256 of every index file. A
 * folder whose manifest is missing, whose files fail their checksums or whose key differs from
 * the current teacher and data is never used: {@link #open} refuses it, the caller rebuilds it.
 *
 * <p>Retrieval ({@link #search}) asks the HNSW graph for {@value #CANDIDATES} candidates (its
 * search beam) and keeps the {@code k} most similar by the exact cosine of the stored vectors;
 * {@link #mix} gives ReAugKD's prediction {@code β·Σ_j w_j·soft_j + (1−β)·softmax(z_s)} with
 * {@code w = softmax_j(cos_j/τ)}. Searching is safe from many threads at once.
 */
public final class KnowledgeBase implements AutoCloseable {
    public static final String FORMAT = "distill4j-knowledge-base/1";
    public static final String MANIFEST = "kb.json";
    /** HNSW candidates per query (Lucene's {@code k} for the graph search, then the top k are kept). */
    public static final int CANDIDATES = 100;
    private static final String VECTOR = "embedding";
    private static final String ID = "id";
    private static final String SOFT = "soft";
    private static final ObjectMapper JSON = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

    /**
     * How retrieval answers at inference: the student's embedding tap {@code tap} is the query,
     * {@code k} neighbours, their similarities softmaxed at {@code tau}, their soft labels mixed
     * with the student's probabilities by {@code beta}.
     */
    public record Settings(String tap, int k, double tau, double beta) {
        public Settings {
            if (tap == null || tap.isBlank() || k < 1 || !(tau > 0) || !(beta >= 0 && beta <= 1)) {
                throw new IllegalArgumentException("knowledge base needs k ≥ 1, tau > 0, beta in [0, 1]; got k=" + k
                        + ", tau=" + tau + ", beta=" + beta);
            }
        }
    }

    /**
     * What the entries were computed from: the teacher's answers digest, the training data's
     * digest, the preprocessing, and a digest of how the projection was trained ({@code build}).
     */
    public record Key(String teacher, String data, String preprocessing, String build) {}

    private final Path dir;
    private final Key key;
    private final Settings settings;
    private final Directory directory;
    private final DirectoryReader reader;
    private final IndexSearcher searcher;
    private final int[] ids;
    private final float[] vectors;
    private final float[] soft;
    private final int dim;
    private final int classes;
    private final int[] rowOfId;

    private KnowledgeBase(Path dir, Key key, Settings settings, Directory directory, DirectoryReader reader,
            int[] ids, float[] vectors, float[] soft, int dim, int classes) {
        this.dir = dir;
        this.key = key;
        this.settings = settings;
        this.directory = directory;
        this.reader = reader;
        this.searcher = new IndexSearcher(reader);
        this.ids = ids;
        this.vectors = vectors;
        this.soft = soft;
        this.dim = dim;
        this.classes = classes;
        int bound = 0;
        for (int id : ids) {
            bound = Math.max(bound, id + 1);
        }
        this.rowOfId = new int[bound];
        java.util.Arrays.fill(rowOfId, -1);
        for (int r = 0; r < ids.length; r++) {
            rowOfId[ids[r]] = r;
        }
    }

    /**
     * Writes a knowledge base into {@code dir} (replacing one there), all or nothing: built in a
     * temporary folder beside it, which then takes its place. {@code vectors} are n × dim, each row
     * normalised here; {@code soft} n × classes probabilities.
     */
    public static void write(Path dir, Key key, Settings settings, int[] ids, float[] vectors, int dim, float[] soft,
            int classes) throws IOException {
        int n = ids.length;
        if (n == 0 || vectors.length != (long) n * dim || soft.length != (long) n * classes) {
            throw new IllegalArgumentException("knowledge base: " + n + " ids, " + vectors.length + " vector values of "
                    + dim + ", " + soft.length + " soft-label values of " + classes);
        }
        Path parent = AtomicFile.createDirectories(dir.toAbsolutePath().getParent());
        Path tmp = Files.createTempDirectory(parent, "." + dir.getFileName() + ".build-");
        try {
            IndexWriterConfig cfg = new IndexWriterConfig().setOpenMode(IndexWriterConfig.OpenMode.CREATE)
                    .setUseCompoundFile(true).setRAMBufferSizeMB(256).setMergeScheduler(new SerialMergeScheduler())
                    .setCommitOnClose(false);
            try (Directory d = FSDirectory.open(tmp); IndexWriter w = new IndexWriter(d, cfg)) {
                for (int r = 0; r < n; r++) {
                    Document doc = new Document();
                    float[] v = normalised(vectors, r * dim, dim);
                    doc.add(new KnnFloatVectorField(VECTOR, v, VectorSimilarityFunction.DOT_PRODUCT));
                    doc.add(new StoredField(ID, ids[r]));
                    doc.add(new StoredField(SOFT, new BytesRef(bytes(soft, r * classes, classes))));
                    w.addDocument(doc);
                }
                w.forceMerge(1);
                w.commit();
            }
            Files.deleteIfExists(tmp.resolve(IndexWriter.WRITE_LOCK_NAME));
            ObjectNode m = JSON.createObjectNode();
            m.put("format", FORMAT).put("entries", n).put("dim", dim).put("classes", classes);
            m.set("key", JSON.valueToTree(key));
            m.set("settings", JSON.valueToTree(settings));
            ObjectNode files = m.putObject("files");
            for (Path f : indexFiles(tmp)) {
                files.putObject(f.getFileName().toString()).put("sha256", Provenance.sha256(f)).put("bytes", Files.size(f));
            }
            AtomicFile.write(tmp.resolve(MANIFEST), o -> JSON.writeValue(o, m));
            deleteTree(dir);
            Files.move(tmp, dir, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } finally {
            deleteTree(tmp);
        }
    }

    /**
     * Opens the knowledge base in {@code dir}, its files verified against the manifest's checksums,
     * refused unless it was built for {@code expected} (null: any, as at inference).
     *
     * @throws IOException saying why it cannot be used (missing, damaged, stale)
     */
    public static KnowledgeBase open(Path dir, Key expected) throws IOException {
        JsonNode m = manifest(dir);
        Key found = JSON.treeToValue(m.path("key"), Key.class);
        if (expected != null && !expected.equals(found)) {
            List<String> stale = new ArrayList<>();
            if (!java.util.Objects.equals(expected.teacher(), found.teacher())) {
                stale.add("teacher weights");
            }
            if (!java.util.Objects.equals(expected.data(), found.data())) {
                stale.add("data");
            }
            if (!java.util.Objects.equals(expected.preprocessing(), found.preprocessing())) {
                stale.add("preprocessing");
            }
            if (!java.util.Objects.equals(expected.build(), found.build())) {
                stale.add("projection settings");
            }
            throw new IOException("knowledge base " + dir + " is stale: it was built for other " + String.join(", ", stale));
        }
        Settings settings = JSON.treeToValue(m.path("settings"), Settings.class);
        int n = m.path("entries").asInt();
        int dim = m.path("dim").asInt();
        int classes = m.path("classes").asInt();
        Directory directory = FSDirectory.open(dir);
        try {
            DirectoryReader reader = DirectoryReader.open(directory);
            try {
                if (reader.leaves().size() != 1 || reader.maxDoc() != n) {
                    throw new DamagedFileException(dir, dir + " is not a knowledge base of " + n + " entries in one "
                            + "segment; build it again");
                }
                LeafReader leaf = reader.leaves().get(0).reader();
                int[] ids = new int[n];
                float[] soft = new float[n * classes];
                StoredFields stored = leaf.storedFields();
                for (int doc = 0; doc < n; doc++) {
                    Document d = stored.document(doc);
                    ids[doc] = d.getField(ID).numericValue().intValue();
                    BytesRef b = d.getBinaryValue(SOFT);
                    ByteBuffer.wrap(b.bytes, b.offset, b.length).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer()
                            .get(soft, doc * classes, classes);
                }
                float[] vectors = new float[n * dim];
                FloatVectorValues values = leaf.getFloatVectorValues(VECTOR);
                for (int doc = values.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = values.nextDoc()) {
                    System.arraycopy(values.vectorValue(), 0, vectors, doc * dim, dim);
                }
                return new KnowledgeBase(dir, found, settings, directory, reader, ids, vectors, soft, dim, classes);
            } catch (IOException | RuntimeException e) {
                reader.close();
                throw e;
            }
        } catch (IOException | RuntimeException e) {
            directory.close();
            throw e;
        }
    }

    /** The verified manifest of the knowledge base in {@code dir}. */
    private static JsonNode manifest(Path dir) throws IOException {
        Path file = dir.resolve(MANIFEST);
        if (!Files.isRegularFile(file)) {
            throw new IOException("no knowledge base in " + dir + " (no " + MANIFEST + ")");
        }
        JsonNode m;
        try {
            m = JSON.readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new DamagedFileException(file, file + " is damaged (not valid JSON)", e);
        }
        if (m == null || !FORMAT.equals(m.path("format").asText())) {
            throw new DamagedFileException(file, file + " is not a " + FORMAT + " manifest");
        }
        for (var it = m.path("files").fields(); it.hasNext();) {
            var e = it.next();
            Path f = dir.resolve(e.getKey());
            if (e.getKey().contains("/") || !Files.isRegularFile(f)) {
                throw new DamagedFileException(f, f + " (listed in " + file + ") is missing");
            }
            if (!Provenance.sha256(f).equals(e.getValue().path("sha256").asText())) {
                throw new DamagedFileException(f, f + " fails its SHA-256 (listed in " + file + "); it was modified or"
                        + " corrupted");
            }
        }
        return m;
    }

    /**
     * Replaces the retrieval settings recorded in the manifest of the knowledge base in {@code dir}
     * (the entries and their checksums unchanged), as scheme reaugkd does once it has chosen β on
     * the validation split; the manifest is rewritten atomically.
     */
    public static void writeSettings(Path dir, Settings settings) throws IOException {
        ObjectNode m = (ObjectNode) manifest(dir);
        m.set("settings", JSON.valueToTree(settings));
        AtomicFile.write(dir.resolve(MANIFEST), o -> JSON.writeValue(o, m));
    }

    /** The files of the knowledge base in {@code dir}: its manifest and the index files it lists. */
    public static List<Path> files(Path dir) throws IOException {
        List<Path> out = new ArrayList<>();
        manifest(dir).path("files").fieldNames().forEachRemaining(f -> out.add(dir.resolve(f)));
        out.add(dir.resolve(MANIFEST));
        return out;
    }

    /** Bytes on disk of the knowledge base in {@code dir} (index files and manifest). */
    public static long bytes(Path dir) throws IOException {
        long total = 0;
        for (Path f : files(dir)) {
            total += Files.size(f);
        }
        return total;
    }

    /**
     * The {@code k} entries most similar to each of {@code count} queries (row-major, {@code dim}
     * values each, normalised here), as rows of this base, most similar first; with
     * {@code excludeIds}, query q never returns the entry of sample {@code excludeIds[q]} (a
     * training sample is not its own neighbour).
     */
    public int[][] search(float[] queries, int count, int k, int[] excludeIds) throws IOException {
        int[][] out = new int[count][];
        int wanted = Math.min(k + (excludeIds == null ? 0 : 1), ids.length);
        for (int q = 0; q < count; q++) {
            float[] v = normalised(queries, q * dim, dim);
            ScoreDoc[] hits = searcher.search(new KnnFloatVectorQuery(VECTOR, v, Math.max(wanted, CANDIDATES)),
                    Math.max(wanted, CANDIDATES)).scoreDocs;
            int exclude = excludeIds == null ? -1 : excludeIds[q];
            // exact cosines of the stored vectors decide the order (ties: the lower row)
            List<double[]> found = new ArrayList<>();
            for (ScoreDoc h : hits) {
                if (ids[h.doc] != exclude) {
                    found.add(new double[] {-dot(v, 0, vectors, h.doc * dim, dim), h.doc});
                }
            }
            found.sort(Comparator.<double[]>comparingDouble(e -> e[0]).thenComparingDouble(e -> e[1]));
            out[q] = new int[Math.min(k, found.size())];
            for (int j = 0; j < out[q].length; j++) {
                out[q][j] = (int) found.get(j)[1];
            }
        }
        return out;
    }

    /**
     * What retrieval hands back for {@code count} queries: each query's neighbours (rows of the base,
     * most similar first) and {@code soft}, their soft labels averaged with weights
     * {@code softmax_j(cos_j/τ)} (count × classes, row-major).
     */
    public record Retrieved(int[][] neighbours, double[] soft) {}

    /** The k nearest entries to each {@code embeddings} row and their similarity-weighted soft labels. */
    public Retrieved retrieve(float[] embeddings, int count, int k, double tau) throws IOException {
        int[][] nb = search(embeddings, count, k, null);
        double[] out = new double[count * classes];
        for (int q = 0; q < count; q++) {
            System.arraycopy(weighted(normalised(embeddings, q * dim, dim), nb[q], tau), 0, out, q * classes, classes);
        }
        return new Retrieved(nb, out);
    }

    /**
     * The soft labels of rows {@code near} averaged with weights {@code softmax_j(cos_j/τ)}, cos_j
     * the cosine of the normalised query {@code v} with row j's vector.
     */
    double[] weighted(float[] v, int[] near, double tau) {
        double[] w = new double[near.length];
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < w.length; j++) {
            w[j] = dot(v, 0, vectors, near[j] * dim, dim) / tau;
            max = Math.max(max, w[j]);
        }
        double sum = 0;
        for (int j = 0; j < w.length; j++) {
            w[j] = Math.exp(w[j] - max);
            sum += w[j];
        }
        double[] out = new double[classes];
        for (int j = 0; j < w.length; j++) {
            for (int c = 0; c < classes; c++) {
                out[c] += w[j] / sum * soft[near[j] * classes + c];
            }
        }
        return out;
    }

    /**
     * ReAugKD's prediction for {@code count} samples: {@code β·Σ_j softmax_j(cos_j/τ)·soft_j +
     * (1−β)·softmax(logits)} over each sample's k nearest entries to its {@code embeddings} row;
     * returned as log-probabilities (n × classes), so a softmax of them gives the mixture back.
     */
    public float[] mix(float[] logits, float[] embeddings, int count) throws IOException {
        double[] retrieved = retrieve(embeddings, count, settings.k(), settings.tau()).soft();
        float[] out = new float[count * classes];
        for (int q = 0; q < count; q++) {
            double[] ps = softmax(logits, q * classes, classes);
            for (int c = 0; c < classes; c++) {
                double p = settings.beta() * retrieved[q * classes + c] + (1 - settings.beta()) * ps[c];
                out[q * classes + c] = (float) Math.log(Math.max(p, 1e-30));
            }
        }
        return out;
    }

    /** The teacher's class for row {@code r}: the argmax of its stored soft labels (ties: the lower class). */
    public int teacherClass(int r) {
        int best = 0;
        for (int c = 1; c < classes; c++) {
            if (soft[r * classes + c] > soft[r * classes + best]) {
                best = c;
            }
        }
        return best;
    }

    /** The stored, normalised vector of row {@code r}. */
    public float[] vector(int r) {
        return java.util.Arrays.copyOfRange(vectors, r * dim, (r + 1) * dim);
    }

    /** All stored vectors, row-major (a copy). */
    public float[] vectors() {
        return vectors.clone();
    }

    /** The row of sample {@code id}, or −1 if the base has no entry for it. */
    public int rowOf(int id) {
        return id >= 0 && id < rowOfId.length ? rowOfId[id] : -1;
    }

    /** The sample id of row {@code r}. */
    public int id(int r) {
        return ids[r];
    }

    public int size() {
        return ids.length;
    }

    public int dim() {
        return dim;
    }

    public int classes() {
        return classes;
    }

    public Settings settings() {
        return settings;
    }

    public Key key() {
        return key;
    }

    public Path dir() {
        return dir;
    }

    @Override
    public void close() {
        try {
            reader.close();
            directory.close();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static List<Path> indexFiles(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(f -> !f.getFileName().toString().equals(MANIFEST)).sorted().toList();
        }
    }

    static float[] normalised(float[] values, int from, int dim) {
        double sq = 0;
        for (int i = 0; i < dim; i++) {
            sq += (double) values[from + i] * values[from + i];
        }
        double norm = Math.max(Math.sqrt(sq), 1e-12);
        float[] v = new float[dim];
        for (int i = 0; i < dim; i++) {
            v[i] = (float) (values[from + i] / norm);
        }
        return v;
    }

    private static double dot(float[] a, int ia, float[] b, int ib, int dim) {
        double s = 0;
        for (int i = 0; i < dim; i++) {
            s += (double) a[ia + i] * b[ib + i];
        }
        return s;
    }

    static double[] softmax(float[] logits, int from, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < n; c++) {
            max = Math.max(max, logits[from + c]);
        }
        double[] p = new double[n];
        double sum = 0;
        for (int c = 0; c < n; c++) {
            p[c] = Math.exp(logits[from + c] - max);
            sum += p[c];
        }
        for (int c = 0; c < n; c++) {
            p[c] /= sum;
        }
        return p;
    }

    private static byte[] bytes(float[] values, int from, int n) {
        ByteBuffer b = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            b.putFloat(values[from + i]);
        }
        return b.array();
    }

    private static void deleteTree(Path dir) throws IOException {
        AtomicFile.deleteTree(dir);
    }
}
