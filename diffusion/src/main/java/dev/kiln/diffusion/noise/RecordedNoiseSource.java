package dev.kiln.diffusion.noise;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Deque;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import dev.kiln.diffusion.npy.Npy;

/**
 * Replays draws recorded elsewhere (the reference fixtures, or a CLI {@code --draws-dir}): each
 * {@link #draw} returns the next recorded array with that label, in recording order, and fails
 * loudly when the pipeline asks for a draw that was not recorded or of another size.
 */
public final class RecordedNoiseSource implements NoiseSource {

    private static final Pattern FILE = Pattern.compile("noise_(\\d+)_([a-z0-9_]+)\\.npy");

    private final Map<NoiseKind, Deque<float[]>> draws = new EnumMap<>(NoiseKind.class);

    public RecordedNoiseSource(Map<NoiseKind, List<float[]>> recorded) {
        for (NoiseKind kind : NoiseKind.values()) {
            draws.put(kind, new ArrayDeque<>(recorded.getOrDefault(kind, List.of())));
        }
    }

    /** Reads every {@code noise_NN_<label>.npy} in {@code dir}, ordered by {@code NN}. */
    public static RecordedNoiseSource fromDirectory(Path dir) {
        record Entry(int order, NoiseKind kind, Path file) {
        }
        List<Entry> entries = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                Matcher m = FILE.matcher(file.getFileName().toString());
                if (m.matches()) {
                    entries.add(new Entry(Integer.parseInt(m.group(1)), NoiseKind.fromLabel(m.group(2)), file));
                }
            }
            entries.sort(Comparator.comparingInt(Entry::order));
            Map<NoiseKind, List<float[]>> recorded = new EnumMap<>(NoiseKind.class);
            for (Entry entry : entries) {
                recorded.computeIfAbsent(entry.kind(), k -> new ArrayList<>()).add(Npy.read(entry.file()).data());
            }
            if (recorded.isEmpty()) {
                throw new IllegalArgumentException("no noise_NN_<label>.npy files in " + dir);
            }
            return new RecordedNoiseSource(recorded);
        } catch (IOException e) {
            throw new UncheckedIOException("reading recorded draws from " + dir, e);
        }
    }

    @Override
    public float[] draw(NoiseKind kind, int[] shape) {
        float[] next = draws.get(kind).poll();
        if (next == null) {
            throw new IllegalStateException("no recorded '" + kind.label() + "' draw left for shape "
                    + Arrays.toString(shape));
        }
        if (next.length != NoiseSource.count(shape)) {
            throw new IllegalStateException("recorded '" + kind.label() + "' draw has " + next.length
                    + " values, the pipeline needs shape " + Arrays.toString(shape));
        }
        return next.clone();
    }
}
