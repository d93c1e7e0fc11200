package dev.kiln.api.ledger;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.apache.kafka.clients.producer.RecordMetadata;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import dev.kiln.api.ApiConfig;
import dev.kiln.api.jobs.PeriodicPass;
import dev.kiln.api.jobs.SweepLock;
import dev.kiln.api.redis.ApiRedis;
import dev.kiln.common.ledger.LedgerRecord;
import dev.kiln.common.ledger.StreamIds;
import dev.kiln.common.redis.RedisKeys;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.ValueScanCursor;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;

/**
 * Copies every account's ledger stream ({@code kiln:{a:ID}:ledger}) to the Kafka topic
 * {@code kiln.ledger.v1}, so balances can be rebuilt if Redis and its replica are both lost
 * (the tools module's {@code RebuildBalances}).
 *
 * <p>
 * Per account, a cursor ({@link RedisKeys#ledgerMirrored}) holds the newest entry Kafka has
 * acknowledged. A pass reads up to {@code batch-size} entries after it, sends each as a
 * {@link LedgerRecord} keyed by the account id, waits for the acknowledgements, and moves the cursor
 * over the acknowledged prefix only; it repeats until the account is caught up. A send that fails stops
 * the pass with the cursor on the last acknowledged entry, so nothing is skipped, and a record may be
 * sent again: at-least-once, de-duplicated by readers through the stream id the record carries.
 *
 * <p>
 * Appends trim each stream to about {@code kiln.api.ledger.max-entries}. An entry is lost to the
 * mirror when that many newer entries of its account arrive before a pass reaches it; such a gap shows
 * as a cursor older than the stream's first entry, and is logged at WARN and counted. Accounts are found
 * through the registry {@link RedisKeys#ACCOUNTS}, like the sweepers do; one instance mirrors at a time
 * ({@link SweepLock} on its own key).
 */
@ApplicationScoped
public class LedgerMirror {
    private static final Logger LOG = Logger.getLogger(LedgerMirror.class);
    private static final int REGISTRY_PAGE = 200;

    private final ApiRedis redis;
    private final ApiConfig.LedgerMirror config;
    private final long redisTimeoutMillis;
    private final SweepLock lock;
    private final Supplier<LedgerProducer> producerFactory;
    private final Counter mirrored;
    private final Counter failures;
    private final Counter gaps;
    private final AtomicLong lagMillis = new AtomicLong();
    private LedgerProducer producer;
    private PeriodicPass timer;

    @Inject
    public LedgerMirror(ApiRedis redis, ApiConfig config, MeterRegistry metrics,
            @ConfigProperty(name = "kafka.bootstrap.servers", defaultValue = "localhost:9092") String bootstrapServers) {
        this(redis, config, metrics, () -> new LedgerProducer(bootstrapServers, config.ledgerMirror().topic(),
                config.ledgerMirror().sendTimeout()));
    }

    /** @param producerFactory called once, at the first pass (a disabled mirror opens no Kafka connection) */
    public LedgerMirror(ApiRedis redis, ApiConfig config, MeterRegistry metrics, Supplier<LedgerProducer> producerFactory) {
        this.redis = redis;
        this.config = config.ledgerMirror();
        this.redisTimeoutMillis = config.redis().timeout().toMillis();
        this.lock = new SweepLock(RedisKeys.LEDGER_MIRROR_LOCK, this.config.lockTtl().toMillis(), redisTimeoutMillis);
        this.producerFactory = producerFactory;
        this.mirrored = Counter.builder("kiln.api.ledger.mirrored.entries")
                .description("Ledger entries published to the ledger topic and acknowledged").register(metrics);
        this.failures = Counter.builder("kiln.api.ledger.mirror.failures")
                .description("Mirror passes stopped by a batch Kafka did not acknowledge (the cursor stayed)")
                .register(metrics);
        this.gaps = Counter.builder("kiln.api.ledger.mirror.gaps")
                .description("Accounts found with ledger entries trimmed from Redis before the mirror published them")
                .register(metrics);
        Gauge.builder("kiln.api.ledger.mirror.lag.seconds", lagMillis, v -> v.get() / 1000.0)
                .description("Age of the oldest ledger entry the last mirror pass found not yet mirrored").register(metrics);
    }

