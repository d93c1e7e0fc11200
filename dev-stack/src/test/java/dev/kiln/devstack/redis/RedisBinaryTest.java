package dev.kiln.devstack.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RedisBinaryTest {

    @Test
    void choosesEmbeddedLinuxAmd64Binary() {
        assertThat(RedisBinary.embeddedResourceName("Linux", "amd64")).isEqualTo("redis-server-6.2.6-v5-linux-amd64");
    }

    @Test
    void choosesEmbeddedMacArmBinary() {
        assertThat(RedisBinary.embeddedResourceName("Mac OS X", "aarch64")).isEqualTo("redis-server-6.2.6-v5-darwin-arm64");
    }

    @Test
    void unsupportedPlatformAsksForAnInstalledRedis() {
        assertThatThrownBy(() -> RedisBinary.embeddedResourceName("FreeBSD", "amd64"))
                .hasMessageContaining("install redis-server");
    }

    @Test
    void everyPlatformNameExistsInTheEmbeddedRedisJar() {
        for (String[] platform : new String[][] { { "Linux", "amd64" }, { "Linux", "aarch64" }, { "Mac OS X", "x86_64" },
                { "Mac OS X", "aarch64" } }) {
            String resource = RedisBinary.embeddedResourceName(platform[0], platform[1]);
            assertThat(RedisBinary.class.getResource("/" + resource)).as(resource).isNotNull();
        }
    }
}
