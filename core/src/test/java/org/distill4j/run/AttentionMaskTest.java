package org.distill4j.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.data.Batch;
import org.distill4j.data.BatchLoader;
import org.distill4j.data.DataSources;
import org.distill4j.data.Dataset;
import org.distill4j.data.SourceSpec;
import org.distill4j.data.TextSource;
import org.distill4j.data.TextSpec;
import org.distill4j.knowledge.KnowledgeStore;
import org.distill4j.knowledge.LiveTeacher;
import org.distill4j.model.ImportedModel;
import org.distill4j.model.Outputs;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A text batch carries the tokenizer's attention mask as the named input {@code attention_mask}
 * beside its token ids, and the text encoder reads it: on the committed slice plus two mails that
 * hold the literal {@code [PAD]} (id 0, yet a real token: the tokenizer's mask is 1 there, so it is
 * not {@code id != 0}), with the tiny ONNX encoder standing in for MiniLM.
 */
class AttentionMaskTest {
    static final int LEN = 24;
    static final double TOLERANCE = 1e-5;

    @TempDir
    static Path dir;
    static Path data;
    static List<String> texts;
    static DataSources.Loaded loaded;

    @BeforeAll
    static void write() throws Exception {
        List<String> lines = new ArrayList<>(Files.readAllLines(TextRunTest.SLICE.resolve("mail.jsonl")));
        lines.add("{\"text\": \"Subject: the build [PAD] looks good\", \"label\": \"ham\"}");
        lines.add("{\"text\": \"Subject: [PAD] you have won [PAD] a prize\", \"label\": \"spam\"}");
        data = dir.resolve("mail.jsonl");
        Files.write(data, lines);
        texts = TextSource.texts(data, "text", "label", true).texts();
        loaded = DataSources.load(SourceSpec.text(data.toString(), null, null,
                new TextSpec(TextRunTest.SLICE.resolve("tokenizer.json").toString(), LEN, null)), dir);
    }

    /** The tokenizer's own encodings, straight from DJL's Hugging Face tokenizer, by source position. */
    static Encoding[] reference() throws Exception {
        try (HuggingFaceTokenizer t = HuggingFaceTokenizer.builder()
                .optTokenizerPath(TextRunTest.SLICE.resolve("tokenizer.json")).optMaxLength(LEN).optTruncation(true)
                .optPadToMaxLength().optAddSpecialTokens(true).build()) {
            return t.batchEncode(texts);
        }
    }

    static ImportedModel encoder() {
        return ImportedModel.open("teacher", new ImportedModel.Spec(TextRunTest.SLICE.resolve("tiny-encoder.onnx"),
                null, null, null), loaded.normalisation());
    }

    @Test
    void aTextBatchCarriesTheTokenizersMaskAlsoShuffledAndCut() throws Exception {
        Encoding[] ref = reference();
        int literalPads = 0;
        for (Encoding e : ref) {
            for (int j = 0; j < LEN; j++) {
                literalPads += e.getIds()[j] == 0 && e.getAttentionMask()[j] == 1 ? 1 : 0;
            }
        }
        assertEquals(3, literalPads, "the literal [PAD]s are id 0 under mask 1: the mask is not id != 0");
        Dataset.Split cut = loaded.train().split(0.25, 5); // a cut of a cut: the mask follows its samples
        try (NDManager root = NDManager.newBaseManager()) {
            for (Dataset d : List.of(loaded.train(), loaded.test(), cut.train(), cut.validation())) {
                BatchLoader loader = new BatchLoader(d, 5, true, 11, false);
                int seen = 0;
                int[][] plan = loader.plan(2);
                for (int b = 0; b < plan.length; b++) {
                    if (b + 1 < plan.length) {
                        loader.prefetch(plan[b + 1], org.distill4j.data.Augmentation.NONE, 0);
                    }
                    try (NDManager scope = root.newSubManager()) {
                        Batch batch = b % 2 == 0 ? loader.load(scope, plan[b])
                                : loader.load(scope, plan[b], org.distill4j.data.Augmentation.NONE, 0);
                        NDArray mask = batch.input(Batch.ATTENTION_MASK);
                        assertEquals(new Shape(plan[b].length, LEN), mask.getShape());
                        assertEquals(DataType.FLOAT32, mask.getDataType());
                        float[] m = mask.toFloatArray();
                        float[] ids = batch.input().toFloatArray();
                        for (int i = 0; i < batch.size(); i++) {
                            Encoding e = ref[batch.ids()[i]]; // a text source's id is the text's position
                            for (int j = 0; j < LEN; j++) {
                                assertEquals(e.getIds()[j], (long) ids[i * LEN + j], d.name() + " ids");
                                assertEquals(e.getAttentionMask()[j], (long) m[i * LEN + j], d.name() + " mask, text "
                                        + batch.ids()[i] + " token " + j);
                            }
                        }
                        seen += batch.size();
                    }
                }
                assertEquals(d.size(), seen);
            }
        }
    }

