package dev.kiln.devstack.process;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds {@code java} command lines for child JVMs that run under the {@link ParentWatchdog}.
 *
 * <p>
 * The launcher classes are copied out of this library as class files into the stack's work dir, so a
 * child never depends on how the parent loaded the library (jar, classes dir, or a Quarkus class loader).
 */
public final class JavaCommand {

    /** Classes a child JVM needs from this library; each is self-contained. */
    private static final List<Class<?>> LAUNCHER_CLASSES = List.of(ParentWatchdog.class, WatchedMain.class);

    private JavaCommand() {
    }

    public static Path javaExecutable() {
        return Path.of(System.getProperty("java.home"), "bin", isWindows() ? "java.exe" : "java");
    }

    /** JVM flags that make a small, quick-starting service JVM. */
    public static List<String> smallJvmOptions(int maxHeapMegabytes) {
        return List.of(
                "-Xms32m",
                "-Xmx" + maxHeapMegabytes + "m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-XX:-UsePerfData",
                "-Djava.awt.headless=true");
    }

    /** Copies the launcher classes (plus {@code extra}) into {@code directory} and returns it, for a classpath. */
    public static Path writeLauncherClasses(Path directory, Class<?>... extra) {
        List<Class<?>> classes = new ArrayList<>(LAUNCHER_CLASSES);
        classes.addAll(List.of(extra));
        for (Class<?> type : classes) {
            String resource = type.getName().replace('.', '/') + ".class";
            Path target = directory.resolve(resource);
            try (InputStream in = type.getClassLoader().getResourceAsStream(resource)) {
                if (in == null) {
                    throw new IllegalStateException("class file not found as a resource: " + resource);
                }
                Files.createDirectories(target.getParent());
                Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return directory;
    }

    public static String classpath(List<Path> entries) {
        List<String> paths = new ArrayList<>();
        entries.forEach(entry -> paths.add(entry.toString()));
        return String.join(File.pathSeparator, paths);
    }

    private static boolean isWindows() {
        return System.getProperty("os.name", "").toLowerCase().startsWith("windows");
    }
}
