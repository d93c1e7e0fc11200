package dev.kiln.tools.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.kiln.diffusion.model.ModelDirectory;
import dev.kiln.diffusion.noise.NoiseKind;
import dev.kiln.diffusion.noise.SeededNoiseSource;
import dev.kiln.diffusion.npy.Npy;

class KilnCliTest {

    @TempDir
    Path temp;

    private int cli(String... args) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        return KilnCli.run(args, new PrintStream(bytes, true, StandardCharsets.UTF_8));
    }

    /** A draws folder holding one text-to-image start latent of a 32x32 request on the tiny model. */
    private Path draws(String name, long seed) throws Exception {
        Path dir = Files.createDirectories(temp.resolve(name));
        float[] latents = new SeededNoiseSource(seed).draw(NoiseKind.INITIAL_LATENTS, new int[] { 1, 4, 4, 4 });
        Npy.write(dir.resolve("noise_00_initial_latents.npy"), new Npy.Array(new long[] { 1, 4, 4, 4 }, latents));
        return dir;
    }

    @Test
    void replaysADrawsFolderPerPromptThroughEitherExecutor() throws Exception {
        Path model = temp.resolve("tiny");
        cli("tiny-model", model.toString());
        Path first = draws("first", 1);
        Path second = draws("second", 2);
        String[] common = { "--model", model.toString(), "--size", "32x32", "--steps", "3", "--scheduler", "euler",
                "--threads", "1" };
        cli(concat(common, "generate", "--prompt", "a fox", "--draws-dir", first.toString(), "--out",
                temp.resolve("a").toString(), "--npy", temp.resolve("a.npy").toString()));
        cli(concat(common, "generate", "--prompt", "a hen", "--draws-dir", second.toString(), "--out",
                temp.resolve("b").toString(), "--npy", temp.resolve("b.npy").toString()));
        for (String executor : new String[] { "static", "step" }) {
            Path both = temp.resolve(executor + ".npy");
            int code = cli(concat(common, "generate", "--prompt", "a fox", "--prompt", "a hen", "--draws-dir",
                    first.toString(), "--draws-dir", second.toString(), "--executor", executor, "--out",
                    temp.resolve(executor).toString(), "--npy", both.toString()));
            assertThat(code).isZero();
            float[] together = Npy.read(both).data();
            float[] alone = concat(Npy.read(temp.resolve("a.npy")).data(), Npy.read(temp.resolve("b.npy")).data());
            assertThat(together).hasSameSizeAs(alone);
            for (int i = 0; i < alone.length; i++) {
                assertThat((double) together[i]).as("%s value %d", executor, i).isCloseTo(alone[i], within(1e-4));
            }
        }
    }

    private static String[] concat(String[] common, String command, String... rest) {
        String[] out = new String[1 + common.length + rest.length];
        out[0] = command;
        System.arraycopy(common, 0, out, 1, common.length);
        System.arraycopy(rest, 0, out, 1 + common.length, rest.length);
        return out;
    }

    private static float[] concat(float[] a, float[] b) {
        float[] out = new float[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void tinyModelCommandWritesALoadableModelDirectory() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int code = KilnCli.run(new String[] { "tiny-model", temp.resolve("tiny").toString() },
                new PrintStream(bytes, true, StandardCharsets.UTF_8));
        assertThat(code).isZero();
        assertThat(ModelDirectory.open(temp.resolve("tiny")).unet()).exists();
    }
}
