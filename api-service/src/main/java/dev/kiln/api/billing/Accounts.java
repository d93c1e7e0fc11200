package dev.kiln.api.billing;

import dev.kiln.api.ApiConfig;
import dev.kiln.api.redis.KilnRedis;
import dev.kiln.api.redis.RedisCalls;
import dev.kiln.common.redis.ApiKeys;
import dev.kiln.common.redis.KilnScripts;
import dev.kiln.common.redis.RedisKeys;
import dev.kiln.common.redis.ScriptRunner;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import jakarta.enterprise.context.ApplicationScoped;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Accounts, keys, wallets and the ledger, as the admin API needs them. Blocking calls. */
@ApplicationScoped
public class Accounts {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int LEDGER_PAGE = 1000;

    private final KilnRedis redis;
    private final ApiConfig config;

    public Accounts(KilnRedis redis, ApiConfig config) {
        this.redis = redis;
        this.config = config;
    }

    /** The account hash, if it exists. */
    public record Account(String id, String plan, String tier, long balanceMicros, long reservedMicros) {
    }

    /** A freshly issued key; the only time its secret exists outside the client. */
    public record IssuedKey(String key, String keyId, String accountId, String tier) {
        @Override
        public String toString() {
            return "IssuedKey[keyId=" + keyId + ", accountId=" + accountId + "]";
        }
    }

    /** @return true when created, false when it already existed */
    public boolean create(String accountId, String plan, String tier) {
        List<Object> r = await(redis.scripts().run(KilnScripts.CREATE_ACCOUNT,
                new String[]{RedisKeys.account(accountId)}, plan, tier));
        return "created".equals(ScriptRunner.str(r, 0));
    }

    public Optional<Account> find(String accountId) {
        Map<String, String> h = await(redis.commands().hgetall(RedisKeys.account(accountId)));
        if (h == null || h.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Account(accountId, h.get("plan"), h.get("tier"),
                Long.parseLong(h.getOrDefault("balance_micros", "0")), Long.parseLong(h.getOrDefault("reserved_micros", "0"))));
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
            Map<String, String> h = new java.util.LinkedHashMap<>();
            h.put("key_id", hash);
            h.putAll(await(redis.commands().hgetall(RedisKeys.apiKey(accountId, hash))));
            out.add(h);
        }
        return out;
    }

    /** Credits {@code gross - fee}; empty when the account does not exist. */
    public Optional<Long> topUp(String accountId, TopUpFee fee, String reference) {
        List<Object> r = await(redis.scripts().run(KilnScripts.TOP_UP,
                new String[]{RedisKeys.account(accountId), RedisKeys.ledger(accountId)},
                Long.toString(fee.grossMicros()), Long.toString(fee.feeMicros()), Long.toString(fee.creditedMicros()),
                reference == null ? "" : reference));
        return "ok".equals(ScriptRunner.str(r, 0)) ? Optional.of(ScriptRunner.num(r, 1)) : Optional.empty();
    }

    /** The whole ledger, oldest first, read in pages. */
    public List<LedgerEntry> ledger(String accountId) {
        return ledgerFrom(accountId, "-");
    }

    /** Ledger entries appended at or after {@code sinceMillis} (stream ids are append times), oldest first. */
    public List<LedgerEntry> ledgerSince(String accountId, long sinceMillis) {
        return ledgerFrom(accountId, sinceMillis + "-0");
    }

    private List<LedgerEntry> ledgerFrom(String accountId, String firstId) {
        List<LedgerEntry> all = new ArrayList<>();
        String from = firstId;
        while (true) {
            List<StreamMessage<String, String>> page = await(redis.commands().xrange(RedisKeys.ledger(accountId),
                    Range.create(from, "+"), io.lettuce.core.Limit.from(LEDGER_PAGE)));
            for (StreamMessage<String, String> m : page) {
                all.add(new LedgerEntry(m.getId(), m.getBody()));
            }
            if (page.size() < LEDGER_PAGE) {
                return all;
            }
            from = "(" + page.get(page.size() - 1).getId();
        }
    }

    private <T> T await(java.util.concurrent.CompletionStage<T> stage) {
        return RedisCalls.await(stage, config.redis().timeoutMillis());
    }
}
