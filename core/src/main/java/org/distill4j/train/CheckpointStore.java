package org.distill4j.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import org.distill4j.loss.Adapters;
import org.distill4j.model.Network;
import org.distill4j.io.AtomicFile;

/**
 * The checkpoints of one run directory. A checkpoint is one file, written atomically (temp file,
 * fsync, rename), holding a format version, the config digest, a typed header
 * ({@link CheckpointMeta}: phase, each participant's progress, results so far, as JSON) and one
 * {@link CheckpointSlot} per participant of the phase (weights, optimizer state, adapters), any
 * number of them, closed by a CRC-32 over all of it. Retention keeps the last
 * {@code keepLast}, the best by validation accuracy within the current phase (NaN is never
 * best), and never the checkpoint the run resumed from.
 */
public final class CheckpointStore {
    private static final String MAGIC = "distill4j-checkpoint";
    /**
     * Bumped when the layout changes; other versions are refused with a message naming theirs.
     * Version 3 has any number of participant slots and a typed header; versions 1 and 2 held
     * one network and one optimizer (online peers travelled as byte arrays inside it) and are
     * not read: a run checkpointed by them is finished with the distill4j that wrote it.
     */
    public static final int FORMAT_VERSION = 3;
    public static final ObjectMapper JSON = JsonMapper.builder()
            .enable(com.fasterxml.jackson.core.json.JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

    /** A checkpoint read back and verified. */
    public record Loaded(Path file, long sequence, String configDigest, CheckpointMeta meta,
            java.util.Map<String, CheckpointSlot> slots) {
        /** The only slot of a one-participant checkpoint. */
        public CheckpointSlot only() throws IOException {
            if (slots.size() != 1) {
                throw new IOException(file + " holds " + slots.size() + " participants " + slots.keySet());
            }
            return slots.values().iterator().next();
        }

        /** The slot of participant {@code name}; an error names the slots the file has. */
        public CheckpointSlot slot(String name) throws IOException {
            CheckpointSlot s = slots.get(name);
            if (s == null) {
                throw new IOException(file + " has no state for '" + name + "' (it holds " + slots.keySet()
                        + "): resume with the original config");
            }
            return s;
        }
    }

    private record Entry(Path file, long sequence, String phase, double metric) {}

    private final Path dir;
    private final String configDigest;
    private final int keepLast;
    private final List<Entry> entries = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();
    private final FaultInjection faults;
    private Path protectedFile;
    private long writes;

    public CheckpointStore(Path dir, String configDigest, int keepLast) throws IOException {
        this(dir, configDigest, keepLast, FaultInjection.NONE);
    }

    /** @param faults the run's fault injection (tests of crash safety), {@link FaultInjection#NONE} otherwise */
    public CheckpointStore(Path dir, String configDigest, int keepLast, FaultInjection faults) throws IOException {
        this.faults = faults;
        if (keepLast < 1) {
            throw new IllegalArgumentException("keepLast: must be ≥ 1 (got " + keepLast + ")");
        }
        this.dir = dir;
        this.configDigest = configDigest;
        this.keepLast = keepLast;
        AtomicFile.createDirectories(dir);
        List<Path> found;
        List<Path> halfWritten;
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> all = files.toList();
            found = all.stream().filter(p -> p.getFileName().toString().endsWith(".ckpt")).toList();
            halfWritten = all.stream().filter(CheckpointStore::halfWritten).toList();
        } catch (IOException e) {
            throw AtomicFile.named(dir, "cannot list the checkpoints in", e);
        }
        // A crash during a save leaves its temporary file; the run is locked, so no writer is alive.
        for (Path tmp : halfWritten) {
            try {
                Files.deleteIfExists(tmp);
                warnings.add("removed " + tmp.getFileName() + ", a checkpoint half-written when a process died");
            } catch (IOException e) {
                warnings.add("cannot remove the half-written " + tmp + ": " + AtomicFile.reason(e));
            }
        }
        List<String> damaged = new ArrayList<>();
        for (Path f : found) {
            try {
                Loaded l = read(f);
                entries.add(new Entry(f, l.sequence(), l.meta().phase(), l.meta().validationAccuracy()));
            } catch (UnsupportedVersionException e) {
                throw e; // never silently restart past a checkpoint we cannot read
            } catch (IOException e) {
                damaged.add("ignoring damaged checkpoint " + f.getFileName() + ": " + e.getMessage());
            }
        }
        warnings.addAll(damaged);
        entries.sort(Comparator.comparingLong(Entry::sequence));
        if (entries.isEmpty() && !damaged.isEmpty()) {
            throw new IOException("no usable checkpoint in " + dir + " (" + String.join("; ", damaged)
                    + "); nothing was resumed or overwritten");
        }
    }

