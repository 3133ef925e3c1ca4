package org.distill4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
}
