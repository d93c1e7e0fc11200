package dev.kiln.devstack.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AbandonedWorkDirsTest {

    @TempDir
    Path parent;

    @Test
    void deletesWorkDirWhoseOwnerProcessIsGone() throws Exception {
        Process finished = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-version")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertThat(finished.waitFor(60, TimeUnit.SECONDS)).isTrue();
        Path abandoned = Files.createDirectory(parent.resolve(AbandonedWorkDirs.PREFIX + "abandoned"));
        Files.writeString(abandoned.resolve(AbandonedWorkDirs.OWNER_FILE), Long.toString(finished.pid()),
                StandardCharsets.US_ASCII);

        assertThat(AbandonedWorkDirs.deleteAbandoned(parent)).isEqualTo(1);
        assertThat(abandoned).doesNotExist();
    }

    @Test
    void keepsWorkDirWhoseOwnerIsAlive() {
        Path owned = AbandonedWorkDirs.createOwned(parent);

        assertThat(AbandonedWorkDirs.deleteAbandoned(parent)).isZero();
        assertThat(owned).isDirectory();
    }

    @Test
    void keepsWorkDirWithoutOwnerFile() throws Exception {
        Path unknown = Files.createDirectory(parent.resolve(AbandonedWorkDirs.PREFIX + "unknown"));

        AbandonedWorkDirs.deleteAbandoned(parent);

        assertThat(unknown).isDirectory();
    }
}