    /** A temporary file {@link AtomicFile} left behind when its process died writing a checkpoint. */
    private static boolean halfWritten(Path p) {
        String n = p.getFileName().toString();
        return n.startsWith(".") && n.contains(".ckpt") && n.endsWith(".tmp");
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

    /**
     * Writes a checkpoint of one participant named {@code phase}: its network, adapters and
     * optimizer (each may be null) and its progress (null: at the start).
     */
    public Path save(String phase, double validationAccuracy, TrainingProgress progress, Network net,
            Adapters adapters, Optimizer optimizer) throws IOException {
        return save(new CheckpointMeta(phase, validationAccuracy,
                java.util.Map.of(phase, progress == null ? TrainingProgress.start() : progress), List.of()),
                List.of(CheckpointSlot.of(phase, net, optimizer, adapters)));
    }

    /** Writes a checkpoint of {@code slots} with {@code meta}, then applies retention. Returns its path. */
    public Path save(CheckpointMeta meta, List<CheckpointSlot> slots) throws IOException {
        long sequence = entries.isEmpty() ? 1 : entries.get(entries.size() - 1).sequence() + 1;
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(body);
        out.writeUTF(MAGIC);
        out.writeInt(FORMAT_VERSION);
        out.writeUTF(configDigest);
        out.writeLong(sequence);
        writeBlock(out, JSON.writeValueAsBytes(meta));
        out.writeInt(slots.size());
        for (CheckpointSlot slot : slots) {
            out.writeUTF(slot.name());
            writeBlock(out, slot.weights());
            writeBlock(out, slot.optimizer());
            writeBlock(out, slot.adapters());
        }
        CRC32 crc = new CRC32();
        crc.update(body.toByteArray());
        out.writeLong(crc.getValue());
        byte[] bytes = body.toByteArray();
        String phase = meta.phase();
        Path file = dir.resolve(String.format("%06d-%s.ckpt", sequence, phase));
        long occurrence = ++writes;
        AtomicFile.write(file, o -> {
            faults.maybeFail(FaultInjection.FAIL_CHECKPOINT_WRITE, occurrence);
            o.write(bytes, 0, bytes.length / 2);
            o.flush();
            faults.maybeHalt(FaultInjection.DURING_CHECKPOINT, occurrence);
            o.write(bytes, bytes.length / 2, bytes.length - bytes.length / 2);
        });
        entries.add(new Entry(file, sequence, phase, meta.validationAccuracy()));
        retain(phase);
        faults.maybeHalt(FaultInjection.AFTER_CHECKPOINT, occurrence);
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
        } catch (IOException e) {
            throw AtomicFile.named(file, "cannot read checkpoint", e);
        }
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(all));
            if (!MAGIC.equals(in.readUTF())) {
                throw new IOException(file + " is not a distill4j checkpoint");
            }
            int version = in.readInt();
            if (version != FORMAT_VERSION) {
                String what = version >= 1 && version < FORMAT_VERSION
                        ? " (one network and one optimizer, written before distill4j's participant core)" : "";
                throw new UnsupportedVersionException(file + " has checkpoint format version " + version + what
                        + "; this distill4j reads version " + FORMAT_VERSION
                        + ": resume it with the distill4j that wrote it, or start the run again");
            }
            String digest = in.readUTF();
            long sequence = in.readLong();
            byte[] meta = readBlock(in);
            int count = in.readInt();
            if (count < 0 || count > 100_000) {
                throw new IOException(file + " is corrupt (" + count + " slots)");
            }
            java.util.Map<String, CheckpointSlot> slots = new java.util.LinkedHashMap<>();
            for (int i = 0; i < count; i++) {
                String name = in.readUTF();
                slots.put(name, new CheckpointSlot(name, readBlock(in), readBlock(in), readBlock(in)));
            }
            int bodyLength = all.length - in.available();
            long crc = in.readLong();
            CRC32 check = new CRC32();
            check.update(all, 0, bodyLength);
            if (check.getValue() != crc || in.available() != 0) {
                throw new IOException(file + " is corrupt (checksum mismatch)");
            }
            CheckpointMeta parsed;
            try {
                parsed = JSON.readValue(meta, CheckpointMeta.class);
            } catch (IOException e) {
                throw new IOException(file + ": unreadable checkpoint header (" + e.getMessage() + ")", e);
            }
            return new Loaded(file, sequence, digest, parsed, slots);
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
