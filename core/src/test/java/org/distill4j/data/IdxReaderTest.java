package org.distill4j.data;

import org.distill4j.testing.Slice;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Consumer;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest {

    @TempDir
    Path tmp;

    @Test
    void readsGzippedSlice() {
        IdxReader.IdxImages train = IdxReader.readImages(Slice.file("train-images-idx3-ubyte.gz"));
        assertEquals(Slice.TRAIN, train.count());
        assertEquals(28, train.rows());
        assertEquals(28, train.cols());
        assertEquals(Slice.TRAIN * 28 * 28, train.pixels().length);
        // Known values of the first Fashion-MNIST training image (row 3, cols 15..16).
        assertEquals(13, train.pixels()[99] & 0xFF);
        assertEquals(73, train.pixels()[100] & 0xFF);

        byte[] trainLabels = IdxReader.readLabels(Slice.file("train-labels-idx1-ubyte.gz"));
        assertEquals(Slice.TRAIN, trainLabels.length);
        assertEquals(9, trainLabels[0]); // the first Fashion-MNIST training sample is an ankle boot

        IdxReader.IdxImages test = IdxReader.readImages(Slice.file("t10k-images-idx3-ubyte.gz"));
        assertEquals(Slice.TEST, test.count());
        byte[] testLabels = IdxReader.readLabels(Slice.file("t10k-labels-idx1-ubyte.gz"));
        assertEquals(Slice.TEST, testLabels.length);
        assertEquals(9, testLabels[0]);
        assertEquals(2, testLabels[1]);
    }

    @Test
    void readsPlainFileDetectingGzipByContentNotName() throws IOException {
        byte[] plain = gunzip(Slice.file("train-images-idx3-ubyte.gz"));
        Path file = tmp.resolve("images.gz"); // misleading name on purpose
        Files.write(file, plain);
        IdxReader.IdxImages images = IdxReader.readImages(file);
        IdxReader.IdxImages reference = IdxReader.readImages(Slice.file("train-images-idx3-ubyte.gz"));
        assertEquals(reference.count(), images.count());
        assertArrayEquals(reference.pixels(), images.pixels());

        Path labels = tmp.resolve("labels");
        Files.write(labels, gunzip(Slice.file("train-labels-idx1-ubyte.gz")));
        assertEquals(9, IdxReader.readLabels(labels)[0]);
    }

    @Test
    void rejectsLabelsFilePassedAsImages() {
        Path file = Slice.file("train-labels-idx1-ubyte.gz");
        DatasetException e = assertThrows(DatasetException.class, () -> IdxReader.readImages(file));
        assertMessage(e, "train-labels-idx1-ubyte.gz", "magic", "0x00000803", "0x00000801",
                "labels file passed as images");
    }

    @Test
    void rejectsImagesFilePassedAsLabels() {
        Path file = Slice.file("t10k-images-idx3-ubyte.gz");
        DatasetException e = assertThrows(DatasetException.class, () -> IdxReader.readLabels(file));
        assertMessage(e, "t10k-images-idx3-ubyte.gz", "expected 0x00000801", "found 0x00000803");
    }

    @Test
    void rejectsTruncatedData() throws IOException {
        byte[] plain = gunzip(Slice.file("train-images-idx3-ubyte.gz"));
        Path file = tmp.resolve("truncated-images");
        Files.write(file, Arrays.copyOf(plain, plain.length - 100));
        DatasetException e = assertThrows(DatasetException.class, () -> IdxReader.readImages(file));
        assertMessage(e, "truncated-images", "truncated", "expected 470400", "got 470300");

        // the same, inside a valid gzip stream
        Path gz = tmp.resolve("truncated-labels.gz");
        Files.write(gz, gzip(Arrays.copyOf(gunzip(Slice.file("train-labels-idx1-ubyte.gz")), 8 + 599)));
        e = assertThrows(DatasetException.class, () -> IdxReader.readLabels(gz));
        assertMessage(e, "truncated-labels.gz", "truncated", "expected 600", "got 599");
    }

    @Test
    void rejectsTruncatedHeader() throws IOException {
        Path file = tmp.resolve("short");
        Files.write(file, new byte[] {0, 0, 8, 3, 0});
        DatasetException e = assertThrows(DatasetException.class, () -> IdxReader.readImages(file));
        assertMessage(e, "short", "truncated", "16 bytes", "only 5");
    }

    @Test
    void rejectsTrailingBytes() throws IOException {
        byte[] plain = gunzip(Slice.file("train-labels-idx1-ubyte.gz"));
        Path file = tmp.resolve("trailing-labels");
        Files.write(file, Arrays.copyOf(plain, plain.length + 3));
        DatasetException e = assertThrows(DatasetException.class, () -> IdxReader.readLabels(file));
        assertMessage(e, "trailing-labels", "3 trailing bytes", "600 data bytes");
    }

    @Test
    void rejectsCorruptGzip() throws IOException {
        byte[] gz = Files.readAllBytes(Slice.file("train-images-idx3-ubyte.gz"));
        for (int i = gz.length / 2; i < gz.length / 2 + 64; i++) {
            gz[i] ^= (byte) 0x5a;
        }
        Path file = tmp.resolve("corrupt.gz");
        Files.write(file, gz);
        DatasetException e = assertThrows(DatasetException.class, () -> IdxReader.readImages(file));
        assertMessage(e, "corrupt.gz", "not a valid gzip stream", "corrupt");
        assertInstanceOf(IOException.class, e.getCause());
    }

    @Test
    void rejectsCutGzip() throws IOException {
        byte[] gz = Files.readAllBytes(Slice.file("train-images-idx3-ubyte.gz"));
        Path file = tmp.resolve("cut.gz");
        Files.write(file, Arrays.copyOf(gz, gz.length / 2));
        DatasetException e = assertThrows(DatasetException.class, () -> IdxReader.readImages(file));
        assertMessage(e, "cut.gz", "not a valid gzip stream");
    }

    @Test
    void rejectsMissingFile() {
        Path file = tmp.resolve("nowhere-images-idx3-ubyte.gz");
        DatasetException e = assertThrows(DatasetException.class, () -> IdxReader.readImages(file));
        assertMessage(e, "nowhere-images-idx3-ubyte.gz", "not found", "--data", "DISTILL4J_DATA");
        e = assertThrows(DatasetException.class, () -> IdxReader.readLabels(tmp));
        assertMessage(e, tmp.toString(), "not found");
    }

    @Test
    void rejectsBadDimensions() throws IOException {
        assertBadImagesHeader(h -> h.putInt(4, 0), "image count of 0");
        assertBadImagesHeader(h -> h.putInt(4, -1), "image count of -1");
        assertBadImagesHeader(h -> h.putInt(8, 0), "rows of 0");
        assertBadImagesHeader(h -> h.putInt(12, -28), "cols of -28");
        assertBadImagesHeader(h -> h.putInt(8, 1_000_000), "rows of 1000000");
        assertBadImagesHeader(h -> {
            h.putInt(4, 100_000_000);
            h.putInt(8, 1000);
            h.putInt(12, 1000);
        }, "more than one array can hold");

        Path labels = tmp.resolve("zero-labels");
        Files.write(labels, ByteBuffer.allocate(8).putInt(IdxReader.LABELS_MAGIC).putInt(0).array());
        DatasetException e = assertThrows(DatasetException.class, () -> IdxReader.readLabels(labels));
        assertMessage(e, "zero-labels", "label count of 0");
    }

    private void assertBadImagesHeader(Consumer<ByteBuffer> edit, String problem) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(16 + 28 * 28)
                .putInt(IdxReader.IMAGES_MAGIC).putInt(1).putInt(28).putInt(28);
        edit.accept(header);
        Path file = tmp.resolve("bad-header");
        Files.write(file, header.array());
        DatasetException e = assertThrows(DatasetException.class, () -> IdxReader.readImages(file));
        assertMessage(e, "bad-header", problem);
    }

    private static void assertMessage(Exception e, String... parts) {
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part),
                    () -> "message should contain '" + part + "': " + e.getMessage());
        }
    }

    private static byte[] gunzip(Path gz) throws IOException {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(gz))) {
            return in.readAllBytes();
        }
    }

    private static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
            out.write(data);
        }
        return bytes.toByteArray();
    }
}
