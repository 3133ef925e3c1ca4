package org.distill4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.distill4j.io.DamagedFileException;
import org.distill4j.io.Provenance;
import org.distill4j.train.Seeds;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Network files carry their provenance and a checksum of their weights, verified before use. */
class NetworkFileTest {
    static final long[] SAMPLE = {1, 28, 28};
    static final ModelSpec SPEC = new CnnSpec(List.of(4), 16, null, null);

    @Test
    void provenanceRoundTrips(@TempDir Path dir) throws IOException {
        Provenance p = new Provenance(Map.of("train", "a".repeat(64), "test", "b".repeat(64)), "normalise", "c".repeat(64),
                "d".repeat(64));
        try (NDManager m = NDManager.newBaseManager()) {
            Seeds.apply(3);
            try (Network n = Network.create(SPEC, SAMPLE, 10, m)) {
                n.save(dir.resolve("p.model"), p);
                n.save(dir.resolve("none.model"));
                try (Network back = Network.load(dir.resolve("p.model"), SPEC, m)) {
                    assertEquals(p, back.savedProvenance());
                    assertEquals(n.weightsDigest(), back.weightsDigest());
                }
                assertEquals(p, Network.savedProvenance(dir.resolve("p.model")));
                assertNull(Network.savedProvenance(dir.resolve("none.model")));
            }
        }
    }

    /** 16 bytes flipped in the middle of the weights: refused by load and by checkSaved, naming the file. */
    @Test
    void flippedBytesMidFileAreRefusedNamingTheFile(@TempDir Path dir) throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            Seeds.apply(3);
            Path f = dir.resolve("teacher.model");
            try (Network n = Network.create(SPEC, SAMPLE, 10, m)) {
                n.save(f);
            }
            byte[] b = Files.readAllBytes(f);
            for (int i = b.length / 2; i < b.length / 2 + 16; i++) {
                b[i] ^= (byte) 0xFF;
            }
            Files.write(f, b);
            DamagedFileException e = assertThrows(DamagedFileException.class, () -> Network.load(f, SPEC, m));
            assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("SHA-256"), e.getMessage());
            assertEquals(f, e.file());
            assertThrows(DamagedFileException.class, () -> Network.checkSaved(f, SPEC));
        }
    }

    @Test
    void truncatedAndDirectoryAndFormat1FilesNameThePath(@TempDir Path dir) throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            Seeds.apply(3);
            Path f = dir.resolve("a.model");
            try (Network n = Network.create(SPEC, SAMPLE, 10, m)) {
                n.save(f);
            }
            Path cut = dir.resolve("cut.model");
            byte[] b = Files.readAllBytes(f);
            Files.write(cut, java.util.Arrays.copyOf(b, b.length - 10));
            IOException t = assertThrows(DamagedFileException.class, () -> Network.load(cut, null, m));
            assertTrue(t.getMessage().contains(cut.toString()) && !t.getMessage().contains("null"), t.getMessage());
            Path d = Files.createDirectory(dir.resolve("adir.model"));
            IOException isDir = assertThrows(IOException.class, () -> Network.load(d, null, m));
            assertTrue(isDir.getMessage().contains(d.toString()), isDir.getMessage());
            java.nio.ByteBuffer.wrap(b).putInt(2 + "distill4j-network".length(), 1);
            Path old = dir.resolve("old.model");
            Files.write(old, b);
            IOException v1 = assertThrows(IOException.class, () -> Network.checkSaved(old, null));
            assertTrue(v1.getMessage().contains(old.toString()) && v1.getMessage().contains("version 1"), v1.getMessage());
        }
    }

    @Test
    void provenanceNamesEachDifference() {
        Provenance then = new Provenance(Map.of("train", "1".repeat(64), "test", "2".repeat(64)), "norm(a)", null,
                "3".repeat(64));
        Provenance now = new Provenance(Map.of("train", "4".repeat(64), "test", "2".repeat(64)), "norm(b)",
                "5".repeat(64), "3".repeat(64));
        List<Provenance.Difference> d = now.differences(then);
        assertEquals(List.of("data.train", "preprocessing"), d.stream().map(Provenance.Difference::what).toList());
        assertEquals("data.train (111111111111… → 444444444444…)", d.get(0).toString());
        assertTrue(d.stream().allMatch(Provenance.Difference::isData));
        assertEquals(List.of(), now.differences(now));
        assertEquals(List.of(), now.differences(null));
    }
}
