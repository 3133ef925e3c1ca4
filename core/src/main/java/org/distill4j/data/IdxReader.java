package org.distill4j.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads the IDX format used by MNIST and Fashion-MNIST: unsigned-byte image tensors
 * ({@code idx3-ubyte}) and label vectors ({@code idx1-ubyte}), gzipped or plain.
 *
 * <p>Files are checked strictly (magic number, plausible dimensions, exact length, gzip
 * integrity) because a silently misread file would train a model on garbage and only show
 * up, much later, as a poor accuracy. Every failure is a {@link DatasetException} naming
 * the file.
 */
public final class IdxReader {

    /** Magic number of an IDX file of unsigned bytes with 3 dimensions (images). */
    public static final int IMAGES_MAGIC = 0x00000803;

    /** Magic number of an IDX file of unsigned bytes with 1 dimension (labels). */
    public static final int LABELS_MAGIC = 0x00000801;

    /** Largest accepted image side: far above any real IDX data, low enough to catch garbage. */
    static final int MAX_SIDE = 1 << 14;

    /** Java arrays cannot be longer than this (a little under {@code Integer.MAX_VALUE}). */
    static final long MAX_BYTES = Integer.MAX_VALUE - 8L;

    private static final int IMAGES_HEADER_BYTES = 16;
    private static final int LABELS_HEADER_BYTES = 8;

    private IdxReader() {
    }

    /**
     * Decoded content of an IDX images file.
     *
     * <p>The record hands over the pixel array without copying; it is a short-lived transfer
     * object, so callers should not keep mutating {@code pixels} after building on it.
     *
     * @param count number of images
     * @param rows image height
     * @param cols image width
     * @param pixels {@code count * rows * cols} bytes, row-major, one image after another;
     *     values are unsigned (read them as {@code b & 0xFF})
     */
    public record IdxImages(int count, int rows, int cols, byte[] pixels) {

        /**
         * Checks at construction, not later during batching, that array and sizes agree.
         *
         * @param count number of images, {@code >= 0}
         * @param rows image height, {@code >= 1}
         * @param cols image width, {@code >= 1}
         * @param pixels exactly {@code count * rows * cols} bytes
         */
        public IdxImages {
            Objects.requireNonNull(pixels, "pixels");
            if (count < 0 || rows <= 0 || cols <= 0) {
                throw new IllegalArgumentException("invalid image dimensions: count=" + count
                        + ", rows=" + rows + ", cols=" + cols);
            }
            if ((long) count * rows * cols != pixels.length) {
                throw new IllegalArgumentException("pixels holds " + pixels.length
                        + " bytes but " + count + " images of " + rows + "x" + cols + " need "
                        + (long) count * rows * cols);
            }
        }

        /** @return number of pixels in one image ({@code rows * cols}) */
        public int imageSize() {
            return rows * cols;
        }
    }

    /**
     * Reads an IDX images file ({@code idx3-ubyte}, magic {@value #IMAGES_MAGIC}).
     *
     * @param file gzipped or plain IDX file; gzip is detected from the content, not the name
     * @return the images
     * @throws DatasetException if the file is missing, unreadable, corrupt, or not an images file
     */
    public static IdxImages readImages(Path file) {
        Objects.requireNonNull(file, "file");
        try (Source source = open(file)) {
            ByteBuffer header = readHeader(source, IMAGES_HEADER_BYTES, "images");
            checkMagic(file, header.getInt(), IMAGES_MAGIC);
            int count = checkDimension(file, "image count", header.getInt(), Integer.MAX_VALUE);
            int rows = checkDimension(file, "rows", header.getInt(), MAX_SIDE);
            int cols = checkDimension(file, "cols", header.getInt(), MAX_SIDE);
            long total = (long) count * rows * cols;
            if (total > MAX_BYTES) {
                throw new DatasetException("IDX file " + file + " declares " + count + " images of "
                        + rows + "x" + cols + " = " + total + " bytes, more than one array can hold;"
                        + " the header is corrupt or this is not an IDX images file");
            }
            String what = count + " images of " + rows + "x" + cols;
            byte[] pixels = readBody(source, (int) total, what);
            return new IdxImages(count, rows, cols, pixels);
        } catch (IOException e) {
            throw ioFailure(file, e);
        }
    }

    /**
     * Reads an IDX labels file ({@code idx1-ubyte}, magic {@value #LABELS_MAGIC}).
     *
     * @param file gzipped or plain IDX file; gzip is detected from the content, not the name
     * @return one unsigned byte per sample (read values as {@code b & 0xFF})
     * @throws DatasetException if the file is missing, unreadable, corrupt, or not a labels file
     */
    public static byte[] readLabels(Path file) {
        Objects.requireNonNull(file, "file");
        try (Source source = open(file)) {
            ByteBuffer header = readHeader(source, LABELS_HEADER_BYTES, "labels");
            checkMagic(file, header.getInt(), LABELS_MAGIC);
            int count = checkDimension(file, "label count", header.getInt(), (int) MAX_BYTES);
            return readBody(source, count, count + " labels");
        } catch (IOException e) {
            throw ioFailure(file, e);
        }
    }

