package org.distill4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The text source on the committed slice (48 short mails, a cut of the teacher's tokenizer). */
class TextSourceTest {
    static final Path SLICE = Path.of("src/test/resources/text-slice").toAbsolutePath();
    static final TextSpec TEXT = new TextSpec(SLICE.resolve("tokenizer.json").toString(), 16, null);

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
    void tokenisesWithTheTeachersTokenizer() {
        try (TextTokenizer tok = TextTokenizer.open(SLICE.resolve("tokenizer.json"), 8)) {
            float[] ids = tok.encode(List.of("the build", "the build failed again last night"));
            // BERT uncased WordPiece: [CLS]=101, the=1996, [SEP]=102, [PAD]=0; truncated to 8 with [SEP] last.
            assertArrayEquals(new float[] {101, 1996, ids[2], 102, 0, 0, 0, 0}, java.util.Arrays.copyOf(ids, 8));
            assertEquals(101, ids[8]);
            assertEquals(102, ids[15]);
            assertTrue(ids[2] != 100, "'build' is in the cut vocabulary, not [UNK]");
        }
    }

    @Test
    void folderCsvAndJsonlGiveTheSameSamples() {
        DataSources.Loaded folder = DataSources.load(SourceSpec.text("mail", null, null, TEXT), SLICE);
        DataSources.Loaded csv = DataSources.load(SourceSpec.text("mail.csv", null, null, TEXT), SLICE);
        DataSources.Loaded jsonl = DataSources.load(SourceSpec.text("mail.jsonl", null, null, TEXT), SLICE);
        assertEquals(List.of("ham", "spam"), folder.normalisation().classNames());
        assertArrayEquals(new long[] {16}, folder.train().sampleShape());
        assertEquals(48, folder.train().size() + folder.test().size());
        assertTrue(folder.test().size() >= 8, "20% of 48 carved for test: " + folder.test().size());
        // CSV and JSON lines hold the same texts with the line break as a space: same tokens, same split.
        assertArrayEquals(features(csv.train()), features(jsonl.train()));
        assertArrayEquals(features(folder.train()), features(csv.train()));
        assertArrayEquals(folder.train().labels(), csv.train().labels());
        // Token ids are not normalised.
        assertEquals(101f, features(folder.train())[0]);
    }

    @Test
    void theSplitIsSeeded() {
        SourceSpec a = SourceSpec.text("mail", null, null, TEXT);
        int[] ids0 = DataSources.load(a, SLICE).test().ids();
        assertArrayEquals(ids0, DataSources.load(a, SLICE).test().ids());
        assertNotEquals(List.of(ids0), List.of(DataSources.load(a.withCarvedTest(0.2, 7, true), SLICE).test().ids()));
    }

    private DataSourceException fails(String train) {
        return assertThrows(DataSourceException.class,
                () -> DataSources.load(SourceSpec.text(train, null, null, TEXT), tmp));
    }

    private static void oneLine(DataSourceException e, String... parts) {
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "expected '" + p + "' in: " + e.getMessage());
        }
    }

    @Test
    void badInputIsOneLineNamingTheFile() throws IOException {
        Files.createDirectories(tmp.resolve("f/ham"));
        Files.writeString(tmp.resolve("f/ham/a.txt"), "hello");
        Files.writeString(tmp.resolve("f/ham/empty.txt"), "  \n");
        oneLine(fails("f"), "ham/empty.txt", "the text is empty");

        Files.delete(tmp.resolve("f/ham/empty.txt"));
        Files.write(tmp.resolve("f/ham/latin1.txt"), "caf\u00e9 au lait".getBytes(StandardCharsets.ISO_8859_1));
        oneLine(fails("f"), "latin1.txt", "not UTF-8", "offset 3");

        Files.writeString(tmp.resolve("m.jsonl"), "{\"text\": \"hi\", \"label\": \"ham\"}\n{\"text\": \"yo\"}\n");
        oneLine(fails("m.jsonl"), "m.jsonl", "line 2", "label", "missing");

        Files.writeString(tmp.resolve("m.csv"), "text,label\nhi,ham\n,spam\n");
        oneLine(fails("m.csv"), "m.csv", "line 3", "the text is empty");

        Files.writeString(tmp.resolve("n.csv"), "body,label\nhi,ham\n");
        oneLine(fails("n.csv"), "n.csv", "no column named \"text\"");

        Files.createDirectories(tmp.resolve("g"));
        Files.writeString(tmp.resolve("g/loose.txt"), "hello");
        oneLine(fails("g"), "loose.txt", "no label");

        DataSourceException tok = assertThrows(DataSourceException.class, () -> DataSources.load(
                SourceSpec.text("m.csv", null, null, new TextSpec("nope.json", 16, null)), tmp));
        oneLine(tok, "nope.json", "not found");
    }

    @Test
    void specChecksItsRanges() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new TextSpec("t.json", 1, null));
        assertEquals("text.maxLength: must be in [2, 512] (got 1)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SourceSpec.text("a", null, null, null));
    }
}
