package org.distill4j.knowledge;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.zip.CRC32;
import org.distill4j.data.Batch;
import org.distill4j.data.BatchLoader;
import org.distill4j.data.Dataset;
import org.distill4j.model.InferenceModel;
import org.distill4j.model.Outputs;

/**
 * The teacher's outputs (logits and any requested taps) for every sample of a dataset, computed
 * once in inference mode and stored as safetensors; read through a memory map by sample id, so
 * shuffled batches, subsets and resumed runs stay aligned with the samples they belong to.
 *
 * <p>Layout: tensor {@code ids} (I32, [N]): the sample id of each row; one tensor per tap,
 * named {@code tap.<name>} (F32, [N, …]): row r holds the teacher's output for sample
 * {@code ids[r]}. Metadata: {@code format} = {@value #FORMAT}, the {@code teacher}, {@code data}
 * and {@code preprocessing} digests the rows were computed from, and {@code crc32.<tensor>}
 * for every tensor. A file whose digests differ from the current teacher and data is never
 * used; {@link #openOrBuild} rebuilds it. A truncated or corrupt file is detected on open.
 * Stored knowledge is only valid when the teacher sees identical inputs every epoch: with data
 * augmentation the teacher must run live (Stanton et al. 2021).
 */
public final class KnowledgeStore implements KnowledgeSource {
    public static final String FORMAT = "distill4j-knowledge/1";
    private static final String TAP_PREFIX = "tap.";
    private static final int BUILD_BATCH = 500;

    /** What the stored rows were computed from. */
    public record Key(String teacher, String data, String preprocessing) {}

    private final Path file;
    private final Map<String, SafeTensors.View> taps;
    /** The row of sample {@code firstId + i} at {@code i} (-1: not held): an index over this file's own id range. */
    private final int[] rowOfId;
    private final int firstId;

    private KnowledgeStore(Path file, Map<String, SafeTensors.View> taps, int[] rowOfId, int firstId) {
        this.file = file;
        this.taps = taps;
        this.rowOfId = rowOfId;
        this.firstId = firstId;
    }

    /**
     * Uses the store at {@code file} if it was built for this key and holds these taps;
     * otherwise (missing, stale, truncated or corrupt) builds it from the teacher, saying why.
     */
    public static KnowledgeStore openOrBuild(Path file, InferenceModel teacher, Dataset data, List<String> tapNames,
            String preprocessing, NDManager root, Consumer<String> notices) throws IOException {
        return openOrBuild(file, teacher, data, tapNames, preprocessing, root, notices, null);
    }

    /**
     * As above; a store to be built from logits only takes them from {@code logits} (n × classes,
     * row-major, the teacher's on {@code data} in its order, as {@link org.distill4j.metric.Predictions}
     * holds them; null: run the teacher) instead of running the teacher a second time.
     */
    public static KnowledgeStore openOrBuild(Path file, InferenceModel teacher, Dataset data, List<String> tapNames,
            String preprocessing, NDManager root, Consumer<String> notices, float[] logits) throws IOException {
        Key key = new Key(teacher.answersDigest(), data.digest(), preprocessing);
        if (Files.exists(file)) {
            try {
                KnowledgeStore store = open(file, key);
                if (store.taps.keySet().containsAll(tapNames)) {
                    notices.accept("teacher knowledge read from " + file);
                    return store;
                }
                notices.accept("knowledge store " + file + " lacks taps " + tapNames + ": rebuilding");
            } catch (IOException e) {
                notices.accept(e.getMessage() + ": rebuilding");
            }
        }
        if (logits != null && tapNames.equals(List.of(Outputs.LOGITS))) {
            if (logits.length != data.size() * teacher.numClasses()) {
                throw new IllegalArgumentException("knowledge store " + file + ": " + logits.length + " logits given for "
                        + data.size() + " samples of " + teacher.numClasses() + " classes");
            }
            write(file, data, Map.of(Outputs.LOGITS, logits),
                    Map.of(Outputs.LOGITS, new long[] {data.size(), teacher.numClasses()}), key);
        } else {
            build(file, teacher, data, tapNames, key, root);
        }
        notices.accept("teacher knowledge computed once for " + data.size() + " samples into " + file);
        return open(file, key);
    }

