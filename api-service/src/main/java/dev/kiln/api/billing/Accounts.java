package dev.kiln.api.billing;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletionStage;

import jakarta.enterprise.context.ApplicationScoped;

import dev.kiln.api.ApiConfig;
import dev.kiln.api.redis.ApiRedis;
import dev.kiln.api.redis.RedisCalls;
import dev.kiln.common.redis.ApiKeys;
import dev.kiln.common.redis.KilnScripts;
import dev.kiln.common.redis.RedisKeys;
import dev.kiln.common.redis.ScriptRunner;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;

/** Accounts, keys, wallets and the ledger, as the admin API needs them. Blocking calls. */
@ApplicationScoped
public class Accounts {
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Entries per XRANGE when a caller needs a whole period of the ledger. */
    private static final int LEDGER_PAGE = 1000;

    private final ApiRedis redis;
    private final ApiConfig config;
    private final String ledgerMaxEntries;

    public Accounts(ApiRedis redis, ApiConfig config) {
        this.redis = redis;
        this.config = config;
        this.ledgerMaxEntries = Long.toString(config.ledger().maxEntries());
    }

    /**
     * The account hash, if it exists.
     *
     * @param creditLimitMicros invoiced accounts: how far below zero the balance may go; empty = no ceiling
     */
    public record Account(String id, String plan, String tier, long balanceMicros, long reservedMicros,
            OptionalLong creditLimitMicros) {
    }

    /** What a top-up did; {@code outcome} REPLAY and CONFLICT carry the first top-up under that reference. */
    public record TopUpResult(Outcome outcome, long grossMicros, long feeMicros, long creditedMicros,
            long balanceAfterMicros) {
        public enum Outcome {
            CREDITED,
            REPLAY,
            REFERENCE_CONFLICT
        }
    }

    /** One page of the ledger, oldest first; {@code nextCursor} is the last id, or null when nothing follows. */
    public record LedgerPage(List<LedgerEntry> entries, String nextCursor) {
    }

    /** A freshly issued key; the only time its secret exists outside the client. */
    public record IssuedKey(String key, String keyId, String accountId, String tier) {
        @Override
        public String toString() {
            return "IssuedKey[keyId=" + keyId + ", accountId=" + accountId + "]";
        }
    }

    /**
     * Creates the account and registers it with the sweepers ({@link RedisKeys#ACCOUNTS}); the
     * registration is repeated for an existing account, so a creation interrupted between the two
     * writes is completed by retrying it.
     *
     * @param creditLimitMicros ceiling below zero for an invoiced account; empty = none
     * @return true when created, false when it already existed
     */
    public boolean create(String accountId, String plan, String tier, OptionalLong creditLimitMicros) {
        List<Object> r = await(redis.scripts().run(KilnScripts.CREATE_ACCOUNT,
                new String[] { RedisKeys.account(accountId) }, plan, tier,
                creditLimitMicros.isPresent() ? Long.toString(creditLimitMicros.getAsLong()) : ""));
        await(redis.commands().sadd(RedisKeys.ACCOUNTS, accountId));
        return "created".equals(ScriptRunner.str(r, 0));
    }

