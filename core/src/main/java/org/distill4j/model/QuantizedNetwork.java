package org.distill4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import org.distill4j.io.AtomicFile;
import org.distill4j.io.DamagedFileException;
import org.distill4j.io.Provenance;

/**
 * The shipped form of a quantised network ({@code <model>.qmodel}): each quantised parameter as
 * packed {@code b}-bit codes with a minimum and a step per bucket, every other parameter (biases,
 * batch norm's γ, β and running statistics, per {@link Quantization#scope()}) in float32. Loading
 * it rebuilds exactly the weights training measured: the codes, minima and steps are the ones the
 * last quantisation produced, and {@link Quantizer#value} turns them back into the same floats.
 *
 * <p>Layout (big-endian, {@link DataOutputStream}): {@code "distill4j-quantized"} (UTF), format
 * version (int), the architecture, sample shape (JSON strings, UTF) and class count (int), bits
 * (byte), bucket size (int), the provenance (JSON, UTF), the number of parameters (int); then per
 * parameter in network order: its name (UTF), kind (byte: 0 float32, 1 quantised), rank (byte) and
 * dimensions (int each), then either {@code n} floats, or {@code ⌈n/bucket⌉} pairs (minimum, step)
 * of floats followed by {@code ⌈n·b/8⌉} bytes of codes; last, the SHA-256 of everything before it.
 * Its size is what {@link Shipped#bytes()} reports and the run's record shows.
 */
public final class QuantizedNetwork {
    private static final String MAGIC = "distill4j-quantized";
    /** The layout above; other versions are refused. */
    public static final int FORMAT_VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper();

    private QuantizedNetwork() {}

    /**
     * What a shipped file holds, in bytes: the whole file and its parts.
     *
     * @param bytes the file's size
     * @param codeBytes packed codes
     * @param scaleBytes bucket minima and steps (8 per bucket)
     * @param floatBytes parameters kept in float32
     * @param quantizedValues values stored as codes
     * @param floatValues values stored as floats
     */
    public record Shipped(long bytes, long codeBytes, long scaleBytes, long floatBytes, long quantizedValues,
            long floatValues) {}

    /**
     * Writes {@code net} with the parameters named in {@code quantized} as their codes (the
     * quantisation whose values {@code net} holds), every other one in float32, atomically.
     */
    public static Shipped write(Path file, Network net, Map<String, Quantizer.Quantized> quantized, int bits,
            int bucket, Provenance provenance) throws IOException {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(buffer);
        out.writeUTF(MAGIC);
        out.writeInt(FORMAT_VERSION);
        out.writeUTF(JSON.writeValueAsString(net.spec()));
        out.writeUTF(JSON.writeValueAsString(net.sampleShape()));
        out.writeInt(net.numClasses());
        out.writeByte(bits);
        out.writeInt(bucket);
        out.writeUTF(JSON.writeValueAsString(provenance));
        List<Map.Entry<String, Parameter>> params = net.namedParameters();
        out.writeInt(params.size());
        long codeBytes = 0;
        long scaleBytes = 0;
        long floatBytes = 0;
        long qValues = 0;
        long fValues = 0;
        for (Map.Entry<String, Parameter> e : params) {
            NDArray a = e.getValue().getArray();
            Quantizer.Quantized q = quantized.get(e.getKey());
            out.writeUTF(e.getKey());
            out.writeByte(q == null ? 0 : 1);
            long[] dims = a.getShape().getShape();
            out.writeByte(dims.length);
            for (long d : dims) {
                out.writeInt(Math.toIntExact(d));
            }
            if (q == null) {
                float[] v = a.toFloatArray();
                for (float f : v) {
                    out.writeFloat(f);
                }
                floatBytes += 4L * v.length;
                fValues += v.length;
                continue;
            }
            if (q.bits() != bits || q.bucket() != bucket || q.codes().length != a.size()) {
                throw new IllegalArgumentException(e.getKey() + ": its quantisation does not fit the tensor");
            }
            float[] held = a.toFloatArray();
            if (!java.util.Arrays.equals(held, q.values())) {
                throw new IllegalStateException(e.getKey() + ": the network does not hold the values of its codes");
            }
            for (int b = 0; b < q.mins().length; b++) {
                out.writeFloat(q.mins()[b]);
                out.writeFloat(q.steps()[b]);
            }
            byte[] packed = Quantizer.pack(q.codes(), bits);
            out.write(packed);
            scaleBytes += 8L * q.mins().length;
            codeBytes += packed.length;
            qValues += q.codes().length;
        }
        out.flush();
        byte[] body = buffer.toByteArray();
        byte[] sha = Network.sha256(body);
        AtomicFile.write(file, raw -> {
            raw.write(body);
            raw.write(sha);
        });
        return new Shipped(body.length + sha.length, codeBytes, scaleBytes, floatBytes, qValues, fValues);
    }

