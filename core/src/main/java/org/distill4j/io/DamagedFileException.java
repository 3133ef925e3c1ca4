package org.distill4j.io;

import java.io.IOException;
import java.nio.file.Path;

/** A file distill4j wrote fails its checksum or is cut short: it was damaged or modified. */
public final class DamagedFileException extends IOException {
    private final Path file;

    public DamagedFileException(Path file, String message) {
        super(message);
        this.file = file;
    }

    public DamagedFileException(Path file, String message, Throwable cause) {
        super(message, cause);
        this.file = file;
    }

    public Path file() {
        return file;
    }
}
