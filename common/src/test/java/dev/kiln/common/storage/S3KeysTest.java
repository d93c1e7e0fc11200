package dev.kiln.common.storage;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class S3KeysTest {
    @Test
    void inputAndOutputKeysFollowTheContract() {
        assertThat(S3Keys.input("img_1")).isEqualTo("inputs/img_1.png");
        assertThat(S3Keys.output("img_1", 2)).isEqualTo("outputs/img_1/2.png");
        assertThat(S3Keys.outputs("img_1", 2)).containsExactly("outputs/img_1/0.png", "outputs/img_1/1.png");
    }

    @Test
    void rejectsJobIdsThatCouldEscapeThePrefix() {
        assertThatThrownBy(() -> S3Keys.input("../x")).isInstanceOf(IllegalArgumentException.class);
    }
}
