package org.distill4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvSourceTest {

    @TempDir
    Path tmp;

    private Path write(String name, String content) throws IOException {
        Path file = tmp.resolve(name);
        Files.writeString(file, content, StandardCharsets.UTF_8);
        return file;
    }

    /** Undoes the normalisation to compare with the values written in the file. */
    private static float[] raw(DataSources.Loaded d, Dataset part) {
        float[] x = new float[part.size() * part.featureSize()];
        for (int i = 0; i < part.size(); i++) {
            part.copyFeatures(i, x, i * part.featureSize());
        }
        Normalisation n = d.normalisation();
        int f = part.featureSize();
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (x[i] * n.std().get(i % f) + n.mean().get(i % f));
        }
        return x;
    }

    private static DataSourceException fails(SourceSpec spec, Path base) {
        return assertThrows(DataSourceException.class, () -> DataSources.load(spec, base));
    }

    private static void assertOneLineNaming(DataSourceException e, Path file, String... parts) {
        String m = e.getMessage();
        assertFalse(m.contains("\n"), m);
        assertTrue(m.contains(file.toString()), m);
        for (String p : parts) {
            assertTrue(m.contains(p), "expected '" + p + "' in: " + m);
        }
    }

    @Test
    void headerDetectedLabelByName() throws IOException {
        write("train.csv", "a,b,species\n1,2,cat\n3,4,dog\n5,6,cat\n");
        write("test.csv", "a,b,species\n7,8,dog\n");
        DataSources.Loaded d = DataSources.load(SourceSpec.csv("train.csv", "test.csv", "species"), tmp);
        assertEquals(List.of("cat", "dog"), d.normalisation().classNames());
        assertEquals(Normalisation.Layout.PER_FEATURE, d.normalisation().layout());
        assertArrayEquals(new long[] {2}, d.train().sampleShape());
        assertArrayEquals(new int[] {0, 1, 0}, d.train().labels());
        assertArrayEquals(new int[] {1}, d.test().labels());
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, raw(d, d.train()), 1e-5f);
        assertArrayEquals(new float[] {7, 8}, raw(d, d.test()), 1e-5f);
        assertEquals("train-train", d.train().name());
        assertEquals("train-test", d.test().name());
        assertEquals(2, d.train().numClasses());
    }

    @Test
    void noHeaderLabelByIndexNumericLabelsUsedAsGiven() throws IOException {
        // label first; labels 0..2 given as integers (one as 2.0) are kept as they are
        write("train.csv", "2,0.5,1\n0,1.5,2\n1,2.5,3\n2.0,3.5,4\n");
        DataSources.Loaded d = DataSources.load(
                SourceSpec.csv("train.csv", null, "0").withCarvedTest(0.25, 1, false), tmp);
        assertEquals(List.of("0", "1", "2"), d.normalisation().classNames());
        int[] all = new int[4];
        Dataset train = d.train();
        Dataset test = d.test();
        for (int i = 0; i < train.size(); i++) {
            all[train.id(i)] = train.label(i);
        }
        for (int i = 0; i < test.size(); i++) {
            all[test.id(i)] = test.label(i);
        }
        assertArrayEquals(new int[] {2, 0, 1, 2}, all);
        assertEquals(3, train.size());
        assertEquals(1, test.size());
    }

    @Test
    void explicitHeaderFlagsWin() throws IOException {
        // all-numeric first row that is nevertheless a header (header: true)
        write("h.csv", "10,20,30\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n");
        DataSources.Loaded d = DataSources.load(
                SourceSpec.csv("h.csv", null, null).withHeader(true).withCarvedTest(0.5, 3, true), tmp);
        assertEquals(4, d.train().size() + d.test().size());
        // header: false with a non-numeric first row: the row is data, and fails as such
        write("n.csv", "x,y,label\n1,2,0\n");
        DataSourceException e = fails(SourceSpec.csv("n.csv", null, "2").withHeader(false), tmp);
        assertOneLineNaming(e, tmp.resolve("n.csv"), "line 1", "column 0", "\"x\" is not a number");
    }

    @Test
    void stringLabelsAreSortedAndNumbersThatAreNotZeroToKAreMapped() throws IOException {
        write("s.csv", "f,label\n1,zebra\n2,ant\n3,moth\n4,ant\n");
        write("s-test.csv", "f,label\n5,moth\n");
        DataSources.Loaded d = DataSources.load(SourceSpec.csv("s.csv", "s-test.csv", "label"), tmp);
        assertEquals(List.of("ant", "moth", "zebra"), d.normalisation().classNames());
        assertArrayEquals(new int[] {2, 0, 1, 0}, d.train().labels());
        assertArrayEquals(new int[] {1}, d.test().labels());

        // 10, 2, 5 are numbers but not 0..K-1: sorted numerically (not as text), then mapped
        write("m.csv", "1,10\n2,2\n3,5\n4,2\n");
        write("m-test.csv", "9,5.0\n");
        DataSources.Loaded m = DataSources.load(SourceSpec.csv("m.csv", "m-test.csv", null), tmp);
        assertEquals(List.of("2", "5", "10"), m.normalisation().classNames());
        assertArrayEquals(new int[] {2, 0, 1, 0}, m.train().labels());
        assertArrayEquals(new int[] {1}, m.test().labels());
    }

    @Test
    void gzippedAndQuotedAndBlankLines() throws IOException {
        Path gz = tmp.resolve("t.csv.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
            out.write("\uFEFF\"x\", \"y\" ,kind\n1,2,\"a, b\"\n\n3,4,c\n5,6,c\n".getBytes(StandardCharsets.UTF_8));
        }
        DataSources.Loaded d = DataSources.load(
                SourceSpec.csv("t.csv.gz", null, "kind").withCarvedTest(0.5, 0, false), tmp);
        assertEquals(List.of("a, b", "c"), d.normalisation().classNames());
        assertEquals("t-train", d.train().name());
        assertEquals(3, d.train().size() + d.test().size());
        // the quoted, padded header name " \"y\" " is y
        write("q.csv", "\"x\", \"y\" ,kind\n1,2,a\n3,4,b\n");
        DataSources.Loaded q = DataSources.load(SourceSpec.csv("q.csv", null, "kind").withCarvedTest(0.5, 0, false), tmp);
        assertEquals(2, q.train().size() + q.test().size());
        Path r = write("r.csv", "\"x\", \"y\" ,kind\n1,\"z\" ,a\n");
        assertOneLineNaming(fails(SourceSpec.csv("r.csv", null, "kind"), tmp), r, "line 2, column 1 (\"y\")", "\"z\"");
    }

    @Test
    void labelByIndexAndByNameGiveTheSameData() throws IOException {
        write("i.csv", "p,q,r\n1,0,2\n3,1,4\n5,0,6\n");
        DataSources.Loaded byName = DataSources.load(
                SourceSpec.csv("i.csv", null, "q").withCarvedTest(0.3, 5, true), tmp);
        DataSources.Loaded byIndex = DataSources.load(
                SourceSpec.csv("i.csv", null, "1").withCarvedTest(0.3, 5, true), tmp);
        assertEquals(byName.train().digest(), byIndex.train().digest());
        assertEquals(byName.test().digest(), byIndex.test().digest());
        assertEquals(byName.normalisation(), byIndex.normalisation());
        assertArrayEquals(new long[] {2}, byName.train().sampleShape());
    }

    @Test
    void raggedRowNamesFileLineAndCounts() throws IOException {
        Path f = write("r.csv", "a,b,c\n1,2,0\n3,4\n");
        assertOneLineNaming(fails(SourceSpec.csv("r.csv", null, "c"), tmp), f,
                "line 3", "has 2 columns", "line 1 has 3");
    }

    @Test
    void nonNumericCellNamesFileLineAndColumn() throws IOException {
        Path f = write("bad.csv", "a,b,c\n1,2,0\n3,oops,1\n");
        assertOneLineNaming(fails(SourceSpec.csv("bad.csv", null, "c"), tmp), f,
                "line 3", "column 1", "\"b\"", "\"oops\" is not a number");
        Path g = write("nan.csv", "1,2,0\n3,NaN,1\n");
        assertOneLineNaming(fails(SourceSpec.csv("nan.csv", null, null), tmp), g, "line 2", "column 1");
        Path e = write("empty-cell.csv", "1,2,0\n3,,1\n");
        assertOneLineNaming(fails(SourceSpec.csv("empty-cell.csv", null, null), tmp), e, "line 2", "empty");
    }

    @Test
    void unseenTestLabelNamesTestFileAndLine() throws IOException {
        write("tr.csv", "x,y\n1,a\n2,b\n");
        Path t = write("te.csv", "x,y\n3,a\n4,c\n");
        assertOneLineNaming(fails(SourceSpec.csv("tr.csv", "te.csv", "y"), tmp), t,
                "line 3", "\"c\" never occurs", "tr.csv");
        // with numeric identity labels, an out-of-range test label is unseen too
        write("tn.csv", "1,0\n2,1\n");
        Path u = write("un.csv", "1,0\n2,2\n");
        assertOneLineNaming(fails(SourceSpec.csv("tn.csv", "un.csv", null), tmp), u, "line 2", "\"2\"");
    }

    @Test
    void differentFeatureCountsNameBothFiles() throws IOException {
        Path a = write("a.csv", "1,2,0\n3,4,1\n");
        Path b = write("b.csv", "1,2,3,0\n");
        DataSourceException e = fails(SourceSpec.csv("a.csv", "b.csv", null), tmp);
        assertOneLineNaming(e, b, "3 feature columns", a.toString(), "has 2");
    }

    @Test
    void missingFileAndMissingColumnAndEmptyFile() throws IOException {
        assertOneLineNaming(fails(SourceSpec.csv("nope.csv", null, null), tmp), tmp.resolve("nope.csv"),
                "not found");
        Path f = write("c.csv", "a,b\n1,0\n");
        assertOneLineNaming(fails(SourceSpec.csv("c.csv", null, "label"), tmp), f, "no column named \"label\"");
        assertOneLineNaming(fails(SourceSpec.csv("c.csv", null, "7"), tmp), f, "index 7 is out of range");
        Path h = write("h.csv", "a,b\n");
        assertOneLineNaming(fails(SourceSpec.csv("h.csv", null, "b"), tmp), h, "no data rows");
        Path z = write("z.csv", "\n\n");
        assertOneLineNaming(fails(SourceSpec.csv("z.csv", null, null), tmp), z, "no rows");
    }
}
