package org.distill4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import org.distill4j.io.AtomicFile;
import org.distill4j.loss.Adapters;
import org.distill4j.model.Network;

/**
 * The checkpoints of one run directory. A checkpoint is one file, written atomically (temp file,
 * fsync, rename), holding a format version, the config digest, a JSON header (the caller's
 * state: phase, progress, results so far), the learning network's weights (running statistics
 * included) and the optimizer state, closed by a CRC-32 over all of it. Retention keeps the last
 * {@code keepLast}, the best by validation accuracy within the current phase (NaN is never
 * best), and never the checkpoint the run resumed from.
 */
public final class CheckpointStore {
    private static final String MAGIC = "distill4j-checkpoint";
    /** Bumped when the layout changes; other versions are refused with a clear message. */
    public static final int FORMAT_VERSION = 2;
    /** Version 1 had no adapters block; it is still read (as a checkpoint without adapters). */
    private static final int OLDEST_READABLE = 1;
    public static final ObjectMapper JSON = JsonMapper.builder()
            .enable(com.fasterxml.jackson.core.json.JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

    /** A checkpoint read back and verified. */
    public record Loaded(Path file, long sequence, String configDigest, JsonNode meta, byte[] weights,
            byte[] optimizerState, byte[] adapters) {
        public void restoreWeights(Network net) throws IOException {
            net.readWeights(new DataInputStream(new ByteArrayInputStream(weights)));
        }

        /** Restores the loss's adapters (a checkpoint without any restores into none). */
        public void restoreAdapters(Adapters target) throws IOException {
            if (adapters.length == 0) {
                if (!target.isEmpty()) {
                    throw new IOException(file + " holds no adapters, but this method has trainable extras");
                }
                return;
            }
            target.read(new DataInputStream(new ByteArrayInputStream(adapters)));
        }

        public void restoreOptimizer(Optimizer optimizer) throws IOException {
            optimizer.readState(new DataInputStream(new ByteArrayInputStream(optimizerState)));
        }
    }

    private record Entry(Path file, long sequence, String phase, double metric) {}

    private final Path dir;
    private final String configDigest;
    private final int keepLast;
    private final List<Entry> entries = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();
    private Path protectedFile;
    private long writes;

    public CheckpointStore(Path dir, String configDigest, int keepLast) throws IOException {
        if (keepLast < 1) {
            throw new IllegalArgumentException("keepLast: must be ≥ 1 (got " + keepLast + ")");
        }
        this.dir = dir;
        this.configDigest = configDigest;
        this.keepLast = keepLast;
        Files.createDirectories(dir);
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".ckpt")).toList()) {
                try {
                    Loaded l = read(f);
                    entries.add(new Entry(f, l.sequence(), l.meta().path("phase").asText(),
                            l.meta().path("validationAccuracy").asDouble(Double.NaN)));
                } catch (UnsupportedVersionException e) {
                    throw e; // never silently restart past a checkpoint we cannot read
                } catch (IOException e) {
                    warnings.add("ignoring damaged checkpoint " + f.getFileName() + ": " + e.getMessage());
                }
            }
        }
        entries.sort(Comparator.comparingLong(Entry::sequence));
        if (entries.isEmpty() && !warnings.isEmpty()) {
            throw new IOException("no usable checkpoint in " + dir + " (" + String.join("; ", warnings)
                    + "); nothing was resumed or overwritten");
        }
    }

    /** A checkpoint written by another format version of distill4j. */
    public static final class UnsupportedVersionException extends IOException {
        UnsupportedVersionException(String message) {
            super(message);
        }
    }

    /** Problems found while scanning (corrupt or foreign files that were skipped). */
    public List<String> warnings() {
        return List.copyOf(warnings);
    }

    /** The newest valid checkpoint, or null if there is none. */
    public Loaded latest() throws IOException {
        if (entries.isEmpty()) {
            return null;
        }
        return read(entries.get(entries.size() - 1).file());
    }

    /** The newest checkpoint's file, or null. */
    public Path latestFile() {
        return entries.isEmpty() ? null : entries.get(entries.size() - 1).file();
    }

    /** Marks the checkpoint a run resumed from: retention never deletes it. */
    public void protect(Path file) {
        this.protectedFile = file;
    }

    /** Writes a checkpoint, then applies retention. Returns its path. */
    public Path save(JsonNode meta, Network net, Adapters adapters, Optimizer optimizer, String phase,
            double validationAccuracy) throws IOException {
        long sequence = entries.isEmpty() ? 1 : entries.get(entries.size() - 1).sequence() + 1;
        ByteArrayOutputStream weights = new ByteArrayOutputStream();
        net.writeWeights(new DataOutputStream(weights));
        ByteArrayOutputStream state = new ByteArrayOutputStream();
        optimizer.writeState(new DataOutputStream(state));
        ByteArrayOutputStream extras = new ByteArrayOutputStream();
        if (adapters != null && !adapters.isEmpty()) {
            adapters.write(new DataOutputStream(extras));
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(body);
        out.writeUTF(MAGIC);
        out.writeInt(FORMAT_VERSION);
        out.writeUTF(configDigest);
        out.writeLong(sequence);
        writeBlock(out, JSON.writeValueAsBytes(meta));
        writeBlock(out, weights.toByteArray());
        writeBlock(out, state.toByteArray());
        writeBlock(out, extras.toByteArray());
        CRC32 crc = new CRC32();
        crc.update(body.toByteArray());
        out.writeLong(crc.getValue());
        byte[] bytes = body.toByteArray();
        Path file = dir.resolve(String.format("%06d-%s.ckpt", sequence, phase));
        long occurrence = ++writes;
        AtomicFile.write(file, o -> {
            FaultInjection.maybeFail(FaultInjection.FAIL_CHECKPOINT_WRITE, occurrence);
            o.write(bytes, 0, bytes.length / 2);
            o.flush();
            FaultInjection.maybeHalt(FaultInjection.DURING_CHECKPOINT, occurrence);
            o.write(bytes, bytes.length / 2, bytes.length - bytes.length / 2);
        });
        entries.add(new Entry(file, sequence, phase, validationAccuracy));
        retain(phase);
        FaultInjection.maybeHalt(FaultInjection.AFTER_CHECKPOINT, occurrence);
        return file;
    }

    private void retain(String phase) throws IOException {
        Entry best = null;
        for (Entry e : entries) {
            if (e.phase().equals(phase) && Double.isFinite(e.metric()) && (best == null || e.metric() > best.metric())) {
                best = e;
            }
        }
        int n = entries.size();
        List<Entry> keep = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Entry e = entries.get(i);
            boolean recent = i >= n - keepLast;
            if (recent || e == best || e.file().equals(protectedFile)) {
                keep.add(e);
            } else {
                Files.deleteIfExists(e.file());
            }
        }
        entries.clear();
        entries.addAll(keep);
    }

    /** Reads and verifies one checkpoint: magic, format version, config digest present, CRC. */
    public static Loaded read(Path file) throws IOException {
        byte[] all;
        try (InputStream in = Files.newInputStream(file)) {
            all = in.readAllBytes();
        }
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(all));
            if (!MAGIC.equals(in.readUTF())) {
                throw new IOException(file + " is not a distill4j checkpoint");
            }
            int version = in.readInt();
            if (version < OLDEST_READABLE || version > FORMAT_VERSION) {
                throw new UnsupportedVersionException(file + " has checkpoint format version " + version
                        + "; this distill4j reads version " + FORMAT_VERSION
                        + ": resume it with the distill4j that wrote it, or start the run again");
            }
            String digest = in.readUTF();
            long sequence = in.readLong();
            byte[] meta = readBlock(in);
            byte[] weights = readBlock(in);
            byte[] state = readBlock(in);
            byte[] adapters = version >= 2 ? readBlock(in) : new byte[0];
            int bodyLength = all.length - in.available();
            long crc = in.readLong();
            CRC32 check = new CRC32();
            check.update(all, 0, bodyLength);
            if (check.getValue() != crc || in.available() != 0) {
                throw new IOException(file + " is corrupt (checksum mismatch)");
            }
            return new Loaded(file, sequence, digest, JSON.readTree(new String(meta, StandardCharsets.UTF_8)), weights,
                    state, adapters);
        } catch (EOFException e) {
            throw new IOException(file + " is truncated", e);
        }
    }

    private static void writeBlock(DataOutputStream out, byte[] bytes) throws IOException {
        out.writeInt(bytes.length);
        out.write(bytes);
    }

    private static byte[] readBlock(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > in.available()) {
            throw new EOFException("block of " + n + " bytes exceeds the file");
        }
        byte[] b = new byte[n];
        in.readFully(b);
        return b;
    }
}
