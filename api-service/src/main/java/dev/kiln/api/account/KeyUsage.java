package dev.kiln.api.account;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import dev.kiln.api.billing.LedgerEntry;

/**
 * What one key's submissions of a period cost: the jobs it submitted (their ledger {@code reserve}
 * entries name the key) and, of those, what settlement charged and refunded so far. A job submitted in
 * the period counts there even if it settles after the period ends; its reservation is
 * {@code pendingMicros} until then.
 *
 * @param jobs jobs the key submitted in the period
 * @param images images charged for them
 * @param spendMicros amount charged for them
 * @param refundedMicros amount refunded (failed, canceled, expired jobs, missing images)
 * @param pendingMicros still reserved by those of them not settled yet
 */
public record KeyUsage(long jobs, long images, long spendMicros, long refundedMicros, long pendingMicros) {

    /** Folds ledger entries (oldest first, from the period's start) into the usage of {@code keyHash}. */
    public static KeyUsage of(List<LedgerEntry> entries, String keyHash) {
        Set<String> open = new HashSet<>();
        long jobs = 0, images = 0, spend = 0, refunded = 0, pending = 0;
        for (LedgerEntry e : entries) {
            String job = e.fields().get("job");
            if ("reserve".equals(e.type()) && keyHash.equals(e.fields().get("key"))) {
                jobs++;
                pending += e.num("amount_micros");
                open.add(job);
            } else if ("settle".equals(e.type()) && open.remove(job)) {
                images += e.num("images");
                spend += e.num("charged_micros");
                refunded += e.num("refunded_micros");
                pending -= e.num("charged_micros") + e.num("refunded_micros");
            }
        }
        return new KeyUsage(jobs, images, spend, refunded, pending);
    }
}
