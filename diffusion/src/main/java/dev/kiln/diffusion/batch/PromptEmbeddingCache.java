package dev.kiln.diffusion.batch;

import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Text-encoder outputs by (model, token ids), least recently used evicted first, bounded in bytes. The empty
 * negative prompt and repeated prompts then skip the encoder. Thread-safe (the worker reads the hit rate
 * from its metrics thread).
 */
public final class PromptEmbeddingCache {

    /** Per-entry bookkeeping beyond the float data: map node, key, id array. An estimate, for the bound. */
    private static final long ENTRY_OVERHEAD_BYTES = 128;

    private final long maxBytes;
    private final LinkedHashMap<Key, float[]> entries = new LinkedHashMap<>(16, 0.75f, true);
    private long bytes;
    private long hits;
    private long misses;

    /** @param maxBytes bound of the cached data; 0 disables the cache (every lookup misses) */
    public PromptEmbeddingCache(long maxBytes) {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("maxBytes must not be negative, got " + maxBytes);
        }
        this.maxBytes = maxBytes;
    }

    /** Cached embedding of {@code ids} under {@code model}; counts a hit or a miss. Do not modify the array. */
    public synchronized Optional<float[]> get(String model, int[] ids) {
        float[] value = entries.get(new Key(model, ids));
        if (value == null) {
            misses++;
            return Optional.empty();
        }
        hits++;
        return Optional.of(value);
    }

    /** Stores an embedding (kept as given), evicting the least recently used entries beyond the bound. */
    public synchronized void put(String model, int[] ids, float[] embedding) {
        long size = sizeOf(ids, embedding);
        if (size > maxBytes) {
            return;
        }
        float[] previous = entries.put(new Key(model, ids.clone()), embedding);
        if (previous != null) {
            bytes -= sizeOf(ids, previous);
        }
        bytes += size;
        Iterator<Map.Entry<Key, float[]>> eldest = entries.entrySet().iterator();
        while (bytes > maxBytes && eldest.hasNext()) {
            Map.Entry<Key, float[]> entry = eldest.next();
            bytes -= sizeOf(entry.getKey().ids(), entry.getValue());
            eldest.remove();
        }
    }

    public synchronized long bytes() {
        return bytes;
    }

    public long maxBytes() {
        return maxBytes;
    }

    public synchronized int entries() {
        return entries.size();
    }

    public synchronized long hits() {
        return hits;
    }

    public synchronized long misses() {
        return misses;
    }

    /** Hits over lookups since creation; 0 before the first lookup. */
    public synchronized double hitRate() {
        long lookups = hits + misses;
        return lookups == 0 ? 0 : (double) hits / lookups;
    }

    private static long sizeOf(int[] ids, float[] embedding) {
        return 4L * embedding.length + 4L * ids.length + ENTRY_OVERHEAD_BYTES;
    }

    private record Key(String model, int[] ids) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key other && model.equals(other.model) && Arrays.equals(ids, other.ids);
        }

        @Override
        public int hashCode() {
            return 31 * model.hashCode() + Arrays.hashCode(ids);
        }
    }
}