    void onStart(@Observes StartupEvent event) {
        if (!config.enabled()) {
            return;
        }
        timer = PeriodicPass.start("ledger-mirror", config.interval(), this::runOnce);
    }

    void onStop(@Observes ShutdownEvent event) {
        if (timer != null) {
            timer.close();
        }
        closeProducer();
    }

    /** Waits for a pass in flight (bounded by the send timeout), so its acknowledgements still move the cursors. */
    private synchronized void closeProducer() {
        if (producer != null) {
            producer.close();
            producer = null;
        }
    }

    /**
     * One pass over every registered account if this instance gets the lock. Synchronized because the
     * timer and tests may call it.
     */
    public synchronized MirrorPass runOnce() throws Exception {
        RedisAsyncCommands<String, String> commands = redis.commands();
        if (!lock.tryAcquire(commands)) {
            return MirrorPass.SKIPPED;
        }
        try {
            if (producer == null) {
                producer = producerFactory.get();
            }
            return pass(commands);
        } finally {
            lock.release(redis.scripts());
        }
    }

    private MirrorPass pass(RedisAsyncCommands<String, String> commands) throws Exception {
        Progress progress = new Progress(serverMillis(commands));
        ScanCursor cursor = ScanCursor.INITIAL;
        while (!progress.failed) {
            ValueScanCursor<String> page = get(commands.sscan(RedisKeys.ACCOUNTS, cursor,
                    ScanArgs.Builder.limit(REGISTRY_PAGE)));
            mirrorAccounts(commands, page.getValues(), progress);
            if (page.isFinished()) {
                break;
            }
            cursor = page;
        }
        lagMillis.set(progress.lagMillis);
        if (progress.failed) {
            failures.increment();
        }
        return new MirrorPass(true, progress.published, progress.gaps, progress.failed, progress.lagMillis);
    }

    /** Reads the cursors and first batches of a page of accounts in pipelined bursts, then mirrors each. */
    private void mirrorAccounts(RedisAsyncCommands<String, String> commands, List<String> accounts, Progress progress)
            throws Exception {
        List<String> valid = accounts.stream().filter(RedisKeys::isValidAccountId).toList();
        List<RedisFuture<String>> cursors = new ArrayList<>(valid.size());
        for (String account : valid) {
            cursors.add(commands.get(RedisKeys.ledgerMirrored(account)));
        }
        List<String> after = new ArrayList<>(valid.size());
        List<RedisFuture<List<StreamMessage<String, String>>>> batches = new ArrayList<>(valid.size());
        for (int i = 0; i < valid.size(); i++) {
            after.add(get(cursors.get(i)));
            batches.add(read(commands, valid.get(i), after.get(i)));
        }
        for (int i = 0; i < valid.size() && !progress.failed; i++) {
            mirrorAccount(commands, valid.get(i), after.get(i), get(batches.get(i)), progress);
        }
    }

    private void mirrorAccount(RedisAsyncCommands<String, String> commands, String account, String cursor,
            List<StreamMessage<String, String>> batch, Progress progress) throws Exception {
        if (batch.isEmpty()) {
            return;
        }
        progress.sawUnmirrored(StreamIds.millisOf(batch.get(0).getId()));
        if (cursor != null) {
            // Trimming removes the oldest entries: a stream that now starts after the cursor lost the ones between.
            String first = firstId(commands, account);
            if (first != null && StreamIds.compare(first, cursor) > 0) {
                reportGap(account, cursor, first, progress);
            }
        }
        while (!batch.isEmpty()) {
            int acknowledged = publish(account, batch);
            progress.published += acknowledged;
            if (acknowledged > 0) {
                get(commands.set(RedisKeys.ledgerMirrored(account), batch.get(acknowledged - 1).getId()));
            }
            if (acknowledged < batch.size()) {
                progress.failed = true;
                return;
            }
            if (batch.size() < config.batchSize() || !lock.tryAcquire(commands)) {
                // Caught up; or the lock passed to another instance (this pass outlasted its TTL).
                return;
            }
            batch = get(read(commands, account, batch.get(batch.size() - 1).getId()));
        }
    }