    /** The batch of {@code d}'s first {@code n} samples, with {@code mask} as its attention mask (null: none). */
    static Batch batch(NDManager scope, Dataset d, int n, float[] mask) {
        BatchLoader loader = new BatchLoader(d, n, false, 0, false);
        Batch b = loader.load(scope, loader.plan(0)[0]);
        if (mask == null) {
            return new Batch(b.input(), b.labels(), b.ids(), b.labelValues());
        }
        return new Batch(b.input(), b.labels(), b.ids(), b.labelValues()).with(Batch.ATTENTION_MASK,
                scope.create(mask, new Shape(n, LEN)));
    }

    static float[] pooled(Outputs o) {
        return o.get(ImportedModel.POOLED).toFloatArray();
    }

    static double maxDiff(float[] a, float[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
    }

    @Test
    void theEncoderReadsTheBatchsMaskAndKeepsMasksApartInItsCache() throws Exception {
        Dataset ordinary = loaded.train().head(8); // the slice's mails: the mask is id != 0 there
        int n = ordinary.size();
        try (NDManager root = NDManager.newBaseManager()) {
            float[] before;
            float[] trueMask;
            float[] fewer;
            float[] withTrue;
            float[] withFewer;
            try (ImportedModel teacher = encoder(); NDManager scope = root.newSubManager()) {
                Batch b = batch(scope, ordinary, n, null);
                before = pooled(teacher.inferUncached(b.input())); // the mask id != 0, as before batches had one
                trueMask = new BatchLoader(ordinary, n, false, 0, false).load(scope, new int[] {0, 1, 2, 3, 4, 5, 6, 7})
                        .input(Batch.ATTENTION_MASK).toFloatArray();
                fewer = trueMask.clone();
                for (int i = 0; i < n; i++) {
                    fewer[i * LEN + 1] = 0; // each text's first real word masked out
                }
                withTrue = pooled(teacher.infer(batch(scope, ordinary, n, trueMask)));
                withFewer = pooled(teacher.infer(batch(scope, ordinary, n, fewer)));
                assertTrue(maxDiff(before, withTrue) <= TOLERANCE, "the true mask gives the previous outputs: "
                        + maxDiff(before, withTrue));
                assertTrue(maxDiff(withTrue, withFewer) > 1e-3, "a real token masked out changes the outputs: "
                        + maxDiff(withTrue, withFewer));
                assertTrue(maxDiff(withFewer, pooled(teacher.inferUncached(batch(scope, ordinary, n, fewer))))
                        <= TOLERANCE, "the cache answers the masked texts as the encoder does");
                assertTrue(maxDiff(withTrue, pooled(teacher.infer(batch(scope, ordinary, n, trueMask)))) <= TOLERANCE,
                        "the cache keeps the same ids under two masks apart");
                teacher.useCache(dir.resolve("cache.bin"));
                teacher.saveCache();
            }
            try (ImportedModel again = encoder(); NDManager scope = root.newSubManager()) {
                again.useCache(dir.resolve("cache.bin"));
                assertEquals(2 * n, again.cachedTexts(), "both masks of every text are kept in the file");
                assertTrue(maxDiff(withFewer, pooled(again.infer(batch(scope, ordinary, n, fewer)))) <= TOLERANCE);
                assertTrue(maxDiff(withTrue, pooled(again.infer(batch(scope, ordinary, n, trueMask)))) <= TOLERANCE);
            }
            // a cache of the earlier layout ("d4jtxtc1": rows keyed by ids alone, the mask id != 0), here holding
            // a marker embedding for every text: read as the answers under the mask id != 0, and no other mask
            Path old = dir.resolve("old-cache.bin");
            float[] ids;
            try (NDManager scope = root.newSubManager()) {
                ids = batch(scope, ordinary, n, null).input().toFloatArray();
            }
            try (var out = new java.io.DataOutputStream(Files.newOutputStream(old))) {
                out.writeLong(0x6434_6a74_7874_6331L);
                out.writeUTF(ImportedModel.sha256(TextRunTest.SLICE.resolve("tiny-encoder.onnx")));
                out.writeInt(LEN);
                out.writeInt(8);
                out.writeInt(n);
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < LEN; j++) {
                        out.writeInt((int) ids[i * LEN + j]);
                    }
                    for (int c = 0; c < 8; c++) {
                        out.writeFloat(1000 + i);
                    }
                }
            }
            try (ImportedModel migrated = encoder(); NDManager scope = root.newSubManager()) {
                migrated.useCache(old);
                assertEquals(n, migrated.cachedTexts());
                float[] marked = pooled(migrated.infer(batch(scope, ordinary, n, trueMask)));
                for (int i = 0; i < n; i++) {
                    assertEquals(1000 + i, marked[i * 8], "text " + i + " answered from the earlier cache");
                }
                assertTrue(maxDiff(withFewer, pooled(migrated.infer(batch(scope, ordinary, n, fewer)))) <= TOLERANCE,
                        "another mask is not in the earlier cache: computed");
            }
        }
    }

    @Test
    void theStoreBuiltFromATextSourceHoldsTheLiveTeachersAnswers() throws Exception {
        Dataset train = loaded.train();
        Path file = dir.resolve("store.safetensors");
        try (NDManager root = NDManager.newBaseManager(); ImportedModel teacher = encoder()) {
            List<String> taps = List.of(Outputs.LOGITS, ImportedModel.POOLED);
            KnowledgeStore store = KnowledgeStore.openOrBuild(file, teacher, train, taps, "identity", root, m -> {});
            LiveTeacher live = new LiveTeacher(teacher);
            BatchLoader loader = new BatchLoader(train, 7, true, 3, false);
            int differsFromIdsAlone = 0;
            for (int[] positions : loader.plan(1)) {
                try (NDManager scope = root.newSubManager()) {
                    Batch b = loader.load(scope, positions);
                    for (String tap : taps) {
                        float[] stored = store.lookup(b).outputs().get(tap).toFloatArray();
                        float[] answered = live.lookup(b).outputs().get(tap).toFloatArray();
                        assertTrue(maxDiff(stored, answered) <= TOLERANCE, tap + ": " + maxDiff(stored, answered));
                    }
                    float[] stored = store.lookup(b).outputs().get(ImportedModel.POOLED).toFloatArray();
                    float[] idsAlone = pooled(teacher.inferUncached(b.input()));
                    for (int i = 0; i < b.size(); i++) {
                        float[] s = java.util.Arrays.copyOfRange(stored, i * 8, (i + 1) * 8);
                        float[] a = java.util.Arrays.copyOfRange(idsAlone, i * 8, (i + 1) * 8);
                        differsFromIdsAlone += maxDiff(s, a) > 1e-3 ? 1 : 0;
                    }
                }
            }
            int literal = 0; // the training split's texts that hold a literal [PAD]
            for (int i = 0; i < train.size(); i++) {
                literal += texts.get(train.id(i)).contains("[PAD]") ? 1 : 0;
            }
            assertTrue(literal >= 1, "a [PAD] text is in the training split");
            assertEquals(literal, differsFromIdsAlone, "exactly the [PAD] texts are stored under the tokenizer's mask");
        }
    }

    @Test
    void theTextStudentsPoolOverTheBatchsMaskInTrainingAndInTheExport() throws Exception {
        Dataset train = loaded.train();
        try (NDManager root = NDManager.newBaseManager()) {
            for (org.distill4j.model.ModelSpec spec : List.of(new org.distill4j.model.TextCnnSpec(4000, 8, 16, 3, 16),
                    new org.distill4j.model.NgramMlpSpec(512, 8, 16))) {
                org.distill4j.train.Seeds.apply(4);
                try (org.distill4j.model.Network net = org.distill4j.model.Network.create(spec, new long[] {LEN}, 2,
                        root); NDManager scope = root.newSubManager()) {
                    org.distill4j.model.ExportedNetwork exported = org.distill4j.model.ExportedNetwork.of(
                            org.distill4j.model.Architecture.of(net).architecture(),
                            org.distill4j.model.ExportedNetwork.tensorsOf(org.distill4j.model.Architecture.of(net)),
                            scope, "test");
                    BatchLoader loader = new BatchLoader(train, train.size(), false, 0, false);
                    Batch b = loader.load(scope, loader.plan(0)[0]);
                    float[] withMask = net.infer(b).logits().toFloatArray();
                    float[] training = net.forward(b, true).logits().toFloatArray(); // no dropout in these students
                    float[] idsAlone = net.infer(b.input()).logits().toFloatArray();
                    float[] export = exported.forward(b.input(), b.input(Batch.ATTENTION_MASK)).toFloatArray();
                    assertTrue(maxDiff(withMask, training) <= TOLERANCE, spec.describe());
                    assertTrue(maxDiff(withMask, export) <= TOLERANCE, spec.describe() + " export "
                            + maxDiff(withMask, export));
                    int changed = 0;
                    for (int i = 0; i < b.size(); i++) {
                        double d = maxDiff(java.util.Arrays.copyOfRange(withMask, 2 * i, 2 * i + 2),
                                java.util.Arrays.copyOfRange(idsAlone, 2 * i, 2 * i + 2));
                        if (texts.get(b.ids()[i]).contains("[PAD]")) {
                            changed += d > 1e-4 ? 1 : 0;
                        } else { // the mask is id != 0 there: the same answer
                            assertTrue(d <= TOLERANCE, spec.describe() + " text " + b.ids()[i] + ": " + d);
                        }
                    }
                    assertTrue(changed >= 1, spec.describe() + ": the literal [PAD] pooled as a real token");
                }
            }
        }
    }
}
