package org.distill4j.data;

import org.distill4j.testing.Slice;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FashionMnistTest {

    @TempDir
    Path tmp;

    /** A directory holding the four file names (empty files: locate only checks existence). */
    private Path dataDir(String name, boolean gz) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(name));
        for (String file : FashionMnist.FILES) {
            Files.createFile(dir.resolve(gz ? file + ".gz" : file));
        }
        return dir;
    }

    @Test
    void locateOrderIsOverrideThenEnvThenDebian() throws IOException {
        Path override = dataDir("override", true);
        Path fromEnv = dataDir("env", false);
        Path debian = dataDir("debian", true);
        Map<String, String> env = Map.of(FashionMnist.ENV, fromEnv.toString());

        assertEquals(override, FashionMnist.locate(override, env, debian));
        assertEquals(fromEnv, FashionMnist.locate(null, env, debian));
        assertEquals(debian, FashionMnist.locate(null, Map.of(), debian));
        assertEquals(debian, FashionMnist.locate(null, Map.of(FashionMnist.ENV, " "), debian));
    }

    @Test
    void explicitDirectoryWithoutFilesIsAnError() throws IOException {
        Path debian = dataDir("debian", true);
        Path partial = Files.createDirectories(tmp.resolve("partial"));
        Files.createFile(partial.resolve("train-images-idx3-ubyte.gz"));
        Files.createFile(partial.resolve("train-labels-idx1-ubyte"));

        // an explicit choice is never silently replaced by the Debian directory
        DatasetException e = assertThrows(DatasetException.class,
                () -> FashionMnist.locate(partial, Map.of(), debian));
        assertTrue(e.getMessage().contains(partial.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("--data"), e.getMessage());
        assertTrue(e.getMessage().contains("t10k-images-idx3-ubyte"), e.getMessage());
        assertTrue(e.getMessage().contains("t10k-labels-idx1-ubyte"), e.getMessage());
        assertFalse(e.getMessage().contains("lacks train-"), e.getMessage());

        e = assertThrows(DatasetException.class, () -> FashionMnist.locate(null,
                Map.of(FashionMnist.ENV, partial.toString()), debian));
        assertTrue(e.getMessage().contains("DISTILL4J_DATA"), e.getMessage());
        assertTrue(e.getMessage().contains(partial.toString()), e.getMessage());

        Path absent = tmp.resolve("absent");
        e = assertThrows(DatasetException.class, () -> FashionMnist.locate(absent, Map.of(), debian));
        assertTrue(e.getMessage().contains(absent + " (from --data) does not exist"), e.getMessage());
    }

    @Test
    void nothingFoundSaysWhatToDo() {
        Path debian = tmp.resolve("no-debian-package");
        DatasetException e = assertThrows(DatasetException.class,
                () -> FashionMnist.locate(null, Map.of(), debian));
        String m = e.getMessage();
        assertTrue(m.contains("sudo apt-get install dataset-fashion-mnist"), m);
        assertTrue(m.contains("--data"), m);
        assertTrue(m.contains("DISTILL4J_DATA"), m);
        assertTrue(m.contains("train-images-idx3-ubyte.gz"), m);
        assertTrue(m.contains(debian.toString()), m);
    }

    @Test
    void presentAcceptsGzippedOrPlainFiles() throws IOException {
        assertTrue(FashionMnist.present(dataDir("gz", true)));
        assertTrue(FashionMnist.present(dataDir("plain", false)));
        assertTrue(FashionMnist.present(Slice.dir()));
        assertFalse(FashionMnist.present(tmp));
        assertFalse(FashionMnist.present(tmp.resolve("missing")));
        assertFalse(FashionMnist.present(null));
    }

    @Test
    void loadsSlice() {
        FashionMnist.Splits splits = FashionMnist.load(Slice.dir());
        assertEquals("fashion-mnist-train", splits.train().name());
        assertEquals("fashion-mnist-test", splits.test().name());
        assertEquals(Slice.TRAIN, splits.train().size());
        assertEquals(Slice.TEST, splits.test().size());
        assertEquals(10, splits.train().numClasses());
        assertArrayEquals(new long[] {1, 28, 28}, splits.test().sampleShape());
        assertEquals(9, splits.train().label(0));
        assertEquals("Ankle boot", FashionMnist.CLASS_NAMES.get(splits.train().label(0)));
        assertEquals(10, FashionMnist.CLASS_NAMES.size());
        assertEquals("T-shirt/top", FashionMnist.CLASS_NAMES.get(0));
    }

    @Test
    void loadRejectsIncompleteDirectory() {
        DatasetException e = assertThrows(DatasetException.class, () -> FashionMnist.load(tmp));
        assertTrue(e.getMessage().contains(tmp.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("train-images-idx3-ubyte"), e.getMessage());
    }
}
