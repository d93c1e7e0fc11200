package dev.kiln.api.ledger;

/**
 * What one pass of the {@link LedgerMirror} did.
 *
 * @param ran false when another instance held the lock (nothing was read)
 * @param published entries acknowledged by Kafka and passed by the cursors
 * @param gaps accounts whose stream had been trimmed past their cursor (entries lost to the mirror)
 * @param failed true when a batch was not acknowledged: the pass stopped there, its cursor unmoved
 * @param lagMillis age of the oldest entry the pass found unmirrored (0 when there was none)
 */
public record MirrorPass(boolean ran, long published, int gaps, boolean failed, long lagMillis) {
    static final MirrorPass SKIPPED = new MirrorPass(false, 0, 0, false, 0);
}