    public Optional<Account> find(String accountId) {
        Map<String, String> h = await(redis.commands().hgetall(RedisKeys.account(accountId)));
        if (h == null || h.isEmpty()) {
            return Optional.empty();
        }
        String limit = h.get("credit_limit_micros");
        return Optional.of(new Account(accountId, h.get("plan"), h.get("tier"),
                Long.parseLong(h.getOrDefault("balance_micros", "0")), Long.parseLong(h.getOrDefault("reserved_micros", "0")),
                limit == null ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(limit))));
    }

    /** Sets (or, when empty, removes) the account's credit limit; the next submission applies it. */
    public void setCreditLimit(String accountId, OptionalLong creditLimitMicros) {
        String key = RedisKeys.account(accountId);
        if (creditLimitMicros.isPresent()) {
            await(redis.commands().hset(key, "credit_limit_micros", Long.toString(creditLimitMicros.getAsLong())));
        } else {
            await(redis.commands().hdel(key, "credit_limit_micros"));
        }
    }

    public IssuedKey issueKey(String accountId, String tierOverride) {
        String key = ApiKeys.generate(accountId, RANDOM);
        String hash = ApiKeys.hash(config.keyPepper().getBytes(StandardCharsets.UTF_8), key);
        Map<String, String> fields = new java.util.HashMap<>(Map.of("status", "active",
                "created_ms", Long.toString(System.currentTimeMillis())));
        if (tierOverride != null) {
            fields.put("tier", tierOverride);
        }
        await(redis.commands().hset(RedisKeys.apiKey(accountId, hash), fields));
        await(redis.commands().sadd(RedisKeys.keyIndex(accountId), hash));
        return new IssuedKey(key, hash, accountId, tierOverride);
    }

    /** @return false when no such key */
    public boolean revokeKey(String accountId, String keyId) {
        if (!keyId.matches("[0-9a-f]{64}")) {
            return false;
        }
        String k = RedisKeys.apiKey(accountId, keyId);
        if (await(redis.commands().exists(k)) == 0) {
            return false;
        }
        await(redis.commands().hset(k, "status", "revoked"));
        return true;
    }

    public List<Map<String, String>> keys(String accountId) {
        List<Map<String, String>> out = new ArrayList<>();
        for (String hash : await(redis.commands().smembers(RedisKeys.keyIndex(accountId)))) {
            Map<String, String> h = new LinkedHashMap<>();
            h.put("key_id", hash);
            h.putAll(await(redis.commands().hgetall(RedisKeys.apiKey(accountId, hash))));
            out.add(h);
        }
        return out;
    }

    /**
     * Credits {@code gross - fee} once per non-empty {@code reference} (in the script, so a retry after a
     * lost answer cannot credit twice); empty when the account does not exist.
     */
    public Optional<TopUpResult> topUp(String accountId, TopUpFee fee, String reference) {
        String ref = reference == null ? "" : reference;
        // Without a reference the script ignores KEYS[3]; "none" keeps the key in the account's slot.
        String refKey = RedisKeys.topUpReference(accountId, ref.isEmpty() ? "none" : sha256(ref));
        List<Object> r = await(redis.scripts().run(KilnScripts.TOP_UP,
                new String[] { RedisKeys.account(accountId), RedisKeys.ledger(accountId), refKey },
                Long.toString(fee.grossMicros()), Long.toString(fee.feeMicros()), Long.toString(fee.creditedMicros()),
                ref, ledgerMaxEntries));
        TopUpResult.Outcome outcome = switch (ScriptRunner.str(r, 0)) {
            case "ok" -> TopUpResult.Outcome.CREDITED;
            case "replay" -> TopUpResult.Outcome.REPLAY;
            case "reference_conflict" -> TopUpResult.Outcome.REFERENCE_CONFLICT;
            default -> null;
        };
        if (outcome == null) {
            return Optional.empty();
        }
        // A credit the caller was told about must survive a failover to the replica.
        await(redis.replicaWait().afterWrites());
        return Optional.of(new TopUpResult(outcome, ScriptRunner.num(r, 2), ScriptRunner.num(r, 3),
                ScriptRunner.num(r, 4), ScriptRunner.num(r, 1)));
    }

    /**
     * Up to {@code limit} ledger entries after {@code afterId} (exclusive; a stream id, or a millisecond
     * timestamp, or null for the start), oldest first.
     */
    public LedgerPage ledger(String accountId, String afterId, int limit) {
        String from = afterId == null ? "-" : "(" + afterId;
        // One more than asked tells whether another page follows without a second call.
        List<StreamMessage<String, String>> page = await(redis.commands().xrange(RedisKeys.ledger(accountId),
                Range.create(from, "+"), Limit.from(limit + 1L)));
        List<LedgerEntry> entries = new ArrayList<>(Math.min(page.size(), limit));
        for (int i = 0; i < page.size() && i < limit; i++) {
            entries.add(new LedgerEntry(page.get(i).getId(), page.get(i).getBody()));
        }
        String next = page.size() > limit ? entries.get(entries.size() - 1).id() : null;
        return new LedgerPage(entries, next);
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Ledger entries appended at or after {@code sinceMillis} (stream ids are append times), oldest first,
     * read in pages. Bounded: the stream keeps at most about {@code kiln.api.ledger.max-entries}.
     */
    public List<LedgerEntry> ledgerSince(String accountId, long sinceMillis) {
        List<LedgerEntry> all = new ArrayList<>();
        String after = null;
        String from = sinceMillis + "-0";
        while (true) {
            List<StreamMessage<String, String>> page = await(redis.commands().xrange(RedisKeys.ledger(accountId),
                    Range.create(after == null ? from : "(" + after, "+"), Limit.from(LEDGER_PAGE)));
            for (StreamMessage<String, String> m : page) {
                all.add(new LedgerEntry(m.getId(), m.getBody()));
            }
            if (page.size() < LEDGER_PAGE) {
                return all;
            }
            after = page.get(page.size() - 1).getId();
        }
    }

    private <T> T await(CompletionStage<T> stage) {
        return RedisCalls.await(stage, config.redis().timeout());
    }
}
