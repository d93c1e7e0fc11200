package dev.kiln.diffusion.batch;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PromptEmbeddingCacheTest {

    /** 100 floats + 2 ids + the per-entry overhead. */
    private static final long ENTRY_BYTES = 400 + 8 + 128;

    private static float[] embedding(float value) {
        float[] out = new float[100];
        out[0] = value;
        return out;
    }

    @Test
    void staysWithinItsByteBoundByEvictingTheLeastRecentlyUsed() {
        PromptEmbeddingCache cache = new PromptEmbeddingCache(2 * ENTRY_BYTES);
        cache.put("m", new int[] { 1, 1 }, embedding(1));
        cache.put("m", new int[] { 2, 2 }, embedding(2));
        assertThat(cache.get("m", new int[] { 1, 1 })).isPresent();
        cache.put("m", new int[] { 3, 3 }, embedding(3));

        assertThat(cache.bytes()).isLessThanOrEqualTo(cache.maxBytes());
        assertThat(cache.entries()).isEqualTo(2);
        assertThat(cache.get("m", new int[] { 2, 2 })).isEmpty();
        assertThat(cache.get("m", new int[] { 1, 1 })).isPresent();
        assertThat(cache.get("m", new int[] { 3, 3 })).isPresent();
    }

    @Test
    void keysByModelAndTokenIds() {
        PromptEmbeddingCache cache = new PromptEmbeddingCache(10 * ENTRY_BYTES);
        cache.put("a", new int[] { 1, 2 }, embedding(1));
        assertThat(cache.get("b", new int[] { 1, 2 })).isEmpty();
        assertThat(cache.get("a", new int[] { 1, 3 })).isEmpty();
        assertThat(cache.get("a", new int[] { 1, 2 })).hasValueSatisfying(e -> assertThat(e[0]).isEqualTo(1f));
    }

    @Test
    void reportsHitsOverLookups() {
        PromptEmbeddingCache cache = new PromptEmbeddingCache(10 * ENTRY_BYTES);
        cache.get("m", new int[] { 1 });
        cache.put("m", new int[] { 1 }, embedding(1));
        cache.get("m", new int[] { 1 });
        cache.get("m", new int[] { 1 });
        cache.get("m", new int[] { 2 });
        assertThat(cache.hits()).isEqualTo(2);
        assertThat(cache.misses()).isEqualTo(2);
        assertThat(cache.hitRate()).isEqualTo(0.5);
    }

    @Test
    void aZeroBoundCachesNothing() {
        PromptEmbeddingCache cache = new PromptEmbeddingCache(0);
        cache.put("m", new int[] { 1 }, embedding(1));
        assertThat(cache.entries()).isZero();
        assertThat(cache.get("m", new int[] { 1 })).isEmpty();
    }
}
