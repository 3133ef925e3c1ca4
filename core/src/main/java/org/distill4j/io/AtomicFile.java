package org.distill4j.io;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Writes a file so that readers see either the old content or the complete new one: write a
 * temporary file beside it, flush it to disk, rename it over the target. A crash or a full
 * disk during the write leaves the previous file intact.
 */
public final class AtomicFile {
    private AtomicFile() {}

    /** What writes the content. */
    @FunctionalInterface
    public interface Writer {
        void write(OutputStream out) throws IOException;
    }

    /** Writes {@code target} atomically; an error (a full disk, say) names the file. */
    public static void write(Path target, Writer writer) throws IOException {
        try {
            writeAtomically(target, writer);
        } catch (IOException e) {
            throw named(target, "cannot write", e);
        }
    }

    /**
     * {@code e} if its message names {@code file} and says what went wrong, else an exception of
     * the same meaning whose message does: "{@code verb} FILE: reason". A {@link FileSystemException}
     * (whose message may be only a path) gets its reason in words, and the path it concerns when
     * that is another (a parent directory in the way).
     */
    public static IOException named(Path file, String verb, IOException e) {
        if (e instanceof FileSystemException f) {
            String where = f.getFile() == null || f.getFile().equals(file.toString()) ? "" : f.getFile() + ": ";
            return new IOException(verb + " " + file + ": " + where + reason(e), e);
        }
        String m = e.getMessage();
        if (m != null && (m.contains(file.toString()) || m.contains(file.toAbsolutePath().toString()))) {
            return e;
        }
        return new IOException(verb + " " + file + ": " + reason(e), e);
    }

    /**
     * What went wrong, in words: a {@link FileSystemException}'s reason or, when it has none (its
     * message is then just the path), what its type means; any other exception's message.
     */
    public static String reason(IOException e) {
        if (e instanceof FileSystemException f) {
            if (f.getReason() != null) {
                return f.getReason();
            }
            if (e instanceof NoSuchFileException) {
                return "no such file or directory";
            }
            if (e instanceof FileAlreadyExistsException) {
                return "already exists";
            }
            if (e instanceof DirectoryNotEmptyException) {
                return "is a directory (not empty)";
            }
            if (e instanceof AccessDeniedException) {
                return "permission denied";
            }
            if (e instanceof NotDirectoryException) {
                return "not a directory";
            }
            return e.getClass().getSimpleName();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /**
     * An I/O error as one line naming its path: a {@link FileSystemException} as "PATH: reason"
     * (and "→ OTHER" for a move), any other as its message.
     */
    public static String describe(IOException e) {
        if (e instanceof FileSystemException f && f.getFile() != null && f.getReason() == null) {
            return f.getFile() + (f.getOtherFile() == null ? "" : " → " + f.getOtherFile()) + ": " + reason(e);
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /**
     * {@link Files#createDirectories}, its failure naming the directory and what is in its way
     * (a file where a directory is needed, most often).
     */
    public static Path createDirectories(Path dir) throws IOException {
        try {
            return Files.createDirectories(dir);
        } catch (FileAlreadyExistsException e) {
            String blocker = e.getFile() == null ? dir.toString() : e.getFile();
            throw new IOException("cannot create the directory " + dir + ": " + blocker
                    + " exists and is not a directory", e);
        } catch (IOException e) {
            throw named(dir, "cannot create the directory", e);
        }
    }

    private static void writeAtomically(Path target, Writer writer) throws IOException {
        if (Files.isDirectory(target)) {
            // rename(2) would fail naming the temporary file; say what is in the way, before writing
            throw new IOException("cannot write " + target + ": it is a directory, where distill4j writes a file");
        }
        Path dir = target.toAbsolutePath().getParent();
        createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE);
                    OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16)) {
                // Writers such as Jackson close the stream they are given; keep the channel open
                // until it has been forced to disk.
                writer.write(new FilterOutputStream(out) {
                    @Override
                    public void write(byte[] b, int off, int len) throws IOException {
                        out.write(b, off, len);
                    }

                    @Override
                    public void close() throws IOException {
                        out.flush();
                    }
                });
                out.flush();
                ch.force(true);
            }
            try {
                // createTempFile makes the file owner-only; results are meant to be shared.
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException notPosix) {
                // keep the platform default
            }
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    public static void writeString(Path target, String text) throws IOException {
        write(target, out -> out.write(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    /** Deletes {@code dir} and everything below it, if it exists (a temporary or replaced folder). */
    public static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (java.util.stream.Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
