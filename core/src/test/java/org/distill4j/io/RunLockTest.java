package org.distill4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunLockTest {
    @Test
    void aHeldLockNamesItsHolderAndAReleasedOneIsFree(@TempDir Path dir) throws Exception {
        try (RunLock lock = RunLock.acquire(dir)) {
            assertNull(lock.takenOver());
            String content = Files.readString(dir.resolve(RunLock.FILE));
            assertTrue(content.startsWith(ProcessHandle.current().pid() + " " + RunLock.host() + " "), content);
            RunLock.Held held = assertThrows(RunLock.Held.class, () -> RunLock.acquire(dir));
            assertTrue(held.getMessage().contains("process " + ProcessHandle.current().pid() + " on " + RunLock.host())
                    && held.getMessage().contains(dir.resolve(RunLock.FILE).toString()), held.getMessage());
        }
        assertEquals("", Files.readString(dir.resolve(RunLock.FILE)));
        try (RunLock again = RunLock.acquire(dir)) {
            assertNull(again.takenOver(), "a released lock is not stale");
        }
    }

    @Test
    void aStaleLockIsTakenOverAndSaidSo(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve(RunLock.FILE), "999999999 " + RunLock.host() + " 2026-01-01T00:00:00Z\n");
        try (RunLock lock = RunLock.acquire(dir)) {
            assertEquals("took over the stale lock of process 999999999 on " + RunLock.host()
                    + " (started 2026-01-01T00:00:00Z) (no longer running)", lock.takenOver());
            assertTrue(Files.readString(dir.resolve(RunLock.FILE)).startsWith(ProcessHandle.current().pid() + " "));
        }
    }
}
