package dev.kiln.diffusion.scheduler;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.StreamSupport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.kiln.diffusion.ReferenceData;
import dev.kiln.diffusion.npy.Npy;

/** Reads the scheduler reference data (diffusers v0.21.4 trajectories under SD 1.5's config). */
final class SchedulerFixtures {

    private SchedulerFixtures() {
    }

    static Path dir() {
        return ReferenceData.dir("schedulers");
    }

    static JsonNode index() {
        try {
            return new ObjectMapper().readTree(dir().resolve("index.json").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static SchedulerConfig config() {
        return SchedulerConfig.fromJson(index().get("config"));
    }

    static JsonNode referenceCase(String scheduler) {
        return StreamSupport.stream(index().get("cases").spliterator(), false)
                .filter(c -> c.get("scheduler").asText().equals(scheduler))
                .findFirst().orElseThrow(() -> new AssertionError("no reference case for " + scheduler));
    }

    static double[] doubles(JsonNode array) {
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asDouble();
        }
        return out;
    }

    /** The trajectory as {@code steps + 1} flat latents: the initial sample, then each prev_sample. */
    static List<float[]> trajectory(String scheduler) {
        Npy.Array array = read(scheduler + "_10_trajectory.npy");
        int rows = (int) array.shape()[0];
        int size = array.data().length / rows;
        List<float[]> out = new ArrayList<>();
        for (int r = 0; r < rows; r++) {
            out.add(Arrays.copyOfRange(array.data(), r * size, (r + 1) * size));
        }
        return out;
    }

    static float[] ancestralNoise(int step) {
        return read(String.format("euler_a_10_noise_%02d.npy", step)).data();
    }

    private static Npy.Array read(String file) {
        try {
            return Npy.read(dir().resolve(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
