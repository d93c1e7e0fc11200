package dev.kiln.api.streaming;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import dev.kiln.api.redis.ApiRedis;
import dev.kiln.common.jobs.ProgressEvent;
import dev.kiln.common.redis.RedisKeys;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.vertx.core.Vertx;

/**
 * Per-job {@code SUBSCRIBE}s to the events channels workers publish progress and previews on
 * ({@link RedisKeys#jobEvents}), shared by everyone on this instance who follows the same job. They ride the
 * instance's pub/sub connection, the one that carries job-done notifications: Redis delivers one connection's
 * messages in the order it published them, so a job's previews always arrive before its completion. A
 * channel is subscribed while anyone listens to it; the number of listeners is bounded by the waiter slots
 * each stream and feed holds.
 */
@ApplicationScoped
public class JobEventSubscriptions {
    private static final Logger LOG = Logger.getLogger(JobEventSubscriptions.class);

    /** The listeners of one channel and its SUBSCRIBE. */
    private record Channel(Set<Consumer<ProgressEvent>> listeners, CompletableFuture<Void> subscribed) {
    }

    private final ApiRedis redis;
    private final Vertx vertx;
    private final Map<String, Channel> channels = new ConcurrentHashMap<>();
    private volatile StatefulRedisPubSubConnection<String, String> connection;

    public JobEventSubscriptions(ApiRedis redis, Vertx vertx) {
        this.redis = redis;
        this.vertx = vertx;
    }

    /** Follows a job: {@code listener} gets each of its events. Completes once Redis confirmed the subscription. */
    public CompletionStage<Subscription> subscribe(String accountId, String jobId, Consumer<ProgressEvent> listener) {
        String name = RedisKeys.jobEvents(accountId, jobId);
        return connection().thenCompose(c -> {
            Channel channel = channels.compute(name, (k, existing) -> {
                Channel ch = existing != null ? existing
                        : new Channel(ConcurrentHashMap.newKeySet(), c.async().subscribe(k).toCompletableFuture());
                ch.listeners().add(listener);
                return ch;
            });
            Subscription subscription = new Subscription(name, listener);
            return channel.subscribed().handle((ok, error) -> {
                if (error != null) {
                    subscription.close();
                    throw new IllegalStateException("SUBSCRIBE " + name + " failed", error);
                }
                return subscription;
            });
        });
    }

    /**
     * Completes once every message Redis delivered on the pub/sub connection before now has been handed to
     * its listeners: a PING's answer comes after them on the same connection. A stream that learnt its
     * job's end from a read, not from the notification, calls it before its last events.
     */
    public CompletionStage<Void> drained() {
        return connection().thenCompose(c -> c.async().ping().toCompletableFuture()).thenApply(pong -> null);
    }

    private CompletionStage<StatefulRedisPubSubConnection<String, String>> connection() {
        StatefulRedisPubSubConnection<String, String> c = connection;
        if (c != null) {
            return CompletableFuture.completedFuture(c);
        }
        // Connecting blocks, and the caller may be on an event loop.
        return vertx.<StatefulRedisPubSubConnection<String, String>> executeBlocking(this::listen, false)
                .toCompletionStage();
    }

    private synchronized StatefulRedisPubSubConnection<String, String> listen() {
        if (connection == null) {
            StatefulRedisPubSubConnection<String, String> c = redis.pubSub();
            c.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(String channel, String message) {
                    dispatch(channel, message);
                }
            });
            connection = c;
        }
        return connection;
    }

    private void dispatch(String channelName, String message) {
        Channel channel = channels.get(channelName);
        if (channel == null) {
            return;
        }
        ProgressEvent event;
        try {
            event = ProgressEvent.fromJson(message);
        } catch (IllegalArgumentException e) {
            LOG.debugf("ignoring a malformed job event on %s: %s", channelName, e.getMessage());
            return;
        }
        for (Consumer<ProgressEvent> listener : channel.listeners()) {
            try {
                listener.accept(event);
            } catch (RuntimeException e) {
                LOG.warnf("a job event listener failed: %s", e.toString());
            }
        }
    }

    /** One listener of one job's events; closing the last one of a channel unsubscribes it. */
    public final class Subscription implements AutoCloseable {
        private final String channel;
        private final Consumer<ProgressEvent> listener;

        private Subscription(String channel, Consumer<ProgressEvent> listener) {
            this.channel = channel;
            this.listener = listener;
        }

        @Override
        public void close() {
            channels.computeIfPresent(channel, (k, ch) -> {
                ch.listeners().remove(listener);
                if (!ch.listeners().isEmpty()) {
                    return ch;
                }
                connection.async().unsubscribe(k);
                return null;
            });
        }
    }
}
