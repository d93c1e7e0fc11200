package dev.kiln.tools.ledger;

import java.io.PrintStream;
import java.util.Map;
import java.util.concurrent.TimeoutException;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.kiln.common.ledger.LedgerBalances;
import dev.kiln.common.ledger.LedgerJson;
import dev.kiln.common.redis.RedisConnections;
import dev.kiln.common.redis.RedisKeys;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;

/**
 * Rebuilds every account's balance and reserved amount from the ledger topic ({@code kiln.ledger.v1},
 * written by the API's ledger mirror), for restoring wallets when Redis and its replica are lost
 * (docs/operations.md). Prints one JSON line per account ({@link LedgerBalances.Balance}); with
 * {@code --redis} each line also carries that Redis's {@code redis_balance_micros} and
 * {@code redis_reserved_micros} and {@code matches}, and the exit code is 1 when any account differs.
 *
 * <p>
 * {@code mvn -q -pl tools exec:java -Dexec.mainClass=dev.kiln.tools.ledger.RebuildBalances
 * -Dexec.args="--bootstrap-servers HOST:PORT [--redis URI]"}
 */
public final class RebuildBalances {
    private static final ObjectMapper JSON = new ObjectMapper();

    private RebuildBalances() {
    }

    public static void main(String[] args) {
        RebuildOptions options;
        try {
            options = RebuildOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.print(RebuildOptions.USAGE);
            System.exit(2);
            return;
        }
        try {
            System.exit(run(options, System.out, System.err));
        } catch (TimeoutException e) {
            System.err.println(e.getMessage());
            System.exit(2);
        }
    }

    /** @return 0, or 1 when compared with Redis and an account differs */
    public static int run(RebuildOptions options, PrintStream out, PrintStream err) throws TimeoutException {
        LedgerBalances balances = new LedgerBalances();
        long[] malformed = { 0 };
        long read = LedgerTopicReader.readAll(options.bootstrapServers(), options.topic(), options.readTimeout(), r -> {
            try {
                balances.add(LedgerJson.fromJson(r.value()));
            } catch (IllegalArgumentException e) {
                malformed[0]++;
                err.printf("skipped %s-%d@%d: %s%n", r.topic(), r.partition(), r.offset(), e.getMessage());
            }
        });
        Map<String, LedgerBalances.Balance> rebuilt = balances.balances();
        int differing = options.redisUri() == null ? print(rebuilt, out) : compare(rebuilt, options, out);
        err.printf("%d records read, %d malformed, %d accounts%s%n", read, malformed[0], rebuilt.size(),
                options.redisUri() == null ? "" : ", " + differing + " differ from Redis");
        return differing == 0 ? 0 : 1;
    }

    private static int print(Map<String, LedgerBalances.Balance> rebuilt, PrintStream out) {
        rebuilt.values().forEach(b -> out.println(LedgerJson.toJson(b)));
        return 0;
    }

    private static int compare(Map<String, LedgerBalances.Balance> rebuilt, RebuildOptions options, PrintStream out) {
        int differing = 0;
        RedisClient client = RedisConnections.client(options.redisUri(), options.redisTimeout().toMillis());
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            RedisCommands<String, String> redis = connection.sync();
            for (LedgerBalances.Balance b : rebuilt.values()) {
                ObjectNode line = JSON.valueToTree(b);
                Map<String, String> account = RedisKeys.isValidAccountId(b.account())
                        ? redis.hgetall(RedisKeys.account(b.account()))
                        : Map.of();
                boolean matches;
                if (account.isEmpty()) {
                    line.putNull("redis_balance_micros");
                    line.putNull("redis_reserved_micros");
                    matches = false;
                } else {
                    long balance = Long.parseLong(account.getOrDefault("balance_micros", "0"));
                    long reserved = Long.parseLong(account.getOrDefault("reserved_micros", "0"));
                    line.put("redis_balance_micros", balance);
                    line.put("redis_reserved_micros", reserved);
                    matches = balance == b.balanceMicros() && reserved == b.reservedMicros();
                }
                line.put("matches", matches);
                differing += matches ? 0 : 1;
                out.println(line);
            }
        } finally {
            client.shutdown();
        }
        return differing;
    }
}
