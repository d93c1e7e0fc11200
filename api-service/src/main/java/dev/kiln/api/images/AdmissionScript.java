package dev.kiln.api.images;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;

import jakarta.enterprise.context.ApplicationScoped;

import dev.kiln.api.ApiConfig;
import dev.kiln.api.auth.PresentedKey;
import dev.kiln.api.ratelimit.RateLimitSnapshot;
import dev.kiln.api.ratelimit.TierTable;
import dev.kiln.api.redis.ApiRedis;
import dev.kiln.api.redis.RedisCalls;
import dev.kiln.common.jobs.JobSpec;
import dev.kiln.common.redis.KilnScripts;
import dev.kiln.common.redis.RedisKeys;
import dev.kiln.common.redis.ScriptRunner;

/**
 * The submit script's keys and arguments, and the decoding of its reply: authentication,
 * de-duplication, rate limits, reservation, job record and ledger in one Redis round trip.
 */
@ApplicationScoped
public class AdmissionScript {
    private final ApiConfig config;
    private final ApiRedis redis;
    private final TierTable tiers;

    public AdmissionScript(ApiConfig config, ApiRedis redis, TierTable tiers) {
        this.config = config;
        this.redis = redis;
        this.tiers = tiers;
    }

    /** Runs the script; the stage fails with a 503 when Redis cannot answer. */
    public CompletionStage<Admission> run(PresentedKey key, Submission submission) {
        JobSpec spec = submission.spec();
        String account = spec.accountId();
        Deduplication dedup = submission.deduplication();
        String fingerprint = submission.request().fingerprint();
        String[] keys = { RedisKeys.account(account), RedisKeys.apiKey(account, key.keyHash()),
                RedisKeys.rateLimit(account, RedisKeys.RL_REQUESTS, key.keyHash()),
                RedisKeys.rateLimit(account, RedisKeys.RL_IMAGES, key.keyHash()),
                RedisKeys.job(account, spec.jobId()), RedisKeys.ledger(account),
                dedup.recordKey(account, fingerprint),
                RedisKeys.enqueuePending(account), RedisKeys.liveJobs(account) };
        long recordTtlSeconds = dedup.recordTtl(Duration.ofSeconds(config.jobs().idempotencyTtlSeconds()),
                config.jobs().sdkRetryWindow())
                .toSeconds();
        List<String> args = new ArrayList<>(List.of(spec.jobId(), Integer.toString(spec.n()),
                Long.toString(submission.priceMicros()), submission.specJson(), spec.model(),
                dedup.scriptArgument(fingerprint), Long.toString(recordTtlSeconds),
                Long.toString(config.jobs().recordTtlSeconds()), Long.toString(tiers.windowMillis()),
                Long.toString(config.ledger().maxEntries()), tiers.defaultTier()));
        args.addAll(tiers.argv());
        return RedisCalls.async(() -> redis.scripts().run(KilnScripts.SUBMIT, keys, args.toArray(String[]::new)))
                .thenApply(AdmissionScript::decode);
    }

    private static Admission decode(List<Object> reply) {
        return new Admission(AdmissionOutcome.fromWire(ScriptRunner.str(reply, 0)), ScriptRunner.str(reply, 1),
                ScriptRunner.num(reply, 2), RateLimitSnapshot.fromScriptReply(reply), ScriptRunner.str(reply, 10));
    }
}