    /**
     * Reads a shipped file into a network of its architecture (every error names the file): its
     * quantised parameters dequantised exactly as training computed them.
     */
    public static Network load(Path file, NDManager parent) throws IOException {
        byte[] all;
        try {
            all = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IOException("quantised network file not found: " + file, e);
        }
        if (all.length < 32) {
            throw new DamagedFileException(file, file + " is too short to be a quantised network (" + all.length
                    + " bytes)");
        }
        byte[] body = java.util.Arrays.copyOf(all, all.length - 32);
        byte[] sha = java.util.Arrays.copyOfRange(all, all.length - 32, all.length);
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(body));
        try {
            if (!MAGIC.equals(in.readUTF())) {
                throw new IOException(file + " is not a distill4j quantised network");
            }
        } catch (java.io.EOFException | java.io.UTFDataFormatException e) {
            throw new IOException(file + " is not a distill4j quantised network", e);
        }
        if (!MessageDigest.isEqual(sha, Network.sha256(body))) {
            throw new DamagedFileException(file, file + " is damaged: its SHA-256 does not match; restore it or retrain");
        }
        int version = in.readInt();
        if (version != FORMAT_VERSION) {
            throw new IOException(file + " has quantised format version " + version + "; this distill4j reads "
                    + FORMAT_VERSION);
        }
        ModelSpec spec = JSON.readValue(in.readUTF(), ModelSpec.class);
        long[] sampleShape = JSON.readValue(in.readUTF(), long[].class);
        int classes = in.readInt();
        int bits = in.readByte();
        int bucket = in.readInt();
        in.readUTF(); // provenance: read by whoever asks for it
        Network net = Network.create(spec, sampleShape, classes, parent);
        try {
            List<Map.Entry<String, Parameter>> params = net.namedParameters();
            int count = in.readInt();
            if (count != params.size()) {
                throw new IOException(file + " holds " + count + " parameters; a " + spec.describe() + " has "
                        + params.size());
            }
            for (Map.Entry<String, Parameter> e : params) {
                String name = in.readUTF();
                if (!name.equals(e.getKey())) {
                    throw new IOException(file + ": parameter '" + name + "' where a " + spec.describe() + " has '"
                            + e.getKey() + "'");
                }
                int kind = in.readByte();
                long[] dims = new long[in.readByte()];
                for (int d = 0; d < dims.length; d++) {
                    dims[d] = in.readInt();
                }
                NDArray target = e.getValue().getArray();
                Shape shape = new Shape(dims);
                if (!shape.equals(target.getShape())) {
                    throw new IOException(file + ": parameter '" + name + "' is " + shape + ", the network's "
                            + target.getShape());
                }
                int n = Math.toIntExact(shape.size());
                float[] values;
                if (kind == 0) {
                    values = new float[n];
                    for (int i = 0; i < n; i++) {
                        values[i] = in.readFloat();
                    }
                } else {
                    int nb = Quantizer.buckets(n, bucket);
                    float[] mins = new float[nb];
                    float[] steps = new float[nb];
                    for (int b = 0; b < nb; b++) {
                        mins[b] = in.readFloat();
                        steps[b] = in.readFloat();
                    }
                    byte[] packed = new byte[Quantizer.packedBytes(n, bits)];
                    in.readFully(packed);
                    values = new Quantizer.Quantized(bits, bucket, Quantizer.unpack(packed, n, bits), mins, steps)
                            .values();
                }
                try (NDManager scope = parent.newSubManager()) {
                    Network.assign(target, scope.create(values, shape));
                }
            }
            if (in.available() != 0) {
                throw new IOException(file + " has " + in.available() + " bytes after its last parameter");
            }
        } catch (IOException | RuntimeException e) {
            net.close();
            throw e instanceof IOException io ? io : new IOException(file + " is damaged: " + e, e);
        }
        return net;
    }
}
