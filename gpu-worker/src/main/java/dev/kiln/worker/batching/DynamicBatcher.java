package dev.kiln.worker.batching;

import org.jboss.logging.Logger;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import java.util.function.ToIntFunction;

/**
 * A bounded queue of jobs that the inference loop drains in batches of compatible jobs, like
 * Triton's dynamic batcher (policy: {@link BatchingPolicy}).
 *
 * <p><b>Producers</b> (the Kafka consumer) hand jobs in with {@link #offer} (never blocks) or
 * {@link #put} (blocks up to a timeout while the queue is full). The bound counts jobs.
 *
 * <p><b>The inference loop</b> calls {@link #nextBatch}. The batch is always built around the
 * oldest queued job: its key is the batch key, and compatible jobs are added in arrival order while
 * their images fit in {@link BatchingPolicy#maxBatchImages()}. Gathering stops at the first
 * compatible job that does not fit, so jobs of one key never overtake each other, and a job larger
 * than the maximum runs alone, unsplit. A batch is released as soon as it is full, else once the
 * oldest job has waited {@link BatchingPolicy#maxWaitMillis()}. Because the oldest job always goes
 * next, no key starves and jobs of other keys keep their order. Before a batch is released, jobs
 * the dead-job predicate flags (canceled, past deadline) are removed and reported through the
 * drop callback instead.
 *
 * <p><b>Shutdown</b>: {@link #close()} stops admission (blocked producers get
 * {@link Admission#CLOSED}) and lets the loop drain: {@code nextBatch} then releases batches without
 * waiting and, once the queue is empty, returns empty at once ({@link #isTerminated()} is true).
 * {@link #shutdownNow()} also stops admission but hands every queued job back to the caller.
 *
 * <p>Thread-safe. All waiting uses {@link Condition#awaitNanos} against deadlines read from the
 * injected clock. Callbacks and listener calls run outside the lock on the thread calling
 * {@code nextBatch}; the dead-job predicate runs under the lock, so it must be cheap and
 * non-blocking (check a flag or a deadline, not Redis).
 *
 * @param <J> the worker's job type
 */