    /** An opened file plus what is needed to phrase errors about it. */
    private record Source(Path file, InputStream in, boolean gzip) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    private static Source open(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw notFound(file);
        }
        InputStream raw;
        try {
            raw = Files.newInputStream(file);
        } catch (NoSuchFileException e) {
            // the file vanished between the check and the open
            throw notFound(file);
        }
        BufferedInputStream buffered = new BufferedInputStream(raw, 1 << 16);
        try {
            // Sniff the gzip magic (0x1f 0x8b) so a renamed or decompressed file still works.
            buffered.mark(2);
            int b0 = buffered.read();
            int b1 = buffered.read();
            buffered.reset();
            boolean gzip = b0 == 0x1f && b1 == 0x8b;
            InputStream in = gzip ? new GZIPInputStream(buffered, 1 << 16) : buffered;
            return new Source(file, in, gzip);
        } catch (IOException | RuntimeException e) {
            buffered.close();
            throw e;
        }
    }

    private static DatasetException notFound(Path file) {
        return new DatasetException("IDX file " + file + " not found (or not a regular file);"
                + " see `--data` or DISTILL4J_DATA for where distill4j looks for data");
    }

    private static ByteBuffer readHeader(Source source, int size, String kind) throws IOException {
        byte[] header = source.in().readNBytes(size);
        if (header.length < size) {
            throw new DatasetException("IDX file " + source.file() + " is truncated: an IDX "
                    + kind + " header needs " + size + " bytes but the " + content(source)
                    + " holds only " + header.length + "; re-download or reinstall the file");
        }
        return ByteBuffer.wrap(header); // IDX is big-endian, ByteBuffer's default
    }

    private static void checkMagic(Path file, int found, int expected) {
        if (found == expected) {
            return;
        }
        String hint;
        if (expected == IMAGES_MAGIC && found == LABELS_MAGIC) {
            hint = "is this a labels file passed as images?";
        } else if (expected == LABELS_MAGIC && found == IMAGES_MAGIC) {
            hint = "is this an images file passed as labels?";
        } else {
            hint = "this is not an IDX unsigned-byte file of the expected kind";
        }
        throw new DatasetException(String.format(
                "IDX file %s has the wrong magic number: expected 0x%08x (%d, %s) but found 0x%08x (%d);"
                        + " %s",
                file, expected, expected, expected == IMAGES_MAGIC ? "images" : "labels",
                found, found, hint));
    }

    private static int checkDimension(Path file, String name, int value, int max) {
        if (value <= 0 || value > max) {
            throw new DatasetException("IDX file " + file + " declares an invalid " + name + " of "
                    + value + " (must be between 1 and " + max + "); the header is corrupt"
                    + " or this is not an IDX file of the expected kind");
        }
        return value;
    }

    /** Reads exactly {@code size} bytes, then insists on the end of the data. */
    private static byte[] readBody(Source source, int size, String what) throws IOException {
        // readNBytes grows its buffer as data arrives, so a lying header cannot force a
        // huge allocation up front.
        byte[] body = source.in().readNBytes(size);
        if (body.length < size) {
            throw new DatasetException("IDX file " + source.file() + " is truncated: expected "
                    + size + " data bytes after the header (" + what + ") but got "
                    + body.length + "; re-download or reinstall the file");
        }
        long extra = drain(source.in());
        if (extra > 0) {
            throw new DatasetException("IDX file " + source.file() + " has " + extra
                    + " trailing bytes after the " + size + " data bytes its header promises ("
                    + what + "); the header count is wrong or data was appended — re-create the file");
        }
        return body;
    }

    /** Counts the remaining bytes; reading to the end also makes gzip verify its CRC. */
    private static long drain(InputStream in) throws IOException {
        byte[] scratch = new byte[8192];
        long total = 0;
        for (int n; (n = in.read(scratch)) >= 0; ) {
            total += n;
        }
        return total;
    }

    private static String content(Source source) {
        return source.gzip() ? "decompressed content" : "file";
    }

    private static DatasetException ioFailure(Path file, IOException e) {
        if (e instanceof ZipException || e instanceof EOFException) {
            // Only the gzip layer throws these here: plain reads report short data by count.
            return new DatasetException("IDX file " + file + " is not a valid gzip stream ("
                    + e.getMessage() + "); the .gz file is corrupt or truncated —"
                    + " re-download or reinstall it", e);
        }
        return new DatasetException("cannot read IDX file " + file + ": " + e
                + "; check that it exists and is readable", e);
    }
}