    /**
     * What a store must hold for losses reading {@code taps} of {@code teacher}: logits first,
     * then those taps in the teacher's network order. A store hands its tap shapes back in this
     * order, and losses that pair taps by depth bind against them: a sorted order would put
     * ResNet's "stem" after "stage3".
     */
    public static List<String> tapsToStore(InferenceModel teacher, java.util.Collection<String> taps) {
        List<String> stored = new ArrayList<>(List.of(Outputs.LOGITS));
        teacher.tapNames().stream().filter(t -> taps.contains(t) && !stored.contains(t)).forEach(stored::add);
        return stored;
    }

    /** Opens a store, refusing it unless it was built for {@code expected}. */
    public static KnowledgeStore open(Path file, Key expected) throws IOException {
        SafeTensors.Opened opened = SafeTensors.open(file);
        Map<String, String> meta = opened.metadata();
        if (!FORMAT.equals(meta.get("format"))) {
            throw new IOException(file + " is not a distill4j knowledge store (format " + meta.get("format") + ")");
        }
        Key found = new Key(meta.get("teacher"), meta.get("data"), meta.get("preprocessing"));
        String stale = staleness(found, expected);
        if (stale != null) {
            throw new IOException("knowledge store " + file + " is stale: it was built for other " + stale);
        }
        for (var e : opened.tensors().entrySet()) {
            String crc = meta.get("crc32." + e.getKey());
            if (crc == null || Long.parseLong(crc) != crc32(e.getValue().data())) {
                throw new IOException("knowledge store " + file + " is corrupt: tensor '" + e.getKey() + "' fails its checksum");
            }
        }
        SafeTensors.View ids = opened.tensors().get("ids");
        if (ids == null || !ids.dtype().equals("I32")) {
            throw new IOException(file + " has no I32 'ids' tensor");
        }
        int n = Math.toIntExact(ids.rows());
        int[] idOfRow = new int[n];
        for (int r = 0; r < n; r++) {
            idOfRow[r] = ids.data().getInt(4 * r);
        }
        int minId = java.util.Arrays.stream(idOfRow).min().orElse(0);
        int maxId = java.util.Arrays.stream(idOfRow).max().orElse(-1);
        if (minId < 0) {
            throw new IOException(file + ": negative sample id " + minId);
        }
        int[] rowOfId = new int[maxId - minId + 1];
        java.util.Arrays.fill(rowOfId, -1);
        for (int r = 0; r < n; r++) {
            rowOfId[idOfRow[r] - minId] = r;
        }
        Map<String, SafeTensors.View> taps = new LinkedHashMap<>();
        for (var e : opened.tensors().entrySet()) {
            if (e.getKey().startsWith(TAP_PREFIX)) {
                if (e.getValue().rows() != n || !e.getValue().dtype().equals("F32")) {
                    throw new IOException(file + ": tensor '" + e.getKey() + "' must be F32 with " + n + " rows");
                }
                taps.put(e.getKey().substring(TAP_PREFIX.length()), e.getValue());
            }
        }
        if (!taps.containsKey(Outputs.LOGITS)) {
            throw new IOException(file + " holds no logits");
        }
        return new KnowledgeStore(file, taps, rowOfId, minId);
    }

    /** What differs between the key a store was built for and the expected one ("teacher weights, data"), or null. */
    public static String staleness(Key found, Key expected) {
        List<String> stale = new ArrayList<>();
        if (!expected.teacher().equals(found.teacher())) {
            stale.add("teacher weights");
        }
        if (!expected.data().equals(found.data())) {
            stale.add("data");
        }
        if (!expected.preprocessing().equals(found.preprocessing())) {
            stale.add("preprocessing");
        }
        return stale.isEmpty() ? null : String.join(", ", stale);
    }

    /**
     * Runs the teacher over every sample of {@code data} in inference mode and writes the store
     * (atomically), its rows marked with {@code key}: {@code data} may be one part of the dataset
     * {@code key} names (a shard of a {@link ShardedKnowledgeStore}).
     */
    public static void build(Path file, InferenceModel teacher, Dataset data, List<String> tapNames, Key key, NDManager root)
            throws IOException {
        List<String> names = new ArrayList<>(tapNames);
        if (!names.contains(Outputs.LOGITS)) {
            names.add(0, Outputs.LOGITS);
        }
        Map<String, float[]> values = new LinkedHashMap<>();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        BatchLoader loader = new BatchLoader(data, BUILD_BATCH, false, 0, false);
        int done = 0;
        for (int[] positions : loader.plan(0)) {
            try (NDManager scope = root.newSubManager()) {
                Batch batch = loader.load(scope, positions);
                Outputs out = teacher.infer(batch); // the same named inputs as a live teacher reads
                for (String tap : names) {
                    NDArray a = out.get(tap);
                    if (!values.containsKey(tap)) {
                        long[] shape = a.getShape().getShape().clone();
                        shape[0] = data.size();
                        shapes.put(tap, shape);
                        values.put(tap, new float[Math.toIntExact(new Shape(shape).size())]);
                    }
                    float[] part = a.toFloatArray();
                    System.arraycopy(part, 0, values.get(tap), done * (part.length / positions.length), part.length);
                }
                done += positions.length;
            }
        }
        write(file, data, values, shapes, key);
    }

