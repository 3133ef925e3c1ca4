package org.distill4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFileTest {
    @Test
    void aFailedWriteLeavesThePreviousFileAndNoTemporary(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("state.bin");
        AtomicFile.writeString(f, "good");
        assertThrows(IOException.class, () -> AtomicFile.write(f, out -> {
            out.write("half of the new".getBytes());
            throw new IOException("No space left on device");
        }));
        assertEquals("good", Files.readString(f));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(1, s.count(), "temporary file removed");
        }
    }

    @Test
    void writersThatCloseTheirStreamStillGetFlushedToDisk(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("a.json");
        AtomicFile.write(f, out -> {
            out.write("{}".getBytes());
            out.close(); // as Jackson does
        });
        assertEquals("{}", Files.readString(f));
    }

    /** A full disk (simulated: the writer's stream fails as write(2) with ENOSPC would) names the file. */
    @Test
    void aFullDiskNamesTheFile(@TempDir Path dir) {
        Path f = dir.resolve("record.json");
        IOException e = assertThrows(IOException.class, () -> AtomicFile.write(f, out -> {
            throw new IOException("No space left on device");
        }));
        assertEquals("cannot write " + f + ": No space left on device", e.getMessage());
    }

    /** A directory where the file goes, a file where its directory goes: each named with what is in the way. */
    @Test
    void whatIsInTheWayIsNamed(@TempDir Path dir) throws IOException {
        Path d = Files.createDirectories(dir.resolve("report.html").resolve("inside"));
        IOException e = assertThrows(IOException.class, () -> AtomicFile.writeString(d.getParent(), "x"));
        assertEquals("cannot write " + d.getParent() + ": it is a directory, where distill4j writes a file",
                e.getMessage());
        Path file = Files.writeString(dir.resolve("knowledge"), "");
        e = assertThrows(IOException.class, () -> AtomicFile.writeString(file.resolve("teacher.safetensors"), "x"));
        assertEquals("cannot write " + file.resolve("teacher.safetensors") + ": cannot create the directory " + file
                + ": " + file + " exists and is not a directory", e.getMessage());
        e = assertThrows(IOException.class, () -> AtomicFile.createDirectories(file.resolve("a").resolve("b")));
        assertTrue(e.getMessage().startsWith("cannot create the directory " + file.resolve("a").resolve("b") + ": ")
                && e.getMessage().contains(file.toString()), e.getMessage());
    }

    /** File-system exceptions whose message is only a path get their reason in words. */
    @Test
    void aFileSystemExceptionGetsItsReason() {
        assertEquals("/x/y: no such file or directory", AtomicFile.describe(new java.nio.file.NoSuchFileException("/x/y")));
        assertEquals("/x/y: already exists", AtomicFile.describe(new java.nio.file.FileAlreadyExistsException("/x/y")));
        assertEquals("/x/y: Is a directory", AtomicFile.describe(new java.nio.file.FileSystemException("/x/y", null,
                "Is a directory")));
        assertEquals("cannot read /x/y: no such file or directory",
                AtomicFile.named(Path.of("/x/y"), "cannot read", new java.nio.file.NoSuchFileException("/x/y"))
                        .getMessage());
    }
}
