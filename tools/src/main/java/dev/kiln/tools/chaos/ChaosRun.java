package dev.kiln.tools.chaos;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.logging.Level;
import java.util.logging.Logger;

import dev.kiln.common.jobs.JobRecord;
import dev.kiln.common.jobs.JobStatus;
import dev.kiln.common.redis.RedisConnections;
import dev.kiln.common.redis.RedisKeys;
import dev.kiln.local.LocalKiln;
import dev.kiln.local.LocalKilnOptions;
import dev.kiln.local.admin.LocalAccount;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;

/**
 * The chaos command: on the local system (dev stack, API, two workers, a priced model), submits
 * async jobs from several accounts while it injects each {@link Fault} in turn, waits (bounded) until every
 * job has ended, then audits jobs and money ({@link ChaosAudit}) and prints one row per fault. Exits 1 on
 * any lost job, double charge or µ$ of drift.
 *
 * <pre>{@code
 * mvn -q -pl tools exec:java -Dexec.mainClass=dev.kiln.tools.chaos.ChaosRun -Dexec.args="--jobs 200 --accounts 4"
 * }</pre>
 */
public final class ChaosRun {

    /** Price of one image: every charge and refund shows in the wallets. */
    static final long PRICE_MICROS = 1_000;
    /** Gross top-up of each account (the admin API keeps its fee; the answer's balance is the start). */
    static final long TOP_UP_MICROS = 10_000_000;
    private static final int WORKERS = 2;
    private static final int SUBMITTERS = 4;
    /** Open jobs looked at to tell whether a batch is in progress. */
    private static final int OPEN_JOBS_LOOKED_AT = 64;
    private static final Duration PROGRESS_EVERY = Duration.ofSeconds(15);

    /** Held so the level sticks: Lettuce's reconnect lines during the Redis fault would bury the table. */
    private static final Logger LETTUCE_LOG = Logger.getLogger("io.lettuce");

    private final ChaosOptions options;
    private final PrintStream log;
    private final List<SubmitResult> accepted = Collections.synchronizedList(new ArrayList<>());
    /** Index in {@link #accepted} of the oldest job not yet seen ended (only the busy check moves it). */
    private int oldestOpen;

    private ChaosRun(ChaosOptions options, PrintStream log) {
        this.options = options;
        this.log = log;
    }

