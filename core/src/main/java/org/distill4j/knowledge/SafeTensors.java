package org.distill4j.knowledge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.distill4j.io.AtomicFile;

/**
 * The safetensors file format (Hugging Face), read with a memory map and written atomically.
 * Layout: an 8-byte little-endian header length {@code n}; {@code n} bytes of JSON mapping each
 * tensor name to {@code {"dtype", "shape", "data_offsets": [begin, end]}} (offsets relative to
 * the end of the header) plus an optional {@code "__metadata__"} object of strings; then the
 * tensors' bytes, little-endian, row-major. The layout follows the format's specification so
 * that files of Python's {@code safetensors} can be read (tested with a file built by those
 * rules, not with Python itself). Only F32 and I32 are used by distill4j. One tensor may not
 * exceed 2 GiB (one memory map).
 */
public final class SafeTensors {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MAX_HEADER = 100L << 20;

    /** One tensor to write: F32 or I32 data with its shape. */
    public record Tensor(String dtype, long[] shape, float[] f32, int[] i32) {
        public static Tensor f32(float[] data, long... shape) {
            return new Tensor("F32", shape, data, null);
        }

        public static Tensor i32(int[] data, long... shape) {
            return new Tensor("I32", shape, null, data);
        }

        long bytes() {
            return 4L * (f32 != null ? f32.length : i32.length);
        }
    }

    /** A tensor of an opened file: its dtype, shape and a read-only little-endian view of its bytes. */
    public record View(String dtype, long[] shape, ByteBuffer data) {
        public long rows() {
            return shape.length == 0 ? 1 : shape[0];
        }

        /** Its F32 values, copied to the heap. */
        public float[] floats() {
            requireType("F32");
            float[] out = new float[Math.toIntExact(data.remaining() / 4)];
            data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
            return out;
        }

        /** Its I32 values, copied to the heap. */
        public int[] ints() {
            requireType("I32");
            int[] out = new int[Math.toIntExact(data.remaining() / 4)];
            data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(out);
            return out;
        }

        private void requireType(String wanted) {
            if (!dtype.equals(wanted)) {
                throw new IllegalStateException("tensor of dtype " + dtype + " read as " + wanted);
            }
        }

        /** Elements per row (product of all but the first dimension). */
        public int rowSize() {
            long n = 1;
            for (int i = 1; i < shape.length; i++) {
                n *= shape[i];
            }
            return Math.toIntExact(n);
        }
    }

    /** An opened file: tensors by name and the metadata. */
    public record Opened(Map<String, View> tensors, Map<String, String> metadata) {}

    private SafeTensors() {}

    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (var e : tensors.entrySet()) {
            Tensor t = e.getValue();
            long count = 1;
            for (long d : t.shape()) {
                count *= d;
            }
            if (count * 4 != t.bytes()) {
                throw new IllegalArgumentException(e.getKey() + ": shape does not match the data length");
            }
            ObjectNode n = header.putObject(e.getKey());
            n.put("dtype", t.dtype());
            var shape = n.putArray("shape");
            for (long d : t.shape()) {
                shape.add(d);
            }
            n.putArray("data_offsets").add(offset).add(offset + t.bytes());
            offset += t.bytes();
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8; // the format recommends 8-byte alignment, padded with spaces
        AtomicFile.write(file, raw -> {
            DataOutputStream out = new DataOutputStream(raw);
            out.writeLong(Long.reverseBytes(padded));
            out.write(json);
            for (int i = json.length; i < padded; i++) {
                out.write(' ');
            }
            ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
            for (Tensor t : tensors.values()) {
                int n = t.f32() != null ? t.f32().length : t.i32().length;
                for (int i = 0; i < n; i++) {
                    if (buf.remaining() < 4) {
                        out.write(buf.array(), 0, buf.position());
                        buf.clear();
                    }
                    if (t.f32() != null) {
                        buf.putFloat(t.f32()[i]);
                    } else {
                        buf.putInt(t.i32()[i]);
                    }
                }
            }
            out.write(buf.array(), 0, buf.position());
            out.flush();
        });
    }

    /**
     * Opens a file with a read-only memory map, checking the header and that every tensor lies
     * inside the file (a truncated file fails here, naming it).
     */
    public static Opened open(Path file) throws IOException {
        try {
            return read(file);
        } catch (IOException e) {
            throw AtomicFile.named(file, "cannot read", e); // e.g. "Is a directory" names no path
        }
    }

    private static Opened read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw new IOException(file + " is truncated: " + size + " bytes, not even a safetensors header");
            }
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(len, 0);
            long n = len.getLong(0);
            if (n <= 0 || n > MAX_HEADER || 8 + n > size) {
                throw new IOException(file + " is not a safetensors file or is truncated (header length " + n
                        + ", file " + size + " bytes)");
            }
            ByteBuffer hb = ByteBuffer.allocate((int) n);
            ch.read(hb, 8);
            JsonNode header;
            try {
                header = JSON.readTree(new String(hb.array(), StandardCharsets.UTF_8).trim());
            } catch (IOException e) {
                throw new IOException(file + ": damaged safetensors header (" + e.getMessage() + ")", e);
            }
            long dataStart = 8 + n;
            Map<String, View> tensors = new LinkedHashMap<>();
            Map<String, String> metadata = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext();) {
                var e = it.next();
                if (e.getKey().equals("__metadata__")) {
                    e.getValue().fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                    continue;
                }
                JsonNode t = e.getValue();
                String dtype = t.path("dtype").asText();
                List<Long> dims = new java.util.ArrayList<>();
                t.path("shape").forEach(d -> dims.add(d.asLong()));
                long begin = t.path("data_offsets").path(0).asLong(-1);
                long end = t.path("data_offsets").path(1).asLong(-1);
                long count = 1;
                for (long d : dims) {
                    count *= d;
                }
                if (!dtype.equals("F32") && !dtype.equals("I32")) {
                    throw new IOException(file + ": tensor '" + e.getKey() + "' has dtype " + dtype + "; F32 and I32 are supported");
                }
                if (begin < 0 || end - begin != count * 4) {
                    throw new IOException(file + ": tensor '" + e.getKey() + "' offsets " + begin + ".." + end
                            + " do not match its shape " + dims);
                }
                if (dataStart + end > size) {
                    throw new IOException(file + " is truncated: tensor '" + e.getKey() + "' ends at byte "
                            + (dataStart + end) + " of a " + size + "-byte file");
                }
                MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_ONLY, dataStart + begin, end - begin);
                long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
                tensors.put(e.getKey(), new View(dtype, shape, map.order(ByteOrder.LITTLE_ENDIAN)));
            }
            return new Opened(tensors, metadata);
        }
    }
}
