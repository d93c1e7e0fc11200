package dev.kiln.api.admin;

import java.io.IOException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.kiln.api.ApiConfig;
import dev.kiln.api.billing.Accounts;
import dev.kiln.api.billing.LedgerEntry;
import dev.kiln.api.billing.TopUpFee;
import dev.kiln.api.billing.TopUpFees;
import dev.kiln.api.errors.ApiException;
import dev.kiln.api.ratelimit.TierTable;
import dev.kiln.common.errors.ErrorCodes;
import dev.kiln.common.errors.ErrorType;
import dev.kiln.common.redis.RedisKeys;

/**
 * Operator API under {@code /admin/v1}, behind {@code kiln.api.admin-token}: accounts, keys
 * (secret shown once), top-ups (fee applied here), balance, ledger and usage. Served only on the
 * admin port by {@link AdminServer}, never on the public one. Every method blocks (Redis calls) and
 * throws {@link ApiException} for the error answers.
 */
@ApplicationScoped
public class AdminApi {
    private static final Logger LOG = Logger.getLogger(AdminApi.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();

    private static final Pattern STREAM_ID = Pattern.compile("[0-9]{1,19}(-[0-9]{1,19})?");

    private final AdminAuth auth;
    private final Accounts accounts;
    private final TierTable tiers;
    private final TopUpFees fees;
    private final ApiConfig config;

    public AdminApi(AdminAuth auth, Accounts accounts, TierTable tiers, TopUpFees fees, ApiConfig config) {
        this.auth = auth;
        this.accounts = accounts;
        this.tiers = tiers;
        this.fees = fees;
        this.config = config;
    }

    /**
     * Body {@code {"id"?, "plan": "payg"|"invoiced", "tier"?, "credit_limit_micros"?}} → 201 account; 409
     * if the id exists. An invoiced account gets {@code credit_limit_micros}, else its tier's
     * {@code credit-limit-micros}, else no ceiling.
     */
    public AdminReply create(String authorization, byte[] body) {
        auth.require(authorization);
        JsonNode json = parse(body);
        String id = text(json, "id", "acct-" + HexFormat.of().formatHex(random(8)));
        if (!RedisKeys.isValidAccountId(id)) {
            throw ApiException.invalid("id", "'id' must match [A-Za-z0-9-]{1,64}.");
        }
        String plan = text(json, "plan", "payg");
        if (!plan.equals("payg") && !plan.equals("invoiced")) {
            throw ApiException.invalid("plan", "'plan' must be 'payg' or 'invoiced'.");
        }
        String tier = text(json, "tier", tiers.defaultTier());
        requireTier(tier);
        OptionalLong creditLimit = creditLimit(json);
        if (creditLimit.isPresent() && !plan.equals("invoiced")) {
            throw ApiException.invalid("credit_limit_micros", "'credit_limit_micros' applies to invoiced accounts only.");
        }
        if (creditLimit.isEmpty() && plan.equals("invoiced")) {
            creditLimit = tierCreditLimit(tier);
        }
        if (!accounts.create(id, plan, tier, creditLimit)) {
            throw new ApiException(ErrorType.CONFLICT, "Account '" + id + "' already exists.", "id", "account_exists");
        }
        LOG.infof("admin: created account %s plan=%s tier=%s", id, plan, tier);
        return AdminReply.created(view(accounts.find(id).orElseThrow()));
    }

    public Map<String, Object> get(String authorization, String id) {
        auth.require(authorization);
        return view(require(id));
    }

    /**
     * Body {@code {"credit_limit_micros": N | null}}: sets an invoiced account's credit limit (null removes
     * it: no ceiling). Takes effect at the next submission; jobs already admitted keep their reservation.
     */
    public Map<String, Object> setCreditLimit(String authorization,
            String id, byte[] body) {
        auth.require(authorization);
        Accounts.Account account = require(id);
        JsonNode json = parse(body);
        if (!json.has("credit_limit_micros")) {
            throw new ApiException(ErrorType.INVALID_REQUEST, "'credit_limit_micros' is required (null removes the limit).",
                    "credit_limit_micros", ErrorCodes.MISSING_REQUIRED);
        }
        if (!"invoiced".equals(account.plan())) {
            throw ApiException.invalid("credit_limit_micros", "'credit_limit_micros' applies to invoiced accounts only.");
        }
        OptionalLong limit = creditLimit(json);
        accounts.setCreditLimit(id, limit);
        LOG.infof("admin: credit limit of account %s set to %s", id, limit.isPresent() ? limit.getAsLong() : "none");
        return view(require(id));
    }

    /** Body {@code {"tier"?}} → 201 {@code {"key","key_id",...}}; the key is never shown again. */
    public AdminReply issueKey(String authorization, String id,
            byte[] body) {
        auth.require(authorization);
        require(id);
        JsonNode json = parse(body);
        String tier = text(json, "tier", null);
        if (tier != null) {
            requireTier(tier);
        }
        Accounts.IssuedKey key = accounts.issueKey(id, tier);
        LOG.infof("admin: issued key %s for account %s", key.keyId(), id);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("key", key.key());
        m.put("key_id", key.keyId());
        m.put("account_id", id);
        m.put("tier", tier);
        return AdminReply.created(m);
    }

    public Map<String, Object> keys(String authorization, String id) {
        auth.require(authorization);
        require(id);
        return Map.of("object", "list", "data", accounts.keys(id));
    }

    public Map<String, Object> revokeKey(String authorization,
            String id, String keyId) {
        auth.require(authorization);
        require(id);
        if (!accounts.revokeKey(id, keyId)) {
            throw new ApiException(ErrorType.NOT_FOUND, "No key '" + keyId + "' on account '" + id + "'.", null,
                    ErrorCodes.NOT_FOUND);
        }
        LOG.infof("admin: revoked key %s of account %s", keyId, id);
        return Map.of("key_id", keyId, "status", "revoked");
    }

    /**
     * Body {@code {"amount_micros": gross, "reference"?}} → fee, credited amount and new balance. A
     * reference is credited once: posting it again answers the first top-up (balance as it was right
     * after it, header {@code Idempotent-Replayed: true}); with another amount it is 409
     * {@code top_up_reference_reused}.
     */
    public AdminReply topUp(String authorization,
            String id, byte[] body) {
        auth.require(authorization);
        JsonNode json = parse(body);
        JsonNode amount = json.get("amount_micros");
        if (amount == null || !amount.canConvertToLong() || !amount.isIntegralNumber() || amount.asLong() <= 0) {
            throw ApiException.invalid("amount_micros", "'amount_micros' must be a positive integer.");
        }
        TopUpFee fee;
        try {
            fee = fees.on(amount.asLong());
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("amount_micros", "'amount_micros' is out of range.");
        }
        String reference = text(json, "reference", "");
        Accounts.TopUpResult result = accounts.topUp(id, fee, reference).orElseThrow(() -> accountNotFound(id));
        if (result.outcome() == Accounts.TopUpResult.Outcome.REFERENCE_CONFLICT) {
            throw new ApiException(ErrorType.CONFLICT, "Reference '" + reference + "' was already used for a top-up of "
                    + result.grossMicros() + " micros.", "reference", ErrorCodes.TOP_UP_REFERENCE_REUSED);
        }
        boolean replay = result.outcome() == Accounts.TopUpResult.Outcome.REPLAY;
        if (replay) {
            LOG.infof("admin: top-up reference %s of account %s replayed; nothing credited", reference, id);
        } else {
            LOG.infof("admin: top-up of %d micros (fee %d) for account %s", fee.grossMicros(), fee.feeMicros(), id);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("account_id", id);
        m.put("amount_micros", result.grossMicros());
        m.put("fee_micros", result.feeMicros());
        m.put("credited_micros", result.creditedMicros());
        m.put("balance_micros", result.balanceAfterMicros());
        return replay ? new AdminReply(200, m, Map.of("Idempotent-Replayed", "true")) : AdminReply.ok(m);
    }

    /**
     * One page of ledger entries, oldest first: {@code ?after=<entry id or epoch millis>&limit=<n>}
     * (default {@code kiln.api.ledger.default-page-size}, at most {@code max-page-size}). Beside the
     * entries: the balance before the page's first entry, the balance after its last one recomputed from
     * the deltas, the change in reservations over the page, and {@code next_cursor} when more follow.
     */
    public Map<String, Object> ledger(String authorization,
            String id, String after,
            String limit) {
        auth.require(authorization);
        require(id);
        Accounts.LedgerPage page = accounts.ledger(id, cursor(after), pageSize(limit));
        List<LedgerEntry> entries = page.entries();
        long opening = entries.isEmpty() ? 0
                : entries.get(0).num("balance_after_micros") - entries.get(0).balanceDeltaMicros();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("object", "list");
        m.put("data", entries.stream().map(e -> {
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("id", e.id());
            v.putAll(e.fields());
            return v;
        }).toList());
        m.put("opening_balance_micros", opening);
        m.put("recomputed_balance_micros", opening + entries.stream().mapToLong(LedgerEntry::balanceDeltaMicros).sum());
        m.put("recomputed_reserved_micros", entries.stream().mapToLong(LedgerEntry::reservedDeltaMicros).sum());
        pageLinks(m, page);
        return m;
    }

    /**
     * Totals over one page of the ledger (same {@code after} and {@code limit} as the ledger): top-ups,
     * fees, charges, refunds, images; sum the pages for a period. Balance and reservations are the
     * account's current ones.
     */
    public Map<String, Object> usage(String authorization,
            String id, String after,
            String limit) {
        auth.require(authorization);
        Accounts.Account account = require(id);
        Accounts.LedgerPage page = accounts.ledger(id, cursor(after), pageSize(limit));
        long topUps = 0, fees = 0, charged = 0, refunded = 0, images = 0, jobs = 0;
        for (LedgerEntry e : page.entries()) {
            switch (e.type()) {
                case "topup" -> {
                    topUps += e.num("amount_micros");
                    fees += e.num("fee_micros");
                }
                case "reserve" -> jobs++;
                case "settle" -> {
                    charged += e.num("charged_micros");
                    refunded += e.num("refunded_micros");
                    images += e.num("images");
                }
                default -> {
                }
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("account_id", id);
        m.put("jobs_submitted", jobs);
        m.put("images_charged", images);
        m.put("charged_micros", charged);
        m.put("refunded_micros", refunded);
        m.put("top_ups_micros", topUps);
        m.put("fees_micros", fees);
        m.put("balance_micros", account.balanceMicros());
        m.put("reserved_micros", account.reservedMicros());
        m.put("entries", page.entries().size());
        pageLinks(m, page);
        return m;
    }

    private static void pageLinks(Map<String, Object> m, Accounts.LedgerPage page) {
        m.put("has_more", page.nextCursor() != null);
        m.put("next_cursor", page.nextCursor());
    }

    private static String cursor(String after) {
        if (after == null || after.isEmpty()) {
            return null;
        }
        if (!STREAM_ID.matcher(after).matches()) {
            throw ApiException.invalid("after", "'after' must be a ledger entry id (e.g. 1700000000000-0) or epoch millis.");
        }
        return after;
    }

    private int pageSize(String limit) {
        if (limit == null || limit.isEmpty()) {
            return config.ledger().defaultPageSize();
        }
        int max = config.ledger().maxPageSize();
        try {
            int n = Integer.parseInt(limit);
            if (n >= 1 && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiException.invalid("limit", "'limit' must be an integer from 1 to " + max + ".");
    }

    private static OptionalLong creditLimit(JsonNode json) {
        JsonNode v = json.get("credit_limit_micros");
        if (v == null || v.isNull()) {
            return OptionalLong.empty();
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 0) {
            throw ApiException.invalid("credit_limit_micros", "'credit_limit_micros' must be a non-negative integer.");
        }
        return OptionalLong.of(v.asLong());
    }

    private OptionalLong tierCreditLimit(String tier) {
        ApiConfig.Tier t = config.tiers().get(tier);
        return t == null || t.creditLimitMicros().isEmpty() ? OptionalLong.empty()
                : OptionalLong.of(t.creditLimitMicros().get());
    }

    private Accounts.Account require(String id) {
        if (!RedisKeys.isValidAccountId(id)) {
            throw accountNotFound(id);
        }
        return accounts.find(id).orElseThrow(() -> accountNotFound(id));
    }

    private void requireTier(String tier) {
        if (!tiers.exists(tier)) {
            throw ApiException.invalid("tier", "Unknown tier '" + tier + "'.");
        }
    }

    private static ApiException accountNotFound(String id) {
        return new ApiException(ErrorType.NOT_FOUND, "No account '" + id + "'.", null, ErrorCodes.NOT_FOUND);
    }

    private static Map<String, Object> view(Accounts.Account a) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", a.id());
        m.put("plan", a.plan());
        m.put("tier", a.tier());
        m.put("balance_micros", a.balanceMicros());
        m.put("reserved_micros", a.reservedMicros());
        m.put("credit_limit_micros", a.creditLimitMicros().isPresent() ? a.creditLimitMicros().getAsLong() : null);
        return m;
    }

    private static JsonNode parse(byte[] body) {
        if (body == null || body.length == 0) {
            return JSON.createObjectNode();
        }
        try {
            JsonNode n = JSON.readTree(body);
            if (n == null || !n.isObject()) {
                throw ApiException.invalid(null, ErrorCodes.INVALID_JSON, "The request body must be a JSON object.");
            }
            return n;
        } catch (IOException e) {
            throw ApiException.invalid(null, ErrorCodes.INVALID_JSON, "The request body is not valid JSON.");
        }
    }

    private static String text(JsonNode json, String field, String dflt) {
        JsonNode v = json.get(field);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isTextual()) {
            throw ApiException.invalid(field, "'" + field + "' must be a string.");
        }
        return v.asText();
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }
}