public final class DynamicBatcher<J> implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(DynamicBatcher.class);

    private final BatchingPolicy policy;
    private final Function<? super J, CompatibilityKey> keyOf;
    private final ToIntFunction<? super J> imageCountOf;
    private final LongSupplier nanoClock;
    private final Predicate<? super J> isDead;
    private final Consumer<? super J> onDropped;
    private final BatchingListener listener;

    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled when queue space frees up or the batcher closes. */
    private final Condition spaceOrClosed = lock.newCondition();
    /** Signalled when a job arrives or the batcher closes. */
    private final Condition arrivalOrClosed = lock.newCondition();
    private final ArrayDeque<Entry<J>> queue = new ArrayDeque<>();
    private boolean closed;
    private int blockedProducers;

    private DynamicBatcher(Builder<J> builder) {
        this.policy = builder.policy;
        this.keyOf = builder.keyOf;
        this.imageCountOf = builder.imageCountOf;
        this.nanoClock = builder.nanoClock;
        this.isDead = builder.isDead;
        this.onDropped = builder.onDropped;
        this.listener = builder.listener;
    }

    /** A builder for any job type, adapted by a key function and an image-count function. */
    public static <J> Builder<J> builder(
            BatchingPolicy policy,
            Function<? super J, CompatibilityKey> keyOf,
            ToIntFunction<? super J> imageCountOf) {
        return new Builder<>(policy, keyOf, imageCountOf);
    }

    /** The policy this batcher applies. */
    public BatchingPolicy policy() {
        return policy;
    }

    /**
     * Queues the job if there is room, without blocking.
     *
     * @throws IllegalArgumentException if the job's image count is below 1
     */
    public Admission offer(J job) {
        Entry<J> entry = describe(job);
        lock.lock();
        try {
            if (closed) {
                return Admission.CLOSED;
            }
            if (queue.size() >= policy.maxQueuedJobs()) {
                return Admission.QUEUE_FULL;
            }
            enqueue(entry);
            return Admission.ACCEPTED;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Queues the job, waiting up to {@code timeout} for room.
     *
     * @return {@link Admission#QUEUE_FULL} if the queue stayed full for the whole timeout,
     *     {@link Admission#CLOSED} if the batcher is or becomes closed meanwhile
     * @throws InterruptedException if interrupted while waiting (the job is not queued)
     */
    public Admission put(J job, Duration timeout) throws InterruptedException {
        Entry<J> entry = describe(job);
        long timeoutNanos = saturatedNanos(timeout);
        long startNanos = nanoClock.getAsLong();
        lock.lockInterruptibly();
        try {
            while (!closed && queue.size() >= policy.maxQueuedJobs()) {
                long remainingNanos = timeoutNanos - (nanoClock.getAsLong() - startNanos);
                if (remainingNanos <= 0) {
                    return Admission.QUEUE_FULL;
                }
                blockedProducers++;
                try {
                    spaceOrClosed.awaitNanos(remainingNanos);
                } finally {
                    blockedProducers--;
                }
            }
            if (closed) {
                return Admission.CLOSED;
            }
            enqueue(entry);
            return Admission.ACCEPTED;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits up to {@code timeout} for a batch to be ready and takes it from the queue.
     *
     * <p>Returns empty when the timeout passes first (queued jobs stay queued: a partial batch is
     * only released by {@link BatchingPolicy#maxWaitMillis()}), or at once when the batcher is
     * closed and drained. A zero timeout polls. Dead jobs found on the way are reported through
     * the drop callback before this method returns, even when it returns empty.
     *
     * @throws InterruptedException if interrupted while waiting (no job is lost: dead jobs
     *     already removed are still reported, live ones stay queued)
     */
    public Optional<Batch<J>> nextBatch(Duration timeout) throws InterruptedException {
        long timeoutNanos = saturatedNanos(timeout);
        long startNanos = nanoClock.getAsLong();
        List<Entry<J>> dropped = new ArrayList<>();
        List<Entry<J>> taken = null;
        BatchTrigger trigger = null;
        long releasedNanos = 0;
        try {
            lock.lockInterruptibly();
            try {
                while (true) {
                    removeDead(dropped);
                    long nowNanos = nanoClock.getAsLong();
                    long callerRemainingNanos = timeoutNanos - (nowNanos - startNanos);
                    long waitNanos;
                    if (queue.isEmpty()) {
                        if (closed) {
                            break;
                        }
                        waitNanos = callerRemainingNanos;
                    } else {
                        Candidate<J> candidate = gather();
                        Entry<J> oldest = queue.peekFirst();
                        long untilMaxWaitNanos = oldest.acceptedNanos + policy.maxWaitNanos() - nowNanos;
                        trigger = candidate.full ? BatchTrigger.FULL
                                : closed ? BatchTrigger.DRAINING
                                : untilMaxWaitNanos <= 0 ? BatchTrigger.MAX_WAIT_ELAPSED
                                : null;
                        if (trigger != null) {
                            taken = candidate.entries;
                            releasedNanos = nowNanos;
                            take(taken);
                            break;
                        }
                        waitNanos = Math.min(untilMaxWaitNanos, callerRemainingNanos);
                    }
                    if (callerRemainingNanos <= 0) {
                        break;
                    }
                    arrivalOrClosed.awaitNanos(waitNanos);
                }
            } finally {
                lock.unlock();
            }
        } finally {
            reportDropped(dropped);
        }
        if (taken == null) {
            return Optional.empty();
        }
        Batch<J> batch = toBatch(taken, trigger);
        reportReleased(batch, taken, releasedNanos);
        return Optional.of(batch);
    }

    /**
     * Stops admission and lets the inference loop drain the queue: {@code nextBatch} releases the
     * remaining jobs without waiting for batches to fill, then returns empty immediately.
     * Producers blocked in {@link #put} return {@link Admission#CLOSED}. Idempotent.
     */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            spaceOrClosed.signalAll();
            arrivalOrClosed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stops admission and removes every queued job, without running the dead-job predicate.
     * For a shutdown that finishes only the batch in hand: the worker leaves the returned jobs
     * uncommitted so Kafka redelivers them to another worker.
     *
     * @return the queued jobs in arrival order
     */
    public List<J> shutdownNow() {
        lock.lock();
        try {
            closed = true;
            List<J> remaining = new ArrayList<>(queue.size());
            for (Entry<J> entry : queue) {
                remaining.add(entry.job);
            }
            queue.clear();
            spaceOrClosed.signalAll();
            arrivalOrClosed.signalAll();
            return remaining;
        } finally {
            lock.unlock();
        }
    }

    /** Whether {@link #close()} or {@link #shutdownNow()} was called. */
    public boolean isClosed() {
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
    }

    /** Closed and nothing left to hand out: the inference loop can stop. */
    public boolean isTerminated() {
        lock.lock();
        try {
            return closed && queue.isEmpty();
        } finally {
            lock.unlock();
        }
    }

    /** Jobs currently queued (a gauge). */
    public int queuedJobs() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    /** Producers currently blocked in {@link #put} by back-pressure (a gauge). */
    public int blockedProducers() {
        lock.lock();
        try {
            return blockedProducers;
        } finally {
            lock.unlock();
        }
    }

    private Entry<J> describe(J job) {
        Objects.requireNonNull(job, "job");
        CompatibilityKey key = Objects.requireNonNull(keyOf.apply(job), "compatibility key");
        int imageCount = imageCountOf.applyAsInt(job);
        if (imageCount < 1) {
            throw new IllegalArgumentException("a job produces at least 1 image, was " + imageCount);
        }
        return new Entry<>(job, key, imageCount);
    }

    /** Caller holds the lock and has checked capacity. */
    private void enqueue(Entry<J> entry) {
        entry.acceptedNanos = nanoClock.getAsLong();
        queue.addLast(entry);
        arrivalOrClosed.signalAll();
    }

    /** Caller holds the lock. */
    private void removeDead(List<Entry<J>> dropped) {
        boolean removedAny = false;
        var iterator = queue.iterator();
        while (iterator.hasNext()) {
            Entry<J> entry = iterator.next();
            if (testDead(entry.job)) {
                iterator.remove();
                dropped.add(entry);
                removedAny = true;
            }
        }
        if (removedAny) {
            spaceOrClosed.signalAll();
        }
    }

    private boolean testDead(J job) {
        try {
            return isDead.test(job);
        } catch (RuntimeException e) {
            // A broken predicate must not wedge the loop; running a job beats losing it.
            LOG.warnf(e, "dead-job predicate failed; keeping job %s", job);
            return false;
        }
    }

    /** Caller holds the lock; the queue is not empty. */
    private Candidate<J> gather() {
        var iterator = queue.iterator();
        Entry<J> oldest = iterator.next();
        List<Entry<J>> entries = new ArrayList<>();
        entries.add(oldest);
        int images = oldest.imageCount;
        int maxImages = policy.maxBatchImages();
        if (images >= maxImages) {
            return new Candidate<>(entries, true);
        }
        while (iterator.hasNext()) {
            Entry<J> entry = iterator.next();
            if (!entry.key.equals(oldest.key)) {
                continue;
            }
            if (images + entry.imageCount > maxImages) {
                // Taking a later, smaller job instead would reorder the key; waiting cannot help.
                return new Candidate<>(entries, true);
            }
            entries.add(entry);
            images += entry.imageCount;
            if (images == maxImages) {
                return new Candidate<>(entries, true);
            }
        }
        return new Candidate<>(entries, false);
    }

    /** Caller holds the lock. */
    private void take(List<Entry<J>> entries) {
        for (Entry<J> entry : entries) {
            entry.taken = true;
        }
        queue.removeIf(entry -> entry.taken);
        spaceOrClosed.signalAll();
    }

    private Batch<J> toBatch(List<Entry<J>> entries, BatchTrigger trigger) {
        List<J> jobs = new ArrayList<>(entries.size());
        int images = 0;
        for (Entry<J> entry : entries) {
            jobs.add(entry.job);
            images += entry.imageCount;
        }
        return new Batch<>(entries.get(0).key, jobs, images, trigger);
    }

    private void reportDropped(List<Entry<J>> dropped) {
        if (dropped.isEmpty()) {
            return;
        }
        long nowNanos = nanoClock.getAsLong();
        for (Entry<J> entry : dropped) {
            try {
                listener.jobDropped(nowNanos - entry.acceptedNanos);
            } catch (RuntimeException e) {
                LOG.warn("batching listener failed", e);
            }
            try {
                onDropped.accept(entry.job);
            } catch (RuntimeException e) {
                LOG.errorf(e, "drop callback failed for job %s", entry.job);
            }
        }
    }

    private void reportReleased(Batch<J> batch, List<Entry<J>> entries, long releasedNanos) {
        try {
            for (Entry<J> entry : entries) {
                listener.jobDequeued(releasedNanos - entry.acceptedNanos);
            }
            listener.batchReleased(batch.key(), batch.jobs().size(), batch.imageCount(), batch.trigger());
        } catch (RuntimeException e) {
            LOG.warn("batching listener failed", e);
        }
    }

    private static long saturatedNanos(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative()) {
            return 0;
        }
        try {
            return timeout.toNanos();
        } catch (ArithmeticException overflow) {
            return Long.MAX_VALUE;
        }
    }

    /** A queued job; identity matters (two equal jobs are two entries). */
    private static final class Entry<J> {
        final J job;
        final CompatibilityKey key;
        final int imageCount;
        long acceptedNanos;
        boolean taken;

        Entry(J job, CompatibilityKey key, int imageCount) {
            this.job = job;
            this.key = key;
            this.imageCount = imageCount;
        }
    }

    private record Candidate<J>(List<Entry<J>> entries, boolean full) {
    }

    /**
     * Configures a {@link DynamicBatcher}.
     *
     * @param <J> the worker's job type
     */
    public static final class Builder<J> {
        private final BatchingPolicy policy;
        private final Function<? super J, CompatibilityKey> keyOf;
        private final ToIntFunction<? super J> imageCountOf;
        private LongSupplier nanoClock = System::nanoTime;
        private Predicate<? super J> isDead = job -> false;
        private Consumer<? super J> onDropped = job -> { };
        private BatchingListener listener = BatchingListener.NONE;

        private Builder(
                BatchingPolicy policy,
                Function<? super J, CompatibilityKey> keyOf,
                ToIntFunction<? super J> imageCountOf) {
            this.policy = Objects.requireNonNull(policy, "policy");
            this.keyOf = Objects.requireNonNull(keyOf, "keyOf");
            this.imageCountOf = Objects.requireNonNull(imageCountOf, "imageCountOf");
        }

        /** Monotonic clock in nanoseconds; {@code System::nanoTime} by default, a manual one in tests. */
        public Builder<J> nanoClock(LongSupplier nanoClock) {
            this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
            return this;
        }

        /**
         * Jobs for which {@code isDead} holds (canceled, past deadline) are removed before a batch
         * is released and passed to {@code onDropped}, where the worker marks them expired or
         * canceled and refunds them. By default no job is dead.
         */
        public Builder<J> dropDeadJobs(Predicate<? super J> isDead, Consumer<? super J> onDropped) {
            this.isDead = Objects.requireNonNull(isDead, "isDead");
            this.onDropped = Objects.requireNonNull(onDropped, "onDropped");
            return this;
        }

        /** Metrics hooks; none by default. */
        public Builder<J> listener(BatchingListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /** Builds the batcher. */
        public DynamicBatcher<J> build() {
            return new DynamicBatcher<>(this);
        }
    }
}