    /**
     * Sends the batch and waits for the acknowledgements in send order: returns how many entries from the
     * start of the batch Kafka acknowledged (all of them unless a send failed or timed out).
     */
    private int publish(String account, List<StreamMessage<String, String>> batch) {
        List<Future<RecordMetadata>> sends = new ArrayList<>(batch.size());
        long deadline = System.nanoTime() + config.sendTimeout().toNanos();
        try {
            for (StreamMessage<String, String> m : batch) {
                Future<RecordMetadata> send = producer.send(LedgerRecord.fromStreamEntry(account, m.getId(), m.getBody()));
                sends.add(send);
                if (failedAlready(send)) {
                    // No broker metadata within max.block.ms: every further record would wait as long again.
                    break;
                }
            }
        } catch (RuntimeException e) {
            // The producer refused a record before sending it (no broker metadata within its bound).
            LOG.warnf("ledger mirror: Kafka refused entry %s of account %s: %s", batch.get(sends.size()).getId(),
                    account, e.toString());
        }
        int acknowledged = 0;
        for (Future<RecordMetadata> send : sends) {
            try {
                send.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (Exception e) {
                LOG.warnf("ledger mirror: entry %s of account %s was not acknowledged (%s); the next pass resends "
                        + "from there", batch.get(acknowledged).getId(), account, e.toString());
                break;
            }
            acknowledged++;
        }
        mirrored.increment(acknowledged);
        return acknowledged;
    }

    private static boolean failedAlready(Future<RecordMetadata> send) {
        if (!send.isDone()) {
            return false;
        }
        try {
            send.get();
            return false;
        } catch (Exception e) {
            return true;
        }
    }

    private void reportGap(String account, String cursor, String firstId, Progress progress) {
        gaps.increment();
        progress.gaps++;
        LOG.warnf("ledger of account %s was trimmed past the mirror's cursor %s (its oldest entry is now %s): the "
                + "entries in between never reached Kafka. Raise kiln.api.ledger.max-entries or mirror more often "
                + "(kiln.api.ledger-mirror.interval); see docs/operations.md", account, cursor, firstId);
    }

    private String firstId(RedisAsyncCommands<String, String> commands, String account) throws Exception {
        List<StreamMessage<String, String>> first = get(commands.xrange(RedisKeys.ledger(account),
                Range.create("-", "+"), Limit.from(1)));
        return first.isEmpty() ? null : first.get(0).getId();
    }

    private RedisFuture<List<StreamMessage<String, String>>> read(RedisAsyncCommands<String, String> commands,
            String account, String after) {
        return commands.xrange(RedisKeys.ledger(account), Range.create(after == null ? "-" : "(" + after, "+"),
                Limit.from(config.batchSize()));
    }

    private long serverMillis(RedisAsyncCommands<String, String> commands) throws Exception {
        List<String> time = get(commands.time());
        return Long.parseLong(time.get(0)) * 1000 + Long.parseLong(time.get(1)) / 1000;
    }

    private <T> T get(CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(redisTimeoutMillis + 1000, TimeUnit.MILLISECONDS);
    }

    /** What a pass did so far. */
    private static final class Progress {
        private final long startMillis;
        private long published;
        private int gaps;
        private boolean failed;
        private long lagMillis;

        Progress(long startMillis) {
            this.startMillis = startMillis;
        }

        void sawUnmirrored(long entryMillis) {
            lagMillis = Math.max(lagMillis, startMillis - entryMillis);
        }
    }
}
