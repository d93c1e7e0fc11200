package dev.kiln.common.jobs;

import java.util.List;
import java.util.concurrent.CompletionStage;

import dev.kiln.common.errors.ErrorCodes;
import dev.kiln.common.redis.KilnScripts;
import dev.kiln.common.redis.RedisKeys;
import dev.kiln.common.redis.ScriptRunner;

/**
 * The job state transitions after submit, each one Lua script (one round trip, atomic):
 * <ul>
 * <li>{@link #markRunning} — a worker takes the job; skip it unless {@code shouldRun()}.</li>
 * <li>{@link #complete} — a worker finished: mark succeeded/failed, charge per produced image,
 * refund the rest, append the ledger, PUBLISH {@code kiln:job-done:<jobId>}.</li>
 * <li>{@link #expire} — past its deadline (queued or running): refund everything.</li>
 * <li>{@link #cancel} — the owner cancels a queued job: refund everything.</li>
 * <li>{@link #failQueued} — the API could not enqueue the job: refund everything.</li>
 * </ul>
 * Settlement happens exactly once per job: every call on a job that is already terminal returns
 * {@link SettleResult.Outcome#ALREADY_TERMINAL} and changes nothing, so redelivered Kafka records and
 * retried calls are safe. Upload the output images to S3 <em>before</em> calling {@link #complete}.
 * Thread-safe; the stages complete on Lettuce's I/O threads, so do not block in callbacks.
 */
public final class JobCompleter {
    /**
     * Ledger entries kept per account when the caller configures none: the settle script appends with
     * {@code XADD MAXLEN ~}, so older entries are trimmed (approximately) beyond this.
     */
    public static final long DEFAULT_LEDGER_MAX_ENTRIES = 100_000;

    private final ScriptRunner scripts;
    private final String ledgerMaxEntries;

    /** With {@link #DEFAULT_LEDGER_MAX_ENTRIES}. */
    public JobCompleter(ScriptRunner scripts) {
        this(scripts, DEFAULT_LEDGER_MAX_ENTRIES);
    }

    /** @param ledgerMaxEntries ledger entries kept per account (approximate); 0 never trims */
    public JobCompleter(ScriptRunner scripts, long ledgerMaxEntries) {
        if (ledgerMaxEntries < 0) {
            throw new IllegalArgumentException("ledgerMaxEntries must be >= 0");
        }
        this.scripts = scripts;
        this.ledgerMaxEntries = Long.toString(ledgerMaxEntries);
    }

    public CompletionStage<MarkRunningResult> markRunning(String accountId, String jobId) {
        return scripts.run(KilnScripts.MARK_RUNNING, new String[] { RedisKeys.job(accountId, jobId) })
                .thenApply(reply -> {
                    String outcome = ScriptRunner.str(reply, 0);
                    String status = ScriptRunner.str(reply, 1);
                    int attempts = (int) ScriptRunner.num(reply, 2);
                    return switch (outcome) {
                        case "running" -> new MarkRunningResult(MarkRunningResult.Outcome.RUNNING, JobStatus.RUNNING, attempts);
                        case "terminal" ->
                            new MarkRunningResult(MarkRunningResult.Outcome.TERMINAL, JobStatus.fromWire(status), attempts);
                        default -> new MarkRunningResult(MarkRunningResult.Outcome.MISSING, null, 0);
                    };
                });
    }

    /** Records a worker's outcome; allowed from queued or running. */
    public CompletionStage<SettleResult> complete(JobOutcome outcome) {
        return settle(outcome.accountId(), outcome.jobId(), outcome.status(), "queued,running",
                outcome.resultKeys(), outcome.errorCode(), outcome.errorMessage());
    }

    /** Expires a queued or running job that passed its deadline, refunding it. */
    public CompletionStage<SettleResult> expire(String accountId, String jobId, String reason) {
        return settle(accountId, jobId, JobStatus.EXPIRED, "queued,running", List.of(),
                ErrorCodes.JOB_EXPIRED, reason);
    }

    /** Cancels a job that is still queued, refunding it; a running job is {@code NOT_ALLOWED}. */
    public CompletionStage<SettleResult> cancel(String accountId, String jobId) {
        return settle(accountId, jobId, JobStatus.CANCELED, "queued", List.of(),
                ErrorCodes.JOB_CANCELED, "canceled by the client");
    }

    /** Fails a queued job that could not be handed to the queue, refunding it. */
    public CompletionStage<SettleResult> failQueued(String accountId, String jobId, String errorCode, String message) {
        return settle(accountId, jobId, JobStatus.FAILED, "queued", List.of(), errorCode, message);
    }

    private CompletionStage<SettleResult> settle(String accountId, String jobId, JobStatus target,
            String allowedFrom, List<String> resultKeys,
            String errorCode, String errorMessage) {
        String[] keys = { RedisKeys.job(accountId, jobId), RedisKeys.account(accountId), RedisKeys.ledger(accountId),
                RedisKeys.liveJobs(accountId) };
        return scripts.run(KilnScripts.SETTLE, keys,
                target.wire(), allowedFrom, Integer.toString(resultKeys.size()),
                JobJson.keysToJson(resultKeys), nullToEmpty(errorCode), nullToEmpty(errorMessage),
                RedisKeys.jobDoneChannel(jobId), ledgerMaxEntries)
                .thenApply(JobCompleter::toSettleResult);
    }

    private static SettleResult toSettleResult(List<Object> reply) {
        String outcome = ScriptRunner.str(reply, 0);
        String status = ScriptRunner.str(reply, 1);
        long charged = ScriptRunner.num(reply, 2);
        long refunded = ScriptRunner.num(reply, 3);
        SettleResult.Outcome o = switch (outcome) {
            case "settled" -> SettleResult.Outcome.SETTLED;
            case "terminal" -> SettleResult.Outcome.ALREADY_TERMINAL;
            case "not_allowed" -> SettleResult.Outcome.NOT_ALLOWED;
            default -> SettleResult.Outcome.MISSING;
        };
        return new SettleResult(o, status.isEmpty() ? null : JobStatus.fromWire(status), charged, refunded);
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }
}
