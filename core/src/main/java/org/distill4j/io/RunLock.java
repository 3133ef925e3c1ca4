package org.distill4j.io;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * The lock of a run directory while a process trains in it: the file {@code run.lock} holding
 * the holder's process id, host and start time, held by an operating-system file lock for as
 * long as the process lives. The OS releases that lock when the process dies however it dies
 * ({@code kill -9} included), so a lock file left behind by a killed process is stale exactly
 * when nobody holds its OS lock; it is then taken over (and the takeover reported), never
 * deleted from under a live holder. A second process asking for the lock gets a
 * {@link Held} naming the holder at once.
 */
public final class RunLock implements AutoCloseable {
    public static final String FILE = "run.lock";

    /** The run directory is locked by another process (or another run in this one). */
    public static final class Held extends IOException {
        public Held(String message) {
            super(message);
        }
    }

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;
    private final String takenOver;

    private RunLock(Path file, FileChannel channel, FileLock lock, String takenOver) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
        this.takenOver = takenOver;
    }

    /**
     * Locks {@code runDir} for this process, or throws {@link Held} naming the holder. A stale
     * lock file (its process gone) is taken over; {@link #takenOver()} then describes it.
     */
    public static RunLock acquire(Path runDir) throws IOException {
        Path file = runDir.resolve(FILE);
        FileChannel ch;
        try {
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new IOException("cannot open the lock file " + file + ": " + e.getMessage(), e);
        }
        FileLock lock;
        try {
            lock = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null; // held by another run in this JVM
        } catch (IOException e) {
            ch.close();
            throw new IOException("cannot lock " + file + ": " + e.getMessage(), e);
        }
        String previous = read(ch);
        if (lock == null) {
            ch.close();
            throw new Held(runDir + " is in use: " + describe(previous) + " holds " + file
                    + "; wait for it to finish or stop it first");
        }
        String takenOver = previous.isBlank() ? null : "took over the stale lock of " + describe(previous)
                + (alive(previous) ? "" : " (no longer running)");
        String me = ProcessHandle.current().pid() + " " + host() + " " + Instant.now() + "\n";
        try {
            ch.truncate(0);
            ch.write(ByteBuffer.wrap(me.getBytes(StandardCharsets.UTF_8)), 0);
            ch.force(true);
        } catch (IOException e) {
            lock.release();
            ch.close();
            throw new IOException("cannot write the lock file " + file + ": " + e.getMessage(), e);
        }
        return new RunLock(file, ch, lock, takenOver);
    }

    /** Non-null when a stale lock file was found and taken over: what it said. */
    public String takenOver() {
        return takenOver;
    }

    private static String read(FileChannel ch) throws IOException {
        ByteBuffer b = ByteBuffer.allocate((int) Math.min(4096, ch.size()));
        ch.read(b, 0);
        return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8).trim();
    }

    /** "process 123 on host h since 2026-…" from a lock file's content. */
    static String describe(String content) {
        String[] f = content.trim().split("\\s+");
        if (f.length < 3) {
            return "another process";
        }
        return "process " + f[0] + " on " + f[1] + " (started " + f[2] + ")";
    }

    private static boolean alive(String content) {
        String[] f = content.trim().split("\\s+");
        try {
            return f.length >= 2 && f[1].equals(host()) && ProcessHandle.of(Long.parseLong(f[0])).isPresent();
        } catch (NumberFormatException e) {
            return false;
        }
    }

    static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            String h = System.getenv("HOSTNAME");
            return h == null || h.isBlank() ? "localhost" : h;
        }
    }

    /**
     * Releases the lock, leaving the file empty (a free lock). The file is never deleted: a
     * process that opened it meanwhile would lock a file no longer in the directory.
     */
    @Override
    public void close() throws IOException {
        try {
            if (lock.isValid()) {
                channel.truncate(0);
                lock.release();
            }
        } finally {
            channel.close();
        }
    }
}