    public static void main(String[] args) {
        ChaosOptions options;
        try {
            options = ChaosOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        LETTUCE_LOG.setLevel(Level.SEVERE);
        ChaosReport report = run(options, System.out);
        report.print(System.out);
        System.exit(report.clean() ? 0 : 1);
    }

    /** Starts a local system, runs the faults, audits, stops everything; {@code log} gets the progress. */
    public static ChaosReport run(ChaosOptions options, PrintStream log) {
        return new ChaosRun(options, log).run();
    }

    private ChaosReport run() {
        long startNanos = System.nanoTime();
        log.printf("chaos: %d jobs, %d accounts per fault, %s, %d steps, faults %s%n", options.jobs(),
                options.accountsPerFault(), options.size(), options.steps(),
                options.faults().stream().map(Fault::optionName).toList());
        try (LocalKiln kiln = LocalKiln.start(localOptions(), WORKERS)) {
            RedisClient redisClient = RedisConnections.client(kiln.stack().redisUri(), 5_000);
            try (StatefulRedisConnection<String, String> connection = redisClient.connect()) {
                RedisCommands<String, String> redis = connection.sync();
                Map<Fault, List<LocalAccount>> accounts = new LinkedHashMap<>();
                for (Fault fault : options.faults()) {
                    accounts.put(fault, createAccounts(kiln, fault));
                }
                ChaosClient client = new ChaosClient(() -> kiln.api().baseUri(), options.size(), options.steps(),
                        options.submitTimeout());
                FaultInjector injector = new FaultInjector(kiln, options.s3Outage(), log);
                Map<Fault, List<SubmitResult>> results = new LinkedHashMap<>();
                for (int i = 0; i < options.faults().size(); i++) {
                    Fault fault = options.faults().get(i);
                    results.put(fault, runFault(i, fault, accounts.get(fault), client, injector, redis));
                }
                List<LocalAccount> allAccounts = accounts.values().stream().flatMap(List::stream).toList();
                boolean settled = awaitSettled(redis, allAccounts);
                ChaosAudit audit = new ChaosAudit(redis, kiln.admin());
                List<FaultRow> rows = new ArrayList<>();
                for (Fault fault : options.faults()) {
                    rows.add(audit.audit(fault, accounts.get(fault), results.get(fault)));
                }
                return new ChaosReport(rows, audit.problems(), audit.notes(),
                        Duration.ofNanos(System.nanoTime() - startNanos), settled);
            } finally {
                redisClient.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            }
        }
    }

    private LocalKilnOptions localOptions() {
        return LocalKilnOptions.defaults(LocalKilnOptions.locateRepoDir(), options.workDir(), options.modelDir(),
                "chaos-admin-" + UUID.randomUUID(), "chaos-pepper-" + UUID.randomUUID())
                .withPorts(0, 0)
                .withS3ThroughLink()
                .withApiSettings(Map.of(
                        "kiln.api.models.\"" + LocalKiln.MODEL_ID + "\".price-micros-per-image", Long.toString(PRICE_MICROS),
                        // Jobs orphaned by the API kill (admitted, never acknowledged by Kafka) are failed and
                        // refunded after this, instead of the 2 min default, to keep the run short.
                        "kiln.api.reconcile.interval", "5s",
                        "kiln.api.reconcile.min-age", "30s"))
                .withWorkerSettings(Map.of(
                        // A SIGKILLed worker's partitions move on after this, not Kafka's 45 s.
                        "mp.messaging.incoming.jobs-in.session.timeout.ms", "10000",
                        // 8 guided images per UNet call, as before step-level batching; CPU calls stay small.
                        "kiln.worker.batching.max-rows", "16",
                        "kiln.worker.warmup.size-pixels", "32",
                        "kiln.worker.shutdown.grace", "10s",
                        "quarkus.shutdown.timeout", "15s"));
    }

    private List<LocalAccount> createAccounts(LocalKiln kiln, Fault fault) {
        List<LocalAccount> created = new ArrayList<>();
        for (int i = 0; i < options.accountsPerFault(); i++) {
            String id = "chaos-" + fault.optionName() + "-" + i + "-" + UUID.randomUUID().toString().substring(0, 6);
            created.add(kiln.createAccount(id, TOP_UP_MICROS));
        }
        return created;
    }

    /**
     * Half of the fault's share is submitted before it, the rest while it is injected and healed; returns when
     * every submission has ended (accepted or given up).
     */
    private List<SubmitResult> runFault(int index, Fault fault, List<LocalAccount> accounts, ChaosClient client,
            FaultInjector injector, RedisCommands<String, String> redis) {
        List<PlannedJob> plan = plan(index, fault, accounts);
        log.printf("%s: %d jobs%n", fault.label(), plan.size());
        ExecutorService submitters = Executors.newFixedThreadPool(SUBMITTERS);
        try {
            List<Future<SubmitResult>> futures = Collections.synchronizedList(new ArrayList<>());
            int before = plan.size() / 2;
            for (PlannedJob job : plan.subList(0, before)) {
                futures.add(submitters.submit(() -> track(client.submit(job))));
                pause(options.submitInterval());
            }
            CompletableFuture<Void> feeder = CompletableFuture.runAsync(() -> {
                for (PlannedJob job : plan.subList(before, plan.size())) {
                    futures.add(submitters.submit(() -> track(client.submit(job))));
                    pause(options.submitInterval());
                }
            });
            injector.inject(fault, () -> anyRunning(redis));
            feeder.join();
            List<SubmitResult> results = new ArrayList<>();
            for (Future<SubmitResult> future : List.copyOf(futures)) {
                results.add(future.get());
            }
            log.printf("  %d accepted, %d not accepted%n", results.stream().filter(SubmitResult::accepted).count(),
                    results.stream().filter(r -> !r.accepted()).count());
            return results;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("a submission failed", e.getCause());
        } finally {
            submitters.shutdownNow();
        }
    }

    /** Round-robin over the accounts; every third job asks for 3 images, every fourth is img2img. */
    private List<PlannedJob> plan(int index, Fault fault, List<LocalAccount> accounts) {
        List<PlannedJob> plan = new ArrayList<>();
        for (int i = 0; i < options.jobsDuring(index); i++) {
            plan.add(new PlannedJob(fault, accounts.get(i % accounts.size()),
                    "chaos-" + fault.optionName() + "-" + i + "-" + UUID.randomUUID(), i % 3 == 2 ? 3 : 1, i % 4 == 1));
        }
        return plan;
    }

    private SubmitResult track(SubmitResult result) {
        if (result.accepted()) {
            accepted.add(result);
        }
        return result;
    }

    /** Whether one of the latest accepted jobs is {@code running}: a batch is in hand. False if Redis cannot say. */
    /**
     * Whether a batch is in progress: one of the oldest accepted jobs not yet seen ended is running. The oldest
     * open ones, not the newest: under a backlog the newest are still queued while older ones run.
     */
    private boolean anyRunning(RedisCommands<String, String> redis) {
        List<SubmitResult> snapshot;
        synchronized (accepted) {
            snapshot = List.copyOf(accepted);
        }
        try {
            int looked = 0;
            for (int i = oldestOpen; i < snapshot.size() && looked < OPEN_JOBS_LOOKED_AT; i++) {
                SubmitResult result = snapshot.get(i);
                String status = redis.hget(RedisKeys.job(result.job().account().id(), result.jobId()),
                        JobRecord.F_STATUS);
                if (JobStatus.RUNNING.wire().equals(status)) {
                    return true;
                }
                if (status != null && i == oldestOpen && JobStatus.fromWire(status).isTerminal()) {
                    oldestOpen++;
                } else {
                    looked++;
                }
            }
            return false;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Waits until every accepted job is terminal and no account has money reserved; false if the bound ran out. */
    private boolean awaitSettled(RedisCommands<String, String> redis, List<LocalAccount> accounts) {
        long startNanos = System.nanoTime();
        long deadlineNanos = startNanos + options.settleTimeout().toNanos();
        long nextProgressNanos = startNanos;
        while (true) {
            long open = openJobs(redis) + accountsWithReservations(redis, accounts);
            if (open == 0) {
                log.printf("every job ended, nothing reserved (%d s after the last fault)%n",
                        Duration.ofNanos(System.nanoTime() - startNanos).toSeconds());
                return true;
            }
            if (System.nanoTime() - deadlineNanos > 0) {
                return false;
            }
            if (System.nanoTime() - nextProgressNanos > 0) {
                log.printf("waiting for %d open jobs / reserved wallets%n", open);
                nextProgressNanos = System.nanoTime() + PROGRESS_EVERY.toNanos();
            }
            pause(Duration.ofSeconds(1));
        }
    }

    private long openJobs(RedisCommands<String, String> redis) {
        List<SubmitResult> all;
        synchronized (accepted) {
            all = List.copyOf(accepted);
        }
        return all.stream().filter(r -> !"1".equals(redis.hget(RedisKeys.job(r.job().account().id(), r.jobId()),
                JobRecord.F_SETTLED))).count();
    }

    private static long accountsWithReservations(RedisCommands<String, String> redis, List<LocalAccount> accounts) {
        return accounts.stream().filter(a -> {
            String reserved = redis.hget(RedisKeys.account(a.id()), "reserved_micros");
            return reserved != null && Long.parseLong(reserved) != 0;
        }).count();
    }

    private static void pause(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
