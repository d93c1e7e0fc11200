package dev.kiln.common.jobs;

import java.time.Duration;
import java.util.concurrent.CompletionStage;

import dev.kiln.common.redis.RedisKeys;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.async.RedisAsyncCommands;

/**
 * How a job's progress travels through Redis, for the worker that publishes it and the API that reads it: each
 * message is published on the job's events channel, and its step (without preview bytes) replaces the job's
 * latest-progress key, which expires on its own (a job's progress matters only while it runs).
 */
public final class ProgressChannel {
    private ProgressChannel() {
    }

    /**
     * Stores the step and publishes the message: two commands pipelined on the connection, no round trip between
     * them. Completes with the number of subscribers that received the message.
     */
    public static CompletionStage<Long> publish(RedisAsyncCommands<String, String> redis, String accountId,
            ProgressEvent event, Duration ttl) {
        redis.set(RedisKeys.jobProgress(accountId, event.jobId()), event.asProgress().toJson(),
                SetArgs.Builder.px(ttl.toMillis()));
        return redis.publish(RedisKeys.jobEvents(accountId, event.jobId()), event.toJson());
    }

    /** The job's latest progress, or null when none is stored (not started, finished long ago, or expired). */
    public static CompletionStage<ProgressEvent> latest(RedisAsyncCommands<String, String> redis, String accountId,
            String jobId) {
        return redis.get(RedisKeys.jobProgress(accountId, jobId)).thenApply(json -> {
            if (json == null) {
                return null;
            }
            try {
                return ProgressEvent.fromJson(json);
            } catch (IllegalArgumentException e) {
                return null;
            }
        });
    }
}