    /** Writes the store of {@code data}'s rows: {@code values} and {@code shapes} per tap, logits first. */
    private static void write(Path file, Dataset data, Map<String, float[]> values, Map<String, long[]> shapes, Key key)
            throws IOException {
        Map<String, SafeTensors.Tensor> tensors = new LinkedHashMap<>();
        tensors.put("ids", SafeTensors.Tensor.i32(data.ids(), data.size()));
        values.forEach((tap, v) -> tensors.put(TAP_PREFIX + tap, SafeTensors.Tensor.f32(v, shapes.get(tap))));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put("teacher", key.teacher());
        meta.put("data", key.data());
        meta.put("preprocessing", key.preprocessing());
        for (var t : tensors.entrySet()) {
            meta.put("crc32." + t.getKey(), Long.toString(crc32(t.getValue())));
        }
        SafeTensors.write(file, tensors, meta);
    }

    @Override
    public Knowledge lookup(Batch batch) {
        return lookup(batch, taps, this::lookupRow);
    }

    /** Copies the stored row of sample {@code id} of {@code tap} into {@code dst} at {@code at}. */
    interface RowReader {
        void copy(int id, String tap, float[] dst, int at);
    }

    /** The batch's knowledge: for every tap of {@code layout}, the rows of the batch's ids as {@code rows} reads them. */
    static Knowledge lookup(Batch batch, Map<String, SafeTensors.View> layout, RowReader rows) {
        NDManager scope = batch.input().getManager();
        int[] ids = batch.ids();
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (var e : layout.entrySet()) {
            int row = e.getValue().rowSize();
            float[] dst = new float[ids.length * row];
            for (int i = 0; i < ids.length; i++) {
                rows.copy(ids[i], e.getKey(), dst, i * row);
            }
            long[] shape = e.getValue().shape().clone();
            shape[0] = ids.length;
            out.put(e.getKey(), scope.create(dst, new Shape(shape)));
        }
        return new Knowledge(new Outputs(out));
    }

    /** Whether this store holds a row for sample {@code id}. */
    boolean holds(int id) {
        return id >= firstId && id - firstId < rowOfId.length && rowOfId[id - firstId] >= 0;
    }

    /** The sample ids this store holds, in row order. */
    public int[] ids() {
        int[] out = new int[Math.toIntExact(taps.get(Outputs.LOGITS).rows())];
        for (int i = 0; i < rowOfId.length; i++) {
            if (rowOfId[i] >= 0) {
                out[rowOfId[i]] = firstId + i;
            }
        }
        return out;
    }

    /** The tensors' layout by tap name (whole-store shapes). */
    Map<String, SafeTensors.View> layout() {
        return taps;
    }

    void lookupRow(int id, String tap, float[] dst, int at) {
        if (!holds(id)) {
            throw new IllegalArgumentException("sample id " + id + " is not in the knowledge store " + file
                    + ": it was built for another dataset");
        }
        SafeTensors.View v = taps.get(tap);
        int row = v.rowSize();
        v.data().asFloatBuffer().get(rowOfId[id - firstId] * row, dst, at, row);
    }

    @Override
    public org.distill4j.model.TapShapes tapShapes() {
        Map<String, Shape> shapes = new LinkedHashMap<>();
        taps.forEach((name, v) -> shapes.put(name, new Shape(v.shape()).slice(1)));
        return new org.distill4j.model.TapShapes("teacher (stored)", shapes);
    }

    public Path file() {
        return file;
    }

    private static long crc32(ByteBuffer data) {
        CRC32 crc = new CRC32();
        crc.update(data.duplicate());
        return crc.getValue();
    }

    private static long crc32(SafeTensors.Tensor t) {
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(t.bytes())).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        if (t.f32() != null) {
            b.asFloatBuffer().put(t.f32());
        } else {
            b.asIntBuffer().put(t.i32());
        }
        CRC32 crc = new CRC32();
        crc.update(b);
        return crc.getValue();
    }
}
