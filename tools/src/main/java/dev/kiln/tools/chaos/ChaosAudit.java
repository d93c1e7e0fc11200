package dev.kiln.tools.chaos;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;

import dev.kiln.common.jobs.JobRecord;
import dev.kiln.common.jobs.JobStatus;
import dev.kiln.common.redis.RedisKeys;
import dev.kiln.local.admin.AdminClient;
import dev.kiln.local.admin.LocalAccount;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.api.sync.RedisCommands;

/**
 * Checks the money and the jobs of one fault's accounts once the run is over, from the source of truth (the
 * Redis job records and ledger streams) and the admin API (balances, reservations, the ledger's recomputed
 * balance): every job terminal with exactly one settlement, no image charged twice, refunds matching
 * failures, and every balance equal to its start minus the ledger's charges.
 */
final class ChaosAudit {

    private final RedisCommands<String, String> redis;
    private final AdminClient admin;
    private final List<String> problems = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    ChaosAudit(RedisCommands<String, String> redis, AdminClient admin) {
        this.redis = redis;
        this.admin = admin;
    }

    /** Problems found so far, one line each, naming the job or account. */
    List<String> problems() {
        return List.copyOf(problems);
    }

    /** Why accepted jobs did not succeed, per fault (error codes and counts): expected outcomes, not problems. */
    List<String> notes() {
        return List.copyOf(notes);
    }

    FaultRow audit(Fault fault, List<LocalAccount> accounts, List<SubmitResult> results) {
        Map<String, Integer> unsuccessful = new TreeMap<>();
        Set<String> lost = new LinkedHashSet<>();
        Set<String> doubleCharged = new LinkedHashSet<>();
        long drift = 0;
        int succeeded = 0;
        int failedOrExpired = 0;
        for (LocalAccount account : accounts) {
            List<SubmitResult> ofAccount = results.stream().filter(r -> r.job().account().equals(account)).toList();
            Ledger ledger = Ledger.read(redis, account.id());
            Set<String> acceptedIds = new LinkedHashSet<>();
            ofAccount.stream().filter(SubmitResult::accepted).forEach(r -> acceptedIds.add(r.jobId()));
            Set<String> jobIds = new LinkedHashSet<>(acceptedIds);
            jobIds.addAll(ledger.reserved.keySet());
            for (String jobId : jobIds) {
                JobRecord record = JobRecord.fromHash(jobId, redis.hgetall(RedisKeys.job(account.id(), jobId)));
                drift += checkJob(account, jobId, record, ledger, acceptedIds.contains(jobId), lost, doubleCharged);
                if (record != null && acceptedIds.contains(jobId)) {
                    if (record.status() == JobStatus.SUCCEEDED) {
                        succeeded++;
                    } else if (record.status().isTerminal()) {
                        failedOrExpired++;
                        unsuccessful.merge(record.status().wire() + " " + record.errorCode(), 1, Integer::sum);
                    }
                }
            }
            drift += checkWallet(account, ledger);
        }
        if (!unsuccessful.isEmpty()) {
            notes.add(fault.label() + ": accepted jobs not succeeded: " + unsuccessful);
        }
        int accepted = (int) results.stream().filter(SubmitResult::accepted).count();
        return new FaultRow(fault, results.size(), accepted, succeeded, failedOrExpired, results.size() - accepted,
                lost.size(), doubleCharged.size(), drift);
    }

