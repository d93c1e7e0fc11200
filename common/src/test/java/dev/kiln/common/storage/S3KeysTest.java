package dev.kiln.common.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import dev.kiln.common.jobs.OutputFormat;

class S3KeysTest {
    @Test
    void inputAndOutputKeysFollowTheContract() {
        assertThat(S3Keys.input("img_1")).isEqualTo("inputs/img_1.png");
        assertThat(S3Keys.output("img_1", 2)).isEqualTo("outputs/img_1/2.png");
        assertThat(S3Keys.outputs("img_1", 2)).containsExactly("outputs/img_1/0.png", "outputs/img_1/1.png");
    }

    @Test
    void outputKeysCarryTheFormatsExtension() {
        assertThat(S3Keys.output("img_1", 0, OutputFormat.JPEG)).isEqualTo("outputs/img_1/0.jpeg");
        assertThat(S3Keys.outputs("img_1", 2, OutputFormat.WEBP))
                .containsExactly("outputs/img_1/0.webp", "outputs/img_1/1.webp");
        assertThat(OutputFormat.ofKey(S3Keys.output("img_1", 0, OutputFormat.WEBP))).isEqualTo(OutputFormat.WEBP);
        assertThat(OutputFormat.ofKey(S3Keys.output("img_1", 0))).isEqualTo(OutputFormat.PNG);
    }

    @Test
    void rejectsJobIdsThatCouldEscapeThePrefix() {
        assertThatThrownBy(() -> S3Keys.input("../x")).isInstanceOf(IllegalArgumentException.class);
    }
}
