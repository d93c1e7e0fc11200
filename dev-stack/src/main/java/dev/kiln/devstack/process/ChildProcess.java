package dev.kiln.devstack.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A service process started by the dev stack, whose stdin pipe is its lifeline.
 *
 * <p>
 * Every child is launched through a watchdog ({@link ParentWatchdog} in child JVMs, a small shell
 * wrapper for native binaries) that stops the service when this pipe closes. Output goes to a log file,
 * never to a pipe, so a chatty service cannot block on a full pipe buffer.
 */
public final class ChildProcess {

    private final String name;
    private final Process process;
    private final Path logFile;

    private ChildProcess(String name, Process process, Path logFile) {
        this.name = name;
        this.process = process;
        this.logFile = logFile;
    }

    /** Starts {@code command} with stdin as a pipe from this JVM and stdout+stderr appended to {@code logFile}. */
    public static ChildProcess start(String name, List<String> command, Path workingDir, Path logFile) {
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(workingDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                .redirectInput(ProcessBuilder.Redirect.PIPE);
        try {
            return new ChildProcess(name, builder.start(), logFile);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + ": " + command, e);
        }
    }

    public String name() {
        return name;
    }

    public long pid() {
        return process.pid();
    }

    public ProcessHandle handle() {
        return process.toHandle();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public Path logFile() {
        return logFile;
    }

    /** The last {@code maxLines} lines of the log, for error messages. */
    public String logTail(int maxLines) {
        try {
            List<String> lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
            return String.join(System.lineSeparator(), lines.subList(Math.max(0, lines.size() - maxLines), lines.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(log " + logFile + " unreadable: " + e.getMessage() + ")";
        }
    }

    /**
     * Stops the service: closes its lifeline, waits up to {@code gracefulTimeout}, then SIGTERM, then SIGKILL
     * to it and every descendant, so nothing is left behind even if a watchdog misbehaves.
     */
    public void stop(Duration gracefulTimeout) {
        List<ProcessHandle> descendants = new ArrayList<>(process.descendants().toList());
        try {
            process.getOutputStream().close();
        } catch (IOException e) {
            // Already closed or broken: the child sees EOF either way.
        }
        if (awaitExit(process.toHandle(), gracefulTimeout) && awaitAll(descendants, gracefulTimeout)) {
            return;
        }
        descendants.forEach(ProcessHandle::destroy);
        process.destroy();
        if (awaitExit(process.toHandle(), Duration.ofSeconds(5)) && awaitAll(descendants, Duration.ofSeconds(5))) {
            return;
        }
        descendants.forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        awaitExit(process.toHandle(), Duration.ofSeconds(10));
        awaitAll(descendants, Duration.ofSeconds(10));
    }

    /**
     * {@code kill -9} of the service and every descendant, as a crash would end it: no shutdown of any kind.
     * Returns once they are gone (bounded).
     */
    public void kill() {
        List<ProcessHandle> descendants = new ArrayList<>(process.descendants().toList());
        // The service first: a watchdog wrapper killed first would be reported before the service is gone.
        descendants.forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        awaitAll(descendants, Duration.ofSeconds(10));
        awaitExit(process.toHandle(), Duration.ofSeconds(10));
    }

    private static boolean awaitAll(List<ProcessHandle> handles, Duration timeout) {
        boolean allExited = true;
        for (ProcessHandle handle : handles) {
            allExited &= awaitExit(handle, timeout);
        }
        return allExited;
    }

    private static boolean awaitExit(ProcessHandle handle, Duration timeout) {
        try {
            handle.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return !handle.isAlive();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !handle.isAlive();
        }
    }

    @Override
    public String toString() {
        return name + "(pid " + pid() + ")";
    }
}