    /** Adds the job to {@code lost} / {@code doubleCharged} as it deserves; returns the µ$ its settlement is off by. */
    private long checkJob(LocalAccount account, String jobId, JobRecord record, Ledger ledger, boolean accepted,
            Set<String> lost, Set<String> doubleCharged) {
        List<Map<String, String>> settles = ledger.settled.getOrDefault(jobId, List.of());
        String where = account.id() + "/" + jobId;
        if (record == null) {
            lost.add(jobId);
            problem(where + ": no job record" + (accepted ? " although the API answered 202" : ""));
            return 0;
        }
        if (!record.status().isTerminal()) {
            lost.add(jobId);
            problem(where + ": still " + record.status().wire() + " (attempts " + record.attempts() + ")");
        }
        if (settles.isEmpty()) {
            lost.add(jobId);
            problem(where + ": " + record.status().wire() + " but no settle ledger entry; reservation "
                    + record.reservedMicros() + " µ$ held");
            return 0;
        }
        if (settles.size() > 1) {
            doubleCharged.add(jobId);
            problem(where + ": settled " + settles.size() + " times");
        }
        long drift = 0;
        long reserved = ledger.reserved.getOrDefault(jobId, record.reservedMicros());
        for (Map<String, String> settle : settles) {
            long charged = number(settle, "charged_micros");
            long refunded = number(settle, "refunded_micros");
            long images = number(settle, "images");
            String status = settle.get("status");
            long expectedCharge = "succeeded".equals(status) ? record.priceMicros() * Math.min(images, record.n()) : 0;
            if (charged > expectedCharge || images > record.n()) {
                doubleCharged.add(jobId);
                problem(where + ": " + status + ", " + images + " of " + record.n() + " images, charged " + charged
                        + " µ$, expected " + expectedCharge);
            } else if (charged < expectedCharge) {
                drift += expectedCharge - charged;
                problem(where + ": charged " + charged + " µ$ for " + images + " images, expected " + expectedCharge);
            }
            if (charged + refunded != reserved) {
                drift += Math.abs(reserved - charged - refunded);
                problem(where + ": charged " + charged + " + refunded " + refunded + " != reserved " + reserved);
            }
            if (!status.equals(record.status().wire())) {
                lost.add(jobId);
                problem(where + ": record says " + record.status().wire() + ", its settlement " + status);
            }
            if (!accepted && charged > 0) {
                doubleCharged.add(jobId);
                problem(where + ": charged " + charged + " µ$ but the client never got this job (its request was "
                        + "answered with an error or not at all)");
            }
        }
        return drift;
    }

    /** |balance + reserved - (start - charges)| plus any disagreement between balance and the ledger's own sum. */
    private long checkWallet(LocalAccount account, Ledger ledger) {
        JsonNode state = admin.account(account.id());
        long balance = state.path("balance_micros").asLong();
        long reserved = state.path("reserved_micros").asLong();
        long expected = account.balanceMicros() - ledger.chargedMicros;
        long drift = Math.abs(balance + reserved - expected);
        if (drift != 0) {
            problem(account.id() + ": balance " + balance + " + reserved " + reserved + " µ$, expected " + expected
                    + " (start " + account.balanceMicros() + " - charges " + ledger.chargedMicros + ")");
        }
        if (reserved != 0) {
            problem(account.id() + ": " + reserved + " µ$ still reserved at the end");
        }
        JsonNode recomputed = admin.ledger(account.id()).path("recomputed_balance_micros");
        if (!recomputed.isMissingNode() && recomputed.asLong() != balance) {
            drift += Math.abs(recomputed.asLong() - balance);
            problem(account.id() + ": balance " + balance + " but the ledger sums to " + recomputed.asLong());
        }
        return drift;
    }

    private void problem(String line) {
        problems.add(line);
    }

    private static long number(Map<String, String> entry, String field) {
        String value = entry.get(field);
        return value == null || value.isEmpty() ? 0 : Long.parseLong(value);
    }

    /** One account's ledger stream, by job: reservations, settlements, and the sum charged. */
    private record Ledger(Map<String, Long> reserved, Map<String, List<Map<String, String>>> settled,
            long chargedMicros) {

        static Ledger read(RedisCommands<String, String> redis, String accountId) {
            Map<String, Long> reserved = new HashMap<>();
            Map<String, List<Map<String, String>>> settled = new HashMap<>();
            long charged = 0;
            for (StreamMessage<String, String> entry : redis.xrange(RedisKeys.ledger(accountId), Range.unbounded())) {
                Map<String, String> body = entry.getBody();
                String job = body.get("job");
                switch (body.getOrDefault("type", "")) {
                    case "reserve" -> reserved.merge(job, number(body, "amount_micros"), Long::sum);
                    case "settle" -> {
                        settled.computeIfAbsent(job, k -> new ArrayList<>()).add(body);
                        charged += number(body, "charged_micros");
                    }
                    default -> {
                        // Top-ups make the starting balance, which the run took from the top-up's answer.
                    }
                }
            }
            return new Ledger(reserved, settled, charged);
        }
    }
}
