package dev.kiln.common.jobs;

import java.util.List;
import java.util.Map;

/**
 * The job record as stored in the Redis hash {@code kiln:{a:ID}:job:<jobId>}, read back.
 * Field names of the hash are the {@code F_*} constants; the Lua scripts write them.
 *
 * @param jobId job id
 * @param accountId owning account
 * @param status current status
 * @param specJson the {@link JobSpec} JSON
 * @param n images requested
 * @param priceMicros price per image at submit time
 * @param reservedMicros amount reserved at submit ({@code n × price})
 * @param chargedMicros amount charged at settlement (0 until settled)
 * @param refundedMicros amount refunded at settlement (0 until settled)
 * @param settled whether the money of this job has been settled (true exactly for terminal jobs)
 * @param attempts how many times a worker marked it running
 * @param imagesProduced images produced (set at settlement)
 * @param resultKeys S3 keys of the produced images, in order
 * @param errorCode error code of a failed/expired/canceled job, or null
 * @param errorMessage human-readable error, or null
 * @param createdMillis submit time, epoch millis
 * @param updatedMillis last change, epoch millis
 */
public record JobRecord(
        String jobId,
        String accountId,
        JobStatus status,
        String specJson,
        int n,
        long priceMicros,
        long reservedMicros,
        long chargedMicros,
        long refundedMicros,
        boolean settled,
        int attempts,
        int imagesProduced,
        List<String> resultKeys,
        String errorCode,
        String errorMessage,
        long createdMillis,
        long updatedMillis) {

    public static final String F_STATUS = "status";
    public static final String F_ACCOUNT = "account";
    public static final String F_SPEC = "spec";
    public static final String F_N = "n";
    public static final String F_PRICE = "price_micros";
    public static final String F_RESERVED = "reserved_micros";
    public static final String F_CHARGED = "charged_micros";
    public static final String F_REFUNDED = "refunded_micros";
    public static final String F_SETTLED = "settled";
    public static final String F_ATTEMPTS = "attempts";
    public static final String F_PRODUCED = "images_produced";
    public static final String F_RESULT = "result";
    public static final String F_ERROR_CODE = "error_code";
    public static final String F_ERROR_MESSAGE = "error_message";
    public static final String F_CREATED = "created_ms";
    public static final String F_UPDATED = "updated_ms";

    /** Decodes the hash; returns null for an empty map (no such job). */
    public static JobRecord fromHash(String jobId, Map<String, String> hash) {
        if (hash == null || hash.isEmpty()) {
            return null;
        }
        return new JobRecord(
                jobId,
                hash.get(F_ACCOUNT),
                JobStatus.fromWire(hash.get(F_STATUS)),
                hash.get(F_SPEC),
                (int) num(hash, F_N),
                num(hash, F_PRICE),
                num(hash, F_RESERVED),
                num(hash, F_CHARGED),
                num(hash, F_REFUNDED),
                num(hash, F_SETTLED) == 1,
                (int) num(hash, F_ATTEMPTS),
                (int) num(hash, F_PRODUCED),
                JobJson.keysFromJson(hash.get(F_RESULT)),
                blankToNull(hash.get(F_ERROR_CODE)),
                blankToNull(hash.get(F_ERROR_MESSAGE)),
                num(hash, F_CREATED),
                num(hash, F_UPDATED));
    }

    public JobSpec spec() {
        return JobJson.specFromJson(specJson);
    }

    private static long num(Map<String, String> hash, String field) {
        String v = hash.get(field);
        return v == null || v.isEmpty() ? 0L : Long.parseLong(v);
    }

    private static String blankToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }
}
