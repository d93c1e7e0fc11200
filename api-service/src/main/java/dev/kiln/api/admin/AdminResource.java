package dev.kiln.api.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.api.ApiConfig;
import dev.kiln.api.billing.Accounts;
import dev.kiln.api.billing.LedgerEntry;
import dev.kiln.api.billing.TopUpFee;
import dev.kiln.api.errors.ApiException;
import dev.kiln.api.ratelimit.TierTable;
import dev.kiln.common.errors.ErrorCodes;
import dev.kiln.common.errors.ErrorType;
import dev.kiln.common.redis.RedisKeys;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Operator API under {@code /admin/v1}, behind {@code kiln.api.admin-token}: accounts, keys
 * (secret shown once), top-ups (fee applied here), balance, ledger and usage.
 */
@Path("/admin/v1/accounts")
@Produces(MediaType.APPLICATION_JSON)
@Blocking
public class AdminResource {
    private static final Logger LOG = Logger.getLogger(AdminResource.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();

    private final AdminAuth auth;
    private final Accounts accounts;
    private final TierTable tiers;
    private final int feeBasisPoints;

    public AdminResource(AdminAuth auth, Accounts accounts, TierTable tiers, ApiConfig config) {
        this.auth = auth;
        this.accounts = accounts;
        this.tiers = tiers;
        this.feeBasisPoints = config.topUpFeeBasisPoints();
    }

    /** Body {@code {"id"?, "plan": "payg"|"invoiced", "tier"?}} → 201 account; 409 if the id exists. */
    @POST
    public Response create(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, byte[] body) {
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
        if (!accounts.create(id, plan, tier)) {
            throw new ApiException(ErrorType.CONFLICT, "Account '" + id + "' already exists.", "id", "account_exists");
        }
        LOG.infof("admin: created account %s plan=%s tier=%s", id, plan, tier);
        return Response.status(201).entity(view(accounts.find(id).orElseThrow())).build();
    }

    @GET
    @Path("/{id}")
    public Map<String, Object> get(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, @PathParam("id") String id) {
        auth.require(authorization);
        return view(require(id));
    }

    /** Body {@code {"tier"?}} → 201 {@code {"key","key_id",...}}; the key is never shown again. */
    @POST
    @Path("/{id}/keys")
    public Response issueKey(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, @PathParam("id") String id,
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
        return Response.status(201).entity(m).build();
    }

    @GET
    @Path("/{id}/keys")
    public Map<String, Object> keys(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, @PathParam("id") String id) {
        auth.require(authorization);
        require(id);
        return Map.of("object", "list", "data", accounts.keys(id));
    }

    @DELETE
    @Path("/{id}/keys/{keyId}")
    public Map<String, Object> revokeKey(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
                                         @PathParam("id") String id, @PathParam("keyId") String keyId) {
        auth.require(authorization);
        require(id);
        if (!accounts.revokeKey(id, keyId)) {
            throw new ApiException(ErrorType.NOT_FOUND, "No key '" + keyId + "' on account '" + id + "'.", null,
                    ErrorCodes.NOT_FOUND);
        }
        LOG.infof("admin: revoked key %s of account %s", keyId, id);
        return Map.of("key_id", keyId, "status", "revoked");
    }

    /** Body {@code {"amount_micros": gross, "reference"?}} → fee, credited amount and new balance. */
    @POST
    @Path("/{id}/top-ups")
    public Map<String, Object> topUp(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
                                     @PathParam("id") String id, byte[] body) {
        auth.require(authorization);
        JsonNode json = parse(body);
        JsonNode amount = json.get("amount_micros");
        if (amount == null || !amount.canConvertToLong() || !amount.isIntegralNumber() || amount.asLong() <= 0) {
            throw ApiException.invalid("amount_micros", "'amount_micros' must be a positive integer.");
        }
        TopUpFee fee;
        try {
            fee = TopUpFee.of(amount.asLong(), feeBasisPoints);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("amount_micros", "'amount_micros' is out of range.");
        }
        long balance = accounts.topUp(id, fee, text(json, "reference", ""))
                .orElseThrow(() -> accountNotFound(id));
        LOG.infof("admin: top-up of %d micros (fee %d) for account %s", fee.grossMicros(), fee.feeMicros(), id);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("account_id", id);
        m.put("amount_micros", fee.grossMicros());
        m.put("fee_micros", fee.feeMicros());
        m.put("credited_micros", fee.creditedMicros());
        m.put("balance_micros", balance);
        return m;
    }

    /** Every ledger entry, oldest first, plus the balance and reservations recomputed from them. */
    @GET
    @Path("/{id}/ledger")
    public Map<String, Object> ledger(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
                                      @PathParam("id") String id) {
        auth.require(authorization);
        require(id);
        List<LedgerEntry> entries = accounts.ledger(id);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("object", "list");
        m.put("data", entries.stream().map(e -> {
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("id", e.id());
            v.putAll(e.fields());
            return v;
        }).toList());
        m.put("recomputed_balance_micros", entries.stream().mapToLong(LedgerEntry::balanceDeltaMicros).sum());
        m.put("recomputed_reserved_micros", entries.stream().mapToLong(LedgerEntry::reservedDeltaMicros).sum());
        return m;
    }

    /** Totals over the ledger: top-ups, fees, charges, refunds, images, open reservations. */
    @GET
    @Path("/{id}/usage")
    public Map<String, Object> usage(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
                                     @PathParam("id") String id) {
        auth.require(authorization);
        Accounts.Account account = require(id);
        long topUps = 0, fees = 0, charged = 0, refunded = 0, images = 0, jobs = 0;
        for (LedgerEntry e : accounts.ledger(id)) {
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
        return m;
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
