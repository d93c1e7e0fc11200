package dev.kiln.devstack.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Temp work dirs carry the pid of the JVM that owns them; a JVM killed with {@code kill -9} cannot delete
 * its own, so the next stack started on the machine deletes those whose owner is gone.
 */
final class AbandonedWorkDirs {

    static final String PREFIX = "kiln-dev-stack-";
    static final String OWNER_FILE = "owner.pid";

    private AbandonedWorkDirs() {
    }

    static Path createOwned(Path parent) {
        try {
            Path dir = Files.createTempDirectory(parent, PREFIX);
            Files.writeString(dir.resolve(OWNER_FILE), Long.toString(ProcessHandle.current().pid()), StandardCharsets.US_ASCII);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Deletes work dirs under {@code parent} whose owner process is no longer alive; returns how many. */
    static int deleteAbandoned(Path parent) {
        int deleted = 0;
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(parent, PREFIX + "*")) {
            for (Path dir : dirs) {
                if (isAbandoned(dir)) {
                    ProcessDevStack.deleteRecursively(dir);
                    deleted++;
                }
            }
        } catch (IOException e) {
            // Cleaning up after others is best effort.
        }
        return deleted;
    }

    private static boolean isAbandoned(Path dir) {
        Path owner = dir.resolve(OWNER_FILE);
        if (!Files.isRegularFile(owner)) {
            // Being created right now, or not ours: leave it.
            return false;
        }
        try {
            long pid = Long.parseLong(Files.readString(owner, StandardCharsets.US_ASCII).trim());
            return ProcessHandle.of(pid).map(process -> !process.isAlive()).orElse(true);
        } catch (IOException | NumberFormatException e) {
            return false;
        }
    }
}
