package dev.kiln.api.account;

import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import dev.kiln.api.auth.ApiKeyAuthenticator;
import dev.kiln.api.auth.Caller;
import dev.kiln.api.auth.PresentedKey;
import dev.kiln.api.billing.Accounts;
import dev.kiln.api.errors.ApiException;
import dev.kiln.api.ratelimit.RateLimitSnapshot;
import dev.kiln.api.ratelimit.TierTable;
import io.smallrye.common.annotation.Blocking;

/**
 * What a key may see of its own account: {@code GET /v1/account} (wallet, tier and the key's limits)
 * and {@code GET /v1/usage?period=day|month} (this key's images and spend). Read-only; the admin API
 * is where accounts change.
 */
@Path("/v1")
@Produces(MediaType.APPLICATION_JSON)
@Blocking
public class AccountResource {
    private final ApiKeyAuthenticator auth;
    private final Accounts accounts;
    private final TierTable tiers;
    private final Clock clock = Clock.systemUTC();

    public AccountResource(ApiKeyAuthenticator auth, Accounts accounts, TierTable tiers) {
        this.auth = auth;
        this.accounts = accounts;
        this.tiers = tiers;
    }

    @GET
    @Path("/account")
    public Response account(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization) {
        Caller caller = auth.authenticate(authorization);
        Accounts.Account a = accounts.find(caller.accountId())
                .orElseThrow(() -> PresentedKey.unauthenticated("Incorrect API key provided."));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("object", "account");
        m.put("id", a.id());
        m.put("plan", a.plan());
        m.put("tier", caller.tier());
        m.put("balance_micros", a.balanceMicros());
        m.put("reserved_micros", a.reservedMicros());
        m.put("rate_limits", limits(caller.limits()));
        return ok(m, caller);
    }

    @GET
    @Path("/usage")
    public Response usage(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @QueryParam("period") String periodParam) {
        Caller caller = auth.authenticate(authorization);
        UsagePeriod period;
        try {
            period = UsagePeriod.parse(periodParam);
        } catch (ApiException invalid) {
            throw invalid.withHeaders(caller.limits().headers());
        }
        Instant now = clock.instant();
        long startMillis = period.startMillis(now);
        KeyUsage usage = KeyUsage.of(accounts.ledgerSince(caller.accountId(), startMillis), caller.keyHash());
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("object", "usage");
        m.put("period", period.wire());
        m.put("start_time", startMillis / 1000);
        m.put("end_time", now.getEpochSecond());
        m.put("key_id", caller.keyHash());
        m.put("jobs", usage.jobs());
        m.put("images", usage.images());
        m.put("spend_micros", usage.spendMicros());
        m.put("refunded_micros", usage.refundedMicros());
        m.put("pending_micros", usage.pendingMicros());
        return ok(m, caller);
    }

    private Map<String, Object> limits(RateLimitSnapshot s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("window_millis", tiers.windowMillis());
        m.put("requests", Map.of("limit", s.requestLimit(), "remaining", s.requestsRemaining(),
                "reset_millis", s.requestsResetMillis()));
        m.put("images", Map.of("limit", s.imageLimit(), "remaining", s.imagesRemaining(),
                "reset_millis", s.imagesResetMillis()));
        return m;
    }

    private static Response ok(Map<String, Object> body, Caller caller) {
        Response.ResponseBuilder b = Response.ok(body);
        caller.limits().headers().forEach(b::header);
        return b.build();
    }
}
