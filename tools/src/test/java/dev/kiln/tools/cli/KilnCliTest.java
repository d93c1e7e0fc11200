package dev.kiln.tools.cli;

import dev.kiln.diffusion.model.ModelDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class KilnCliTest {

    @TempDir
    Path temp;

    @Test
    void tinyModelCommandWritesALoadableModelDirectory() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int code = KilnCli.run(new String[]{"tiny-model", temp.resolve("tiny").toString()},
                new PrintStream(bytes, true, StandardCharsets.UTF_8));
        assertThat(code).isZero();
        assertThat(ModelDirectory.open(temp.resolve("tiny")).unet()).exists();
    }
}
