package org.distill4j.knowledge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {
    /**
     * A file as Python's safetensors writes it, built byte by byte from the format's rules:
     * u64 little-endian header size, JSON header (padded with spaces to 8 bytes), raw data.
     */
    static byte[] pythonStyleFile() {
        String header = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
                + "\"b\":{\"dtype\":\"I32\",\"shape\":[3],\"data_offsets\":[16,28]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        int padded = (h.length + 7) / 8 * 8;
        ByteBuffer b = ByteBuffer.allocate(8 + padded + 28).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(padded).put(h);
        for (int i = h.length; i < padded; i++) {
            b.put((byte) ' ');
        }
        b.putFloat(1.5f).putFloat(-2f).putFloat(0.25f).putFloat(8f).putInt(7).putInt(-1).putInt(42);
        return b.array();
    }

    @Test
    void readsAFileWrittenByTheFormatsRules(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("x.safetensors");
        Files.write(f, pythonStyleFile());
        SafeTensors.Opened o = SafeTensors.open(f);
        assertEquals(Map.of("format", "pt"), o.metadata());
        SafeTensors.View a = o.tensors().get("a");
        assertArrayEquals(new long[] {2, 2}, a.shape());
        float[] got = new float[4];
        a.data().asFloatBuffer().get(got);
        assertArrayEquals(new float[] {1.5f, -2f, 0.25f, 8f}, got);
        assertEquals(42, o.tensors().get("b").data().getInt(8));
    }

    @Test
    void writesWhatItReadsAndByteCompatibleLayout(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("y.safetensors");
        SafeTensors.write(f, new java.util.LinkedHashMap<>(Map.of("a", SafeTensors.Tensor.f32(new float[] {1.5f, -2f, 0.25f, 8f}, 2, 2))),
                Map.of("k", "v"));
        byte[] bytes = Files.readAllBytes(f);
        long headerLength = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, headerLength % 8, "header padded to 8 bytes");
        assertEquals(8 + headerLength + 16, bytes.length);
        assertEquals(1.5f, ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getFloat((int) (8 + headerLength)));
        assertEquals("v", SafeTensors.open(f).metadata().get("k"));
    }

    @Test
    void truncatedAndDamagedFilesAreRejectedByName(@TempDir Path dir) throws IOException {
        byte[] good = pythonStyleFile();
        Path cut = dir.resolve("cut.safetensors");
        Files.write(cut, java.util.Arrays.copyOf(good, good.length - 4));
        IOException e = assertThrows(IOException.class, () -> SafeTensors.open(cut));
        assertTrue(e.getMessage().contains("cut.safetensors") && e.getMessage().contains("truncated"), e.getMessage());
        Path tiny = dir.resolve("tiny.safetensors");
        Files.write(tiny, new byte[] {1, 2, 3});
        assertThrows(IOException.class, () -> SafeTensors.open(tiny));
        byte[] bad = good.clone();
        bad[8] = '#'; // the header's opening brace
        Path junk = dir.resolve("junk.safetensors");
        Files.write(junk, bad);
        assertTrue(assertThrows(IOException.class, () -> SafeTensors.open(junk)).getMessage().contains("header"));
    }
}
